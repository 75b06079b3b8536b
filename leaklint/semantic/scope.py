"""Scope analysis: which declaration a name refers to, modelled the way eslint-scope does.

Rather than walking every node in Python, one tree-sitter query (run in C) collects every
declaration in the file. Each declaration is assigned the node of the scope it lives in:

* ``var`` (and sloppy-mode function declarations, Annex B) hoist to the nearest function;
* ``let``/``const``/``class``/``enum``/``import`` live in the nearest block;
* parameters live in their function, a catch parameter in its ``catch`` clause, the name of a
  named function or class expression inside that expression only.

Scope nodes nest like the syntax tree, so resolving a name at some position is a range check:
the innermost declaration of that name whose scope contains the position wins. That gives
shadowing, hoisting and closures without a per-node walk, and it runs only for the names a
rule actually asks about.
"""

from __future__ import annotations

import bisect
import json
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from importlib import resources

from tree_sitter import Node, Tree

from leaklint import budget
from leaklint.syntax.parsing import query, run_query, valid_patterns
from leaklint.syntax.source import Language

FUNCTION_SCOPES = frozenset(
    {
        "program",
        "function_declaration",
        "function_expression",
        "function",
        "generator_function_declaration",
        "generator_function",
        "arrow_function",
        "method_definition",
        "class_static_block",
        "internal_module",  # TS namespace: its `var`s stay inside it
        "module",  # TS `declare module Foo { }`
    }
)
FUNCTION_NODES = FUNCTION_SCOPES - {"program", "internal_module", "module"}
LOOP_NODES = frozenset({"for_statement", "for_in_statement", "while_statement", "do_statement"})
BLOCK_SCOPES = FUNCTION_SCOPES | {
    "statement_block",
    "for_statement",
    "for_in_statement",
    "switch_body",
    "catch_clause",
}

# Declarations of every kind, one pattern each; patterns a grammar does not know are dropped
# (the JavaScript grammar has no `enum_declaration`, for instance).
_DECLARATION_PATTERNS = (
    "(variable_declarator name: (_) @var)",
    "(function_declaration name: (_) @function)",
    "(generator_function_declaration name: (_) @function)",
    "(function_signature name: (_) @function)",
    "(class_declaration name: (_) @class)",
    "(abstract_class_declaration name: (_) @class)",
    "(function_expression name: (_) @expression_name)",
    "(function name: (_) @expression_name)",
    "(generator_function name: (_) @expression_name)",
    "(class name: (_) @expression_name)",
    "(formal_parameters) @params",
    "(arrow_function parameter: (_) @param)",
    "(catch_clause parameter: (_) @catch)",
    "(for_in_statement left: (_) @for_in)",
    "(import_clause) @import",
    "(import_require_clause . (identifier) @import_require)",
    "(enum_declaration name: (_) @enum)",
    "(internal_module name: (_) @namespace)",
    "(module name: (identifier) @namespace)",
)


DECLARATION_QUERY = "\n".join(_DECLARATION_PATTERNS)


class Binding:
    """One declared name. (A plain slotted class: thousands are made per large file.)"""

    __slots__ = ("declaration", "kind", "name", "node", "scope")

    def __init__(self, name: str, kind: str, node: Node, declaration: Node, scope: Node) -> None:
        self.name = name
        self.kind = kind  # var let const using function class param catch import enum ...
        self.node = node  # the identifier that declares it
        self.declaration = declaration  # variable_declarator, import_specifier, ...
        self.scope = scope  # the scope node it is visible in

    def __repr__(self) -> str:
        return f"Binding({self.name!r}, {self.kind!r}, scope={self.scope.type})"

    @property
    def scope_range(self) -> tuple[int, int]:
        return self.scope.start_byte, self.scope.end_byte


def own_returns(function: Node) -> Iterator[Node]:
    """The ``return`` statements of ``function`` itself, not of functions nested in it."""
    body = function.child_by_field_name("body")
    if body is None or body.type != "statement_block":
        return
    stack = list(body.named_children)
    while stack:
        node = stack.pop()
        if node.type in FUNCTION_NODES or node.type in ("class", "class_declaration"):
            continue
        if node.type == "return_statement":
            yield node
            continue
        stack.extend(node.named_children)


