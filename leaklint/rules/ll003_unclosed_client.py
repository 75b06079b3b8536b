"""## What it does
Flags a Redis or database client created inside a function and not closed on every path:
ioredis `new Redis()` / `new Cluster()`, node-redis `createClient()`, pg `new Client()` /
`new Pool()`, mysql/mysql2 `createConnection()` / `createPool()`, mongodb `new MongoClient()` /
`MongoClient.connect()`, mongoose `createConnection()`, TypeORM `new DataSource()`, `knex()`,
`new Sequelize()`, `new PrismaClient()`, BullMQ `new Queue()` / `new Worker()` /
`new QueueEvents()` and socket.io-client `io()`, plus any pair added with
`[[tool.leaklint.resources]]`.

It reports a client that is never closed (`quit`, `disconnect`, `end`, `close`, `destroy`,
`$disconnect`), and a client whose close can be skipped: the close is not in a `finally`
block and an operation that can throw (a call, an `await`) runs between creation and close, or
a `return` or a branch leaves the function before it. The message names the operation that
skips the close, and points at the close as a related location. In test files (`*.test.*`,
`*.spec.*`, `test/`, `__tests__/`, …) only clients that are never closed are reported, and
not those of a local SQLite file (knex `client: 'sqlite3'`, a TypeORM DataSource of
`type: 'sqlite'`, Sequelize `dialect: 'sqlite'`): one holds a file until the test run ends, no
connection a server counts.

A call of a factory function of the same file counts as creating a client when every `return`
of the factory gives back a client it has just created (`function makeRedis() { const c = new
Redis(); c.on('error', log); return c }`): the call is reported, with the creation inside the
factory as a related location. A method of the caller's own class counts the same way
(`this.getClient()` where the class's `getClient()` returns `new Redis()`, also from an arrow
inside the method). A factory that returns a cached client (a lazy singleton, a client per URL
kept in a `Map`, `this.client ??= …`) is not a fresh one and its calls are not reported.

Across modules (a run over a project): a call of another module's factory — found through
relative imports, `tsconfig` paths, `package.json` `imports` and workspace packages — in code
that runs more than once, whose result this code neither closes, returns nor stores, is
reported with the creation in the other module as a related location; so is one that this
code closes, but not on every path (`const client = getClient($); await client.raw(sql);
client.destroy();`: a failing query skips the close), judged by the same path analysis as a
client made in the file. A lazy singleton (`client ??= new Redis()`) or a per-key cache there
is not a factory and stays silent.

Not reported: module-level clients, and clients made by start-up code that runs once per
process (an IIFE at module level, or a function whose only use is one call, outside loops, at
module level — `main().catch(console.error)` — or from such start-up code, up to three calls
deep, also from a one-shot callback of it: `client.once('ready', () => registerJobs())`, a
discord.js `client.on(Events.ClientReady, …)`, whose enum member is the 'ready' event); clients
that change owner (returned, yielded, stored on
`this`, an object, an array or an outer variable, wrapped with `new`, resolved from a
promise); clients passed to another function or captured by a callback when this function
does not close them itself; a pg `Client` that is never sent `connect()` (it opens no
connection until then: `new Client(cfg).cancel(other, query)` only sends a CancelRequest);
`using` / `await using`; a close in `finally`, in
`.finally(() => client.quit())` or in any other callback; a close in the `catch` block and
after the `try` (every path closes). Calls that only prepare the client — `connect()`,
`initialize()`, `.on('error', …)` — are not counted as throwing (if connecting fails there is
no connection to leak), nor are plain (not awaited) calls on the client itself such as
`client.db()`, `new` expressions, `console.*`, calls that close something else, and plain calls
in a `catch` block before its close. Every `await` counts. `new Redis()`
is recognised only when `Redis` is imported from `ioredis`: a class of your own with the same
name is not a client.

A client that a constructor makes and never closes, in a class other modules build, is
reported as a note that says both readings: a service built once holds one connection for the
life of the process, one built per request leaks one each time. If the file itself builds the
class in a handler or a loop, it is the warning; with `--project`, a caller that builds it per
request makes it the warning, and callers that all run once remove it.

## Why is this bad?
Every client holds at least one socket to the server, and the server counts it: Redis until
`maxclients`, PostgreSQL until `too many connections for role …`. A client created per call
and not closed leaks one connection per call, and the process (or the database, for every
service sharing it) runs out. When the close is right after the work, a single failed command
— a timeout, a `WRONGTYPE` error — skips it; the `catch` that logs the error hides the leak
until the server refuses connections (a production incident: one leaked Redis connection
per call, until the server refused new ones).

## Example
```ts
import Redis from 'ioredis';

async function setCacheBlockedPublicIds(uploadSessionId: number, sourceFileId: number) {
  try {
    const client = new Redis({ host: process.env.REDIS_DEFAULT_HOST });
    await client.sadd(uploadSessionId.toString(), sourceFileId); // throws → no disconnect
    client.disconnect();
  } catch (e) {
    console.log((e as Error).message);
  }
}
```

## Use instead
Create the client once and reuse it:
```ts
import Redis from 'ioredis';

const client = new Redis({ host: process.env.REDIS_DEFAULT_HOST });

async function setCacheBlockedPublicIds(uploadSessionId: number, sourceFileId: number) {
  await client.sadd(uploadSessionId.toString(), sourceFileId);
}
```
or, when a short-lived client is really needed, close it in `finally`:
```ts
const client = new Redis({ host: process.env.REDIS_DEFAULT_HOST });
try {
  await client.sadd(uploadSessionId.toString(), sourceFileId);
} finally {
  client.disconnect();
}
```

Other libraries are added in configuration, for example amqplib connections:
```toml
[[tool.leaklint.resources]]
module = "amqplib"
acquire = "connect"
release = ["close"]
```
"""

