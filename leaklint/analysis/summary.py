"""A file's summary for the project-wide link: what its exports denote, what it does with
what it imports, and how often (``leaklint.model.project`` holds the data).

Exports (ES ``export`` and CommonJS ``module.exports`` / ``exports.x``) are classified by what
they are bound to at module level:

* a *factory* — a function every ``return`` of which gives back a client it has just created
  (``ClientSpec``s of ``resource_table``: ``new Redis()``, ``new DataSource()``, ``new
  pg.Client()``), directly, through a local variable, or through its self-returning
  ``connect()`` / ``initialize()``. A lazy singleton (``client ??= new Redis()``) or a per-key
  cache (``clients.get(k)``) returns something that outlives the call: not a factory;
* a *client* or *pool* made once at module level, a long-lived *emitter*, a *store*
  (``{}``, ``[]``, ``new Map()``, ``new Set()``), with whether this file bounds it — a
  module-level instance of a class of the file (``export default new PageCache()``) is a
  store too when its own ``set``/``add``/``push`` method grows a ``this.<field>`` container;
* a *grower*: a function that grows a module store of this file with a key or value that
  varies per call, when this file never bounds that store.

Uses are the calls of imported functions and the growth, removal or size checks of imported
stores, each with ``frequency.how_often`` of the code around it and, for calls, whether the
caller takes care of the result (closes, returns or stores it). Names are resolved through
``ctx.imports``; nothing is matched by text.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from tree_sitter import Node

from leaklint.analysis.argument_origin import argument_origins, takes_request
from leaklint.analysis.flow import is_size_check, readds_removed_key
from leaklint.analysis.frequency import FREQUENCY_ANALYSES, Frequency, Rate, how_often
from leaklint.analysis.listeners import EMITTER_REMOVING, PERSISTENT_EMITTER_METHODS
from leaklint.analysis.methods import cleared_properties, prototype_methods
from leaklint.analysis.nodes import (
    CLASS_NODES,
    FIELD_NODES,
    FUNCTION_NODES,
    accessed_member,
    call_arguments,
    identifiers_in,
    is_bounded_key,
    is_static_member,
    loop_ancestors,
    member_property,
    plain_parameters,
    superclass,
    text,
    word_occurrences,
    word_occurrences_within,
)
from leaklint.analysis.reads import LABELS, READ_METHODS, read_receiver, read_shapes, value_library
from leaklint.analysis.release_paths import ReleasePaths, direct_operations
from leaklint.analysis.resource_origins import returned_values
from leaklint.analysis.resource_table import (
    CLIENT,
    ClientSpec,
    configured_specs,
    pool_checkout_methods,
    release_name,
)
from leaklint.analysis.throws import can_throw
from leaklint.model.project import (
    CALL,
    CHECKOUT,
    CHECKOUT_FACTORY,
    CLIENT_INSTANCE,
    CONSTRUCTOR_PREFIX,
    EMITTER,
    FACTORY,
    GROW,
    GROWER,
    HELPER_SEPARATOR,
    LISTEN,
    MODEL,
    NEW,
    PASS,
    PER_REQUEST_RATES,
    POOL_INSTANCE,
    READ,
    RELEASER,
    SHRINK,
    STORE,
    SUBSCRIBER,
    Export,
    FileSummary,
    ReExport,
    Use,
)
from leaklint.semantic.context import FileContext, SharedQuery
from leaklint.semantic.imports import GLOBAL, Symbol, string_value, unwrap_awaited
from leaklint.semantic.scope import Binding

SUMMARY_QUERY = SharedQuery(
    "summary",
    """
