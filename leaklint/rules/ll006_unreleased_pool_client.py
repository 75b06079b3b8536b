"""## What it does
Flags a connection checked out of a pool and not released on every path: pg
`await pool.connect()` → `client.release()`, mysql2 `await pool.getConnection()` →
`connection.release()`, TypeORM `createQueryRunner()` → `queryRunner.release()`, MongoDB /
mongoose `startSession()` → `session.endSession()`, and a page of a browser the process keeps,
Puppeteer's or Playwright's `await browser.newPage()` → `page.close()` (a tab that stays open
in the shared browser; a page of a browser the same function launches, or whose browser it
closes on that path, goes with it; pages in tests and one-off scripts go with their run), plus
pairs added with `[[tool.leaklint.resources]]` and `kind = "pool"`.

It reports a checkout that is never released, and one whose release can be skipped: the
release is not in a `finally` block and an operation that can throw (any `await`, or a call)
runs before it, or a `return` or a branch leaves the function before it. The message names
the operation that skips the release, and points at the release as a related location. In
test files (`*.test.*`, `*.spec.*`, `test/`, `__tests__/`, …) only checkouts that are never
released are reported: a release skipped by a failing assertion does not need a `finally`.

`pool.connect()` and `pool.getConnection()` are common method names, so they count only when
`pool` is known to be a pool: created in the file (`new Pool()`, `mysql.createPool()`,
directly, as `this.pool`, returned by a factory function of the file — `getPool().connect()`
— or assigned to a variable declared empty, `let pool; … pool = new Pool()`) or typed as one
in TypeScript (`pool: Pool`, `private pool: mysql.Pool`). When the pool comes from another
file, the checkout counts only if the function itself calls `release()` on the result — the
code then says what it holds — and only a release that can be skipped is reported.
`createQueryRunner()` is TypeORM's alone and counts on any receiver; `startSession()` needs a
MongoDB or mongoose receiver, a `ClientSession` type or an `endSession()` on the result (pg has
a `startSession()` of its own, for SASL).
Callback-style checkouts (`pool.connect((err, client, done) => …)`, `pool.getConnection(cb)`,
`pool.connect().then(client => …)`) on such a pool are reported when the callback never
releases at all (nothing in it calls or mentions `done`, releases the client, or hands the
client on), and in the classic shape where the query's callback returns early on an error
before it calls `done()` (`if (err) return next(err); done();`). Other paths of a callback are
not judged: the checkout callback's own error branch has no client to release.

Across modules (a run over a project): `pool.connect()` / `getConnection()` on a pool that
another module creates and exports (`module.exports = { pool }` with `new Pool()`), in code
that runs more than once, when this code never releases, returns or stores the connection —
or hands it to a function of another module that releases it (`release(client)` calling
`client.release()`); the pool's creation is the related location. Likewise a connection from
a checkout factory of another module — a function whose every `return` hands back a
connection it has just taken out of its module's pool, node-postgres' documented
`getClient()` — that this code never releases, or releases where a failing operation skips
it; the checkout in the factory is the related location. A `withClient(fn)` helper that
releases in `finally` hands out no connection, and is not one.

Not reported, as for LL003: checkouts returned or stored (ownership moves), handed to another
function or a callback that this function does not release itself, released in `finally`, in
`.finally(…)` or another callback, or released in the `catch` block and after the `try`.
`queryRunner.connect()` and `startTransaction()` before the `try` are not counted as
throwing: that is TypeORM's and MongoDB's documented idiom. Nor are `new` expressions,
`console.*`, plain calls on the checkout itself, calls that release something else, and plain
calls in a `catch` block before its release (logging the error).

## Why is this bad?
A pool hands out a fixed number of connections. A checkout that is not released stays checked
out for the life of the process: after `max` such failures every `pool.connect()` waits forever
(or until `connectionTimeoutMillis`) and the service stops answering — the "too many
connections for role" that PostgreSQL reports. The usual cause is a release written after the
queries instead of in `finally`, so one failed query leaks the connection.

## Example
```js
async function getUser(id) {
  const client = await pool.connect();
  const { rows } = await client.query('SELECT * FROM users WHERE id = $1', [id]);
  client.release(); // skipped when the query throws
  return rows[0];
}
```

## Use instead
```js
async function getUser(id) {
  const client = await pool.connect();
  try {
    const { rows } = await client.query('SELECT * FROM users WHERE id = $1', [id]);
    return rows[0];
  } finally {
    client.release();
  }
}
```
or, for a single query, `pool.query(...)`, which checks out and releases by itself.
"""

