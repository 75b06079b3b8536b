"""## What it does
Flags a read of a whole table or collection into memory at once, in code that runs per request,
per connection, per message, per timer tick, or that exports or reports data (a function named
like `exportOrders`, `downloadCsv`, `generateReport`):

* mongoose: `Model.find()` / `Model.find({})` without `.limit()`, `.cursor()` or `.eachAsync()`;
* the MongoDB driver: `collection.find().toArray()` without a `limit`;
* TypeORM: `repository.find()` / `findAndCount()` without `take` or `where`, and
  `createQueryBuilder()…getMany()` / `getRawMany()` without `take`, `limit` or a `where`;
* Sequelize: `Model.findAll()` / `findAndCountAll()` without `limit` or `where`;
* Prisma: `prisma.model.findMany()` without `take` or `where`;
* knex: `await knex('table')` / `knex.select().from('table')` without `limit`, `first()` or a
  `where`;
* Redis: `KEYS pattern` (`redis.keys('*')`), which walks the whole key space whatever the pattern.

Receivers are resolved through `require`/`import` and the file's scopes, never by method name: a
mongoose model from `mongoose.model(…)` or typed `Model<…>`, a collection from `db.collection(…)`
or typed `Collection`, a TypeORM repository from `getRepository(…)` / `dataSource.getRepository(…)`
or a `Repository<…>` parameter (`@InjectRepository`), a class that extends Sequelize's `Model`
(and `this` in its static methods) or `sequelize.define(…)`, `new PrismaClient()` or a
`PrismaService` parameter, a knex instance from `knex(config)`, an ioredis or node-redis client.
With project-wide analysis (`--project`) the model may come from another module
(`const Order = require('../models/order')`, which exports `mongoose.model('Order', …)`), and a
read in an exported function counts as per request when per-request code elsewhere calls it.
A read with a filter (`where`, a non-empty mongoose filter), a limit, a cursor or stream, a read
by key (`findById`, `findOne`, `findByPk`), a count, reads at module level or in start-up code
(configuration tables loaded once) and test code are not reported. A filtered read can be
unbounded too; it is left alone because this file cannot tell how many rows the filter keeps
(precision first), and so is a read in a function whose callers this file cannot see.

## Why is this bad?
The driver builds every row as an object in the heap before the first one is used, so memory
grows with the table, not with the request: a table that was small at launch ends the process
with "JavaScript heap out of memory" once it has grown. The talk leaklint comes from opens with
such a case: a cron export fetched 57,740 documents at once before the archive was even built.
Per request, a few concurrent calls multiply it. Redis `KEYS` is worse: it blocks the Redis
server for the whole walk and returns every key in one reply.

## Example
```js
const mongoose = require('mongoose');
const Order = mongoose.model('Order', orderSchema);

app.get('/orders/export', async (req, res) => {
  const orders = await Order.find(); // every order, in memory at once
  res.send(toCsv(orders));
});
```

## Use instead
```js
const mongoose = require('mongoose');
const Order = mongoose.model('Order', orderSchema);

app.get('/orders/export', async (req, res) => {
  for await (const order of Order.find().cursor()) { // one document at a time
    res.write(toCsvLine(order));
  }
  res.end();
});
```
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from tree_sitter import Node

from leaklint.analysis.frequency import FREQUENCY_ANALYSES, Rate, how_often
from leaklint.analysis.nodes import enclosing_functions, function_name, member_property, text
from leaklint.analysis.reads import (
    LIBRARY_OF_CLIENT,
    LIBRARY_OF_LABEL,
    UNITS,
    Read,
    unbounded_read,
)
from leaklint.analysis.resource_origins import THIS_ASSIGNMENTS
from leaklint.model.findings import Related, Severity
from leaklint.model.project import (
    CLIENT_INSTANCE,
    MODEL,
    READ,
    Export,
    Linked,
    ProjectFacts,
    ProjectReport,
)
from leaklint.rules._base import Rule
from leaklint.semantic.context import FileContext
from leaklint.syntax.source import is_test_file

READS = """
(call_expression
  function: (member_expression property: (property_identifier) @method
  (#any-of? @method "find" "findAll" "findAndCountAll" "findAndCount" "findMany" "getMany"
    "getRawMany" "getManyAndCount" "keys" "select" "from" "table"))) @read
