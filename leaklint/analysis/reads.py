"""Database reads: which calls read a whole table or collection into memory, and on what.

Two questions, kept apart so that the project link can ask them in different files:

* **the shape** (`read_shapes`): for which libraries would this call be an unbounded read if its
  receiver were of that library — `find()` with no filter, no `.limit()` and an awaited chain is
  one for mongoose; `find().toArray()` for the MongoDB driver; `findAll()` without `limit` or
  `where` for Sequelize. Only the call, its arguments and the chain around it decide;
* **the receiver** (`value_library`): which library a value belongs to — a model from
  `mongoose.model(…)`, a collection from `db.collection('x')`, a TypeORM repository, a class that
  extends Sequelize's `Model`, `new PrismaClient()`, a knex instance, a Redis client — through
  imports, scopes and TypeScript types (``resource_origins``), never by name.

LL012 asks both of one file (`unbounded_read`); the summary asks the first of a use of an
imported name and the second of an exported value, and the link brings the answers together.
"""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node

from leaklint.analysis.nodes import call_arguments, literal_key, member_property, text
from leaklint.analysis.resource_origins import superclass_origin, value_creation, value_origin
from leaklint.semantic.context import FileContext
from leaklint.semantic.imports import Symbol, unwrap

# The methods whose calls may be whole-collection reads (the rule's and the summary's filter).
READ_METHODS = frozenset(
    {
        "find",
        "findAll",
        "findAndCountAll",
        "findAndCount",
        "findMany",
        "getMany",
        "getRawMany",
        "getManyAndCount",
        "keys",
        "select",
        "from",
        "table",
    }
)
# What one element of each library's result is, and how messages name the library's objects.
UNITS = {
    "mongoose": "document",
    "mongodb": "document",
    "typeorm": "row",
    "sequelize": "row",
    "prisma": "row",
    "knex": "row",
    "redis": "key",
}
LABELS = {
    "mongoose": "mongoose model",
    "mongodb": "MongoDB collection",
    "typeorm": "TypeORM repository",
    "sequelize": "Sequelize model",
    "prisma": "Prisma client",
    "knex": "knex instance",
    "redis": "Redis client",
}
LIBRARY_OF_LABEL = {label: library for library, label in LABELS.items()}
# Clients the resource table exports as clients (LL003's) that are read from directly.
LIBRARY_OF_CLIENT = {
    "ioredis client": "redis",
    "node-redis client": "redis",
    "knex instance": "knex",
    "Prisma client": "prisma",
}

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
_QUERY_BUILDER_READS = frozenset({"getMany", "getRawMany", "getManyAndCount"})
_MONGOOSE_MODELS = (("model",), ("Model",))
_TYPEORM_REPOSITORIES = (
    ("getRepository",),
    ("getCustomRepository",),
    ("getMongoRepository",),
    ("Repository",),
    ("MongoRepository",),
    ("TreeRepository",),
)
_REPOSITORY_FACTORIES = frozenset({"getRepository", "getCustomRepository", "getTreeRepository"})
_TYPEORM_MODULES = frozenset({"typeorm", "@nestjs/typeorm"})
_PRISMA_CLIENTS = (("@prisma/client", ("PrismaClient",)), ("nestjs-prisma", ("PrismaService",)))
_REDIS_CLIENTS = (
    ("ioredis", ((), ("Redis",), ("Cluster",))),
    ("redis", (("createClient",), ("createCluster",), ("RedisClientType",))),
    ("@redis/client", (("createClient",), ("RedisClientType",))),
)
_KNEX_INSTANCES = ((), ("Knex",), ("knex",))
_SEQUELIZE_MODULES = ("sequelize", "sequelize-typescript")


@dataclass(frozen=True)
class Read:
    """A recognised whole-collection read: what it reads and with which library."""

    library: str  # "mongoose", "typeorm" … (also the id of the rule's advice)
    target: str  # what is read, as the code names it ("`Order`", "'users'")
    unit: str  # "document", "row", "key"


def unbounded_read(ctx: FileContext, call: Node) -> Read | None:
    """The whole-collection read ``call`` is, when its receiver resolves in this file."""
    method = _method(call)
    if method in _QUERY_BUILDER_READS:
        return _query_builder_read(call)
    receiver = read_receiver(call)
    if receiver is None:
        return None
    library = value_library(ctx, receiver)
    if library is None or library not in read_shapes(ctx, call):
        return None
    return Read(library, _target(ctx, call, receiver, library), UNITS[library])