def early_return(statement: Node) -> Node | None:
    """The `return` that ends an `if` without `else` (`if (err) return next(err);`, or a block
    whose last statement, comments aside, returns); None for any other statement."""
    if statement.type != "if_statement" or statement.child_by_field_name("alternative"):
        return None
    branch = statement.child_by_field_name("consequence")
    if branch is not None and branch.type == "statement_block":
        code = [child for child in branch.named_children if child.type != "comment"]
        branch = code[-1] if code else None
    return branch if branch is not None and branch.type == "return_statement" else None


def pattern_identifiers(node: Node) -> Iterator[Node]:
    """The identifiers a binding or assignment pattern introduces or writes.

    Member expressions (``[a.b] = x``) write properties, not names, so they yield nothing.
    """
    kind = node.type
    if kind in ("identifier", "shorthand_property_identifier_pattern"):
        yield node
    elif kind in ("object_pattern", "array_pattern"):
        for child in node.named_children:
            yield from pattern_identifiers(child)
    elif kind == "pair_pattern":
        value = node.child_by_field_name("value")
        if value is not None:
            yield from pattern_identifiers(value)
    elif kind in ("assignment_pattern", "object_assignment_pattern"):
        left = node.child_by_field_name("left")
        if left is not None:
            yield from pattern_identifiers(left)
    elif kind == "rest_pattern":
        for child in node.named_children:
            yield from pattern_identifiers(child)
    elif kind in ("required_parameter", "optional_parameter"):
        pattern = node.child_by_field_name("pattern")
        if pattern is not None:
            yield from pattern_identifiers(pattern)
    elif kind == "parenthesized_expression":
        for child in node.named_children:
            yield from pattern_identifiers(child)


class Ancestry:
    """Parents of nodes, remembered.

    tree-sitter nodes do not store their parent: ``node.parent`` searches down from the root,
    so it costs the node's depth, and walking up a chain costs depth². Asking it for every
    node of an else-if chain of 20,000 branches took minutes. So parents are found by walking
    down, and every node passed on the way is remembered with its parent: the walk starts at
    the deepest node of the previous walk that contains the node asked about, so nodes asked
    about in document order cost the distance between them, not their depth.
    """

    def __init__(self, root: Node) -> None:
        self.root = root
        self._parent: dict[int, Node | None] = {root.id: None}
        self._nearest: dict[frozenset[str], dict[int, Node | None]] = {}
        self._path: list[Node] = [root]  # the root, …, the node the last walk ended at
        self.steps = 0  # nodes passed walking down: what a lookup costs (tests count them)

    def parent(self, node: Node) -> Node | None:
        key = node.id
        if key not in self._parent:
            start = self._deepest_container_on_path(node)
            if not self._walk_down(start, node) and start > 0:
                self._walk_down(0, node)  # the path was not its ancestry after all
        return self._parent.get(key)

    def _deepest_container_on_path(self, node: Node) -> int:
        """Index in the path of the deepest node whose byte range holds ``node``'s. Ranges
        nest along the path, so holding is true up to some index and false after it."""
        path, start, end = self._path, node.start_byte, node.end_byte
        low, high = 0, len(path) - 1
        while low < high:
            middle = (low + high + 1) // 2
            if path[middle].start_byte <= start and end <= path[middle].end_byte:
                low = middle
            else:
                high = middle - 1
        return low

    def _walk_down(self, index: int, node: Node) -> bool:
        """Walk from the path's node at ``index`` down to ``node``, remembering parents; the
        path then ends at ``node``. False if ``node`` is not below that node."""
        del self._path[index + 1 :]
        current = self._path[index]
        while current.id != node.id:
            child = current.child_with_descendant(node)
            if child is None or child.id == current.id:
                return False
            self.steps += 1
            budget.check()
            self._parent[child.id] = current
            self._path.append(child)
            current = child
        return True

    def nearest(self, node: Node, kinds: frozenset[str]) -> Node | None:
        """The closest proper ancestor whose type is in ``kinds``.

        Every node passed on the way up remembers the answer, so queries from many nodes of
        one deep subtree cost the subtree's size once instead of depth each.
        """
        memo = self._nearest.setdefault(kinds, {})
        visited: list[int] = []
        current = self.parent(node)
        found: Node | None = None
        while current is not None:
            if current.type in kinds:
                found = current
                break
            key = current.id
            if key in memo:
                found = memo[key]
                break
            visited.append(key)
            budget.check()
            current = self.parent(current)
        for key in visited:
            memo[key] = found
        return found

    def ancestors(self, node: Node) -> Iterator[Node]:
        """Parent, grandparent, … up to the root."""
        current = self.parent(node)
        while current is not None:
            yield current
            current = self.parent(current)


