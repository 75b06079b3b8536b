"""The table of resources LL003 and LL006 know: what acquires a connection, what releases it.

A *client* entry names the library members that open connections when called or constructed
(``new Redis()``, ``mysql.createPool()``) and the methods that close the value. A *checkout*
entry names a method that takes a connection out of a pool (``pool.connect()``), the pools it
belongs to, and the method that gives it back. ``[[tool.leaklint.resources]]`` entries extend
both (``configured_specs``); rules never match these names by text, only through
``ctx.imports`` symbols.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from leaklint.model.settings import ResourceSpec
from leaklint.semantic.imports import Symbol

CLIENT, POOL = "client", "pool"


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
    # An option of the first argument that says the value has no connection pool, and the
    # values that say so: a TypeORM DataSource of `type: 'sqlite'` has one connection, so a
    # query runner it hands out loses no pool connection.
    poolless: tuple[str, frozenset[str]] | None = None

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
_MONGO = ("mongodb", "mongoose")
_MYSQL = ("mysql", "mysql2", "mysql2/promise")
_PG_POOLS = (PoolSource(("pg",), (("Pool",), ("native", "Pool"))), PoolSource(("pg-pool",), ((),)))
_MYSQL_POOLS = (
    PoolSource(_MYSQL, (("createPool",), ("createPoolCluster",), ("Pool",), ("PoolCluster",))),
)

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
    ClientSpec(("pg",), (("Pool",), ("native", "Pool")), ("end",), "pg pool"),
    ClientSpec(("pg-pool",), ((),), ("end",), "pg pool"),
    ClientSpec(_MYSQL, (("createConnection",),), ("end", "destroy"), "MySQL connection"),
    ClientSpec(_MYSQL, (("createPool",), ("createPoolCluster",)), ("end",), "MySQL pool"),
    ClientSpec(
        ("mongodb",), (("MongoClient",), ("MongoClient", "connect")), ("close",), "MongoDB client"
    ),
    ClientSpec(("mongoose",), (("createConnection",),), ("close",), "mongoose connection"),
    # Not TypeORM's legacy createConnection(): it registers the connection in TypeORM's global
    # connection manager, which owns it from then on.
    ClientSpec(
        ("typeorm",),
        (("DataSource",),),
        ("destroy",),
        "TypeORM DataSource",
        poolless=("type", _POOLLESS_TYPEORM_DRIVERS),
    ),
    ClientSpec(("knex",), ((), ("knex",)), ("destroy",), "knex instance"),
    ClientSpec(
        ("sequelize", "sequelize-typescript"),
        ((), ("Sequelize",)),
        ("close",),
        "Sequelize instance",
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
    """The built-in table extended by ``[[tool.leaklint.resources]]`` entries."""
    clients, checkouts = list(BUILTIN_CLIENTS), list(BUILTIN_CHECKOUTS)
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


def file_may_use(data: bytes, specs: tuple[ClientSpec | CheckoutSpec, ...]) -> bool:
    """A substring test: can this file mention any of ``specs`` at all?

    A client needs its module in an import or require, as a quoted string; a checkout needs a
    call of its method. One regular expression per table, compiled once.
    """
    return _needles(specs).search(data) is not None


@cache
def _needles(specs: tuple[ClientSpec | CheckoutSpec, ...]) -> re.Pattern[bytes]:
    modules = sorted({m for spec in specs if isinstance(spec, ClientSpec) for m in spec.modules})
    methods = sorted({spec.method for spec in specs if isinstance(spec, CheckoutSpec)})
    alternatives = []
    if modules:
        names = b"|".join(re.escape(m.encode()) for m in modules)
        alternatives.append(b"['\"`](?:" + names + b")['\"`/]")
    if methods:
        names = b"|".join(re.escape(m.encode()) for m in methods)
        alternatives.append(b"\\.(?:" + names + b")\\s*\\(")
    return re.compile(b"|".join(alternatives) or b"(?!)")