(call_expression
  function: [(identifier) (member_expression)]
  arguments: (arguments . (string) .)) @table_call
"""
REPEATING_RATES = frozenset(
    {Rate.PER_REQUEST, Rate.PER_CONNECTION, Rate.PER_MESSAGE, Rate.PER_TICK}
)
# Functions that export or report data read everything by design, however often they run: the
# talk's cron export. Matched on the words of the enclosing functions' names.
EXPORT_NAME = re.compile(
    r"(?:^|_)(?:export|report|download|dump|backup|archive|csv|xlsx)"
    r"|(?:Export|Report|Download|Dump|Backup|Archive|Csv|CSV|Xlsx)"
)


class UnboundedRead(Rule):
    code = "LL012"
    name = "unbounded-read"
    summary = (
        "A whole table or collection is read into memory at once in code that runs per request "
        "or exports data."
    )
    severity = Severity.WARNING
    # CodeQL's vocabulary (measured: docs/rules-corpus.md).
    precision = "medium"
    preview = True
    tags = ("memory-leak", "database")
    triggers = (
        b"mongoose",
        b"mongodb",
        b".collection(",
        b"typeorm",
        b"getRepository",
        b"createQueryBuilder",
        b"sequelize",
        b"prisma",
        b"Prisma",
        b"knex",
        b"redis",
        b"Redis",
    )
    query = READS
    analyses = (*FREQUENCY_ANALYSES, THIS_ASSIGNMENTS)
    messages = {
        "unbounded": (
            "`{call}` reads every {unit} of {target} into memory at once, in code that "
            "{reason}. The result grows with the table, not the request, until the heap runs "
            "out. {instead}"
        ),
        "keys": (
            "`{call}` runs the Redis KEYS command, in code that {reason}. KEYS walks the whole "
            "key space in one blocking command and returns every matching key at once. Iterate "
            "with SCAN instead (ioredis `scanStream()`, node-redis `scanIterator()`)."
        ),
        "note-model": "The {what} {target} is made here.",
        "mongoose": "Add .limit(), or iterate with .cursor() / .eachAsync() in batches.",
        "mongodb": "Add a limit, or iterate the cursor (`for await`) instead of .toArray().",
        "typeorm": (
            "Page with `take`/`skip` (or a keyset `where`) in a loop, or use the query "
            "builder's .stream()."
        ),
        "sequelize": "Page with `limit`/`offset` (or a keyset `where`) in a loop.",
        "prisma": "Page with `take` and `cursor` (or `skip`) in a loop.",
        "knex": "Page with .limit()/.offset() (or a keyset .where()), or use .stream().",
    }

    def check(self, ctx: FileContext) -> None:
        if ctx.is_test_file:
            return  # a test reads back the handful of rows its fixtures wrote
        captures = ctx.captures(self.code)
        seen: set[int] = set()
        for call in (*captures.get("read", ()), *captures.get("table_call", ())):
            read = unbounded_read(ctx, call) if call.id not in seen else None
            seen.add(call.id)
            if read is not None:
                self._judge(ctx, call, read)

    def check_project(self, facts: ProjectFacts) -> Iterator[ProjectReport]:
        """`Order.find()` here on an `Order` that another module makes with
        `mongoose.model(…)` (or a Sequelize model class, a collection, a knex instance …)."""
        if is_test_file(Path(facts.path)):
            return
        for linked in facts.uses:
            library = _library_of(linked.export)
            if linked.use.action != READ or library not in linked.use.reads.split(","):
                continue
            reason = _linked_reason(linked)
            if reason is None or linked.export is None:
                continue
            call, target = _shown_use(linked.use.snippet, library)
            what = linked.export.label
            made = target
            if library == "knex":
                # The target is the table; what is made in the other module is the instance
                # (audit 8: "every row of 'users' (knex instance …)" named the table as it).
                made = f"`{call.split('(', 1)[0].rsplit('.', 1)[0]}`"
                source = f"{target} (through the {what} {made} from {linked.path})"
            else:
                source = f"{target} ({what} from {linked.path})"
            if library == "redis":
                message = self.msg("keys", call=call, reason=reason)
            else:
                message = self.msg(
                    "unbounded",
                    call=call,
                    unit=UNITS[library],
                    target=source,
                    reason=reason,
                    instead=self.msg(library).text,
                )
            note = self.msg("note-model", what=what, target=made).text
            yield ProjectReport(linked, message, (Related(linked.export.span, note, linked.path),))

    def _judge(self, ctx: FileContext, call: Node, read: Read) -> None:
        reason = _hot_path_reason(ctx, call)
        if reason is None:
            return
        shown = _shown_call(ctx, call)
        at = _report_node(call)
        if read.library == "redis":
            ctx.report(self, at, self.msg("keys", call=shown, reason=reason))
            return
        message = self.msg(
            "unbounded",
            call=shown,
            unit=read.unit,
            target=read.target,
            reason=reason,
            instead=self.msg(read.library).text,
        )
        ctx.report(self, at, message)


def _report_node(call: Node) -> Node:
    """The call, or for a chain over several lines the method that runs it (`.getMany()`), so
    that the finding sits on the line that reads."""
    if call.start_point[0] == call.end_point[0]:
        return call
    callee = call.child_by_field_name("function")
    prop = callee.child_by_field_name("property") if callee is not None else None
    return prop if prop is not None else call


def _library_of(export: Export | None) -> str | None:
    if export is None:
        return None
    if export.kind == MODEL:
        return LIBRARY_OF_LABEL.get(export.label)
    return LIBRARY_OF_CLIENT.get(export.label) if export.kind == CLIENT_INSTANCE else None


def _shown_use(snippet: str, library: str) -> tuple[str, str]:
    """The call as messages show it (`Order.find()`) and what it reads (`` `Order` ``, 'users'),
    from the use's source text."""
    callee = snippet.split("(", 1)[0].strip()
    shown = f"{callee}()" if len(callee) <= 60 and "\n" not in callee else "this read"
    if library == "knex":
        table = re.match(r"""[^(]*\(\s*['"]([^'"]+)['"]""", snippet)
        return shown, f"'{table.group(1)}'" if table else "the table"
    receiver = callee.rsplit(".", 1)[0] if "." in callee else callee
    return shown, f"`{receiver}`"