def nearest_ancestor(
    node: Node, kinds: frozenset[str], ancestry: Ancestry | None = None
) -> Node | None:
    if ancestry is not None:
        return ancestry.nearest(node, kinds)
    current = node.parent  # no memo given: plain walk (fine for a few steps)
    while current is not None and current.type not in kinds:
        current = current.parent
    return current


def enclosing_function(node: Node, ancestry: Ancestry | None = None) -> Node | None:
    """The innermost function, method or arrow containing ``node`` (None at module level)."""
    return nearest_ancestor(node, FUNCTION_NODES, ancestry)


def declaration_kind_keyword(declaration: Node) -> str:
    """``let``/``const``/``using`` for a lexical_declaration, ``var`` otherwise."""
    if declaration.type == "using_declaration":
        return "using"
    if declaration.type == "lexical_declaration":
        kind = declaration.child_by_field_name("kind")
        if kind is not None and kind.text:
            return kind.text.decode()
        first = declaration.child(0)
        return first.type if first is not None else "let"
    return "var"


class ScopeAnalysis:
    """Declarations of one file, indexed by name, and name resolution at any position."""

    def __init__(
        self,
        tree: Tree,
        language: Language,
        *,
        sloppy: bool = True,
        captures: Callable[[], dict[str, list[Node]]] | None = None,
        ancestry: Ancestry | None = None,
    ) -> None:
        self.tree = tree
        self.language = language
        self.sloppy = sloppy
        self.ancestry = ancestry or Ancestry(tree.root_node)
        # The declaration captures usually come from the file's shared query pass.
        self._captures = captures or self._own_captures
        self._pending: dict[bytes, list[tuple[str, Node]]] | None = None
        self._bindings: dict[str, _NameIndex] = {}
        self._by_node: dict[int, list[Binding]] = {}

    def _own_captures(self) -> dict[str, list[Node]]:
        source = valid_patterns(self.language, DECLARATION_QUERY)
        return run_query(query(self.language, source), self.tree.root_node)

    # -- building ------------------------------------------------------------------------

    # Declarations are indexed by name eagerly (cheap: the text of each identifier) but turned
    # into Bindings, which means finding their scope, only for the names someone asks about.
    # A rule typically asks about a handful of names in a file that declares thousands.

    def bindings_for(self, name: str) -> list[Binding]:
        return self._scoped(name).bindings

    def _scoped(self, name: str) -> _NameIndex:
        index = self._bindings.get(name)
        if index is None:
            key = name.encode("utf-8")
            found: list[Binding] = []
            for capture, node in self._declarations().get(key, ()):
                found += [b for b in self._declared_by(capture, node) if b.name == name]
            index = self._bindings[name] = _NameIndex(found)
        return index

    def _declared_by(self, capture: str, node: Node) -> list[Binding]:
        """All bindings of one declaring node, worked out once (a parameter list or pattern
        declares several names, and each may be asked about)."""
        cached = self._by_node.get(node.id)
        if cached is None:
            cached = self._by_node[node.id] = list(getattr(self, f"_declare_{capture}")(node))
        return cached

    def _declarations(self) -> dict[bytes, list[tuple[str, Node]]]:
        if self._pending is None:
            index: dict[bytes, list[tuple[str, Node]]] = defaultdict(list)
            for capture, nodes in self._captures().items():
                simple = capture not in _COMPOUND_CAPTURES
                for node in nodes:
                    budget.check()
                    if simple or node.type == "identifier":  # most declarations: one name
                        index[node.text].append((capture, node))
                    else:
                        for text in _declared_texts(capture, node):
                            index[text].append((capture, node))
            self._pending = dict(index)
        return self._pending

    @property
    def bindings(self) -> dict[str, list[Binding]]:
        """Every declaration of the file by name (builds them all: for tests and tools)."""
        names = [key.decode("utf-8", "replace") for key in self._declarations()]
        return {name: self.bindings_for(name) for name in names}

    def _make(self, ident: Node, kind: str, declaration: Node, scope: Node | None) -> Binding:
        return Binding(
            ident.text.decode("utf-8", errors="replace"),
            kind,
            ident,
            declaration,
            scope if scope is not None else self.tree.root_node,
        )

    def _function_scope_of(self, node: Node) -> Node | None:
        # `declare global { var x }` declares a real global whatever the nesting; only
        # TypeScript has it, so the plain (memoised) search serves everything else.
        if self.language is not Language.JAVASCRIPT:
            for current in self.ancestry.ancestors(node):
                if current.type in FUNCTION_SCOPES:
                    return current
                if current.type == "statement_block" and _is_declare_global(current):
                    return self.tree.root_node
            return None
        return self.ancestry.nearest(node, FUNCTION_SCOPES)

    def _block_of(self, node: Node) -> Node | None:
        return nearest_ancestor(node, BLOCK_SCOPES, self.ancestry)

    def _declare_var(self, name: Node) -> Iterator[Binding]:
        declarator = self.ancestry.parent(name)
        statement = self.ancestry.parent(declarator) if declarator is not None else None
        if statement is None:
            return
        keyword = declaration_kind_keyword(statement)
        if keyword == "var":
            scope = self._function_scope_of(declarator)
        else:
            scope = self._block_of(statement)
            if scope is not None and scope.type == "statement_block" and _is_declare_global(scope):
                scope = self.tree.root_node
        for ident in pattern_identifiers(name):
            yield self._make(ident, keyword, declarator, scope)

    def _declare_function(self, name: Node) -> Iterator[Binding]:
        declaration = self.ancestry.parent(name)
        block = self._block_of(declaration)
        yield self._make(name, "function", declaration, block)
        if self.sloppy and block is not None and block.type not in FUNCTION_SCOPES:
            # Annex B: in sloppy code a function declared in a block is also var-scoped.
            parent_function = self._function_scope_of(declaration)
            if parent_function is not None and parent_function.id != block.id:
                yield self._make(name, "function", declaration, parent_function)

    def _declare_class(self, name: Node) -> Iterator[Binding]:
        declaration = self.ancestry.parent(name)
        yield self._make(name, "class", declaration, self._block_of(declaration))

    def _declare_expression_name(self, name: Node) -> Iterator[Binding]:
        # `const f = function g() {}`: `g` is visible only inside the function itself.
        function = self.ancestry.parent(name)
        yield self._make(name, "expression-name", function, function)

    def _declare_params(self, params: Node) -> Iterator[Binding]:
        function = self.ancestry.parent(params)
        for child in params.named_children:
            for ident in pattern_identifiers(child):
                yield self._make(ident, "param", child, function)

    def _declare_param(self, param: Node) -> Iterator[Binding]:
        for ident in pattern_identifiers(param):
            yield self._make(ident, "param", param, self.ancestry.parent(param))

    def _declare_catch(self, param: Node) -> Iterator[Binding]:
        for ident in pattern_identifiers(param):
            yield self._make(ident, "catch", param, self.ancestry.parent(param))

    def _declare_for_in(self, left: Node) -> Iterator[Binding]:
        loop = self.ancestry.parent(left)
        kind_node = loop.child_by_field_name("kind")
        if kind_node is None:
            return  # `for (x of xs)` assigns to an existing name; it declares nothing
        keyword = kind_node.text.decode()
        scope = self._function_scope_of(loop) if keyword == "var" else loop
        for ident in pattern_identifiers(left):
            yield self._make(ident, keyword, loop, scope)

    def _declare_import(self, clause: Node) -> Iterator[Binding]:
        statement = self.ancestry.parent(clause)
        scope = self._block_of(statement)
        for child in clause.named_children:
            if child.type == "identifier":  # default import
                yield self._make(child, "import", clause, scope)
            elif child.type == "namespace_import":
                for ident in child.named_children:
                    if ident.type == "identifier":
                        yield self._make(ident, "import", child, scope)
            elif child.type == "named_imports":
                for spec in child.named_children:
                    if spec.type != "import_specifier":
                        continue
                    local = spec.child_by_field_name("alias") or spec.child_by_field_name("name")
                    if local is not None and local.type == "identifier":
                        yield self._make(local, "import", spec, scope)

    def _declare_import_require(self, ident: Node) -> Iterator[Binding]:
        clause = self.ancestry.parent(ident)
        yield self._make(ident, "import", clause, self._block_of(clause))

    def _declare_enum(self, name: Node) -> Iterator[Binding]:
        declaration = self.ancestry.parent(name)
        yield self._make(name, "enum", declaration, self._block_of(declaration))

    def _declare_namespace(self, name: Node) -> Iterator[Binding]:
        if name.type == "nested_identifier":  # namespace A.B.C declares A
            first = name.named_child(0)
            while first is not None and first.type == "nested_identifier":
                first = first.named_child(0)
            if first is None:
                return
            name = first
        if name.type != "identifier":
            return
        declaration = self.ancestry.parent(name)
        while declaration.type not in ("internal_module", "module"):
            declaration = self.ancestry.parent(declaration)
        yield self._make(name, "namespace", declaration, self._block_of(declaration))

    # -- resolving -----------------------------------------------------------------------

    def resolve(self, ident: Node, name: str | None = None) -> Binding | None:
        """The declaration ``ident`` refers to, or None for a global or undeclared name."""
        if name is None:
            name = ident.text.decode("utf-8", errors="replace")
        return self.resolve_name(name, ident.start_byte, ident.end_byte)

    def resolve_name(self, name: str, start: int, end: int) -> Binding | None:
        return self._scoped(name).innermost_containing(start, end)

    def declared_value(self, ident: Node, *, const_only: bool = False) -> Node | None:
        """The value a name was declared with (`const src = fs.createReadStream(f)`: the call),
        when ``ident`` resolves to a plain variable declarator (not a destructuring pattern);
        None otherwise. ``const_only``: only a `const`, whose value no later assignment
        replaces. The one answer to "what was this local declared as" for every analysis."""
        binding = self.resolve(ident)
        if binding is None or (const_only and binding.kind != "const"):
            return None
        declaration = binding.declaration
        if declaration.type != "variable_declarator":
            return None
        if declaration.child_by_field_name("name") != binding.node:
            return None
        return declaration.child_by_field_name("value")

    def declares(self, name: str, ident: Node) -> bool:
        """Whether some declaration of ``name`` is visible at ``ident``: ``resolve() is not
        None`` without working out which one is innermost. The declaration that covers a
        write is nearly always the nearest one, so the few nearest are tried before every
        declaration of the name gets its scope."""
        if name not in self._bindings:
            sites = self._declarations().get(name.encode("utf-8"), [])
            if not sites:
                return False
            if len(sites) > _NEARBY_SITES:
                # Declared many times (minified and generated code): sorting them for every
                # write would be quadratic; the nesting index answers in the nesting depth.
                return self.resolve(ident, name) is not None
            start, end = ident.start_byte, ident.end_byte
            nearest = sorted(sites, key=lambda site: abs(site[1].start_byte - start))
            for capture, node in nearest[:_NEARBY_TRIES]:
                for binding in self._declared_by(capture, node):
                    scope = binding.scope
                    if binding.name == name and scope.start_byte <= start and end <= scope.end_byte:
                        return True
        return self.resolve(ident, name) is not None