def read_receiver(call: Node) -> Node | None:
    """The value whose library decides: `Order` in `Order.find()`, the client `prisma` in
    `prisma.user.findMany()`, the instance `db` in `db('users')`."""
    callee = unwrap(call.child_by_field_name("function"))
    if callee is None:
        return None
    if _is_table_call(call):
        return callee  # knex's `db('users')`, `this.knex('users')`
    receiver = unwrap(callee.child_by_field_name("object"))
    if member_property(callee) == "findMany":
        if receiver is None or receiver.type != "member_expression":
            return None
        return unwrap(receiver.child_by_field_name("object"))
    return receiver


def read_shapes(ctx: FileContext, call: Node) -> frozenset[str]:
    """The libraries for which ``call`` reads a whole collection if its receiver is theirs."""
    method = _method(call)
    arguments = call_arguments(call)
    shapes: set[str] = set()
    if _is_table_call(call):  # `db('users')`, a knex instance called with its table
        if _knex_chain(ctx, call):
            shapes.add("knex")
    elif method == "find":
        if _mongoose_shape(ctx, call, arguments):
            shapes.add("mongoose")
        if _mongodb_shape(ctx, call, arguments):
            shapes.add("mongodb")
        if not arguments or _lacks_keys(arguments[0], BOUNDING_KEYS):
            shapes.add("typeorm")
    elif method in ("findAll", "findAndCountAll"):
        if not arguments or _lacks_keys(arguments[0], BOUNDING_KEYS):
            shapes.add("sequelize")
    elif method == "findAndCount":
        if not arguments or _lacks_keys(arguments[0], BOUNDING_KEYS):
            shapes.add("typeorm")
    elif method == "findMany":
        if not arguments or _lacks_keys(arguments[0], BOUNDING_KEYS):
            shapes.add("prisma")
    elif method == "keys":
        if len(arguments) == 1:
            shapes.add("redis")  # KEYS walks the whole key space whatever the pattern
    elif method in ("select", "from", "table") and _knex_chain(ctx, call):
        shapes.add("knex")
    return frozenset(shapes)


def value_library(ctx: FileContext, value: Node) -> str | None:
    """Which database library's model, collection, repository or client ``value`` is."""
    value = unwrap(value) or value
    if value.type == "this" or value.type in ("class_declaration", "class"):
        return "sequelize" if _is_sequelize_model(ctx, value) else None
    origin = value_origin(ctx, value)
    if _is(origin, "mongoose", _MONGOOSE_MODELS):
        return "mongoose"
    if _is(origin, "mongodb", (("Collection",),)) or _is_collection_call(ctx, value):
        return "mongodb"
    if _is(origin, "typeorm", _TYPEORM_REPOSITORIES) or _is_repository_call(ctx, value):
        return "typeorm"
    if any(_is(origin, module, (path,)) for module, path in _PRISMA_CLIENTS):
        return "prisma"
    if any(_is(origin, module, paths) for module, paths in _REDIS_CLIENTS):
        return "redis"
    if _is_knex_instance(ctx, value, origin):
        return "knex"
    if _is_sequelize_model(ctx, value):
        return "sequelize"
    return None


# -- shapes -------------------------------------------------------------------------------------


def _method(call: Node) -> str | None:
    callee = unwrap(call.child_by_field_name("function"))
    return member_property(callee) if callee is not None else None


def _is_table_call(call: Node) -> bool:
    """`db('users')` or `this.knex('users')`: a function called with one table name."""
    arguments = call_arguments(call)
    if len(arguments) != 1 or arguments[0].type != "string":
        return False
    callee = unwrap(call.child_by_field_name("function"))
    if callee is None or callee.type not in ("identifier", "member_expression"):
        return False
    return callee.type == "identifier" or member_property(callee) not in READ_METHODS


def _mongoose_shape(ctx: FileContext, call: Node, arguments: list[Node]) -> bool:
    if arguments and not _is_empty_object(arguments[0]):
        return False  # a filter: this file cannot tell how much it keeps
    methods, top = _chain_above(ctx, call)
    return _unbounded_chain(methods) and _executed(ctx, top, methods)


