"""What an expression refers to across modules: ``require`` and ``import`` resolution.

Rules never match names by text. ``new Redis()`` is an ioredis client only when ``Redis``
resolves, through the scope analysis, to ``import Redis from 'ioredis'``,
``const Redis = require('ioredis')``, ``const { Redis } = require('ioredis')``,
``import * as IORedis from 'ioredis'`` + ``IORedis.Redis``, a TypeScript
``import Redis = require('ioredis')``, or compiled ``__importDefault(require('ioredis'))``.

The answer is a ``Symbol``: a module and a path of property names inside it. A path starting
with ``default`` is normalised away, because ES-module interop makes ``require(m)``,
``require(m).default`` and ``import x from m`` the same object for the CommonJS packages that
leaklint cares about.
"""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node

from leaklint.semantic.scope import Binding, ScopeAnalysis

GLOBAL = "<global>"  # the module name of a free (undeclared) name such as `process`
_GLOBAL_OBJECTS = frozenset({"globalThis", "global", "window", "self"})
# Helpers that compilers wrap around require(): the result is the module (or {default: it}).
_INTEROP_HELPERS = frozenset(
    {
        "__importDefault",
        "__importStar",
        "_interopRequireDefault",
        "_interopRequireWildcard",
        "__toESM",
        "_interop_require_default",
        "_interop_require_wildcard",
        "tslib.__importDefault",
    }
)
_MAX_ALIAS_DEPTH = 6


def normalise_module(name: str) -> str:
    """``node:timers`` is ``timers``; ``ioredis/built/index`` stays as written."""
    return name[5:] if name.startswith("node:") else name


@dataclass(frozen=True)
class Symbol:
    module: str
    path: tuple[str, ...] = ()

    @property
    def normalised(self) -> tuple[str, ...]:
        path = self.path
        while path and path[0] == "default":
            path = path[1:]
        return path

    def is_global(self, *path: str) -> bool:
        return self.module == GLOBAL and self.path == path

    def member(self, name: str) -> Symbol:
        if self.module == GLOBAL and self.path in {(g,) for g in _GLOBAL_OBJECTS}:
            return Symbol(GLOBAL, (name,))  # globalThis.setInterval is setInterval
        return Symbol(self.module, (*self.path, name))

    def matches(self, modules: str | tuple[str, ...], *paths: tuple[str, ...]) -> bool:
        """True when this is one of ``modules`` at one of ``paths`` (after default interop)."""
        wanted = (modules,) if isinstance(modules, str) else modules
        return self.module in wanted and self.normalised in paths


def string_value(node: Node | None) -> str | None:
    """The value of a plain string literal (or a template with no substitutions)."""
    if node is None:
        return None
    if node.type == "string":
        fragments = [c for c in node.named_children if c.type == "string_fragment"]
        return "".join(f.text.decode("utf-8", "replace") for f in fragments)
    if node.type == "template_string" and not any(
        c.type == "template_substitution" for c in node.named_children
    ):
        return "".join(
            c.text.decode("utf-8", "replace")
            for c in node.named_children
            if c.type == "string_fragment"
        )
    return None


def unwrap(node: Node | None) -> Node | None:
    """Look through parentheses, TS `as`/`!`/`satisfies` and `(0, f)` sequences (not `await`:
    see ``unwrap_awaited``)."""
    while node is not None:
        if node.type == "parenthesized_expression":
            node = node.named_child(0)
        elif node.type in (
            "as_expression",
            "satisfies_expression",
            "non_null_expression",
            "type_assertion",
        ):
            node = node.named_child(0) if node.type != "type_assertion" else node.named_child(1)
        elif node.type == "sequence_expression":
            node = node.named_children[-1] if node.named_children else None
        else:
            return node
    return None


def unwrap_awaited(node: Node | None) -> Node | None:
    """``unwrap``, and through `await` too: the expression whose value an awaited one settles to
    (`await (pool.connect())` → the call)."""
    node = unwrap(node)
    while node is not None and node.type == "await_expression":
        node = unwrap(node.named_child(0))
    return node