# Declarations tried nearest-first by ``declares`` before all of a name's are scoped, and the
# most declarations of one name for which that is worth it.
_NEARBY_TRIES = 3
_NEARBY_SITES = 12


class _NameIndex:
    """The declarations of one name, ordered so the innermost enclosing one is found fast.

    Scopes nest or are disjoint. Sorted by scope start (outer first on ties), the innermost
    declaration containing a position is the last one starting before it that also ends
    after it; ``enclosing[i]`` jumps from a declaration that does not contain the position
    straight to the nearest earlier one whose scope contains its own — everything between
    lies inside it or before it, so none can contain the position either. Minified code that
    declares `e` in each of thousands of functions resolves in the nesting depth, not in the
    number of functions.
    """

    __slots__ = ("bindings", "enclosing", "starts")

    def __init__(self, bindings: list[Binding]) -> None:
        ordered = sorted(bindings, key=_nesting_order)
        self.bindings = ordered
        self.starts = [b.scope.start_byte for b in ordered]
        self.enclosing: list[int] = []
        stack: list[int] = []
        for index, binding in enumerate(ordered):
            end = binding.scope.end_byte
            while stack and ordered[stack[-1]].scope.end_byte < end:
                stack.pop()
            self.enclosing.append(stack[-1] if stack else -1)
            stack.append(index)

    def innermost_containing(self, start: int, end: int) -> Binding | None:
        index = bisect.bisect_right(self.starts, start) - 1
        while index >= 0:
            binding = self.bindings[index]
            if end <= binding.scope.end_byte:
                return binding
            index = self.enclosing[index]
        return None