def _mongodb_shape(ctx: FileContext, call: Node, arguments: list[Node]) -> bool:
    if arguments and not _is_empty_object(arguments[0]):
        return False
    if len(arguments) > 1 and not _lacks_keys(arguments[1], BOUNDING_KEYS):
        return False
    methods, _top = _chain_above(ctx, call)
    # A cursor the code iterates is the right way to read it: only `.toArray()` loads it all.
    return "toArray" in methods and _unbounded_chain(methods)


def _knex_chain(ctx: FileContext, root: Node) -> bool:
    methods, top = _chain_above(ctx, root)
    return _unbounded_chain(methods) and _executed(ctx, top, methods)


def _query_builder_read(call: Node) -> Read | None:
    """`….createQueryBuilder('u')….getMany()`: TypeORM's builder, bounded by nothing. The pair
    of names is TypeORM's own API, so the builder needs no receiver of its own."""
    callee = call.child_by_field_name("function")
    methods = _chain_below(unwrap(callee.child_by_field_name("object")) if callee else None)
    if not methods or methods[0] != "createQueryBuilder" or not _unbounded_chain(methods):
        return None
    return Read("typeorm", "the query builder's entity", "row")


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


# Options and chain steps that cap how many rows a read returns: `find({ take: 100 })`,
# `findAll({ limit: 500 })`, `.limit(500)`, knex's `.first()`. A filter (`where`) is no cap.
ROW_CAP_KEYS = frozenset({"limit", "take", "first", "top"})
_ROW_CAP_STEPS = frozenset({"limit", "take", "first", "top", "findOne", "findFirst", "findUnique"})


def row_cap(call: Node) -> Node | None:
    """What caps the rows the read ``call`` returns, whatever its library: a `.limit(n)` (or
    `take`/`first`) step of its chain, or a `limit`/`take` option of one of its calls; None
    when nothing does. Code that loops over such rows handles a bounded number of them."""
    node: Node | None = unwrap(call)
    while node is not None and node.type == "call_expression":
        callee = unwrap(node.child_by_field_name("function"))
        if callee is None or callee.type != "member_expression":
            return None
        if member_property(callee) in _ROW_CAP_STEPS:
            return node
        for options in call_arguments(node)[:2]:
            if _names_a_key(options, ROW_CAP_KEYS):
                return options
        node = unwrap(callee.child_by_field_name("object"))
    return None


def _names_a_key(options: Node, keys: frozenset[str]) -> bool:
    """An object literal that spells out one of ``keys`` (a spread may hold one or not: unlike
    ``_lacks_keys``, what this file cannot read is no cap)."""
    if options.type != "object":
        return False
    for entry in options.named_children:
        key = entry.child_by_field_name("key") if entry.type == "pair" else entry
        spelled = entry.type in ("pair", "shorthand_property_identifier") and key is not None
        if spelled and (literal_key(key) or text(key)) in keys:
            return True
    return False


# -- receivers ----------------------------------------------------------------------------------


def _is(origin: Symbol | None, module: str, paths: tuple[tuple[str, ...], ...]) -> bool:
    return origin is not None and origin.matches(module, *paths)


def _made_by_method(ctx: FileContext, value: Node, methods: frozenset[str]) -> Node | None:
    """The `x.m(…)` call (``m`` in ``methods``) that made ``value`` in this file, if any."""
    made = value_creation(ctx, value)
    if made is None or made.type != "call_expression":
        return None
    return made if member_property(made.child_by_field_name("function")) in methods else None


def _is_collection_call(ctx: FileContext, value: Node) -> bool:
    """`db.collection('users')`, directly or through a variable: the driver's collection."""
    made = _made_by_method(ctx, value, frozenset({"collection"}))
    arguments = call_arguments(made) if made is not None else []
    return bool(arguments) and literal_key(arguments[0]) is not None