from __future__ import annotations

from collections.abc import Iterator

from leaklint.analysis.resource_table import POOL
from leaklint.analysis.resources import ACQUISITION_QUERY
from leaklint.model.findings import Related
from leaklint.model.project import (
    CALL,
    CHECKOUT,
    CHECKOUT_FACTORY,
    POOL_INSTANCE,
    Linked,
    ProjectFacts,
    ProjectReport,
)
from leaklint.rules._resource_rule import ResourceRule


class UnreleasedPoolClient(ResourceRule):
    code = "LL006"
    name = "unreleased-pool-client"
    summary = "A connection checked out of a pool is not released on every path."
    precision = "high"
    tags = ("resource-leak", "connections", "database", "pool")

    query = ACQUISITION_QUERY
    kind = POOL
    acquired = "checked out"
    released = "released"
    release_noun = "release"
    consequence = "the pool loses a connection for good until it runs out"

    messages = {
        **ResourceRule.messages,
        "checkout-from-module": (
            "This takes a connection out of '{pool}', the {label} of '{module}', and never "
            "releases it, and this code {reason}: {consequence}. Keep the connection in a "
            "variable and call `release()` in a `finally` block, or use `{pool}.query()`, "
            "which releases for you."
        ),
        "note-pool-created": "the {label} '{pool}' is created here, once per process",
        "checkout-factory-from-module": (
            "'{callee}()' of '{module}' hands out a connection it takes from the {label} "
            "'{pool}'; this code never releases it and {reason}: {consequence}. Call "
            "`release()` on it in a `finally` block."
        ),
        "checkout-factory-released-not-in-finally": (
            "'{callee}()' of '{module}' hands out a connection it takes from the {label} "
            "'{pool}'; this code releases it, but not if {trigger} throws: {consequence}. Call "
            "`release()` in a `finally` block."
        ),
        "note-checkout-factory": (
            "'{callee}()' takes a connection out of '{pool}' here, on every call"
        ),
    }

    def check_project(self, facts: ProjectFacts) -> Iterator[ProjectReport]:
        """A checkout on a pool made by another module that this code never releases (the
        file alone cannot tell the pool from any object with a `connect()`, so it reports
        such a checkout only when it releases it somewhere)."""
        for linked in facts.uses:
            export, use = linked.export, linked.use
            if export is not None and export.kind == CHECKOUT_FACTORY and use.action == CALL:
                yield from self._factory_checkout(linked)
                continue
            if export is None or export.kind != POOL_INSTANCE or use.action != CHECKOUT:
                continue
            if use.handled or linked.released_by_helper or not linked.repeats:
                continue
            fields = {"pool": use.imported, "label": export.label, "module": linked.path}
            message = self.msg(
                "checkout-from-module", **fields, reason=linked.reason, consequence=self.consequence
            )
            note = self.msg("note-pool-created", **fields).text
            yield ProjectReport(linked, message, (Related(export.span, note, linked.path),))

    def _factory_checkout(self, linked: Linked) -> Iterator[ProjectReport]:
        """`const client = await getClient()`, a checkout factory of another module, in code
        that repeats: reported when this code never releases the connection (nor returns,
        stores or hands it to a releasing helper), or releases it where a failure skips it."""
        export, use = linked.export, linked.use
        assert export is not None
        if not linked.repeats or linked.released_by_helper or (use.handled and not use.unclosed_by):
            return
        fields = {
            "callee": use.local or use.imported,
            "module": linked.path,
            "label": export.label,
            "pool": export.store,
        }
        if use.handled:
            message = self.msg(
                "checkout-factory-released-not-in-finally",
                **fields,
                trigger=use.unclosed_by,
                consequence=self.consequence,
            )
        else:
            message = self.msg(
                "checkout-factory-from-module",
                **fields,
                reason=linked.reason,
                consequence=self.consequence,
            )
        note = self.msg("note-checkout-factory", **fields).text
        yield ProjectReport(linked, message, (Related(export.span, note, linked.path),))