def _nesting_order(binding: Binding) -> tuple[int, int, int, int]:
    """Outer scopes first; among declarations of one scope the one that must win comes last.

    Two declarations of a name in one scope are one variable (`function f(a) { var a }`,
    `var x; … var x`, overload signatures): the first declaration stands for it, as
    eslint-scope takes a variable's first definition. A function expression's own name is
    shadowed by anything its body declares. Without this the winner depended on the order
    in which the query happened to return its captures.
    """
    scope = binding.scope
    shadowable = 0 if binding.kind == "expression-name" else 1
    return (scope.start_byte, -scope.end_byte, shadowable, -binding.node.start_byte)


# Captures that can declare several names (patterns, parameter lists, import clauses).
_COMPOUND_CAPTURES = frozenset({"var", "param", "catch", "for_in", "params", "import", "namespace"})


class IntervalIndex:
    """Nodes whose ranges nest or are disjoint (functions, scopes), for finding the innermost
    one that contains a position in the nesting depth rather than the number of nodes."""

    __slots__ = ("enclosing", "nodes", "starts")

    def __init__(self, nodes: Iterable[Node]) -> None:
        self.nodes = sorted(nodes, key=lambda n: (n.start_byte, -n.end_byte))
        self.starts = [n.start_byte for n in self.nodes]
        self.enclosing: list[int] = []
        stack: list[int] = []
        for index, node in enumerate(self.nodes):
            while stack and self.nodes[stack[-1]].end_byte < node.end_byte:
                stack.pop()
            self.enclosing.append(stack[-1] if stack else -1)
            stack.append(index)

    def innermost_containing(self, start: int, end: int, exclude: int | None = None) -> Node | None:
        index = bisect.bisect_right(self.starts, start) - 1
        while index >= 0:
            node = self.nodes[index]
            if end <= node.end_byte and node.id != exclude:
                return node
            index = self.enclosing[index]
        return None


