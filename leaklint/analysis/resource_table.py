"""The table of resources, keyed by kind: what acquires one, what releases it, who owns it.

Each entry says which *kind* of resource it makes (``kind``: ``client``, ``pool``, ``worker``,
``watcher``, ``server``, ``child``); a rule judges the kinds it names (LL003 clients, LL006 pool
checkouts, LL010 OS handles), and the engine (``resources``) decides for every kind alike
whether a value acquired per call is released on every path. Adding a kind is one entry here
(plus a rule module where it needs words of its own); the engine is not edited.

A *client* entry (``ClientSpec``, a construction) names the library members that open
connections when called or constructed (``new Redis()``, ``mysql.createPool()``) and the
methods that close the value. A *checkout* entry names a method that takes a connection out of
a pool (``pool.connect()``), the pools it belongs to (its owners: a checkout of an owner the
same function creates goes with that owner), and the method that gives it back.
``[[tool.leaklint.resources]]`` entries extend both (``configured_specs``); rules never match
these names by text, only through ``ctx.imports`` symbols.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import TypeVar

from leaklint.model.settings import ResourceSpec
from leaklint.semantic.imports import Symbol

CLIENT, POOL = "client", "pool"
# LL010's kinds: operating-system handles (threads, inotify descriptors, listening sockets,
# processes) rather than connections to a server.
WORKER, WATCHER, SERVER, CHILD = "worker", "watcher", "server", "child"
BROWSER = "browser"  # a headless browser: a process tree of its own


@dataclass(frozen=True)
class ReleaseFunction:
    """A library function that releases a resource named by one of the acquisition's
    arguments rather than by its value: ``fs.unwatchFile(path)`` ends ``fs.watchFile(path)``."""

    modules: tuple[str, ...]
    path: tuple[str, ...]
    key_argument: int = 0  # which argument of both calls names the resource

    def matches(self, symbol: Symbol) -> bool:
        return symbol.matches(self.modules, self.path)


@dataclass(frozen=True)
class ClientSpec:
    """A library value that opens connections when it is created, or when ``opened_by`` is
    called on it (LL003)."""

    modules: tuple[str, ...]
    paths: tuple[tuple[str, ...], ...]  # module members that create it, by `new` or a call
    release: tuple[str, ...]
    label: str
    kind: str = CLIENT
    # The method that opens the connection, for a client that opens none when created: one
    # that is never sent it holds nothing to close (`new pg.Client(cfg).cancel(other, q)`
    # only sends a CancelRequest on a socket the server closes).
    opened_by: str | None = None
    # A pool that opens its first connection when it is first used (a query, a checkout, handed
    # to code that uses it), not when it is made: a failure before that use leaks nothing.
    opens_on_use: bool = False
    # An option of the first argument that says the value has no connection pool, and the
    # values that say so: a TypeORM DataSource of `type: 'sqlite'` has one connection, so a
    # query runner it hands out loses no pool connection.
    poolless: tuple[str, frozenset[str]] | None = None
    # An option of the first argument that says the client talks to no server, and the values
    # that say so: knex's `client: 'sqlite3'` opens a local file. One a test never closes holds
    # a file for the rest of a run that then ends, not a connection a server counts.
    serverless: tuple[str, frozenset[str]] | None = None
    # A function argument is a listener (`fs.watch(dir, onChange)`, `http.createServer(app)`),
    # not a callback the resource is handed to (`pool.connect((err, client) => …)`).
    listener_callback: bool = False
    # Releases by a library function given the acquisition's key argument (`fs.unwatchFile`).
    release_functions: tuple[ReleaseFunction, ...] = ()
    # Methods that return the resource itself: `const server = http.createServer(h).listen(p)`.
    self_returning: tuple[str, ...] = ()
    # Methods whose result is bound to the resource and keeps it (a Sequelize model from
    # `define()`, a MongoDB `Db` from `client.db()`): kept beyond the function, that result
    # hands the resource over as surely as the resource itself (`this.model = s.define(…)`).
    bound_handles: tuple[str, ...] = ()
    # Counts only where the code shows it owns the resource by releasing it somewhere (a child
    # process that runs to completion on its own is no leak; one the code kills on success but
    # not on failure is): never-released values are not reported.
    needs_evidence: bool = False
    # Events whose listener says the code waits for the resource to end on its own (a worker's
    # 'exit'): such a value that is never released is not reported.
    ends_on_its_own: tuple[str, ...] = ()
    # A value that is never released is meant to live as long as the process (a `--watch`
    # mode, a `startWatching()` whose callers this file does not show) unless the code runs per
    # request, connection, message, tick or effect run: only there is a never-released one
    # reported. A release on some path says the value lives for one call, and counts anywhere.
    lives_for_the_process: bool = False

    def matches(self, symbol: Symbol) -> bool:
        return symbol.matches(self.modules, *self.paths)


@dataclass(frozen=True)
class PoolSource:
    """Values that are pools: made by ``paths`` of ``modules`` or typed as them.

    ``paths`` None accepts any value coming from the module (configured entries).
    """

    modules: tuple[str, ...]
    paths: tuple[tuple[str, ...], ...] | None

    def matches(self, symbol: Symbol) -> bool:
        if self.paths is None:
            return symbol.module in self.modules
        return symbol.matches(self.modules, *self.paths)


@dataclass(frozen=True)
class CheckoutSpec:
    """A method that takes a resource out of a pool (LL006)."""

    method: str
    release: tuple[str, ...]
    label: str
    # The pools this method belongs to; None: the method name alone is distinctive. When the
    # receiver's origin is unknown, the checkout counts only with evidence (see module doc).
    pools: tuple[PoolSource, ...] | None
    # TypeScript types of the checked-out value: `const c: PoolClient = await pool.connect()`
    # says what `c` is even when the pool comes from another file.
    result_types: tuple[PoolSource, ...] = ()
    # pg and mysql return a promise here; an un-awaited call is a promise we do not follow.
    awaited: bool = False
    # pg's connect() and mysql's getConnection() take nothing but a callback.
    arguments_mean_callback: bool = False
    # What to call the checkout when the pool's library is not known.
    generic_label: str = ""
    # What one leak costs, when it is not a pool connection (the rule's default wording).
    consequence: str = ""
    kind: str = POOL
    # A page of a test's or a one-off script's browser goes when the run closes (or kills) the
    # browser: a checkout that is not a connection of a long-lived pool is judged only in the
    # code that keeps running.
    ends_with_the_run: bool = False
    # Methods of the pool that release every checkout with it: a browser's `close()` closes its
    # pages (a pg pool's `end()` does not: it waits for checked-out clients to come back).
    owner_releases: tuple[str, ...] = ()


SpecT = TypeVar("SpecT", "ClientSpec", "CheckoutSpec")

_REDIS = ("redis", "@redis/client")
# TypeORM drivers that keep one connection, not a pool.
_POOLLESS_TYPEORM_DRIVERS = frozenset(
    {
        "sqlite",
        "better-sqlite3",
        "sqljs",
        "capacitor",
        "cordova",
        "expo",
        "nativescript",
        "react-native",
    }
)
# knex and Sequelize drivers of a local SQLite file.
_SQLITE_DRIVERS = frozenset({"sqlite", "sqlite3", "better-sqlite3", "@vscode/sqlite3"})
_MONGO = ("mongodb", "mongoose")
_MYSQL = ("mysql", "mysql2", "mysql2/promise")
_PG_POOLS = (PoolSource(("pg",), (("Pool",), ("native", "Pool"))), PoolSource(("pg-pool",), ((),)))
_MYSQL_POOLS = (
    PoolSource(_MYSQL, (("createPool",), ("createPoolCluster",), ("Pool",), ("PoolCluster",))),
)
_PUPPETEER = ("puppeteer", "puppeteer-core")
_PLAYWRIGHT = ("playwright", "playwright-core", "@playwright/test")
# What hands out pages that live as long as it does: a launched (or connected) browser. Not a
# browser context: one is made per task and closed with its pages (`context.close()`).
_BROWSERS = (
    PoolSource(_PUPPETEER, (("launch",), ("connect",), ("Browser",))),
    PoolSource(
        _PLAYWRIGHT,
        (
            *(
                (engine, method)
                for engine in ("chromium", "firefox", "webkit")
                for method in ("launch", "connect", "connectOverCDP")
            ),
            ("Browser",),
        ),
    ),
)
_BROWSER_PAGES = (PoolSource(_PUPPETEER, (("Page",),)), PoolSource(_PLAYWRIGHT, (("Page",),)))

BUILTIN_CLIENTS: tuple[ClientSpec, ...] = (
    ClientSpec(
        ("ioredis",),
        ((), ("Redis",), ("Cluster",), ("Redis", "Cluster"), ("default", "Cluster")),
        ("quit", "disconnect"),
        "ioredis client",
    ),
    ClientSpec(_REDIS, (("createClient",), ("createCluster",)), ("quit",), "node-redis client"),
    ClientSpec(
        ("pg",), (("Client",), ("native", "Client")), ("end",), "pg client", opened_by="connect"
    ),
    ClientSpec(("pg",), (("Pool",), ("native", "Pool")), ("end",), "pg pool", opens_on_use=True),
    ClientSpec(("pg-pool",), ((),), ("end",), "pg pool", opens_on_use=True),
    ClientSpec(_MYSQL, (("createConnection",),), ("end", "destroy"), "MySQL connection"),
    ClientSpec(
        _MYSQL, (("createPool",), ("createPoolCluster",)), ("end",), "MySQL pool", opens_on_use=True
    ),
    ClientSpec(
        ("mongodb",),
        (("MongoClient",), ("MongoClient", "connect")),
        ("close",),
        "MongoDB client",
        bound_handles=("db",),
    ),
    ClientSpec(
        ("mongoose",),
        (("createConnection",),),
        ("close",),
        "mongoose connection",
        bound_handles=("model",),
    ),
    # Not TypeORM's legacy createConnection(): it registers the connection in TypeORM's global
    # connection manager, which owns it from then on.
    ClientSpec(
        ("typeorm",),
        (("DataSource",),),
        ("destroy",),
        "TypeORM DataSource",
        poolless=("type", _POOLLESS_TYPEORM_DRIVERS),
        serverless=("type", _POOLLESS_TYPEORM_DRIVERS),
        bound_handles=("getRepository", "getTreeRepository", "getMongoRepository"),
    ),
    ClientSpec(
        ("knex",),
        ((), ("knex",)),
        ("destroy",),
        "knex instance",
        serverless=("client", _SQLITE_DRIVERS),
    ),
    ClientSpec(
        ("sequelize", "sequelize-typescript"),
        ((), ("Sequelize",)),
        ("close",),
        "Sequelize instance",
        serverless=("dialect", _SQLITE_DRIVERS),
        bound_handles=("define", "model"),
    ),
    ClientSpec(("@prisma/client",), (("PrismaClient",),), ("$disconnect",), "Prisma client"),
    # Each BullMQ queue, worker and event listener opens Redis connections of its own.
    ClientSpec(
        ("bullmq",),
        (("Queue",), ("Worker",), ("QueueEvents",), ("FlowProducer",)),
        ("close", "disconnect"),
        "BullMQ client",
    ),
    # A socket.io client keeps a socket (and reconnects on its own) until it is closed.
    ClientSpec(
        ("socket.io-client",),
        (("io",), ("connect",), ("default",), ()),
        ("disconnect", "close"),
        "socket.io client",
    ),
)

# LL010: operating-system handles. Not TypeORM-style owners: nothing checks anything out of them.
_FS = ("fs",)  # `node:fs` is normalised to `fs` by the import analysis
BUILTIN_HANDLES: tuple[ClientSpec, ...] = (
    # A worker thread runs until its event loop is empty or it is terminated; one that is
    # listened to for 'exit' is expected to end on its own (Node's one-shot task example).
    ClientSpec(
        ("worker_threads",),
        (("Worker",),),
        ("terminate",),
        "worker thread",
        kind=WORKER,
        ends_on_its_own=("exit",),
        lives_for_the_process=True,
    ),
    # `{ persistent: false }` only stops the watcher from keeping the process alive: it still
    # holds its inotify/kqueue descriptor, so it is not a release.
    ClientSpec(
        _FS,
        (("watch",),),
        ("close",),
        "fs.watch watcher",
        kind=WATCHER,
        listener_callback=True,
        lives_for_the_process=True,
    ),
    ClientSpec(
        _FS,
        (("watchFile",),),
        (),
        "fs.watchFile poller",
        kind=WATCHER,
        listener_callback=True,
        release_functions=(ReleaseFunction(_FS, ("unwatchFile",)),),
        lives_for_the_process=True,
    ),
    ClientSpec(
        ("chokidar",),
        (("watch",), ("FSWatcher",)),
        ("close",),
        "chokidar watcher",
        kind=WATCHER,
        listener_callback=True,
        lives_for_the_process=True,
    ),
    # A server holds a socket only once it listens.
    ClientSpec(
        ("net", "http", "https", "http2"),
        (("createServer",), ("createSecureServer",), ("Server",)),
        ("close",),
        "server",
        kind=SERVER,
        opened_by="listen",
        listener_callback=True,
        self_returning=("listen",),
        lives_for_the_process=True,
    ),
    ClientSpec(
        ("child_process",),
        (("spawn",), ("fork",)),
        ("kill",),
        "child process",
        kind=CHILD,
        needs_evidence=True,
    ),
    # A launched browser (Chromium, Firefox, WebKit) runs until close(): unlike a child
    # process it never ends on its own. One made once (a shared browser) is the process's own.
    ClientSpec(
        ("playwright", "playwright-core", "@playwright/test"),
        (("chromium", "launch"), ("firefox", "launch"), ("webkit", "launch")),
        ("close",),
        "Playwright browser",
        kind=BROWSER,
        lives_for_the_process=True,
    ),
    ClientSpec(
        ("puppeteer", "puppeteer-core"),
        (("launch",),),
        ("close",),
        "Puppeteer browser",
        kind=BROWSER,
        lives_for_the_process=True,
    ),
)

BUILTIN_CHECKOUTS: tuple[CheckoutSpec, ...] = (
    CheckoutSpec(
        "connect",
        ("release",),
        "pg pool client",
        _PG_POOLS,
        (PoolSource(("pg", "pg-pool"), (("PoolClient",),)),),
        awaited=True,
        arguments_mean_callback=True,
        generic_label="pool client",
    ),
    CheckoutSpec(
        "getConnection",
        ("release", "releaseConnection"),  # `pool.releaseConnection(connection)` too
        "MySQL pool connection",
        _MYSQL_POOLS,
        (PoolSource(_MYSQL, (("PoolConnection",),)),),
        awaited=True,
        arguments_mean_callback=True,
        generic_label="pool connection",
    ),
    # Only TypeORM has this method: any receiver will do.
    CheckoutSpec("createQueryRunner", ("release",), "TypeORM query runner", None),
    # pg's SASL code has a startSession() too: the receiver must come from the MongoDB
    # libraries, or the code must call endSession() on the result.
    CheckoutSpec(
        "startSession",
        ("endSession",),
        "MongoDB session",
        (PoolSource(_MONGO, None),),
        (PoolSource(_MONGO, (("ClientSession",), ("mongo", "ClientSession"))),),
        generic_label="MongoDB session",
        consequence="the session stays open in the driver and on the server until it expires",
    ),
    # A page of a browser the process keeps is a tab (a renderer process and its memory) that
    # stays open until `page.close()` or the browser's own close: a shared browser is the pool,
    # and a page a failing step leaves open is never given back. A browser the same function
    # launches takes its pages with it (`_owned_or_poolless`).
    CheckoutSpec(
        "newPage",
        ("close",),
        "browser page",
        _BROWSERS,
        _BROWSER_PAGES,
        awaited=True,
        generic_label="browser page",
        consequence="the page stays open in the browser, with its renderer's memory, until the "
        "browser itself closes",
        ends_with_the_run=True,
        owner_releases=("close",),
    ),
)


def release_name(method: str | None) -> str | None:
    """``method`` as the table spells a release: bluebird's ``promisifyAll``, the way
    node-redis 2/3 and mysql documented promises, adds ``quitAsync()`` beside ``quit()``."""
    if method is not None and len(method) > len("Async") and method.endswith("Async"):
        return method.removesuffix("Async")
    return method


@cache
def client_spec_for(
    symbol: Symbol | None, specs: tuple[ClientSpec, ...] = BUILTIN_CLIENTS
) -> ClientSpec | None:
    """The client entry whose creating member ``symbol`` is, if any."""
    if symbol is None:
        return None
    return next((spec for spec in specs if spec.matches(symbol)), None)


def configured_specs(
    resources: tuple[ResourceSpec, ...],
) -> tuple[tuple[ClientSpec, ...], tuple[CheckoutSpec, ...]]:
    """The built-in table extended by ``[[tool.leaklint.resources]]`` entries: every
    construction (clients and handles) and every checkout, each naming its kind."""
    clients, checkouts = [*BUILTIN_CLIENTS, *BUILTIN_HANDLES], list(BUILTIN_CHECKOUTS)
    for spec in resources:
        acquire = spec.acquire.removeprefix("new ").strip()
        path = tuple(p for p in acquire.split(".") if p and p != "default")
        label = f"{spec.module} {acquire}" if acquire else spec.module
        if spec.kind == POOL:
            pools = (PoolSource((spec.module,), None),)
            method = path[-1] if path else acquire
            checkouts.append(CheckoutSpec(method, spec.release, label, pools))
        else:
            clients.append(ClientSpec((spec.module,), (path,), spec.release, label))
    return tuple(clients), tuple(checkouts)


def pool_checkout_methods(resources: tuple[ResourceSpec, ...]) -> frozenset[str]:
    """The methods that take a connection out of a pool (`connect`, `getConnection` …, and
    configured ones), by name. Read from the table at each call, as ``configured_specs`` is:
    callers ask once per file."""
    _, checkouts = configured_specs(resources)
    return frozenset(spec.method for spec in checkouts if spec.pools is not None)


def of_kinds(specs: tuple[SpecT, ...], kinds: frozenset[str]) -> tuple[SpecT, ...]:
    """The entries of ``specs`` that make a resource of one of ``kinds``."""
    return tuple(spec for spec in specs if spec.kind in kinds)


def file_may_use(data: bytes, specs: tuple[ClientSpec | CheckoutSpec, ...]) -> bool:
    """A substring test: can this file mention any of ``specs`` at all?

    A client needs its module in an import or require, as a quoted string; a checkout needs a
    call of its method. One regular expression per table, compiled once.
    """
    return needles(specs).search(data) is not None


@cache
def needles(specs: tuple[ClientSpec | CheckoutSpec, ...]) -> re.Pattern[bytes]:
    """The regular expression ``file_may_use`` searches with (compiled once per table)."""
    modules = sorted({m for spec in specs if isinstance(spec, ClientSpec) for m in spec.modules})
    methods = sorted({spec.method for spec in specs if isinstance(spec, CheckoutSpec)})
    alternatives = []
    if modules:
        names = b"|".join(re.escape(m.encode()) for m in modules)
        alternatives.append(b"['\"`](?:node:)?(?:" + names + b")['\"`/]")
    if methods:
        names = b"|".join(re.escape(m.encode()) for m in methods)
        alternatives.append(b"\\.(?:" + names + b")\\s*\\(")
    return re.compile(b"|".join(alternatives) or b"(?!)")