from __future__ import annotations

from collections.abc import Iterator

from leaklint.analysis.frequency import unit_of
from leaklint.analysis.resource_table import CLIENT
from leaklint.analysis.resources import ACQUISITION_QUERY
from leaklint.model.findings import Related
from leaklint.model.project import CALL, FACTORY, ProjectFacts, ProjectReport
from leaklint.rules._resource_rule import ResourceRule


class UnclosedClient(ResourceRule):
    code = "LL003"
    name = "unclosed-client"
    summary = "A Redis or database client created in a function is not closed on every path."
    # Fresh audits 7-10, untuned: 2 of 8 right, 5 debatable (start-up code of classes built
    # once, clients of tests), 1 wrong (docs/rules-corpus.md): not "high" on applications.
    # Since: a SQLite client of a test and a client made from a one-shot 'ready' handler
    # (Events.ClientReady) are silent.
    precision = "medium"
    tags = ("resource-leak", "connections", "redis", "database")

    query = ACQUISITION_QUERY
    kind = CLIENT
    acquired = "created"
    released = "closed"
    release_noun = "close"
    consequence = "every {unit} leaves a connection open on the server"
    per_run_consequence = "every run leaves one more connection open on the server"
    alternative = ", or create one client at module level and reuse it"

    messages = {
        **ResourceRule.messages,
        "factory-from-module": (
            "'{callee}()' from '{module}' creates a new {label} on every call, and this code "
            "{reason}: each run opens a connection that nothing here closes, so {consequence}. "
            "Create one {label} at module level in '{module}' and export it, or keep this one in "
            "a variable and close it in a `finally` block."
        ),
        "factory-closed-not-in-finally": (
            "'{callee}()' from '{module}' creates a new {label} on every call, and this code "
            "closes it, but not in a `finally` block: if {trigger} throws, the close is "
            "skipped and {consequence}. Close it in a `finally` block."
        ),
        "note-factory-creates": "the {label} is created here, once per call of '{callee}()'",
    }

    def check_project(self, facts: ProjectFacts) -> Iterator[ProjectReport]:
        """A fresh-client factory of another module called by code that repeats, whose result
        this code neither closes, returns nor stores, or closes on some paths only (lazy
        singletons and per-key caches are not factories: ``analysis.summary``)."""
        for linked in facts.uses:
            export, use = linked.export, linked.use
            if export is None or export.kind != FACTORY or use.action != CALL:
                continue
            if not linked.repeats or (use.handled and not use.unclosed_by):
                continue
            if linked.released_by_helper:
                continue  # `disconnectDb(db)`: a helper of another module destroys it (joplin)
            # "Base.getClient": an inherited method, called as the code calls it.
            _, inherited, method = use.imported.partition(".")
            callee = f"this.{method}" if inherited else use.imported
            fields = {"callee": callee, "module": linked.path, "label": export.label}
            consequence = self.consequence.replace("{unit}", unit_of(linked.rate))
            if use.handled:  # closed, but a failing operation skips the close
                message = self.msg(
                    "factory-closed-not-in-finally",
                    **fields,
                    trigger=use.unclosed_by,
                    consequence=consequence,
                )
            else:
                message = self.msg(
                    "factory-from-module", **fields, reason=linked.reason, consequence=consequence
                )
            note = self.msg("note-factory-creates", **fields).text
            yield ProjectReport(linked, message, (Related(export.span, note, linked.path),))
