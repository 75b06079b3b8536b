"""One acquire/release engine for connections: LL003 (clients) and LL006 (pool checkouts).

The rules are driven by data. A *client* entry says which library value opens connections
when it is created (``new Redis()``, ``mysql.createPool()``) and which methods close it; a
*checkout* entry says which method takes a resource out of a pool (``pool.connect()``) and
which method gives it back. Users add entries with ``[[tool.leaklint.resources]]``.

For each acquisition inside a function the engine decides, in this order:

1. **Where the value goes.** Module-level values live for the process (not a leak). A value
   that is returned, yielded, stored on ``this``/an object/an outer variable, put in an array
   or object, or wrapped with ``new`` changes owner: quiet. ``using``/``await using`` close it
   themselves: quiet. A value that is created and thrown away is reported.
2. **How it is released.** A release call in a nested function (``.finally(() =>
   client.quit())``, ``res.on('finish', () => client.release())``) or a release method passed
   as a callback hands the release to someone else's schedule: quiet. Passing the value to a
   function, or using it in a closure, is quiet too unless this function also releases it
   (then it evidently owns it).
3. **Whether every path releases** (see ``release_paths``): no release at all is reported as
   *never closed*; a release that a throw, a ``return`` or a branch can skip is reported as
   *not guaranteed*, naming the operation that skips it.

Names are resolved through the scope and import analyses, never by text: ``new Redis()`` is
an ioredis client only when ``Redis`` comes from ``ioredis``.

Pool checkouts need a pool. ``pool.connect()`` counts when ``pool`` is a pg/mysql pool made in
this file (``new Pool()``, ``mysql.createPool()``, also through ``this.pool``) or typed as one in
TypeScript — or, when the pool comes from elsewhere (``import pool from './db'``), when this
function itself calls ``release()`` on the result: the code then says it holds a pool
checkout, and only *not guaranteed* releases are reported. ``createQueryRunner()`` (TypeORM)
and ``startSession()`` (MongoDB, mongoose) are distinctive enough to count on any receiver.
Callback-style checkouts (``pool.connect((err, client, done) => …)``) are not analysed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tree_sitter import Node, QueryCursor

from leaklint.config import ResourceSpec
from leaklint.context import FileContext
from leaklint.imports import Symbol, unwrap
from leaklint.parsing import query
from leaklint.release_paths import Exit, ReleasePaths, direct_operations
from leaklint.scope import Binding, enclosing_function, references_to

CLIENT, POOL = "client", "pool"

# Any of these closes a client, whatever the library: reporting a client as unclosed when the
# code calls a close method the table did not list would be a false alarm.
CLOSE_METHODS = frozenset({"quit", "disconnect", "end", "close", "destroy", "$disconnect"})
# Giving a checkout back; mysql2 also lets a connection be destroyed instead.
RETURN_METHODS = frozenset({"release", "releaseConnection", "destroy"})


@dataclass(frozen=True)
class ClientSpec:
    """A library value that opens connections when it is created (LL003)."""

    modules: tuple[str, ...]
    paths: tuple[tuple[str, ...], ...]  # module members that create it, by `new` or a call
    release: tuple[str, ...]
    label: str
    kind: str = CLIENT

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
    kind: str = POOL


_REDIS = ("redis", "@redis/client")
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
    ClientSpec(("pg",), (("Client",), ("native", "Client")), ("end",), "pg client"),
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
    ClientSpec(("typeorm",), (("DataSource",),), ("destroy",), "TypeORM DataSource"),
    ClientSpec(("knex",), ((), ("knex",)), ("destroy",), "knex instance"),
    ClientSpec(
        ("sequelize", "sequelize-typescript"),
        ((), ("Sequelize",)),
        ("close",),
        "Sequelize instance",
    ),
    ClientSpec(("@prisma/client",), (("PrismaClient",),), ("$disconnect",), "Prisma client"),
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
        ("release",),
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
    ),
)

# Methods whose result is the object they were called on, so that
# `const c = await createClient().on('error', f).connect()` still binds the client to `c`.
_SELF_RETURNING = frozenset({"on", "once", "connect", "initialize", "asPromise"})
_TRANSPARENT = frozenset(
    {
        "parenthesized_expression",
        "await_expression",
        "as_expression",
        "satisfies_expression",
        "non_null_expression",
        "type_assertion",
    }
)
_ACQUISITION_QUERY = """
(new_expression constructor: (_) @callee) @new
(call_expression function: (_) @callee) @call
"""
_OPERATION_QUERY = "[(call_expression) (new_expression) (await_expression)] @op"
_THIS_ASSIGNMENT_QUERY = """
(assignment_expression
  left: (member_expression object: (this) property: (property_identifier) @property)
  right: (_) @value)