def _declared_texts(capture: str, node: Node) -> Iterator[bytes]:
    """The names a declaration capture introduces, without working out their scope."""
    if capture in ("var", "param", "catch", "for_in"):
        for ident in pattern_identifiers(node):
            yield ident.text
    elif capture == "params":
        for child in node.named_children:
            for ident in pattern_identifiers(child):
                yield ident.text
    elif capture == "import":
        for child in node.named_children:
            if child.type == "identifier":
                yield child.text
            elif child.type == "namespace_import":
                yield from (i.text for i in child.named_children if i.type == "identifier")
            elif child.type == "named_imports":
                for spec in child.named_children:
                    local = spec.child_by_field_name("alias") or spec.child_by_field_name("name")
                    if local is not None:
                        yield local.text
    elif capture == "namespace" and node.type == "nested_identifier":
        first = node.named_child(0)
        while first is not None and first.type == "nested_identifier":
            first = first.named_child(0)
        if first is not None:
            yield first.text
    else:
        yield node.text


def _is_declare_global(block: Node) -> bool:
    return block.parent is not None and block.parent.type == "ambient_declaration"


# -- references ----------------------------------------------------------------------------

REFERENCE_QUERY = """
[(identifier) (shorthand_property_identifier) (shorthand_property_identifier_pattern)] @ref
"""


