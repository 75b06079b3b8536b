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
from collections.abc import Callable
from dataclasses import dataclass

from tree_sitter import Node

from leaklint.analysis.frequency import FREQUENCY_ANALYSES, Rate, how_often
from leaklint.analysis.nodes import (
    call_arguments,
    enclosing_functions,
    function_name,
    literal_key,
    member_property,
    text,
)
from leaklint.analysis.resource_origins import (
    THIS_ASSIGNMENTS,
    superclass_origin,
    value_creation,
    value_origin,
)
from leaklint.model.findings import Severity
from leaklint.rules._base import Rule
from leaklint.semantic.context import FileContext
from leaklint.semantic.imports import Symbol, unwrap

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
# talk's cron export. Matched on camelCase/snake_case words of the enclosing functions' names.
EXPORT_NAME = re.compile(
    r"(?:^|_)(?:export|report|download|dump|backup|archive|csv|xlsx)"
    r"|(?:Export|Report|Download|Dump|Backup|Archive|Csv|CSV|Xlsx)"
)
# Methods that may follow a read without bounding it (ordering, projection, joins, execution).
# A chain with any other method (a limit, a filter, a cursor, a write, a count) is left alone.
UNBOUNDING_STEPS = frozenset(
    {
        # mongoose / MongoDB
        "sort", "select", "lean", "populate", "exec", "project", "collation", "hint",
        "allowDiskUse", "maxTimeMS", "session", "comment", "toArray",
        # TypeORM query builder
        "createQueryBuilder", "addSelect", "from", "orderBy", "addOrderBy", "leftJoin",
        "leftJoinAndSelect", "leftJoinAndMapMany", "leftJoinAndMapOne", "groupBy", "addGroupBy",
        "withDeleted", "cache", "getMany", "getRawMany", "getManyAndCount",
        # knex
        "table", "column", "columns", "distinct", "join", "orderByRaw", "as",
        # promises
        "then", "catch", "finally",
    }
)  # fmt: skip
BOUNDING_KEYS = frozenset({"limit", "take", "where", "first", "cursor"})
MONGOOSE_MODELS = (("model",), ("Model",))
TYPEORM_REPOSITORIES = (
    ("getRepository",),
    ("getCustomRepository",),
    ("getMongoRepository",),
    ("Repository",),
    ("MongoRepository",),
    ("TreeRepository",),
)
PRISMA_CLIENTS = (("@prisma/client", ("PrismaClient",)), ("nestjs-prisma", ("PrismaService",)))
REDIS_CLIENTS = (
    ("ioredis", ((), ("Redis",), ("Cluster",))),
    ("redis", (("createClient",), ("createCluster",), ("RedisClientType",))),
    ("@redis/client", (("createClient",), ("RedisClientType",))),
)
KNEX_INSTANCES = ((), ("Knex",), ("knex",))


@dataclass(frozen=True)
class Read:
    """A recognised whole-collection read: what it reads and what to use instead."""

    library: str  # the message id of the advice ("mongoose", "typeorm" …)
    target: str  # what is read, as the code names it ("Order", "prisma.user", "'users'")
    unit: str  # "document", "row", "record"


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
        for call in captures.get("read", ()):
            read = _recognised_read(ctx, call)
            if read is not None:
                self._judge(ctx, call, read)
        for call in captures.get("table_call", ()):
            read = _knex_table_read(ctx, call)
            if read is not None:
                self._judge(ctx, call, read)

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


# -- which reads are whole-collection reads -----------------------------------------------------


def _recognised_read(ctx: FileContext, call: Node) -> Read | None:
    callee = call.child_by_field_name("function")
    receiver = callee.child_by_field_name("object") if callee is not None else None
    method = member_property(callee)
    if receiver is None or method is None:
        return None
    judge = _JUDGES.get(method)
    return judge(ctx, call, unwrap(receiver)) if judge is not None else None


def _find(ctx: FileContext, call: Node, receiver: Node | None) -> Read | None:
    """`Model.find()` (mongoose), `collection.find().toArray()`, `repository.find()`."""
    if receiver is None:
        return None
    origin = value_origin(ctx, receiver)
    if _is(origin, "mongoose", MONGOOSE_MODELS):
        return _mongoose_find(ctx, call, receiver)
    if _is(origin, "mongodb", (("Collection",),)) or _is_collection_call(ctx, receiver):
        return _mongodb_find(ctx, call, receiver)
    if _is_typeorm_repository(ctx, receiver, origin):
        return _typeorm_find(ctx, call, receiver)
    return None