"""


# -- configuration -------------------------------------------------------------------------


def configured_specs(
    resources: Iterable[ResourceSpec],
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


# -- results -------------------------------------------------------------------------------


@dataclass
class Leak:
    """One acquisition that is not released on every path."""

    acquisition: Node
    label: str
    kind: str  # CLIENT or POOL
    variable: str | None  # None: the value is discarded
    suggested_release: str
    releases: list[Node] = field(default_factory=list)  # empty: never released
    exits: list[Exit] = field(default_factory=list)

    @property
    def never_released(self) -> bool:
        return not self.releases

    @property
    def primary_exit(self) -> Exit | None:
        """The exit to explain: preferably one caused by a named operation, earliest first."""
        if not self.exits:
            return None
        return min(self.exits, key=_explanation_rank)


def _explanation_rank(exit_: Exit) -> tuple[int, int]:
    """Awaited operations first (they are what fails), then other triggers, then plain paths."""
    trigger = exit_.trigger
    if trigger is None:
        return 2, exit_.node.start_byte
    return (0 if trigger.type == "await_expression" else 1), trigger.start_byte


@dataclass
class _Acquisition:
    node: Node
    label: str
    kind: str
    release: frozenset[str]
    suggested_release: str
    needs_evidence: bool = False  # a checkout on a pool of unknown origin
    result_types: tuple[PoolSource, ...] = ()
    # Release methods that prove a checkout of unknown origin is one (`client.release()`).
    evidence: frozenset[str] = frozenset()


@dataclass
class _Uses:
    """How a function uses the variable that holds a resource."""

    releases: list[Node] = field(default_factory=list)
    deferred_release: bool = False
    escapes: bool = False  # returned, stored, yielded, wrapped: owned elsewhere now
    shared: bool = False  # passed to a call or used in a closure


# -- the engine ----------------------------------------------------------------------------


def find_leaks(ctx: FileContext, kind: str) -> list[Leak]:
    """Acquisitions of ``kind`` (CLIENT or POOL) in ``ctx`` that can leak."""
    clients, checkouts = configured_specs(ctx.settings.resources)
    if not _file_may_use(ctx.source.data, clients if kind == CLIENT else checkouts):
        return []
    finder = _Finder(ctx, clients if kind == CLIENT else (), checkouts if kind == POOL else ())
    leaks = []
    for acquisition in finder.acquisitions():
        leak = _analyse(ctx, acquisition)
        if leak is not None:
            leaks.append(leak)
    return leaks


def _file_may_use(data: bytes, specs: Iterable[ClientSpec | CheckoutSpec]) -> bool:
    """A substring test that skips files which cannot mention any of ``specs``."""
    for spec in specs:
        if isinstance(spec, ClientSpec):
            if any(module.encode() in data for module in spec.modules):
                return True
        elif spec.method.encode() in data:
            return True
    return False


class _Finder:
    def __init__(
        self,
        ctx: FileContext,
        clients: tuple[ClientSpec, ...],
        checkouts: tuple[CheckoutSpec, ...],
    ) -> None:
        self.ctx = ctx
        self.clients = clients
        self.checkouts = {spec.method: spec for spec in checkouts}
        # A member's own name, or None when some spec is a module's default export, which
        # can be imported under any local name.
        names = {path[-1] if path else None for spec in clients for path in spec.paths}
        self.any_client_name = None in names
        self.client_names = {name for name in names if name is not None} | {"default"}

    def acquisitions(self) -> Iterator[_Acquisition]:
        cursor = QueryCursor(query(self.ctx.source.language, _ACQUISITION_QUERY))
        for _, captures in cursor.matches(self.ctx.tree.root_node):
            node = (captures.get("new") or captures["call"])[0]
            callee = captures["callee"][0]
            if enclosing_function(node) is None:
                continue  # a module-level client lives as long as the process
            if _has_callback_argument(node):
                continue  # callback style: the resource goes to the callback
            found = self._client(node, callee) or self._checkout(node, callee)
            if found is not None:
                yield found

    def _client(self, node: Node, callee: Node) -> _Acquisition | None:
        if not self.clients:
            return None
        named = _last_name(callee) in self.client_names
        if not named and not (
            self.any_client_name and callee.type in ("identifier", "call_expression")
        ):
            return None
        symbol = self.ctx.imports.resolve(callee)
        if symbol is None:
            return None
        for spec in self.clients:
            if spec.matches(symbol):
                releases = frozenset(spec.release) | CLOSE_METHODS
                return _Acquisition(node, spec.label, CLIENT, releases, spec.release[0])
        return None

    def _checkout(self, node: Node, callee: Node) -> _Acquisition | None:
        if node.type != "call_expression" or callee.type != "member_expression":
            return None
        spec = self.checkouts.get(_last_name(callee))
        if spec is None:
            return None
        if spec.awaited and not _is_awaited(node):
            return None
        arguments = node.child_by_field_name("arguments")
        if spec.arguments_mean_callback and arguments is not None and arguments.named_child_count:
            return None  # callback style: the connection goes to the callback
        acquisition = _Acquisition(
            node,
            spec.label,
            POOL,
            frozenset(spec.release) | RETURN_METHODS,
            spec.release[0],
            result_types=spec.result_types,
            evidence=frozenset(spec.release),
        )
        if spec.pools is None:
            return acquisition
        origin = value_origin(self.ctx, callee.child_by_field_name("object"))
        if origin is not None and any(pool.matches(origin) for pool in spec.pools):
            return acquisition
        if origin is not None and _is_library(origin):
            return None  # a known library value that is not a pool (`client.connect()`)
        acquisition.needs_evidence = True
        acquisition.label = spec.generic_label or spec.label
        return acquisition


def _analyse(ctx: FileContext, acquisition: _Acquisition) -> Leak | None:
    function = enclosing_function(acquisition.node)
    assert function is not None
    holder = _holder(ctx, acquisition.node, function)
    if holder is None:
        return None  # ownership moved, or `using` closes it
    leak = Leak(
        acquisition.node,
        acquisition.label,
        acquisition.kind,
        None,
        acquisition.suggested_release,
    )
    if holder == "discarded":
        return None if acquisition.needs_evidence else leak
    leak.variable = holder.name
    if acquisition.needs_evidence and _typed_as(ctx, holder, acquisition.result_types):
        acquisition.needs_evidence = False
    uses = _uses(ctx, holder, function, acquisition.release)
    if uses.deferred_release or uses.escapes:
        return None
    if acquisition.needs_evidence and not _released_by(uses.releases, acquisition.evidence):
        return None
    if not uses.releases:
        return None if uses.shared else leak
    if is_test_file(_project_path(ctx)):
        return None  # see is_test_file
    leak.releases = uses.releases
    operations = _operations(ctx, function)
    paths = ReleasePaths(function, acquisition.node, uses.releases, operations, holder.name)
    leak.exits = paths.run()
    return leak if leak.exits else None


# -- where the acquired value goes ---------------------------------------------------------


def _holder(ctx: FileContext, node: Node, function: Node) -> Binding | str | None:
    """The local variable that receives the value, "discarded", or None when it escapes."""
    value = _outermost_value(node)
    parent = value.parent
    if parent is None:
        return None
    if parent.type == "expression_statement":
        return "discarded"
    if parent.type == "variable_declarator" and parent.child_by_field_name("value") == value:
        name = parent.child_by_field_name("name")
        declaration = parent.parent
        if name is None or name.type != "identifier" or declaration is None:
            return None
        if declaration.type == "using_declaration":
            return None
        return ctx.scopes.resolve(name)
    if parent.type == "assignment_expression" and parent.child_by_field_name("right") == value:
        left = parent.child_by_field_name("left")
        if any(child.type == "using" for child in parent.children):
            return None  # TypeScript grammar's reading of `using x = …`
        if left is None or left.type != "identifier":
            return None  # this.client = …, obj.x = …: stored
        binding = ctx.scopes.resolve(left)
        if binding is None or not _declared_in(binding, function):
            return None  # a module or outer variable: it outlives the call
        return binding
    return None


def _outermost_value(node: Node) -> Node:
    """Climb through await, parentheses, TS casts and self-returning calls like `.on()`."""
    current = node
    while current.parent is not None:
        parent = current.parent
        if parent.type in _TRANSPARENT:
            current = parent
        elif (
            parent.type == "member_expression"
            and parent.child_by_field_name("object") == current
            and _last_name(parent) in _SELF_RETURNING
            and parent.parent is not None
            and parent.parent.type == "call_expression"
        ):
            current = parent.parent
        else:
            break
    return current


def _declared_in(binding: Binding, function: Node) -> bool:
    owner = enclosing_function(binding.node)
    return owner is not None and owner.id == function.id


def _uses(ctx: FileContext, binding: Binding, function: Node, releases: frozenset[str]) -> _Uses:
    uses = _Uses()
    for ref in references_to(binding, ctx.scopes, ctx.references):
        nested = not _same_function(ref, function)
        kind, node = _classify_reference(ref, releases)
        if kind == "release":
            if nested:
                uses.deferred_release = True
            else:
                uses.releases.append(node)
        elif kind == "release-reference":
            uses.deferred_release = True
        elif kind == "escape":
            uses.escapes = True
        elif kind == "argument" or (kind == "use" and nested):
            uses.shared = True
    uses.releases.sort(key=lambda n: n.start_byte)
    return uses


def _classify_reference(ref: Node, releases: frozenset[str]) -> tuple[str, Node]:
    """What one mention of the variable does with the resource.

    "release" (a release call, returned too), "release-reference" (a release method taken
    as a value), "use" (method call, property read, test), "write", "argument" (passed to a
    call), or "escape" (anything that may keep it beyond this function).
    """
    if ref.type == "shorthand_property_identifier":
        # `{ session }` handed straight to a call is an option bag; kept anywhere else it may
        # outlive the function.
        return ("argument" if _is_call_argument(ref.parent) else "escape"), ref
    current = ref
    while current.parent is not None and current.parent.type in (
        "parenthesized_expression",
        "non_null_expression",
        "as_expression",
        "satisfies_expression",
    ):
        current = current.parent
    parent = current.parent
    if parent is None:
        return "use", ref
    kind = parent.type
    if kind == "member_expression" and parent.child_by_field_name("object") == current:
        if _last_name(parent) in ("then", "catch"):
            return "escape", ref  # a promise: the resource goes to a callback
        if _last_name(parent) not in releases:
            return "use", ref
        call = parent.parent
        if call is not None and call.type == "call_expression":
            return "release", call
        return "release-reference", parent
    if kind == "subscript_expression" and parent.child_by_field_name("object") == current:
        return "use", ref
    if kind == "call_expression" and parent.child_by_field_name("function") == current:
        return "use", ref  # knex: `db('users')`
    if kind == "arguments":
        call = parent.parent
        callee = call.child_by_field_name("function") if call is not None else None
        if call is not None and call.type == "call_expression":
            if callee is not None and _last_name(callee) in releases:
                return "release", call  # pool.release(conn)
            return "argument", ref
        return "escape", ref  # new Wrapper(client)
    if kind == "assignment_expression" and parent.child_by_field_name("left") == current:
        return "write", ref
    if kind in ("unary_expression", "expression_statement", "if_statement", "while_statement"):
        return "use", ref
    if kind == "binary_expression":
        operator = parent.child_by_field_name("operator")
        if operator is not None and operator.type in ("||", "??"):
            return "escape", ref  # the value itself may flow on
        if operator is not None and operator.type == "&&":
            right = parent.child_by_field_name("right")
            return ("escape", ref) if right == current else ("use", ref)
        return "use", ref
    if kind == "ternary_expression" and parent.child_by_field_name("condition") == current:
        return "use", ref
    if kind == "pair" and parent.child_by_field_name("value") == current:
        return ("argument" if _is_call_argument(parent.parent) else "escape"), ref
    return "escape", ref


def _is_call_argument(node: Node | None) -> bool:
    """An object literal written directly as an argument of a (non-`new`) call."""
    if node is None or node.type != "object" or node.parent is None:
        return False
    call = node.parent.parent
    return node.parent.type == "arguments" and call is not None and call.type == "call_expression"


# -- what a pool is ------------------------------------------------------------------------


def value_origin(ctx: FileContext, node: Node | None, depth: int = 0) -> Symbol | None:
    """The library symbol that made (or, in TypeScript, types) the value of ``node``."""
    node = unwrap(node)
    while node is not None and node.type == "await_expression":
        node = unwrap(node.named_child(0))
    if node is None or depth > 4:
        return None
    if node.type == "new_expression":
        return ctx.imports.resolve(node.child_by_field_name("constructor"))
    if node.type == "call_expression":
        return ctx.imports.resolve(node.child_by_field_name("function"))
    if node.type == "identifier":
        binding = ctx.scopes.resolve(node)
        return _binding_origin(ctx, binding, depth) if binding is not None else None
    if node.type == "member_expression":
        receiver = node.child_by_field_name("object")
        if receiver is not None and receiver.type == "this":
            return _this_property_origin(ctx, node, depth)
    return None


def _binding_origin(ctx: FileContext, binding: Binding, depth: int) -> Symbol | None:
    declaration = binding.declaration
    if binding.kind == "import":
        return ctx.imports.binding_symbol(binding)
    if declaration.type in ("required_parameter", "optional_parameter"):
        return type_origin(ctx, declaration.child_by_field_name("type"))
    if declaration.type == "variable_declarator":
        typed = type_origin(ctx, declaration.child_by_field_name("type"))
        if typed is not None:
            return typed
        return value_origin(ctx, declaration.child_by_field_name("value"), depth + 1)
    return None


def _this_property_origin(ctx: FileContext, member: Node, depth: int) -> Symbol | None:
    """`this.pool`: what the class declares or assigns it as."""
    name = _last_name(member)
    body = _enclosing_class_body(member)
    if body is None:
        return None
    for child in body.named_children:
        if child.type == "public_field_definition" and _field_name(child) == name:
            typed = type_origin(ctx, child.child_by_field_name("type"))
            value = child.child_by_field_name("value")
            origin = typed or value_origin(ctx, value, depth + 1)
            if origin is not None:
                return origin
        if child.type == "method_definition" and _last_name(child) == "constructor":
            origin = _parameter_property_origin(ctx, child, name)
            if origin is not None:
                return origin
    cursor = QueryCursor(query(ctx.source.language, _THIS_ASSIGNMENT_QUERY))
    for _, captures in cursor.matches(body):
        if captures["property"][0].text == name.encode():
            origin = value_origin(ctx, captures["value"][0], depth + 1)
            if origin is not None:
                return origin
    return None


def _parameter_property_origin(ctx: FileContext, constructor: Node, name: str) -> Symbol | None:
    parameters = constructor.child_by_field_name("parameters")
    for parameter in parameters.named_children if parameters is not None else ():
        pattern = parameter.child_by_field_name("pattern")
        if pattern is not None and pattern.text == name.encode():
            return type_origin(ctx, parameter.child_by_field_name("type"))
    return None


def type_origin(ctx: FileContext, annotation: Node | None) -> Symbol | None:
    """The library symbol a TypeScript type annotation names (``Pool``, ``pg.Pool``)."""
    if annotation is None:
        return None
    node = annotation.named_child(0) if annotation.type == "type_annotation" else annotation
    if node is None:
        return None
    if node.type == "union_type":
        for member in node.named_children:
            origin = type_origin(ctx, member)
            if origin is not None:
                return origin
        return None
    if node.type == "type_identifier":
        name = node.text.decode()
        binding = ctx.scopes.resolve_name(name, node.start_byte, node.end_byte)
        if binding is None or binding.kind != "import":
            return None
        return ctx.imports.binding_symbol(binding)
    if node.type == "nested_type_identifier":
        module = node.child_by_field_name("module")
        name = node.child_by_field_name("name")
        base = ctx.imports.resolve(module) if module is not None else None
        if base is None or name is None:
            return None
        return base.member(name.text.decode())
    return None


def _released_by(releases: list[Node], methods: frozenset[str]) -> bool:
    """Whether one of the release calls calls one of ``methods`` (`client.release()`)."""
    for call in releases:
        callee = call.child_by_field_name("function")
        if callee is not None and _last_name(callee) in methods:
            return True
    return False


_TEST_DIRECTORIES = frozenset({"test", "tests", "__tests__", "spec", "specs", "e2e", "__mocks__"})
_TEST_SUFFIXES = (".test", ".spec", ".e2e-spec", ".e2e", ".e2e-test")
_TEST_SETUP_NAMES = frozenset({"setuptests", "test-setup", "globalsetup", "globalteardown"})


def is_test_file(path: Path) -> bool:
    """Test code: a release skipped by a failing assertion is not worth a report there.

    The test has already failed and its process or pool is torn down afterwards; asking for
    try/finally around every assertion would bury the reports that matter. A resource that a
    test never releases at all is still reported.
    """
    if any(part in _TEST_DIRECTORIES for part in path.parts[:-1]):
        return True
    segments = path.name.lower().split(".")
    if any(f".{segment}" in _TEST_SUFFIXES for segment in segments[1:-1]):
        return True
    first = segments[0]
    return (
        first.startswith(("test-", "test_"))
        or first.endswith(("-test", "_test", "-tests", "_tests"))
        or first in _TEST_SETUP_NAMES
        or (len(segments) > 2 and first in ("jest", "vitest", "mocha"))
    )


def _project_path(ctx: FileContext) -> Path:
    """The file's path inside the project, so that directories above it do not count."""
    try:
        return ctx.source.path.resolve().relative_to(ctx.settings.root.resolve())
    except ValueError:
        return Path(ctx.source.display_path)