_START = operator.attrgetter("start_byte")
_REFERENCE_TYPES = frozenset(
    {"identifier", "shorthand_property_identifier", "shorthand_property_identifier_pattern"}
)
# Most files ask about the uses of a few names only (a module-level `main`, one client), and
# the whole-file pass costs a walk of the tree plus a Python object per identifier (on the
# benchmark corpus ~1 of 20 CPU s, mostly started by frequency's start-up test). So a name's
# identifiers are first read from the bytes of the range asked about — a regex scan, then a
# lookup in the tree per occurrence — until that has scanned this many times the file's size
# or looked up this many occurrences; then the file's index is built, as before. A file that
# asks about every name thus costs a bounded multiple of its size more, never a scan per name.
_SCAN_BYTES_PER_BYTE = 4
_SCAN_LOOKUPS = 1024  # a lookup descends the tree: its depth, at worst (deeply nested code)


# Bytes that continue a word after it: `\w` of a bytes pattern (ASCII), and `$`.
_WORD_AFTER = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$")


def word_spans(
    data: bytes, word: bytes, start: int, end: int, glue: frozenset[int]
) -> Iterator[tuple[int, int]]:
    r"""Where ``word`` occurs in ``data[start:end]`` not followed by a letter, digit, `_` or
    `$` and not preceded by a byte of ``glue``: the matches of ``(?<![glue])word(?![\w$])``
    searched with ``endpos=end``, position for position. Searched for as a literal with
    ``bytes.find``, at C speed, and both neighbours checked here: a pattern that starts with a
    look-behind makes Python's `re` test every byte (20 ns a byte), and a pattern per word had
    to be compiled for most names asked about (they differ from file to file), which cost more
    than the search."""
    length = len(word)
    end = max(0, min(end, len(data)))  # as `re` clamps ``endpos`` and ``pos``
    position = max(start, 0)
    while (at := data.find(word, position, end)) != -1:
        after = at + length
        if after < end and data[after] in _WORD_AFTER:
            position = at + 1  # as the look-ahead would: try the next position
            continue
        if at > 0 and data[at - 1] in glue:
            position = at + 1  # as the look-behind would: try the next position
            continue
        yield at, after
        position = after


# An ASCII letter, `_` or `$` before the name continues the same word, so in an error-free
# tree that occurrence is not the identifier (nor is one followed by a letter, digit, `_` or
# `$`). Anything else (a digit before it, which can end a number; a non-ASCII byte, which may
# be a letter of a longer name or a Unicode space) is let through and judged by the tree.
_NAME_GLUE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$")