def _mongoose_find(ctx: FileContext, call: Node, receiver: Node) -> Read | None:
    arguments = call_arguments(call)
    if arguments and not _is_empty_object(arguments[0]):
        return None  # a filter: this file cannot tell how much it keeps
    methods, top = _chain_above(ctx, call)
    if not _unbounded_chain(methods) or not _executed(ctx, top, methods):
        return None
    return Read("mongoose", f"`{text(receiver)}`", "document")


def _mongodb_find(ctx: FileContext, call: Node, receiver: Node) -> Read | None:
    arguments = call_arguments(call)
    if arguments and not _is_empty_object(arguments[0]):
        return None
    if len(arguments) > 1 and not _lacks_keys(arguments[1], BOUNDING_KEYS):
        return None
    methods, _top = _chain_above(ctx, call)
    if "toArray" not in methods or not _unbounded_chain(methods):
        return None  # a cursor the code iterates is the right way to read it
    return Read("mongodb", f"the collection `{_collection_name(ctx, receiver)}`", "document")


def _typeorm_find(ctx: FileContext, call: Node, receiver: Node) -> Read | None:
    arguments = call_arguments(call)
    if arguments and not _lacks_keys(arguments[0], BOUNDING_KEYS):
        return None
    return Read("typeorm", f"`{text(receiver)}`", "row")


def _query_builder_read(ctx: FileContext, call: Node, receiver: Node | None) -> Read | None:
    """`….createQueryBuilder('u')….getMany()`: TypeORM's builder, bounded by nothing."""
    methods = _chain_below(receiver)
    if not methods or methods[0] != "createQueryBuilder" or not _unbounded_chain(methods):
        return None
    return Read("typeorm", "the query builder's entity", "row")


def _find_all(ctx: FileContext, call: Node, receiver: Node | None) -> Read | None:
    """Sequelize `Model.findAll()` on a `Model` subclass or a `sequelize.define` model."""
    if receiver is None or not _is_sequelize_model(ctx, receiver):
        return None
    arguments = call_arguments(call)
    if arguments and not _lacks_keys(arguments[0], BOUNDING_KEYS):
        return None
    target = _enclosing_class_name(ctx, receiver) if receiver.type == "this" else text(receiver)
    return Read("sequelize", f"`{target}`", "row")


def _find_and_count(ctx: FileContext, call: Node, receiver: Node | None) -> Read | None:
    if receiver is not None and _is_typeorm_repository(ctx, receiver, value_origin(ctx, receiver)):
        return _typeorm_find(ctx, call, receiver)
    return None


def _find_many(ctx: FileContext, call: Node, receiver: Node | None) -> Read | None:
    """Prisma `prisma.user.findMany()`: the client is the receiver's object."""
    if receiver is None or receiver.type != "member_expression":
        return None
    client = receiver.child_by_field_name("object")
    origin = value_origin(ctx, client)
    if not any(_is(origin, module, (path,)) for module, path in PRISMA_CLIENTS):
        return None
    arguments = call_arguments(call)
    if arguments and not _lacks_keys(arguments[0], BOUNDING_KEYS):
        return None
    return Read("prisma", f"`{text(receiver)}`", "row")


def _keys(ctx: FileContext, call: Node, receiver: Node | None) -> Read | None:
    """Redis `client.keys(pattern)` on an ioredis or node-redis client."""
    if receiver is None or len(call_arguments(call)) != 1:
        return None
    origin = value_origin(ctx, receiver)
    if not any(_is(origin, module, paths) for module, paths in REDIS_CLIENTS):
        return None
    return Read("redis", "", "key")


def _knex_method_read(ctx: FileContext, call: Node, receiver: Node | None) -> Read | None:
    """`knex.select('*').from('users')`, `knex.from('users')`, `knex.table('users')`."""
    if receiver is None or not _is_knex_instance(ctx, receiver):
        return None
    return _knex_chain_read(ctx, call)