def _typed_as(ctx: FileContext, binding: Binding, types: tuple[PoolSource, ...]) -> bool:
    if not types or binding.declaration.type != "variable_declarator":
        return False
    origin = type_origin(ctx, binding.declaration.child_by_field_name("type"))
    return origin is not None and any(source.matches(origin) for source in types)


def _is_library(symbol: Symbol) -> bool:
    """Whether a symbol comes from a package (not a relative import nor a global)."""
    return not symbol.module.startswith((".", "/", "<"))


# -- small helpers -------------------------------------------------------------------------


def _operations(ctx: FileContext, function: Node) -> list[Node]:
    body = function.child_by_field_name("body")
    if body is None:
        return []
    cursor = QueryCursor(query(ctx.source.language, _OPERATION_QUERY))
    return direct_operations(function, cursor.captures(body).get("op", ()))


def _is_awaited(node: Node) -> bool:
    parent = node.parent
    while parent is not None and parent.type in ("parenthesized_expression", "non_null_expression"):
        parent = parent.parent
    return parent is not None and parent.type == "await_expression"


def _has_callback_argument(call: Node) -> bool:
    arguments = call.child_by_field_name("arguments")
    if arguments is None:
        return False
    return any(
        arg.type in ("arrow_function", "function_expression", "function")
        for arg in arguments.named_children
    )


def _last_name(node: Node) -> str:
    """`a.b.c` → "c", `Redis` → "Redis", a method definition → its name."""
    node = unwrap(node) or node
    if node.type == "identifier":
        return node.text.decode("utf-8", "replace")
    for field_name in ("property", "name"):
        child = node.child_by_field_name(field_name)
        if child is not None:
            return child.text.decode("utf-8", "replace")
    return ""


def _field_name(field_definition: Node) -> str:
    name = field_definition.child_by_field_name("name")
    return name.text.decode("utf-8", "replace") if name is not None else ""


def _enclosing_class_body(node: Node) -> Node | None:
    current = node.parent
    while current is not None and current.type != "class_body":
        current = current.parent
    return current


def _same_function(node: Node, function: Node) -> bool:
    owner = enclosing_function(node)
    return owner is not None and owner.id == function.id