def _is_repository_call(ctx: FileContext, value: Node) -> bool:
    """`dataSource.getRepository(User)` (or a manager's): TypeORM's repository factory.

    Other libraries name their factory the same (NocoBase's `db.getRepository('roles')`,
    MikroORM's `em.getRepository(User)`), so the method name alone does not say TypeORM: the
    receiver must be TypeORM's, or — when this file cannot place it (a data source exported by
    another module) — be given an entity class, the way TypeORM code is written, not a name."""
    made = _made_by_method(ctx, value, _REPOSITORY_FACTORIES)
    if made is None:
        return False
    callee = made.child_by_field_name("function")
    owner = value_origin(ctx, callee.child_by_field_name("object") if callee else None)
    if owner is not None and not owner.module.startswith("."):
        return owner.module in _TYPEORM_MODULES
    arguments = call_arguments(made)
    return bool(arguments) and arguments[0].type not in ("string", "template_string")


def _is_sequelize_model(ctx: FileContext, value: Node) -> bool:
    """A class of this file that extends Sequelize's `Model` (or `this` in its static methods),
    or what `sequelize.define(…)` returns."""
    if value.type == "this":
        return _in_static_method_of_model(ctx, value)
    if value.type in ("class_declaration", "class"):
        return _extends_sequelize_model(ctx, value)
    if value.type == "identifier":
        binding = ctx.scopes.resolve(value)
        if binding is not None and _extends_sequelize_model(ctx, binding.declaration):
            return True
    made = _made_by_method(ctx, value, frozenset({"define"}))
    callee = made.child_by_field_name("function") if made is not None else None
    if callee is None:
        return False
    owner = value_origin(ctx, callee.child_by_field_name("object"))
    return any(_is(owner, module, (("Sequelize",),)) for module in _SEQUELIZE_MODULES)


def _extends_sequelize_model(ctx: FileContext, cls: Node | None) -> bool:
    origin = superclass_origin(ctx, cls)
    return any(_is(origin, module, (("Model",),)) for module in _SEQUELIZE_MODULES)


def _in_static_method_of_model(ctx: FileContext, this: Node) -> bool:
    method = ctx.ancestry.nearest(this, frozenset({"method_definition"}))
    if method is None or not any(child.type == "static" for child in method.children):
        return False
    cls = ctx.ancestry.nearest(method, frozenset({"class_declaration", "class"}))
    return _extends_sequelize_model(ctx, cls)


def _is_knex_instance(ctx: FileContext, value: Node, origin: Symbol | None) -> bool:
    """A value made by `knex(config)` or typed `Knex` — not the imported `knex` factory."""
    if ctx.imports.resolve(value) is not None:
        return False  # the module itself: `knex('x')` here would be a configuration call
    return _is(origin, "knex", _KNEX_INSTANCES)


# -- what is read, for messages -----------------------------------------------------------------


def _target(ctx: FileContext, call: Node, receiver: Node, library: str) -> str:
    if library == "mongodb":
        return f"the collection `{_collection_name(ctx, receiver)}`"
    if library == "knex":
        table = _knex_table_name(ctx, call)
        return f"'{table}'" if table else "the table"
    if library == "prisma":
        callee = call.child_by_field_name("function")
        model = callee.child_by_field_name("object") if callee is not None else None
        return f"`{text(model)}`"
    if receiver.type == "this":
        cls = ctx.ancestry.nearest(receiver, frozenset({"class_declaration", "class"}))
        name = cls.child_by_field_name("name") if cls is not None else None
        return f"`{text(name)}`" if name is not None else "this model"
    return f"`{text(receiver)}`"


def _collection_name(ctx: FileContext, receiver: Node) -> str:
    """`users` for a receiver made by `db.collection('users')`, else the receiver as written."""
    made = value_creation(ctx, receiver)
    arguments = call_arguments(made) if made is not None and made.type == "call_expression" else []
    name = literal_key(arguments[0]) if arguments else None
    return name if name is not None else text(receiver)


def _knex_table_name(ctx: FileContext, root: Node) -> str | None:
    """The table a knex chain reads: `knex('users')`, `.from('users')`, `.table('users')`."""
    _methods, top = _chain_above(ctx, root)
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


__all__ = [
    "LABELS",
    "LIBRARY_OF_CLIENT",
    "LIBRARY_OF_LABEL",
    "READ_METHODS",
    "UNITS",
    "Read",
    "read_receiver",
    "read_shapes",
    "row_cap",
    "unbounded_read",
    "value_library",
]