class References:
    """Every identifier of a file grouped by name, in source order: read from the bytes for
    the first few names asked about, else from one query pass built on first use."""

    def __init__(self, tree: Tree, language: Language) -> None:
        self.tree = tree
        self.language = language
        self._by_name: dict[bytes, list[Node]] | None = None
        self._starts: dict[bytes, list[int]] = {}
        self._scanned: dict[tuple[bytes, int, int], list[Node]] = {}
        root = tree.root_node
        # Only an error-free tree: error recovery may split a word into tokens, and a name
        # glued to its neighbour would then be an identifier the scan passes over.
        self._text = None if root.has_error else root.text
        self._scan_bytes = _SCAN_BYTES_PER_BYTE * (root.end_byte - root.start_byte)
        self._scan_lookups = _SCAN_LOOKUPS

    def _captures(self) -> dict[str, list[Node]]:
        # A pass of its own, not a part of the shared one: see FileContext.plan_queries.
        return run_query(query(self.language, REFERENCE_QUERY), self.tree.root_node)

    def named(self, name: str) -> list[Node]:
        """Identifiers spelled ``name``, in source order."""
        root = self.tree.root_node
        scanned = self._scan(name.encode("utf-8"), root.start_byte, root.end_byte)
        return scanned if scanned is not None else self._indexed(name.encode("utf-8"))

    def _indexed(self, key: bytes) -> list[Node]:
        if self._by_name is None:
            index: dict[bytes, list[Node]] = defaultdict(list)
            for node in sorted(self._captures().get("ref", ()), key=_START):
                index[node.text].append(node)
            self._by_name = dict(index)
        return self._by_name.get(key, [])

    def named_within(self, name: str, start: int, end: int) -> list[Node]:
        """Identifiers spelled ``name`` that start inside [start, end): a slice, not a scan, so
        a name used in every one of thousands of functions costs each function its own uses."""
        key = name.encode("utf-8")
        scanned = self._scan(key, start, end)
        if scanned is not None:
            return scanned
        nodes = self._indexed(key)
        starts = self._starts.get(key)
        if starts is None:
            starts = self._starts[key] = [n.start_byte for n in nodes]
        return nodes[bisect.bisect_left(starts, start) : bisect.bisect_left(starts, end)]

    def _scan(self, key: bytes, start: int, end: int) -> list[Node] | None:
        """The identifiers spelled ``key`` starting in [start, end), read from the bytes; None
        once the index is built or the file's scanning allowance is spent."""
        if self._by_name is not None or self._text is None:
            return None
        found = self._scanned.get((key, start, end))
        if found is not None:
            return found
        root = self.tree.root_node
        offset = root.start_byte  # the tree's text starts at its first token, not at byte 0
        self._scan_bytes -= max(0, end - start)
        found = []
        # An identifier that starts before ``end`` counts even if it ends after it.
        last = end - offset + len(key) - 1
        for at, _ in word_spans(self._text, key, max(0, start - offset), last, _NAME_GLUE):
            self._scan_lookups -= 1
            if self._scan_bytes < 0 or self._scan_lookups < 0:
                break
            first = at + offset
            node = root.named_descendant_for_byte_range(first, first + len(key))
            if (
                node is not None
                and node.type in _REFERENCE_TYPES
                and node.start_byte == first
                and node.text == key
            ):
                found.append(node)
        if self._scan_bytes < 0 or self._scan_lookups < 0:
            self._text = None  # spent: from now on the index answers, for every name
            return None
        self._scanned[(key, start, end)] = found
        return found


def references_to(
    binding: Binding, scopes: ScopeAnalysis, references: References
) -> Iterable[Node]:
    """Identifiers in the file that refer to ``binding`` (the declaring one excluded)."""
    start, end = binding.scope_range
    for node in references.named_within(binding.name, start, end):
        if node.id == binding.node.id:
            continue
        if _is_property_position(node):
            continue
        found = scopes.resolve(node, binding.name)
        if found is not None and found.node.id == binding.node.id:
            yield node


def _is_property_position(node: Node) -> bool:
    """``obj.name`` and ``{ name: 1 }`` mention a property, not the variable."""
    parent = node.parent
    if parent is None or node.type != "identifier":
        return False
    return parent.type in ("pair", "pair_pattern") and parent.child_by_field_name("key") == node


# -- known globals -------------------------------------------------------------------------


@cache
def _global_sets() -> dict[str, frozenset[str]]:
    raw = json.loads(resources.files("leaklint").joinpath("data/globals.json").read_text("utf-8"))
    return {env: frozenset(names) for env, names in raw.items() if not env.startswith("_")}


def available_envs() -> list[str]:
    return sorted(env for env in _global_sets() if env != "builtin")


def known_globals(envs: Iterable[str]) -> frozenset[str]:
    sets = _global_sets()
    names: set[str] = set(sets["builtin"])
    for env in envs:
        names |= sets.get(env, frozenset())
        if env == "node":
            names |= sets["commonjs"]
    return frozenset(names)