def _knex_table_read(ctx: FileContext, call: Node) -> Read | None:
    """`knex('users')` on a knex instance (not the `knex` factory itself)."""
    callee = unwrap(call.child_by_field_name("function"))
    if callee is None or not _is_knex_instance(ctx, callee):
        return None
    return _knex_chain_read(ctx, call)


def _knex_chain_read(ctx: FileContext, root: Node) -> Read | None:
    methods, top = _chain_above(ctx, root)
    if not _unbounded_chain(methods) or not _executed(ctx, top, methods):
        return None
    table = _knex_table_name(root, top)
    return Read("knex", f"'{table}'" if table else "the table", "row")


def _knex_table_name(root: Node, top: Node) -> str | None:
    """The table a knex chain reads: `knex('users')`, `.from('users')`, `.table('users')`."""
    node: Node | None = top
    while node is not None and node.type == "call_expression":
        callee = node.child_by_field_name("function")
        arguments = call_arguments(node)
        names_table = node.id == root.id or member_property(callee) in ("from", "table")
        if names_table and arguments and literal_key(arguments[0]) is not None:
            return literal_key(arguments[0])
        if node.id == root.id or callee is None or callee.type != "member_expression":
            return None
        node = unwrap(callee.child_by_field_name("object"))
    return None


_JUDGES: dict[str, Callable[[FileContext, Node, Node | None], Read | None]] = {
    "find": _find,
    "findAll": _find_all,
    "findAndCountAll": _find_all,
    "findAndCount": _find_and_count,
    "findMany": _find_many,
    "getMany": _query_builder_read,
    "getRawMany": _query_builder_read,
    "getManyAndCount": _query_builder_read,
    "keys": _keys,
    "select": _knex_method_read,
    "from": _knex_method_read,
    "table": _knex_method_read,
}


# -- receivers ----------------------------------------------------------------------------------


def _is(origin: Symbol | None, module: str, paths: tuple[tuple[str, ...], ...]) -> bool:
    return origin is not None and origin.matches(module, *paths)


def _is_collection_call(ctx: FileContext, receiver: Node) -> bool:
    """`db.collection('users')`, directly or through a variable: the driver's collection."""
    made = value_creation(ctx, receiver)
    return (
        made is not None
        and made.type == "call_expression"
        and member_property(made.child_by_field_name("function")) == "collection"
        and len(call_arguments(made)) >= 1
        and literal_key(call_arguments(made)[0]) is not None
    )


def _collection_name(ctx: FileContext, receiver: Node) -> str:
    """`users` for a receiver made by `db.collection('users')`, else the receiver as written."""
    made = value_creation(ctx, receiver)
    arguments = call_arguments(made) if made is not None and made.type == "call_expression" else []
    name = literal_key(arguments[0]) if arguments else None
    return name if name is not None else text(receiver)


def _is_typeorm_repository(ctx: FileContext, receiver: Node, origin: Symbol | None) -> bool:
    """A repository from `getRepository(E)` (typeorm's, or any data source's / manager's
    `.getRepository(E)`), or a value typed `Repository<E>` (`@InjectRepository`)."""
    if _is(origin, "typeorm", TYPEORM_REPOSITORIES):
        return True
    made = value_creation(ctx, receiver)
    return (
        made is not None
        and made.type == "call_expression"
        and member_property(made.child_by_field_name("function"))
        in ("getRepository", "getCustomRepository", "getTreeRepository")
    )


def _is_sequelize_model(ctx: FileContext, receiver: Node) -> bool:
    """A class of this file that extends Sequelize's `Model` (or `this` in its static methods),
    or what `sequelize.define(…)` returns."""
    if receiver.type == "this":
        return _in_static_method_of_model(ctx, receiver)
    if receiver.type == "identifier":
        binding = ctx.scopes.resolve(receiver)
        if binding is not None and _extends_sequelize_model(ctx, binding.declaration):
            return True
    made = value_creation(ctx, receiver)
    if made is None or made.type != "call_expression":
        return False
    callee = made.child_by_field_name("function")
    if member_property(callee) != "define" or callee is None:
        return False
    owner = value_origin(ctx, callee.child_by_field_name("object"))
    return _is(owner, "sequelize", (("Sequelize",),)) or _is(
        owner, "sequelize-typescript", (("Sequelize",),)
    )