class ImportResolver:
    def __init__(self, scopes: ScopeAnalysis) -> None:
        self.scopes = scopes

    # -- public API ---------------------------------------------------------------------

    def resolve(self, node: Node | None, _depth: int = 0) -> Symbol | None:
        """The module member an expression denotes, or None when it is a local value."""
        node = unwrap(node)
        if node is None or _depth > _MAX_ALIAS_DEPTH:
            return None
        if node.type == "identifier":
            binding = self.scopes.resolve(node)
            if binding is None:
                return Symbol(GLOBAL, (node.text.decode("utf-8", "replace"),))
            return self.binding_symbol(binding, _depth)
        if node.type == "member_expression":
            prop = node.child_by_field_name("property")
            if prop is None or prop.type not in (
                "property_identifier",
                "private_property_identifier",
            ):
                return None
            base = self.resolve(node.child_by_field_name("object"), _depth + 1)
            return base.member(prop.text.decode()) if base is not None else None
        if node.type == "subscript_expression":
            key = string_value(node.child_by_field_name("index"))
            base = self.resolve(node.child_by_field_name("object"), _depth + 1)
            return base.member(key) if base is not None and key is not None else None
        if node.type == "call_expression":
            return self._call_symbol(node, _depth)
        if node.type == "await_expression":
            return self.resolve(node.named_child(0), _depth + 1)
        return None

    def binding_symbol(self, binding: Binding, _depth: int = 0) -> Symbol | None:
        """The module member a declared name was bound to, if it was an import."""
        declaration = binding.declaration
        if binding.kind == "import":
            return self._import_symbol(binding, declaration)
        if declaration.type != "variable_declarator" or binding.kind not in ("const", "var", "let"):
            return None
        name_node = declaration.child_by_field_name("name")
        value = declaration.child_by_field_name("value")
        if name_node is None or value is None:
            return None
        if name_node.type == "identifier":
            if binding.kind != "const" and not self._require_like(value):
                return None  # a `let x = y` alias may be reassigned: not an identity
            return self.resolve(value, _depth + 1)
        # Destructuring: `const { a: b } = require('m')` binds b to m.a.
        base = self.resolve(value, _depth + 1)
        if base is None:
            return None
        keys = _pattern_path(name_node, binding.node)
        return Symbol(base.module, base.path + keys) if keys is not None else None

    def require_call_module(self, node: Node) -> str | None:
        """`require('m')` with an unshadowed `require`: the module name."""
        if node.type != "call_expression":
            return None
        function = node.child_by_field_name("function")
        if function is None or function.type not in ("identifier", "import"):
            return None
        arguments = node.child_by_field_name("arguments")
        if arguments is None or arguments.named_child_count < 1:
            return None
        # `require` must be the real one: a local function called require is not a module load.
        if function.type == "identifier" and (
            function.text != b"require" or self.scopes.resolve(function) is not None
        ):
            return None
        module = string_value(arguments.named_child(0))
        return normalise_module(module) if module else None

    # -- internals ----------------------------------------------------------------------

    def _require_like(self, value: Node) -> bool:
        value = unwrap(value)
        while value is not None and value.type in ("member_expression", "await_expression"):
            value = unwrap(value.named_child(0))
        return (
            value is not None
            and value.type == "call_expression"
            and (
                self.require_call_module(value) is not None
                or self._interop_argument(value) is not None
            )
        )

    def _call_symbol(self, node: Node, depth: int) -> Symbol | None:
        module = self.require_call_module(node)
        if module is not None:
            return Symbol(module)
        inner = self._interop_argument(node)
        if inner is not None:
            return self.resolve(inner, depth + 1)
        return None

    def _interop_argument(self, node: Node) -> Node | None:
        function = unwrap(node.child_by_field_name("function"))
        if function is None:
            return None
        name = function.text.decode("utf-8", "replace") if function.text else ""
        if name.split(".")[-1] not in {h.split(".")[-1] for h in _INTEROP_HELPERS}:
            return None
        arguments = node.child_by_field_name("arguments")
        return arguments.named_child(0) if arguments is not None else None

    def _import_symbol(self, binding: Binding, declaration: Node) -> Symbol | None:
        statement = declaration
        while statement is not None and statement.type != "import_statement":
            statement = statement.parent
        if statement is None:
            return None
        source = statement.child_by_field_name("source")
        module = string_value(source)
        if module is None:  # TS `import x = require('m')`
            for child in statement.named_children:
                if child.type == "import_require_clause":
                    module = string_value(child.child_by_field_name("source"))
                    if module is None:
                        strings = [c for c in child.named_children if c.type == "string"]
                        module = string_value(strings[0]) if strings else None
        if module is None:
            return None
        module = normalise_module(module)
        if declaration.type == "import_clause":
            return Symbol(module, ("default",))
        if declaration.type == "namespace_import" or declaration.type == "import_require_clause":
            return Symbol(module)
        if declaration.type == "import_specifier":
            name = declaration.child_by_field_name("name")
            imported = (
                string_value(name)
                if name is not None and name.type == "string"
                else (name.text.decode() if name is not None else None)
            )
            return Symbol(module, (imported,)) if imported else None
        return None


def _pattern_path(pattern: Node, target: Node) -> tuple[str, ...] | None:
    """The property keys that lead from the destructured value to ``target``."""
    if pattern.id == target.id:
        return ()
    if pattern.type == "object_pattern":
        for child in pattern.named_children:
            if child.type == "shorthand_property_identifier_pattern" and child.id == target.id:
                return (child.text.decode(),)
            if child.type == "object_assignment_pattern":
                left = child.child_by_field_name("left")
                if left is not None and left.id == target.id:
                    return (left.text.decode(),)
            if child.type == "pair_pattern":
                key = child.child_by_field_name("key")
                value = child.child_by_field_name("value")
                if key is None or value is None:
                    continue
                key_text = string_value(key) if key.type == "string" else key.text.decode()
                rest = _pattern_path(value, target)
                if rest is not None and key_text:
                    return (key_text, *rest)
    if pattern.type in ("assignment_pattern",):
        left = pattern.child_by_field_name("left")
        return _pattern_path(left, target) if left is not None else None
    return None