(call_expression) @call
(new_expression) @new
(assignment_expression left: (subscript_expression) @subscript_target)
(unary_expression operator: "delete" argument: (subscript_expression) @deleted)
((member_expression property: (property_identifier) @size_property)
  (#any-of? @size_property "size" "length"))
""",
)
# Queries the summary reads: the engine adds them to the file's single query pass.
SUMMARY_ANALYSES = (SUMMARY_QUERY, *FREQUENCY_ANALYSES)

GROWING_METHODS = frozenset({"set", "add", "push", "unshift"})
LISTENING_METHODS = PERSISTENT_EMITTER_METHODS
SHRINKING_METHODS = frozenset({"delete", "clear", "shift", "pop", "splice"})
_REMOVING_METHODS = EMITTER_REMOVING
SIZE_PROPERTIES = frozenset({b"size", b"length"})
CLOSE_METHODS = frozenset({"quit", "disconnect", "end", "close", "destroy", "$disconnect"})
# Giving a pool checkout back (mysql2 may destroy it instead).
RELEASE_METHODS = frozenset({"release", "releaseConnection", "destroy"})
# What a caller may do to give back the result of a function of another module, a fresh client
# (close it) or a pool checkout (release it): the link knows which the callee makes.
_GIVING_BACK = CLOSE_METHODS | RELEASE_METHODS
# Methods whose result settles to the object they were called on (`new DataSource(o).initialize()`).
_SELF_RETURNING = frozenset({"connect", "initialize", "asPromise", "on", "once"})
_STORE_CONSTRUCTORS = frozenset({"Map", "Set"})
_NODE_BUILTINS = frozenset(
    [
        "assert",
        "buffer",
        "child_process",
        "cluster",
        "crypto",
        "dgram",
        "dns",
        "events",
        "fs",
        "fs/promises",
        "http",
        "http2",
        "https",
        "net",
        "os",
        "path",
        "path/posix",
        "process",
        "querystring",
        "readline",
        "stream",
        "stream/promises",
        "string_decoder",
        "timers",
        "timers/promises",
        "tls",
        "tty",
        "url",
        "util",
        "v8",
        "vm",
        "worker_threads",
        "zlib",
    ]
)


def may_link(data: bytes) -> bool:
    """Whether a file can import or export anything (a cheap test before any summary work)."""
    return b"import" in data or b"require" in data or b"export" in data


def summarise(ctx: FileContext) -> FileSummary:
    """The summary of the file behind ``ctx`` (directives are added by the pipeline)."""
    captures = ctx.captures(SUMMARY_QUERY)
    bindings = module_bindings(ctx.tree.root_node)
    imported = imported_names(bindings)
    exports = _Exports(ctx, captures, imported)
    # Uses of what a Node built-in binds (`fs.readFileSync`, `path.join`: the most common
    # calls of npm code) are dropped after a scope resolution each: skip them before it.
    linkable = imported - builtin_only_names(bindings)
    if b"require(" in ctx.source.data:
        linkable |= {b"require"}  # a module loaded where it is used: `require('./x')(…)`
    packages, unfollowed = package_imports(bindings)
    uses = (
        _Uses(
            ctx, captures, exports.function_names, linkable, exports.method_owners, packages
        ).collect()
        if linkable
        else ()
    )
    statics = tuple(exports.static_members())
    return FileSummary(
        names=tuple(
            dict.fromkeys(
                [*(name for name, _ in exports.exported), *(export.name for export in statics)]
            )
        ),
        exports=(*exports.classified(), *statics),
        reexports=tuple(_reexports(ctx)),
        uses=(*uses, *_namespace_reexports(ctx)),
        unfollowed=unfollowed,
        methods=tuple(prototype_methods(ctx)),
        clearings=tuple(cleared_properties(ctx, exported_nodes)),
    )


def exported_nodes(ctx: FileContext) -> dict[int, list[str]]:
    """The module's exported functions and classes, by node id: the names it exports each
    under (``analysis.callers`` asks which export a per-call finding rests on)."""

    def build() -> dict[int, list[str]]:
        found: dict[int, list[str]] = {}
        for name, node in _Exports(ctx, {}, frozenset()).exported:
            if node.type in FUNCTION_NODES or node.type in CLASS_NODES:
                names = found.setdefault(node.id, [])
                if name not in names:
                    names.append(name)
        return found

    return ctx.memo("summary.exported-nodes", build)


def module_bindings(root: Node) -> list[tuple[bytes, str | None]]:
    """(local name, specifier) for each name that a module-level import or require binds: the
    import's source, or ``x`` for a value that is exactly ``require('x')`` (None for any other
    initialiser that mentions ``require``: it may be anything). One walk of the module's
    statements serves the three questions below."""
    found: list[tuple[bytes, str | None]] = []
    for statement in root.named_children:
        if statement.type == "export_statement":
            statement = statement.child_by_field_name("declaration") or statement
        if statement.type == "import_statement":
            source = string_value(statement.child_by_field_name("source"))
            found.extend((name, source) for name in _bound_identifiers(statement, skip_source=True))
        elif statement.type in ("lexical_declaration", "variable_declaration"):
            for declarator in statement.named_children:
                value = declarator.child_by_field_name("value")
                pattern = declarator.child_by_field_name("name")
                if value is None or pattern is None or b"require" not in (value.text or b""):
                    continue
                required = _required(value)
                found.extend(
                    (name, required) for name in _bound_identifiers(pattern, skip_source=False)
                )
    return found


def imported_names(bindings: list[tuple[bytes, str | None]]) -> frozenset[bytes]:
    """Local names that module-level imports and requires bind. A use of an imported value
    starts with one of them; testing the first identifier of an expression against this set
    spares a scope resolution for every other call (most of them: locals, `console`, `this`)."""
    return frozenset(name for name, _ in bindings)


def builtin_only_names(bindings: list[tuple[bytes, str | None]]) -> frozenset[bytes]:
    """Names that module-level imports and requires bind to Node built-ins only
    (``const fs = require('fs')``, ``import { join } from 'node:path'``); a name also bound to
    anything else is not one. Only ``require('x')`` written as such counts: any other
    initialiser may be anything."""
    builtin = {name for name, specifier in bindings if _is_builtin(specifier)}
    other = {name for name, specifier in bindings if not _is_builtin(specifier)}
    return frozenset(builtin - other)


def package_imports(
    bindings: list[tuple[bytes, str | None]],
) -> tuple[frozenset[bytes], tuple[str, ...]]:
    """Names that module-level imports and requires bind to bare package specifiers only
    (``import Redis from 'ioredis'``, ``const debug = require('debug')``), and those
    specifiers. Built-ins are not packages here (``builtin_only_names``)."""
    bound: dict[bytes, set[str | None]] = {}
    for name, specifier in bindings:
        bound.setdefault(name, set()).add(specifier)
    names = frozenset(
        name
        for name, sources in bound.items()
        if all(s is not None and not _relative(s) and not _is_builtin(s) for s in sources)
    )
    specifiers = sorted({s for n in names for s in bound[n] if s is not None})
    return names, tuple(specifiers)


def _required(value: Node) -> str | None:
    """``x`` for a value that is exactly ``require('x')``."""
    if value.type != "call_expression":
        return None
    callee = value.child_by_field_name("function")
    arguments = call_arguments(value)
    if callee is None or callee.text != b"require" or len(arguments) != 1:
        return None
    return string_value(arguments[0])


def _is_builtin(specifier: str | None) -> bool:
    return specifier is not None and (specifier.startswith("node:") or specifier in _NODE_BUILTINS)


def _bound_identifiers(node: Node, *, skip_source: bool) -> Iterator[bytes]:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type in ("identifier", "shorthand_property_identifier_pattern"):
            yield current.text or b""
        elif not (skip_source and current.type == "string"):
            stack.extend(current.named_children)


def _root_identifier(node: Node | None) -> bytes | None:
    """The identifier an expression such as `a.b.c` or `a['b']()` starts from."""
    while node is not None and node.type in (
        "member_expression",
        "subscript_expression",
        "call_expression",
        "parenthesized_expression",
        "non_null_expression",
        "as_expression",
    ):
        if node.type == "call_expression":
            node = node.child_by_field_name("function")
        elif node.type in ("parenthesized_expression", "non_null_expression", "as_expression"):
            node = node.named_child(0)
        else:
            node = node.child_by_field_name("object")
    return node.text if node is not None and node.type == "identifier" else None


# -- exports ------------------------------------------------------------------------------------


class _Exports:
    """Exported names → the module-level node each is bound to, and what that denotes."""

    def __init__(
        self, ctx: FileContext, captures: dict[str, list[Node]], imported: frozenset[bytes]
    ) -> None:
        self.ctx = ctx
        self.captures = captures
        self.imported = imported
        self._by_function: dict[int, list[Node]] | None = None
        self.locals: dict[str, Node] = {}  # module-level name → its value or function
        self.exported: list[tuple[str, Node]] = []
        self.function_names: dict[int, str] = {}  # exported function node id → export name
        # Instance methods of exported classes → "new:<Class>": code in one that runs once per
        # instance (`start()`) runs as often as the class is constructed.
        self.method_owners: dict[int, str] = {}
        self.classes: dict[str, Node] = {}  # module-level class name → its declaration
        self.default_class: Node | None = None  # the class the module exports as its default
        self._listen_calls: dict[int, list[tuple[Node, str]]] | None = None
        self._releases: dict[int, list[Node]] | None = None
        self._removals: set[str] | None = None
        self.checkout_methods = pool_checkout_methods(ctx.settings.resources)
        # Asked of the same nodes and functions by several of the tests below (a function is
        # tried as a factory, a checkout factory, a subscriber…; a class's methods likewise).
        self._specs: dict[int, ClientSpec | None] = {}
        self._returns: dict[int, list[Node]] = {}
        self._clients: tuple[ClientSpec, ...] | None = None
        self._module_pools: bool | None = None
        self._scan()

    def _scan(self) -> None:
        for statement in self.ctx.tree.root_node.named_children:
            if statement.type == "export_statement":
                self._export_statement(statement)
            elif statement.type in ("lexical_declaration", "variable_declaration"):
                self._declarations(statement, export=False)
            elif statement.type in ("function_declaration", "generator_function_declaration"):
                self._function(statement, export=False)
            elif statement.type in CLASS_NODES:
                self._function(statement, export=False)  # named like a function: LL012's models
                self._class(statement)
            elif statement.type == "expression_statement":
                self._commonjs(statement.named_child(0))
        resolved: list[tuple[str, Node]] = []
        for name, node in self._object_exports_spread():
            if name == "default" and node.type == "identifier" and text(node) in self.classes:
                self.default_class = self.classes[text(node)]  # `module.exports = Database`
            if node.type in ("identifier", "shorthand_property_identifier"):
                node = self.locals.get(text(node), node)
            resolved.append((name, node))
            if node.type in FUNCTION_NODES:
                self.function_names[node.id] = name
            elif node.type in CLASS_NODES:
                for member in _instance_code(node):
                    self.function_names[member.id] = CONSTRUCTOR_PREFIX + name
                for member in _instance_methods(node):
                    self.method_owners[member.id] = CONSTRUCTOR_PREFIX + name
        self.exported = resolved

    def _object_exports_spread(self) -> Iterator[tuple[str, Node]]:
        """The exports, with a default export that is a module-level object literal
        (`const Context = { sessions: new Map() }; module.exports = Context`) read as its
        entries: an importer's `Context.sessions` is export "sessions" (default interop), as
        when the literal is written in `module.exports = { … }` itself. An empty literal
        stays the default export: it is a store itself (`module.exports = cache`)."""
        for name, node in self.exported:
            value = self.locals.get(text(node)) if node.type == "identifier" else node
            literal = name == "default" and value is not None and value.type == "object"
            entries = list(_object_entries(value)) if literal and value is not None else []
            if entries:
                yield from entries
            else:
                yield name, node

    def _export_statement(self, statement: Node) -> None:
        if statement.child_by_field_name("source") is not None:
            return  # a re-export: see `_reexports`
        declaration = statement.child_by_field_name("declaration")
        if declaration is not None:
            if declaration.type in ("lexical_declaration", "variable_declaration"):
                self._declarations(declaration, export=True)
            elif declaration.type in (
                "function_declaration",
                "generator_function_declaration",
                *CLASS_NODES,
            ):
                # `export default class Database {}` is imported as "default", not by its name.
                default = any(child.type == "default" for child in statement.children)
                self._function(declaration, export=not default)
                if default:
                    self.exported.append(("default", declaration))
                if declaration.type in CLASS_NODES:
                    self._class(declaration)
                    if default:
                        self.default_class = declaration
            return
        value = statement.child_by_field_name("value")
        if value is not None:
            self.exported.append(("default", value))
            return
        for clause in statement.named_children:
            if clause.type != "export_clause":
                continue
            for specifier in clause.named_children:
                local = specifier.child_by_field_name("name")
                alias = specifier.child_by_field_name("alias")
                if local is not None:
                    self.exported.append((_name(alias or local), local))

    def _declarations(self, statement: Node, *, export: bool) -> None:
        for declarator in statement.named_children:
            if declarator.type != "variable_declarator":
                continue
            name = declarator.child_by_field_name("name")
            value = declarator.child_by_field_name("value")
            if name is None or name.type != "identifier" or value is None:
                continue
            self.locals[text(name)] = value
            if export:
                self.exported.append((text(name), value))

    def _function(self, function: Node, *, export: bool) -> None:
        name = function.child_by_field_name("name")
        if name is None:
            return
        self.locals[text(name)] = function
        if export:
            self.exported.append((text(name), function))

    def _class(self, declaration: Node) -> None:
        """A class of the module: what a module-level instance of it (``export default new
        Cache()``) holds is read from its body."""
        name = declaration.child_by_field_name("name")
        if name is not None:
            self.classes[text(name)] = declaration

    def _commonjs(self, expression: Node | None) -> None:
        """``module.exports = …``, ``module.exports.x = …``, ``exports.x = …``."""
        if expression is None or expression.type != "assignment_expression":
            return
        left, right = (
            expression.child_by_field_name("left"),
            expression.child_by_field_name("right"),
        )
        if left is None or right is None:
            return
        target = text(left)
        if target == "module.exports":
            if right.type == "object":
                for name, value in _object_entries(right):
                    self.exported.append((name, value))
            else:
                self.exported.append(("default", right))
        elif target.startswith(("module.exports.", "exports.")) and target.count(".") in (1, 2):
            self.exported.append((target.rsplit(".", 1)[1], right))

    # -- what each export is ------------------------------------------------------------------

    def static_members(self) -> Iterator[Export]:
        """Static fields of the default-exported class that hold a pool, a client, an emitter
        or a store (`static pool = new Pool()`), each exported under its own name: with
        CommonJS interop `require('./db').pool` is `Database.pool`, and a use of the default
        import's member (`Database.pool.connect()`) is recorded under that name."""
        body = self.default_class.child_by_field_name("body") if self.default_class else None
        for member in body.named_children if body is not None else ():
            if member.type not in ("field_definition", "public_field_definition"):
                continue
            if not is_static_member(member):
                continue
            key = member.child_by_field_name("name") or member.child_by_field_name("property")
            value = member.child_by_field_name("value")
            if key is None or value is None:
                continue
            value = unwrap_awaited(value) or value
            if value.type in ("new_expression", "call_expression"):
                fact = self._instance(text(key), value)
                if fact is not None:
                    yield fact

    def classified(self) -> Iterator[Export]:
        for name, node in self.exported:
            fact = self._classify(name, node)
            if fact is not None:
                yield fact
            if node.type in CLASS_NODES:
                yield from self._method_factories(name, node)

    def _method_factories(self, name: str, declaration: Node) -> Iterator[Export]:
        """Instance methods of an exported class that make a fresh client on every call
        (`getClient() { return new Redis() }`, `connection() { return
        mysql.createConnection(url) }`), exported as "Class.method": a subclass in another
        module calls them as `this.getClient()`."""
        body = declaration.child_by_field_name("body")
        for member in body.named_children if body is not None else ():
            if member.type != "method_definition" or is_static_member(member):
                continue
            method = member.child_by_field_name("name")
            if method is None or not self._own(member):
                continue  # no call or `new` of an imported name: it makes no client
            fact = self._factory(f"{name}.{text(method)}", member)
            if fact is not None:
                yield fact

    def _classify(self, name: str, node: Node) -> Export | None:
        node = unwrap_awaited(node) or node
        if node.type in FUNCTION_NODES:
            return (
                self._factory(name, node)
                or self._checkout_factory(name, node)
                or self._grower(name, node)
                or self._subscriber(name, node)
                or self._releaser(name, node)
            )
        if node.type in ("new_expression", "call_expression"):
            return self._instance(name, node)
        if node.type in ("class_declaration", "class"):
            return self._model(name, node)
        if node.type in ("object", "array") and not node.named_children:
            return Export(
                name, STORE, "module store", self.ctx.span(node), name, self._bounded(node)
            )
        return None

    def _instance(self, name: str, node: Node) -> Export | None:
        spec = self._client_spec(node)
        span = self.ctx.span(node)
        if spec is not None:
            kind = POOL_INSTANCE if "pool" in spec.label.lower() else CLIENT_INSTANCE
            return Export(name, kind, spec.label, span)
        if node.type == "new_expression":
            singleton = self._singleton_store(name, node)
            if singleton is not None:
                return singleton
        symbol = self._callee_symbol(node)
        if symbol is None:
            return self._model(name, node)  # `db.collection('users')`, `sequelize.define(…)`
        if symbol.matches("events", ("EventEmitter",), ()) and node.type == "new_expression":
            return Export(name, EMITTER, "EventEmitter", span)
        if symbol.module == GLOBAL and symbol.path and symbol.path[0] in _STORE_CONSTRUCTORS:
            return Export(name, STORE, symbol.path[0], span, name, self._bounded(node))
        return self._model(name, node)

    def _model(self, name: str, node: Node) -> Export | None:
        """A database model, collection or repository (`mongoose.model('Order', s)`, a class
        extending Sequelize's `Model`) whose whole-collection reads LL012 judges where used."""
        library = value_library(self.ctx, node)
        return Export(name, MODEL, LABELS[library], self.ctx.span(node)) if library else None

    def _singleton_store(self, name: str, node: Node) -> Export | None:
        """A module-level instance of a class of this file whose own `set`/`add`/`push`
        method grows a container field (`this.pages.set(key, page)`): every importer shares
        that container, so the instance is a store. Bounded when the class removes from the
        field, checks its size or replaces it outside the constructor."""
        constructor = node.child_by_field_name("constructor")
        declaration = self.classes.get(text(constructor)) if constructor is not None else None
        if declaration is None or constructor is None or constructor.type != "identifier":
            return None
        fields = _ClassFields(self.ctx, declaration)
        grown = [f for f in fields.grown if f in fields.containers]
        if not grown:
            return None
        bounded = all(f in fields.shrunk for f in grown)
        label = f"{text(constructor)} instance"
        return Export(name, STORE, label, self.ctx.span(node), name, bounded)

    def _subscriber(self, name: str, function: Node) -> Export | None:
        """A function that adds a listener to a module-level EventEmitter of this file
        (`bus.on('update', fn)`), when this file never removes a listener from it and the
        function returns nothing (no unsubscribe handle): every call leaves one listener.
        Not a function that is a request handler itself: the file's own check reports it."""
        listens = self._listens().get(function.id, ())
        if not listens or self._returned(function):
            return None
        for call, emitter in listens:
            if emitter in self._unlistened():
                continue
            if how_often(self.ctx, call).is_per_request:
                continue  # a handler itself: LL007 reports the listener in this file
            return Export(name, SUBSCRIBER, "EventEmitter", self.ctx.span(call), emitter)
        return None

    def _releaser(self, name: str, function: Node) -> Export | None:
        """A function that gives back the connection it is passed (`function release(client)
        { client.release() }`): a checkout handed to it in another module is released."""
        parameters = function.child_by_field_name("parameters")
        listed = parameters.named_children if parameters is not None else []
        for call in self._release_calls().get(function.id, ()):
            receiver = call.child_by_field_name("function")
            receiver = receiver.child_by_field_name("object") if receiver is not None else None
            binding = self.ctx.scopes.resolve(receiver) if receiver is not None else None
            if binding is None:
                continue
            for index, parameter in enumerate(listed):
                declared = parameter.child_by_field_name("pattern") or parameter
                if declared.id == binding.node.id:
                    return Export(name, RELEASER, "release helper", self.ctx.span(call), str(index))
        return None

    def _release_calls(self) -> dict[int, list[Node]]:
        """`x.release()` / `releaseConnection()` / `destroy()` on a plain name, by enclosing
        function (grouped once per file)."""
        if self._releases is None:
            self._releases = {}
            for call in self.captures.get("call", ()):
                callee = call.child_by_field_name("function")
                if callee is None or callee.type != "member_expression":
                    continue
                receiver = callee.child_by_field_name("object")
                if receiver is None or receiver.type != "identifier":
                    continue
                if member_property(callee) not in RELEASE_METHODS:
                    continue
                holder = self.ctx.enclosing_function(call)
                if holder is not None:
                    self._releases.setdefault(holder.id, []).append(call)
        return self._releases

    def _listens(self) -> dict[int, list[tuple[Node, str]]]:
        """`emitter.on(…)` calls on module-level emitters of this file, by enclosing function
        (grouped once per file)."""
        if self._listen_calls is None:
            self._listen_calls = {}
            for call in self.captures.get("call", ()):
                emitter = self._module_emitter(call, LISTENING_METHODS)
                holder = self.ctx.enclosing_function(call) if emitter is not None else None
                if holder is not None and emitter is not None:
                    self._listen_calls.setdefault(holder.id, []).append((call, emitter))
        return self._listen_calls

    def _unlistened(self) -> set[str]:
        """Module-level emitters this file removes listeners from anywhere."""
        if self._removals is None:
            self._removals = set()
            for call in self.captures.get("call", ()):
                emitter = self._module_emitter(call, _REMOVING_METHODS)
                if emitter is not None:
                    self._removals.add(emitter)
        return self._removals

    def _module_emitter(self, call: Node, methods: frozenset[str]) -> str | None:
        callee = call.child_by_field_name("function")
        if callee is None or callee.type != "member_expression":
            return None
        receiver = callee.child_by_field_name("object")
        if (
            receiver is None
            or receiver.type != "identifier"
            or member_property(callee) not in methods
        ):
            return None
        value = self.locals.get(text(receiver))
        if value is None or value.type != "new_expression" or not self._module_level(receiver):
            return None
        symbol = self._callee_symbol(value)
        if symbol is None or not symbol.matches("events", ("EventEmitter",), ()):
            return None
        return text(receiver)

    def _factory(self, name: str, function: Node) -> Export | None:
        made = [n for n in self._own(function) if self._client_spec(n)]
        if not made:
            return None
        returned = self._returned(function)
        body = function.child_by_field_name("body")
        if body is not None and body.type != "statement_block":
            returned = [body]
        fresh = {n.id for n in made}
        if returned and all(self._returns_fresh(value, fresh, function) for value in returned):
            spec = self._client_spec(made[0])
            label = spec.label if spec is not None else "client"
            return Export(name, FACTORY, label, self.ctx.span(made[0]))
        return None

    def _checkout_factory(self, name: str, function: Node) -> Export | None:
        """A function whose every `return` hands back a connection it has just taken out of a
        pool that this module creates (`getClient = () => pool.connect()`, or `const client =
        await pool.connect(); …; return client`): each call leaves the caller one checkout to
        release."""
        if not self._has_module_pool():
            return None  # most files: `_module_pool_checkout` would find no pool for any value
        returned = self._returned(function)
        body = function.child_by_field_name("body")
        if body is not None and body.type != "statement_block":
            returned = [body]
        found = [self._module_pool_checkout(value, function) for value in returned]
        checkouts = [checkout for checkout in found if checkout is not None]
        if not found or len(checkouts) != len(found):
            return None
        pool, label, call = checkouts[0]
        return Export(name, CHECKOUT_FACTORY, label, self.ctx.span(call), pool)

    def _module_pool_checkout(self, value: Node, function: Node) -> tuple[str, str, Node] | None:
        """(pool name, pool label, the checkout call) when ``value`` is `pool.connect()` — or a
        local of ``function`` declared as one — on a pool this module makes at its top level."""
        value = unwrap_awaited(value) or value
        if value.type == "identifier":
            binding = self.ctx.scopes.resolve(value)
            if binding is None or binding.kind not in ("const", "let", "var"):
                return None
            if self.ctx.enclosing_function(binding.node) != function:
                return None  # a connection the module keeps: not a fresh one per call
            declared = binding.declaration.child_by_field_name("value")
            value = (unwrap_awaited(declared) or declared) if declared is not None else value
        if value.type != "call_expression" or call_arguments(value):
            return None  # callback-style `pool.connect(cb)` returns no connection
        callee = value.child_by_field_name("function")
        receiver = callee.child_by_field_name("object") if callee is not None else None
        if receiver is None or receiver.type != "identifier":
            return None
        if member_property(callee) not in self.checkout_methods:
            return None
        pool = self.locals.get(text(receiver))
        if pool is None or not self._module_level(receiver):
            return None
        spec = self._client_spec(unwrap_awaited(pool) or pool)
        if spec is None or "pool" not in spec.label.lower():
            return None
        return text(receiver), spec.label, value

    def _returns_fresh(self, value: Node, fresh: set[int], function: Node) -> bool:
        value = _settled(value)
        if value.id in fresh:
            return True
        if value.type != "identifier":
            return False
        binding = self.ctx.scopes.resolve(value)
        if binding is None or binding.kind not in ("const", "let", "var"):
            return False
        if self.ctx.enclosing_function(binding.node) != function:
            return False  # a variable of the module or of an outer function: it outlives the call
        declared = binding.declaration.child_by_field_name("value")
        return declared is not None and _settled(declared).id in fresh

    def _grower(self, name: str, function: Node) -> Export | None:
        for store, site, dynamic in self._growth_in(function):
            value = self.locals.get(store)
            if value is None or not dynamic or not _is_container(self.ctx, value):
                continue
            if not self._bounded(value):
                key = self._parameter_path(function, _growth_key(site))
                return Export(name, GROWER, "module store", self.ctx.span(site), store, key=key)
        return None

    def _parameter_path(self, function: Node, key: Node | None) -> str:
        """ "0" when ``key`` is ``function``'s first parameter, "1.id" for `config.id` of its
        second; "" for anything else (a local, a computed value, a deeper path)."""
        prop = ""
        if key is not None and key.type == "member_expression":
            prop = member_property(key) or ""
            key = key.child_by_field_name("object")
        if key is None or key.type != "identifier":
            return ""
        binding = self.ctx.scopes.resolve(key)
        destructured = _destructured_property(binding) if not prop else None
        if destructured is not None:
            # `const { name } = config`: the key is `config.name` (peppermint's OAuth clients)
            key, prop = destructured
            binding = self.ctx.scopes.resolve(key)
        for index, name in enumerate(plain_parameters(function) or []):
            if binding is not None and name.id == binding.node.id:
                return f"{index}.{prop}" if prop else str(index)
        return ""

    def _growth_in(self, function: Node) -> Iterator[tuple[str, Node, bool]]:
        """(store name, growth site, dynamic) for module-level names grown in ``function``."""
        for call in self._own(function):
            if call.type != "call_expression":
                continue
            callee = call.child_by_field_name("function")
            receiver = callee.child_by_field_name("object") if callee is not None else None
            if receiver is None or receiver.type != "identifier":
                continue
            if member_property(callee) in GROWING_METHODS and self._module_level(receiver):
                yield text(receiver), call, _dynamic_arguments(call)
        for target in self.captures.get("subscript_target", ()):
            receiver = target.child_by_field_name("object")
            if (
                receiver is not None
                and receiver.type == "identifier"
                and self.ctx.enclosing_function(target) == function
                and self._module_level(receiver)
            ):
                index = target.child_by_field_name("index")
                yield text(receiver), target, _varying_key(index)

    def _module_level(self, identifier: Node) -> bool:
        binding = self.ctx.scopes.resolve(identifier)
        return (
            binding is not None
            and self.ctx.enclosing_function(binding.node) is None
            and text(identifier) in self.locals
        )

    def _bounded(self, value: Node) -> bool:
        """Whether this file ever removes from, resets or size-checks the store ``value`` is
        the initial value of."""
        declarator = self.ctx.ancestry.parent(value)
        if declarator is not None and declarator.type == "pair":
            return self._entry_bounded(declarator)
        name = declarator.child_by_field_name("name") if declarator is not None else None
        if name is None or name.type != "identifier":
            return False
        binding = self.ctx.scopes.resolve(name)
        if binding is None:
            return False
        return any(_shrinks(self.ctx, ref) for ref in references_of(self.ctx, binding))

    def _entry_bounded(self, pair: Node) -> bool:
        """Whether this file removes from, resets or size-checks the store an entry of a
        module-level object holds (`const Context = { sessions: new Map() }`: a
        `Context.sessions.delete(id)` of this file bounds it)."""
        up = self.ctx.ancestry
        key = pair.child_by_field_name("key")
        holder = up.parent(pair)
        declarator = up.parent(holder) if holder is not None else None
        if key is None or declarator is None or declarator.type != "variable_declarator":
            return False
        name = declarator.child_by_field_name("name")
        binding = self.ctx.scopes.resolve(name) if name is not None else None
        if binding is None:
            return False
        entry = string_value(key) or text(key)
        for ref in references_of(self.ctx, binding):
            member = accessed_member(up, ref)
            if (
                member is not None
                and member_property(member) == entry
                and _shrinks(self.ctx, member)
            ):
                return True
        return False

    # -- helpers ------------------------------------------------------------------------------

    def _own(self, function: Node) -> list[Node]:
        """Calls and `new`s inside ``function`` itself, not in nested functions (grouped once
        per file: a module of 300 exported functions must not rescan every call 300 times)."""
        if self._by_function is None:
            self._by_function = {}
            for node in (*self.captures.get("call", ()), *self.captures.get("new", ())):
                if not self._may_matter(node):
                    continue
                holder = self.ctx.enclosing_function(node)
                if holder is not None:
                    self._by_function.setdefault(holder.id, []).append(node)
        return self._by_function.get(function.id, [])

    def _may_matter(self, node: Node) -> bool:
        """A call or `new` that can make a client (its callee starts from an imported name)
        or grow a module-level name: the only ones ``_factory`` and ``_grower`` look at."""
        field_name = "constructor" if node.type == "new_expression" else "function"
        callee = node.child_by_field_name(field_name)
        if _root_identifier(callee) in self.imported:
            return True
        if callee is None or callee.type != "member_expression":
            return False
        receiver = callee.child_by_field_name("object")
        return (
            receiver is not None
            and receiver.type == "identifier"
            and member_property(callee) in GROWING_METHODS
            and text(receiver) in self.locals
        )

    def _callee_symbol(self, node: Node) -> Symbol | None:
        field_name = "constructor" if node.type == "new_expression" else "function"
        return self.ctx.imports.resolve(node.child_by_field_name(field_name))

    def _client_spec(self, node: Node) -> ClientSpec | None:
        if node.id not in self._specs:
            self._specs[node.id] = self._find_client_spec(node)
        return self._specs[node.id]

    def _find_client_spec(self, node: Node) -> ClientSpec | None:
        field_name = "constructor" if node.type == "new_expression" else "function"
        if _root_identifier(node.child_by_field_name(field_name)) not in self.imported:
            return None  # clients come from libraries: an expression of local names is none
        symbol = self._callee_symbol(node)
        if symbol is None or symbol.module == GLOBAL:
            return None
        if self._clients is None:
            clients, _ = configured_specs(self.ctx.settings.resources)
            # The link's facts are about connections (LL003's factories, LL006's pools); the
            # table's other kinds (LL010's handles) are judged within their file.
            self._clients = tuple(s for s in clients if s.kind == CLIENT)
        return next((s for s in self._clients if s.matches(symbol)), None)

    def _returned(self, function: Node) -> list[Node]:
        if function.id not in self._returns:
            self._returns[function.id] = returned_values(function)
        return self._returns[function.id]

    def _has_module_pool(self) -> bool:
        """Whether a module-level name of this file is bound to a pool (what a checkout
        factory's `pool.connect()` must be called on), worked out once per file."""
        if self._module_pools is None:
            self._module_pools = any(
                spec is not None and "pool" in spec.label.lower()
                for value in self.locals.values()
                for spec in (self._client_spec(unwrap_awaited(value) or value),)
            )
        return self._module_pools


_REFERENCE_TYPES = frozenset({"identifier", "shorthand_property_identifier"})
_REQUIRE = ("call_expression",)  # `require('./pinger')(logger)`: a module loaded where it is used


def _local_name(target: Node) -> str:
    """The name a file gives a default import it uses (`cache` of `cache.set(…)`); "" for a
    module loaded on the spot (`require('./cache').set(…)`)."""
    root = _root_identifier(target)
    return root.decode("utf-8", "replace") if root is not None and root != b"require" else ""


def _relative(specifier: str) -> bool:
    """`./db`, `../lib/redis`, `/abs/path`, `#internal`: a specifier that names a file of the
    project (a bare one, `ioredis`, is a package: of node_modules, or a workspace's)."""
    return specifier.startswith((".", "/", "#"))


def _in_loop(ctx: FileContext, site: Node, function: Node | None) -> bool:
    """Whether ``site`` can run more than once per run of ``function`` (None: module level):
    inside a loop, or inside a per-element callback (`items.forEach(x => start(x))`), which
    ``frequency`` looks through as part of the code around it."""
    return next(loop_ancestors(ctx.ancestry, site, stop=function), None) is not None


class _Mentions:
    """Imported names (and modules loaded inside functions) mentioned other than by calling,
    constructing or reading a member of them: handed to code that may run them any number of
    times, so the link cannot tell that their callers run once (``PASS`` uses)."""

    def __init__(self, ctx: FileContext, imported: frozenset[bytes]) -> None:
        self.ctx = ctx
        self.imported = imported

    def passes(self) -> Iterator[Use]:
        data, root = self.ctx.source.data, self.ctx.tree.root_node
        seen: set[tuple[str, str]] = set()
        declared = _import_ranges(root)
        for start, end in self._mentions(data):
            if any(first <= start < last for first, last in declared):
                continue  # the import or require that binds the name
            ref = root.descendant_for_byte_range(start, end)
            if ref is None or ref.type not in _REFERENCE_TYPES:
                continue
            found = self._passed(ref)
            if found is not None and found[:2] not in seen:
                seen.add(found[:2])
                yield self.use(*found)
        if b"require" in self.imported:
            for found in self._loaded_inside_functions():
                if found[:2] not in seen:
                    seen.add(found[:2])
                    yield self.use(*found)

    def _mentions(self, data: bytes) -> Iterator[tuple[int, int]]:
        """Where the imported names occur as words, in one scan of the file for all of them,
        less the spellings that cannot hand a value on: `name(` (a call), `new name`, `.name`
        (a property; `...name`, a spread, stays)."""
        names = self.imported - {b"require"}
        for start, end in _leftmost_longest(data, names):
            if data[end : end + 1] == b"(" or data[max(start - 4, 0) : start] == b"new ":
                continue
            if data[start - 1 : start] == b"." and data[max(start - 3, 0) : start] != b"...":
                continue
            yield start, end

    def _passed(self, ref: Node) -> tuple[str, str, Node] | None:
        """(specifier, imported name, site) when ``ref`` hands an imported value on."""
        up = self.ctx.ancestry
        parent = up.parent(ref)
        if parent is None or _declares(parent, ref):
            return None
        target = ref
        if _is_member_object(parent, ref) and member_property(parent) not in _INVOKING:
            target = parent  # `lib.start`: the member of a namespace or CommonJS object
            parent = up.parent(parent)
        if not _hands_on(parent, target):
            return None
        symbol = self.ctx.imports.resolve(target)
        if symbol is None or symbol.module in (GLOBAL, "") or symbol.module in _NODE_BUILTINS:
            return None
        path = symbol.normalised
        if len(path) > 1:
            return None
        # A whole module handed on (`import * as lib`, a CommonJS `lib` whose members are
        # called elsewhere, a default-exported function): every name of it may be run.
        return symbol.module, path[0] if path else "*", target

    def _loaded_inside_functions(self) -> Iterator[tuple[str, str, Node]]:
        """`const lib = require('./lib')` inside a function, or `module.exports =
        require('./lib')`: its names are not followed, so every export of that module counts
        as handed on ("*"); one called or read on the spot (`require('./pinger')(logger)`) is
        a use like any other, and a module-level `const lib = require('./lib')` is followed."""
        up = self.ctx.ancestry
        for start, end in word_occurrences(self.ctx.source.data, "require"):
            name = self.ctx.tree.root_node.descendant_for_byte_range(start, end)
            call = up.parent(name) if name is not None else None
            if call is None or call.type != "call_expression":
                continue
            value, parent = call, up.parent(call)
            if _is_member_object(parent, call) and member_property(parent) not in _INVOKING:
                value, parent = parent, up.parent(parent)  # `require('./a').start`
            if parent is None or not _hands_on(parent, value):
                continue
            if parent.type == "variable_declarator" and self.ctx.enclosing_function(call) is None:
                continue  # bound at module level: the mentions of its name are followed
            module = self.ctx.imports.require_call_module(call)
            if module is None or _is_builtin(module):
                continue
            member = member_property(value) if value.id != call.id else None
            yield module, member or "*", value

    def use(self, specifier: str, imported: str, site: Node) -> Use:
        return Use(
            specifier=specifier,
            imported=imported,
            action=PASS,
            span=self.ctx.span(site),
            rate="",
            reason="",
            repeats=True,
            context=self.ctx.context_name(site),
        )


# Bytes that continue an identifier after a name (`(?![\w$])`), and before it (`#` too: a
# `#private` name is another name).
_WORD_AFTER = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$")
_WORD_BEFORE = _WORD_AFTER | {ord("#")}


def _leftmost_longest(data: bytes, names: frozenset[bytes]) -> list[tuple[int, int]]:
    r"""The matches of ``(?<![\w$#])(?:name|…)(?![\w$])`` (names longest first) that
    ``re.finditer`` gives, position for position — from a literal search per name: the
    alternation had to be compiled afresh for every file (its names are the file's imports),
    which cost more than the scan."""
    found: list[tuple[int, int]] = []
    size = len(data)
    for name in names:
        length = len(name)
        at = data.find(name)
        while at != -1:
            end = at + length
            if (at == 0 or data[at - 1] not in _WORD_BEFORE) and (
                end == size or data[end] not in _WORD_AFTER
            ):
                found.append((at, end))
            at = data.find(name, at + 1)
    # At one position the regex takes the first alternative that matches, the longest; it
    # then goes on after that match, so a match starting inside it is never tried.
    found.sort(key=lambda span: (span[0], span[0] - span[1]))
    kept: list[tuple[int, int]] = []
    reached = 0
    for start, end in found:
        if start >= reached:
            kept.append((start, end))
            reached = end
    return kept


def _import_ranges(root: Node) -> list[tuple[int, int]]:
    """The byte ranges of the module-level imports and `const x = require(…)` declarations."""
    found = []
    for statement in root.named_children:
        if statement.type == "import_statement":
            found.append((statement.start_byte, statement.end_byte))
        elif statement.type in ("lexical_declaration", "variable_declaration"):
            for declarator in statement.named_children:
                value = declarator.child_by_field_name("value")
                pattern = declarator.child_by_field_name("name")
                if value is not None and pattern is not None and _required(value) is not None:
                    found.append((pattern.start_byte, pattern.end_byte))
    return found


# Members of a function that call it or hand it on: `start.call(this)`, `handler.bind(app)`.
_INVOKING = frozenset({"call", "apply", "bind"})


def _declares(parent: Node, ref: Node) -> bool:
    """``ref`` is the name an import or a module-level require binds, not a mention of it."""
    if parent.type in (
        "import_specifier",
        "import_clause",
        "namespace_import",
        "import_require_clause",
    ):
        return True
    if parent.type == "variable_declarator":
        return parent.child_by_field_name("name") == ref
    return parent.type in ("pair_pattern", "object_pattern", "array_pattern")


def _is_member_object(parent: Node | None, node: Node) -> bool:
    return (
        parent is not None
        and parent.type == "member_expression"
        and parent.child_by_field_name("object") == node
    )


def _hands_on(parent: Node | None, node: Node) -> bool:
    """Whether the value of ``node`` goes to code that may run it: anything but being called,
    constructed, or having a member read or written (calls and `new`s are uses of their own;
    `pool.connect()`, `store.set()` and `Database.pool` are what the summary follows)."""
    if parent is None:
        return False
    if parent.type == "call_expression" and parent.child_by_field_name("function") == node:
        return False
    if parent.type == "new_expression" and parent.child_by_field_name("constructor") == node:
        return False
    if _is_member_object(parent, node):
        return member_property(parent) in _INVOKING
    if parent.type == "subscript_expression" and parent.child_by_field_name("object") == node:
        return False
    if parent.type in ("parenthesized_expression", "await_expression", "non_null_expression"):
        return True  # `(0, lib.start)()` and the like: not worth following
    return parent.type != "expression_statement"


# Where a use of a local hands the value to code that may own it from then on. (Passing it as
# an argument does not, when this code closes it itself: `setParams(client, p)` only uses it.)
_HANDED_ON = frozenset(
    {"return_statement", "pair", "array", "assignment_expression", "arrow_function"}
)
_PASS_THROUGH = frozenset({"await_expression", "parenthesized_expression"})


def references_of(ctx: FileContext, binding: Binding) -> Iterator[Node]:
    """The identifiers in ``binding``'s scope that refer to it, the declaring one excluded.

    Found in the bytes of the scope and looked up in the tree, rather than through
    ``ctx.references``: that is a query pass over the whole file for every identifier, which
    the summary would otherwise start in most files only to look at one variable."""
    start, end = binding.scope_range
    root = ctx.tree.root_node
    spelled = binding.name.encode("utf-8")
    for first, last in word_occurrences_within(ctx.source.data, binding.name, start, end):
        ref = root.descendant_for_byte_range(first, last)
        if ref is None or ref.type not in _REFERENCE_TYPES or ref.id == binding.node.id:
            continue
        if ref.text != spelled:
            continue
        found = ctx.scopes.resolve(ref, binding.name)
        if found is not None and found.node.id == binding.node.id:
            yield ref


class _ClassFields:
    """What a class body does with its `this.<field>` containers: which it initialises as
    empty containers, which its growing methods (`set`, `add`, `push`, `unshift`) add to with
    varying keys or values, and which it ever shrinks, size-checks or replaces."""

    def __init__(self, ctx: FileContext, declaration: Node) -> None:
        self.ctx = ctx
        self.containers: set[str] = set()
        self.grown: dict[str, Node] = {}
        self.shrunk: set[str] = set()
        body = declaration.child_by_field_name("body")
        if body is None:
            return
        for member in body.named_children:
            if member.type in ("field_definition", "public_field_definition"):
                key = member.child_by_field_name("name") or member.child_by_field_name("property")
                value = member.child_by_field_name("value")
                if key is not None and value is not None and _is_container(ctx, value):
                    self.containers.add(text(key))
        for node in identifiers_in(body, frozenset({"member_expression"})):
            receiver = node.child_by_field_name("object")
            if receiver is not None and receiver.type == "this":
                self._field_use(node, member_property(node) or "")

    def _field_use(self, field: Node, name: str) -> None:
        up = self.ctx.ancestry
        parent = up.parent(field)
        if parent is None:
            return
        method = self._method_name(field)
        if parent.type == "assignment_expression" and parent.child_by_field_name("left") == field:
            right = parent.child_by_field_name("right")
            if method == "constructor" and right is not None and _is_container(self.ctx, right):
                self.containers.add(name)
            else:
                self.shrunk.add(name)  # replaced: a reset bounds it
            return
        if parent.type == "subscript_expression" and parent.child_by_field_name("object") == field:
            grand = up.parent(parent)
            if grand is not None and grand.type == "unary_expression":
                if not readds_removed_key(self.ctx, field):
                    self.shrunk.add(name)  # `delete this.pages[key]`, not to renew it
            elif (
                grand is not None
                and grand.type == "assignment_expression"
                and grand.child_by_field_name("left") == parent
                and method in GROWING_METHODS
                and not _is_literal(parent.child_by_field_name("index"))
            ):
                self.grown.setdefault(name, grand)
            return
        if parent.type != "member_expression" or parent.child_by_field_name("object") != field:
            return
        prop = member_property(parent)
        if prop in SHRINKING_METHODS or is_size_check(up, parent):
            if not readds_removed_key(self.ctx, field):
                self.shrunk.add(name)
            return
        call = up.parent(parent)
        if (
            prop in GROWING_METHODS
            and method in GROWING_METHODS
            and call is not None
            and call.type == "call_expression"
            and call.child_by_field_name("function") == parent
            and _dynamic_arguments(call)
        ):
            self.grown.setdefault(name, call)

    def _method_name(self, node: Node) -> str:
        function = self.ctx.enclosing_function(node)
        while function is not None and function.type != "method_definition":
            function = self.ctx.enclosing_function(function)
        name = function.child_by_field_name("name") if function is not None else None
        return text(name) if name is not None else ""


def _instance_code(declaration: Node) -> Iterator[Node]:
    """The code of a class that runs once per `new`: its constructor and its instance field
    initialisers (what ``frequency`` counts as once per instance)."""
    body = declaration.child_by_field_name("body")
    for member in body.named_children if body is not None else ():
        if member.type in FIELD_NODES and not is_static_member(member):
            yield member
        elif member.type == "method_definition":
            name = member.child_by_field_name("name")
            if name is not None and name.text == b"constructor":
                yield member


def _instance_methods(declaration: Node) -> Iterator[Node]:
    body = declaration.child_by_field_name("body")
    for member in body.named_children if body is not None else ():
        if member.type == "method_definition" and not is_static_member(member):
            yield member


def _name(node: Node) -> str:
    return string_value(node) or text(node) if node.type == "string" else text(node)


def _object_entries(node: Node) -> Iterator[tuple[str, Node]]:
    for entry in node.named_children:
        if entry.type == "shorthand_property_identifier":
            yield text(entry), entry
        elif entry.type == "pair":
            key, value = entry.child_by_field_name("key"), entry.child_by_field_name("value")
            if key is not None and value is not None:
                yield (string_value(key) or text(key)), value
        elif entry.type == "method_definition":
            key = entry.child_by_field_name("name")
            if key is not None:
                yield text(key), entry


def _settled(value: Node) -> Node:
    """What ``value`` settles to: through `await`, parentheses and self-returning calls."""
    current = unwrap_awaited(value) or value
    while current.type == "call_expression":
        callee = current.child_by_field_name("function")
        if member_property(callee) not in _SELF_RETURNING or callee is None:
            break
        receiver = callee.child_by_field_name("object")
        if receiver is None:
            break
        current = unwrap_awaited(receiver) or receiver
    return current


def _is_container(ctx: FileContext, value: Node) -> bool:
    value = unwrap_awaited(value) or value
    if value.type in ("object", "array"):
        return not value.named_children
    if value.type == "new_expression":
        symbol = ctx.imports.resolve(value.child_by_field_name("constructor"))
        return (
            symbol is not None
            and symbol.module == GLOBAL
            and symbol.path[:1]
            in (
                ("Map",),
                ("Set",),
            )
        )
    return False


def _is_literal(node: Node | None) -> bool:
    return node is not None and (
        node.type in ("number", "true", "false", "null")
        or (node.type in ("string", "template_string") and string_value(node) is not None)
    )


def _dynamic_arguments(call: Node) -> bool:
    """`.set(key, v)` with a key that varies; `.push(v)` / `.add(v)` with any non-literal."""
    arguments = call_arguments(call)
    return bool(arguments) and _varying_key(arguments[0])


def _destructured_property(binding: Binding | None) -> tuple[Node, str] | None:
    """(`config`, "name") for a local declared `const { name } = config` (or `{ name: n }`)
    from a plain name; None for any other."""
    if binding is None or binding.declaration is None:
        return None
    declaration = binding.declaration
    pattern = declaration.child_by_field_name("name")
    source = declaration.child_by_field_name("value")
    if (
        declaration.type != "variable_declarator"
        or pattern is None
        or pattern.type != "object_pattern"
        or source is None
        or source.type != "identifier"
    ):
        return None
    declared = binding.node
    parent = declared.parent
    if declared.type == "shorthand_property_identifier_pattern" and parent == pattern:
        return source, text(declared)
    if parent is not None and parent.type == "pair_pattern" and parent.parent == pattern:
        name = parent.child_by_field_name("key")
        if name is not None and parent.child_by_field_name("value") == declared:
            return source, text(name)
    return None


def _growth_key(site: Node) -> Node | None:
    """The key of a growth: `k` of `store.set(k, v)` / `.add(k)`, or of `store[k] = v`."""
    if site.type == "subscript_expression":
        return site.child_by_field_name("index")
    arguments = call_arguments(site) if site.type == "call_expression" else []
    return arguments[0] if arguments else None


def _origins_may_matter(action: str, frequency: Frequency) -> bool:
    """Whether the link may ask where a call's arguments come from (LL005's growers): a call
    in code that runs per request, or in a function that takes the request (`(ctx)`: its
    callers elsewhere may run it per request, and its arguments may come from that `ctx` —
    shieldy, audit 11). Not any other "per call" call: its arguments are that function's
    parameters, which the analysis does not follow across modules (so they would be the
    project's anyway), and such calls are most of a library's (asking of them all cost a sixth
    of a cold `--project` run on the benchmark corpus)."""
    if action != CALL:
        return False
    return frequency.rate.value in PER_REQUEST_RATES or takes_request(frequency.function)


def _literal_arguments(call: Node) -> str:
    """``Use.constants``: "0,1.id" for `f('a', { id: 'b', url })`."""
    found: list[str] = []
    for index, argument in enumerate(call_arguments(call)):
        if _is_literal(argument):
            found.append(str(index))
        elif argument.type == "object":
            found.extend(
                f"{index}.{key}" for key, value in _object_entries(argument) if _is_literal(value)
            )
    return ",".join(found)


def _varying_key(key: Node | None) -> bool:
    """A key (or pushed value) that takes new values as the code runs: not a literal, nor one
    from a small fixed domain (``nodes.is_bounded_key``: a Discord guild, a language)."""
    return key is not None and not _is_literal(key) and not is_bounded_key(key)


def _shrinks(ctx: FileContext, ref: Node) -> bool:
    """A reference that removes from the store, resets it or checks its size (a delete of the
    key its function then adds again only renews an entry: ``flow.readds_removed_key``)."""
    up = ctx.ancestry
    parent = up.parent(ref)
    if parent is None:
        return False
    if parent.type == "member_expression" and parent.child_by_field_name("object") == ref:
        if is_size_check(up, parent):
            return True
        return member_property(parent) in SHRINKING_METHODS and not readds_removed_key(ctx, ref)
    if parent.type == "subscript_expression":
        grand = up.parent(parent)
        return (
            grand is not None
            and grand.type == "unary_expression"
            and text(grand).startswith("delete")
            and not readds_removed_key(ctx, ref)
        )
    if parent.type == "assignment_expression":
        return parent.child_by_field_name("left") == ref  # reset: `store = {}`
    # Object.keys(store).length and the like, or a store handed to a function that may
    # clear it: counted as bounded, as LL005 does.
    return parent.type in ("call_expression", "arguments")


# -- re-exports ---------------------------------------------------------------------------------


def _reexports(ctx: FileContext) -> Iterator[ReExport]:
    for statement in ctx.tree.root_node.named_children:
        if statement.type != "export_statement":
            continue
        specifier = string_value(statement.child_by_field_name("source"))
        if not specifier:
            continue
        clauses = [c for c in statement.named_children if c.type == "export_clause"]
        if not clauses:
            if not any(c.type == "namespace_export" for c in statement.named_children):
                yield ReExport("*", specifier, "*")
            continue
        for item in clauses[0].named_children:
            local = item.child_by_field_name("name")
            alias = item.child_by_field_name("alias")
            if local is not None:
                yield ReExport(_name(alias or local), specifier, _name(local))


def _namespace_reexports(ctx: FileContext) -> Iterator[Use]:
    """`export * as lib from './lib'`: the names of './lib' reached through `lib` are not
    followed, so the whole module counts as handed on (``PASS`` "*")."""
    for statement in ctx.tree.root_node.named_children:
        if statement.type != "export_statement":
            continue
        specifier = string_value(statement.child_by_field_name("source"))
        if specifier and any(c.type == "namespace_export" for c in statement.named_children):
            yield Use(specifier, "*", PASS, ctx.span(statement), "", "", True)


# -- uses of imported names ---------------------------------------------------------------------


class _Uses:
    def __init__(
        self,
        ctx: FileContext,
        captures: dict[str, list[Node]],
        exported: dict[int, str],
        imported: frozenset[bytes],
        method_owners: dict[int, str] | None = None,
        packages: frozenset[bytes] = frozenset(),
    ) -> None:
        self.ctx = ctx
        self.captures = captures
        self.exported = exported
        self.imported = imported
        self.method_owners = method_owners or {}
        # Names bound to bare package specifiers only: their mentions are not scanned (the
        # summary lists the specifiers as ``unfollowed`` instead).
        self.packages = packages
        self._extending: list[tuple[int, int]] | None = None
        self._methods: dict[int, frozenset[str]] = {}
        self.checkout_methods = pool_checkout_methods(ctx.settings.resources)

    def collect(self) -> Iterator[Use]:
        for call in self.captures.get("call", ()):
            yield from self._call(call)
        for new in self.captures.get("new", ()):
            use = self._use_of(new.child_by_field_name("constructor"), new, NEW)
            if use is not None:
                yield use
        yield from _Mentions(self.ctx, self.imported - self.packages).passes()
        for target in self.captures.get("subscript_target", ()):
            yield from self._receiver_use(
                target, GROW, _varying_key(target.child_by_field_name("index"))
            )
        for target in self.captures.get("deleted", ()):
            store = target.child_by_field_name("object")
            for use in self._receiver_use(target, SHRINK, True):
                if store is None or not readds_removed_key(self.ctx, store):
                    yield use  # not a renewal: `delete cache[k]` before `cache[k] = …`
        for prop in self.captures.get("size_property", ()):
            member = self.ctx.ancestry.parent(prop)
            if member is not None and is_size_check(self.ctx.ancestry, member):
                yield from self._receiver_use(member, SHRINK, True)

    def _call(self, call: Node) -> Iterator[Use]:
        callee = call.child_by_field_name("function")
        if callee is None:
            return
        method = member_property(callee) if callee.type == "member_expression" else None
        read = self._read(call)
        if read is not None:
            yield read  # and whatever else the call is: `await connect('url')` may be a factory
        if method is not None and method in self.checkout_methods and call_arguments(call):
            return  # callback-style `pool.connect((err, client, done) => …)`: LL006's own
        if method is not None and method in self.checkout_methods:
            found = self._use_of(callee.child_by_field_name("object"), call, CHECKOUT)
            if found is not None:
                yield found
                return
        if method in LISTENING_METHODS:
            found = self._use_of(callee.child_by_field_name("object"), call, LISTEN)
            if found is not None:
                yield found
                return
        if method in GROWING_METHODS or method in SHRINKING_METHODS:
            action = GROW if method in GROWING_METHODS else SHRINK
            receiver = callee.child_by_field_name("object")
            found = self._use_of(receiver, call, action)
            if found is not None:
                # `if (expired) sessions.delete(id)` before `sessions.set(id, …)` renews an
                # entry: not a removal
                if not (method == "delete" and receiver and readds_removed_key(self.ctx, receiver)):
                    yield found
                return
        if method is not None and self._subclasses():
            inherited = self._inherited_call(call, callee, method)
            if inherited is not None:
                yield inherited
                return
        use = self._use_of(callee, call, CALL)
        if use is not None:
            yield use

    def _inherited_call(self, call: Node, callee: Node, method: str) -> Use | None:
        """`this.getClient()` in a class that extends an imported class and has no
        `getClient` of its own: a call of the base class's method ("Base.getClient")."""
        receiver = callee.child_by_field_name("object")
        if receiver is None or receiver.type != "this":
            return None
        if not any(start <= call.start_byte < end for start, end in self._subclasses()):
            return None  # most files: no class of theirs extends an imported one
        holder = self.ctx.enclosing_function(call)
        while holder is not None and holder.type == "arrow_function":
            holder = self.ctx.enclosing_function(holder)  # arrows keep `this`
        body = holder.parent if holder is not None else None
        if holder is None or holder.type != "method_definition" or body is None:
            return None
        base = superclass(body.parent)
        if base is None or _root_identifier(base) not in self.imported:
            return None  # most classes: no imported base, and no walk of the body
        if method in self._own_methods(body):
            return None  # its own method: the file's own check follows it
        return self._use_of(base, call, CALL, member=method)

    def _own_methods(self, body: Node) -> frozenset[str]:
        """The names of a class body's instance methods (what ``class_method(…,
        instance_only=True)`` finds), read once per class rather than once per `this.m()`."""
        if body.id not in self._methods:
            self._methods[body.id] = frozenset(
                text(name)
                for member in body.named_children
                if member.type == "method_definition" and not is_static_member(member)
                for name in (member.child_by_field_name("name"),)
                if name is not None
            )
        return self._methods[body.id]

    def _subclasses(self) -> list[tuple[int, int]]:
        """The byte ranges of the classes of this file that extend an imported name (where a
        `this.m()` may be the base's), found from the word `extends` (computed once)."""
        if self._extending is None:
            self._extending = []
            root = self.ctx.tree.root_node
            for start, end in word_occurrences(self.ctx.source.data, "extends"):
                node = root.descendant_for_byte_range(start, end)
                while node is not None and node.type not in CLASS_NODES:
                    if node.type not in ("extends", "extends_clause", "class_heritage"):
                        node = None
                        break
                    node = self.ctx.ancestry.parent(node)
                base = superclass(node)
                if node is not None and _root_identifier(base) in self.imported:
                    self._extending.append((node.start_byte, node.end_byte))
        return self._extending

    def _read(self, call: Node) -> Use | None:
        """`Order.find()` on an imported `Order`: a whole-collection read if the link finds that
        `Order` is a model of a library whose read this call's shape is (LL012)."""
        callee = call.child_by_field_name("function")
        root = _root_identifier(callee)
        if root is not None and root not in self.imported:
            # The receiver lies on the way from the callee to that name (`read_receiver`
            # unwraps no more than `_root_identifier` walks through, on that way): a local.
            return None
        method = member_property(callee) if callee is not None else None
        if method not in READ_METHODS and len(call_arguments(call)) != 1:
            return None  # neither a read method nor knex's `db('table')`: most calls end here
        receiver = read_receiver(call)
        if receiver is None or _root_identifier(receiver) not in self.imported:
            return None
        shapes = read_shapes(self.ctx, call)
        if not shapes:
            return None
        use = self._use_of(receiver, call, READ)
        return replace(use, reads=",".join(sorted(shapes))) if use is not None else None

    def _receiver_use(self, member: Node, action: str, dynamic: bool) -> Iterator[Use]:
        use = self._use_of(member.child_by_field_name("object"), member, action, dynamic)
        if use is not None:
            yield use

    def _use_of(
        self,
        target: Node | None,
        site: Node,
        action: str,
        dynamic: bool | None = None,
        member: str = "",
    ) -> Use | None:
        """The use ``site`` makes of the imported name ``target`` denotes (with ``member``:
        of that method of the imported class, as "Class.method")."""
        if target is None or target.type not in ("identifier", "member_expression", *_REQUIRE):
            return None
        if _root_identifier(target) not in self.imported:
            return None  # `require` is one when the file loads a module inside a function
        symbol = self.ctx.imports.resolve(target)
        if symbol is None or symbol.module in (GLOBAL, "") or symbol.module in _NODE_BUILTINS:
            return None
        path = symbol.normalised
        if len(path) > 1:
            return None  # `db.pool.connect` — a member of an export, not the export itself
        if not _relative(symbol.module) and (
            action == NEW or _root_identifier(target) == b"require"
        ):
            # `new Redis()`, `require('debug')('app')`: almost always a package of node_modules,
            # where the frequency would be wasted; a workspace package's class or a module
            # loaded on the spot may still be one of the project's, so its exports are handed
            # on (never proven to run once) rather than followed.
            return _Mentions(self.ctx, self.imported).use(
                symbol.module, path[0] if path else "*", site
            )
        frequency = how_often(self.ctx, site)
        function = frequency.function
        caller = self.exported.get(function.id, "") if function is not None else ""
        if not caller and function is not None and frequency.rate is Rate.PER_INSTANCE:
            caller = self.method_owners.get(function.id, "")  # `start()`: once per instance
        if dynamic is None:
            dynamic = _dynamic_arguments(site) if action != CALL else True
        handled = action in (CALL, CHECKOUT) and self._caller_keeps(
            site, _GIVING_BACK if action == CALL else RELEASE_METHODS
        )
        return Use(
            specifier=symbol.module,
            imported=".".join(filter(None, (path[0] if path else "default", member))),
            action=action,
            span=self.ctx.span(site),
            rate=frequency.rate.value,
            reason=frequency.reason,
            repeats=frequency.repeats,
            # A CALL may be of a client factory or a checkout factory: the link tells which,
            # so either way of giving the result back counts.
            handled=handled,
            unclosed_by=self._unclosed_by(site) if action == CALL else "",
            constants=_literal_arguments(site) if action == CALL else "",
            origins=argument_origins(self.ctx, site)
            if _origins_may_matter(action, frequency)
            else "",
            dynamic=dynamic,
            context=self.ctx.context_name(site),
            snippet=self.ctx.text(site)[:400],
            caller=caller,
            looped=action in (CALL, NEW) and _in_loop(self.ctx, site, function),
            helper=self._helper(site)
            if action == CHECKOUT or (action == CALL and not handled)
            else "",
            local=_local_name(target) if not path else "",
        )

    def _result_binding(self, call: Node) -> tuple[Node, Binding] | None:
        """`const client = await getClient()`: (the outermost value — the call through
        `await` and parentheses —, the local's binding) when ``call``'s result is declared as
        a plain local; else None."""
        up = self.ctx.ancestry
        value, parent = call, up.parent(call)
        while parent is not None and parent.type in _PASS_THROUGH:
            value, parent = parent, up.parent(parent)
        if parent is None or parent.type != "variable_declarator":
            return None
        name = parent.child_by_field_name("name")
        if name is None or name.type != "identifier":
            return None
        binding = self.ctx.scopes.resolve(name)
        if binding is None or binding.node.id != name.id:
            return None
        return value, binding

    def _helper(self, checkout: Node) -> str:
        """The imported functions a checkout's connection is handed to (`release(client)`), as
        ``Use.helper`` writes them; "" when there is none. Every one, not the first: the
        release helper is often the last (joplin: `dropTables(db); disconnectDb(db)`)."""
        up = self.ctx.ancestry
        declared = self._result_binding(checkout)
        if declared is None:
            return ""
        helpers: list[str] = []
        for ref in references_of(self.ctx, declared[1]):
            holder = up.parent(ref)
            call = up.parent(holder) if holder is not None else None
            if holder is None or holder.type != "arguments" or call is None:
                continue
            callee = call.child_by_field_name("function")
            if _root_identifier(callee) not in self.imported:
                continue
            symbol = self.ctx.imports.resolve(callee)
            if symbol is None or len(symbol.normalised) > 1 or symbol.module in (GLOBAL, ""):
                continue
            index = [argument.id for argument in call_arguments(call)].index(ref.id)
            imported = symbol.normalised[0] if symbol.normalised else "default"
            helpers.append(f"{symbol.module}\x00{imported}\x00{index}")
        return HELPER_SEPARATOR.join(helpers)

    def _unclosed_by(self, call: Node) -> str:
        """For `const client = getClient(); …; client.destroy()`: the first operation that can
        throw while the result is open and so skip the close (`` `await client.raw(q)` (line
        48)``), by the same path analysis as a client made in the file; "" when every path
        closes it, or the result is not a local that this function closes and keeps to itself
        (returned, stored, passed on: another owner)."""
        up = self.ctx.ancestry
        declared = self._result_binding(call)
        function = self.ctx.enclosing_function(call)
        if function is None or declared is None:
            return ""
        if self.ctx.is_test_file:
            # As in one file (resources, source.is_test_file): a failed test's process is torn
            # down, so test code is told only about a client it never closes. (Asked after the
            # tests above: the file's project path costs a `realpath` to work out.)
            return ""
        value, binding = declared
        releases = []
        for ref in references_of(self.ctx, binding):
            holder = up.parent(ref)
            if holder is None or holder.type in _HANDED_ON:
                return ""  # another owner may close it
            closing = up.parent(holder) if holder.type == "member_expression" else None
            if (
                closing is not None
                and closing.type == "call_expression"
                and release_name(member_property(holder)) in _GIVING_BACK
                and self.ctx.enclosing_function(closing) == function
            ):
                releases.append(closing)
        if not releases:
            return ""
        exits = ReleasePaths(
            function,
            value,
            releases,
            direct_operations(function),
            binding.name,
            up,
            throws=lambda op: can_throw(self.ctx, op),
        ).run()
        trigger = next((e.trigger for e in exits if e.trigger is not None), None)
        if trigger is None:
            return ""
        shown = " ".join(self.ctx.text(trigger).split())  # one line, as messages are
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        return f"`{shown}` (line {self.ctx.source.position(trigger.start_byte).line})"

    def _caller_keeps(self, call: Node, releases: frozenset[str]) -> bool:
        """The caller closes (``releases``) the result, returns it or stores it: its owner is
        known."""
        up = self.ctx.ancestry
        parent = up.parent(call)
        while parent is not None and parent.type in (
            "await_expression",
            "parenthesized_expression",
            "as_expression",
            "non_null_expression",
        ):
            parent = up.parent(parent)
        if parent is None:
            return False
        if parent.type in ("return_statement", "arrow_function", "arguments", "pair", "array"):
            return True
        if parent.type == "assignment_expression":
            return True  # stored on an object or an outer variable
        if parent.type == "member_expression" and release_name(member_property(parent)) in releases:
            return True  # `makeClient().quit()`: closed on the spot
        if parent.type != "variable_declarator":
            return False
        name = parent.child_by_field_name("name")
        if name is None or name.type != "identifier":
            return False
        binding = self.ctx.scopes.resolve(name)
        if binding is None:
            return False
        for ref in references_of(self.ctx, binding):
            holder = up.parent(ref)
            if holder is None:
                continue
            if (
                holder.type == "member_expression"
                and release_name(member_property(holder)) in releases
            ):
                return True
            if holder.type in ("return_statement", "pair", "array", "assignment_expression"):
                return True
        return False