def _extends_sequelize_model(ctx: FileContext, cls: Node | None) -> bool:
    origin = superclass_origin(ctx, cls)
    return _is(origin, "sequelize", (("Model",),)) or _is(
        origin, "sequelize-typescript", (("Model",),)
    )


def _in_static_method_of_model(ctx: FileContext, this: Node) -> bool:
    method = ctx.ancestry.nearest(this, frozenset({"method_definition"}))
    if method is None or not any(child.type == "static" for child in method.children):
        return False
    cls = ctx.ancestry.nearest(method, frozenset({"class_declaration", "class"}))
    return _extends_sequelize_model(ctx, cls)


def _enclosing_class_name(ctx: FileContext, node: Node) -> str:
    cls = ctx.ancestry.nearest(node, frozenset({"class_declaration", "class"}))
    name = cls.child_by_field_name("name") if cls is not None else None
    return text(name) if name is not None else "this model"


def _is_knex_instance(ctx: FileContext, node: Node) -> bool:
    """A value made by `knex(config)` or typed `Knex` — not the imported `knex` factory."""
    if ctx.imports.resolve(node) is not None:
        return False  # the module itself: `knex('x')` here would be a configuration call
    return _is(value_origin(ctx, node), "knex", KNEX_INSTANCES)


# -- chains -------------------------------------------------------------------------------------


def _chain_above(ctx: FileContext, call: Node) -> tuple[list[str], Node]:
    """The methods called on the result of ``call`` (`find().sort().lean()` → sort, lean) and
    the outermost call of the chain."""
    methods: list[str] = []
    top = call
    while True:
        member = ctx.ancestry.parent(top)
        if member is None or member.type != "member_expression":
            break
        if member.child_by_field_name("object") != top:
            break
        outer = ctx.ancestry.parent(member)
        if outer is None or outer.type != "call_expression":
            break
        methods.append(member_property(member) or "")
        top = outer
    return methods, top


def _chain_below(node: Node | None) -> list[str]:
    """The methods called before ``node`` in its chain, innermost first
    (`qb.createQueryBuilder().orderBy()` → createQueryBuilder, orderBy)."""
    methods: list[str] = []
    while node is not None and node.type == "call_expression":
        callee = node.child_by_field_name("function")
        if callee is None or callee.type != "member_expression":
            break
        methods.append(member_property(callee) or "")
        node = unwrap(callee.child_by_field_name("object"))
    methods.reverse()
    return methods


def _unbounded_chain(methods: list[str]) -> bool:
    return all(method in UNBOUNDING_STEPS for method in methods)


def _executed(ctx: FileContext, top: Node, methods: list[str]) -> bool:
    """A query builder only runs when awaited, `.then()`ed, `.exec()`ed or `.toArray()`ed; one
    that is returned or stored may still get a limit from the code that runs it."""
    if methods and methods[-1] in ("then", "exec", "toArray", "catch", "finally"):
        return True
    parent = ctx.ancestry.parent(top)
    while parent is not None and parent.type == "parenthesized_expression":
        parent = ctx.ancestry.parent(parent)
    return parent is not None and parent.type == "await_expression"


# -- options ------------------------------------------------------------------------------------


def _is_empty_object(node: Node) -> bool:
    return node.type == "object" and not [c for c in node.named_children if c.type != "comment"]


def _lacks_keys(options: Node, keys: frozenset[str]) -> bool:
    """True when ``options`` is an object literal with none of ``keys``; options this file cannot
    read (a variable, a spread) may hold them, so they count as bounded."""
    if options.type != "object":
        return False
    for entry in options.named_children:
        if entry.type == "spread_element":
            return False
        if entry.type == "pair":
            key = entry.child_by_field_name("key")
            if (literal_key(key) or text(key)) in keys:
                return False
        if entry.type == "shorthand_property_identifier" and text(entry) in keys:
            return False
    return True


def _shown_call(ctx: FileContext, call: Node) -> str:
    callee = call.child_by_field_name("function")
    shown = text(callee)
    if len(shown) > 60 or "\n" in shown:
        shown = f"…{member_property(callee) or ''}" if callee is not None else shown
    return f"{shown}()"


__all__ = ["UnboundedRead"]