def _linked_reason(linked: Linked) -> str | None:
    """How often a linked read runs (callers in other modules counted), or that it exports."""
    if linked.rate in {rate.value for rate in REPEATING_RATES}:
        return linked.reason
    if linked.rate == Rate.ONCE.value:
        return None
    for name in (linked.use.caller, *reversed(linked.use.context.split("."))):
        if name and EXPORT_NAME.search(name):
            return f"exports or reports data (`{name}`)"
    return None


# -- how often, and whether it is export code ---------------------------------------------------


def _hot_path_reason(ctx: FileContext, call: Node) -> str | None:
    """Why this read runs often enough to matter, or None (module level, start-up, plain code
    whose callers this file cannot see)."""
    frequency = how_often(ctx, call)
    if frequency.rate in REPEATING_RATES:
        return frequency.reason
    if frequency.rate is Rate.ONCE:
        return None
    for function in enclosing_functions(ctx.ancestry, call):
        name = function_name(ctx.ancestry, function)
        if name and EXPORT_NAME.search(name):
            return f"exports or reports data (`{name}`)"
    return None


def _shown_call(ctx: FileContext, call: Node) -> str:
    callee = call.child_by_field_name("function")
    shown = text(callee)
    if len(shown) > 60 or "\n" in shown:
        shown = f"…{member_property(callee) or ''}" if callee is not None else shown
    return f"{shown}()"


__all__ = ["UnboundedRead"]
