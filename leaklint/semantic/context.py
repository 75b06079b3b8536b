"""Everything a rule may ask about one file, computed lazily and at most once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, TypeVar

from tree_sitter import Node, Tree

from leaklint.model.findings import Edit, Finding, Fix, Message, Related, Severity, Span
from leaklint.model.rule import RuleIdentity
from leaklint.semantic.scope import (
    DECLARATION_QUERY,
    FUNCTION_NODES,
    Ancestry,
    References,
    ScopeAnalysis,
    enclosing_function,
)
from leaklint.syntax.classify import (
    HEAD_BYTES,
    browser_reasons,
    browser_ui_import,
    one_off_program_reasons,
)
from leaklint.syntax.parsing import combined_query, run_query
from leaklint.syntax.source import (
    ModuleKind,
    SourceFile,
    declared_module_kind,
    is_script_file,
    is_test_file,
    real_directory,
    real_path,
)

T = TypeVar("T")

if TYPE_CHECKING:
    from leaklint.model.settings import Settings
    from leaklint.semantic.imports import ImportResolver


@dataclass(frozen=True)
class SharedQuery:
    """Tree-sitter patterns an *analysis* needs, collected in the file's one query pass.

    Analyses own their queries: a rule lists the ones of the analyses it uses in ``analyses``
    so that they join the shared pass; a rule never reads another rule's captures.
    """

    key: str  # unique among analyses, and never a rule code
    source: str


@dataclass
class FileContext:
    source: SourceFile
    tree: Tree
    settings: Settings
    findings: list[Finding] = field(default_factory=list)

    # -- module mode ---------------------------------------------------------------------

    @cached_property
    def module_kind(self) -> ModuleKind:
        declared = declared_module_kind(self.source.path)
        if declared is not None:
            return declared
        return ModuleKind.ESM if self.has_module_syntax else ModuleKind.COMMONJS

    @cached_property
    def has_module_syntax(self) -> bool:
        """A top-level `import` or `export`: an ES module, whatever the file's name says."""
        return any(
            child.type in ("import_statement", "export_statement")
            for child in self.tree.root_node.named_children
        )

    @cached_property
    def file_is_strict(self) -> bool:
        return self.module_kind is ModuleKind.ESM or self._says_use_strict

    @cached_property
    def _says_use_strict(self) -> bool:
        return has_use_strict(self.tree.root_node)

    def is_strict(self, node: Node) -> bool:
        """Whether code at ``node`` runs in strict mode (modules, classes, 'use strict')."""
        return self.module_kind is ModuleKind.ESM or self.code_is_strict(node)

    def code_is_strict(self, node: Node) -> bool:
        """Strict by what the code says, as it would be in a classic script: a file's or a
        function's 'use strict', or a class body; not by being an ES module."""
        if self._says_use_strict:
            return True
        # Up through the enclosing functions and classes without recursion (3,000 nested
        # functions exceeded Python's recursion limit and the file went unanalysed): strict
        # from the first one that says so, and every one passed remembers the answer.
        memo = self._strict_memo
        passed: list[int] = []
        holder = self.ancestry.nearest(node, _STRICTNESS_HOLDERS)
        strict = False
        while holder is not None:
            if holder.id in memo:
                strict = memo[holder.id]
                break
            passed.append(holder.id)
            if _says_strict(holder):
                strict = True
                break
            holder = self.ancestry.nearest(holder, _STRICTNESS_HOLDERS)
        for key in passed:
            memo[key] = strict
        return strict

    @cached_property
    def _strict_memo(self) -> dict[int, bool]:
        return {}

    # -- where the file is ---------------------------------------------------------------

    @cached_property
    def project_path(self) -> Path:
        """The file's path inside the project, so that directories above it do not count."""
        try:
            return real_path(self.source.path).relative_to(real_directory(str(self.settings.root)))
        except ValueError:
            return Path(self.source.display_path)

    @cached_property
    def is_test_file(self) -> bool:
        """Test code, by the names test runners use (see ``source.is_test_file``)."""
        return is_test_file(self.project_path)

    @cached_property
    def is_script_file(self) -> bool:
        """A one-off program by where it lives (see ``source.is_script_file``)."""
        return is_script_file(self.project_path)

    @cached_property
    def is_browser_code(self) -> bool:
        """Code a page runs, by where it is served from or by what it uses (see
        ``classify.browser_reasons``): its module level lives as long as the page, not a
        process — what a message about a timer that never stops should say."""
        path = PurePosixPath(self.project_path.as_posix())
        return bool(browser_reasons(path, self.source.data[:HEAD_BYTES]))

    @cached_property
    def builds_a_page(self) -> str | None:
        """Why this file runs in a browser tab, or None: it is browser code
        (``is_browser_code``) or it imports a browser UI framework (a Lit element, a React DOM
        entry). What it builds lives in the user's tab, not in a server's heap."""
        if self.is_browser_code and not self._declares_page_globals:
            return "browser code"
        framework = browser_ui_import(self.source.data[:HEAD_BYTES])
        return f"imports {framework}" if framework else None

    @cached_property
    def _declares_page_globals(self) -> bool:
        """Whether the file declares a `document` or `window` of its own (`for (const document
        of documents)` in a NestJS service, audit 7's mx-space-core): its `document.meta` is
        that variable, not the page, so the byte test of ``is_browser_code`` proves nothing."""
        return any(self.scopes.bindings_for(name) for name in ("document", "window"))

    @cached_property
    def one_off_program(self) -> str | None:
        """Why this file is a program that runs once and exits, or None (see
        ``classify.one_off_program_reasons``)."""
        reasons = one_off_program_reasons(self.project_path, self.source.data[:HEAD_BYTES])
        return reasons[0] if reasons else None

    # -- analyses ------------------------------------------------------------------------

    def memo(self, key: str, factory: Callable[[], T]) -> T:
        """A per-file value a rule computes once (``key`` prefixed by the rule's code).

        Lives with the file's other analyses and is dropped with them when the file is done.
        """
        store = self._memos
        if key not in store:
            store[key] = factory()
        return store[key]

    @cached_property
    def _memos(self) -> dict[str, Any]:
        return {}

    # -- the shared query pass ----------------------------------------------------------
    #
    # Every rule that runs on this file contributes its `query` patterns, and the scope
    # analysis contributes its declaration patterns; one combined query walks the tree once.
    # A pass costs the walk, about the same whatever the patterns, plus one Python object per
    # capture. So every identifier (``ctx.references``) is never collected here: on the
    # benchmark corpus that cost 0.4 of 12 CPU s (776,000 nodes), for the few files where a
    # rule then follows a binding to its uses; those files pay a pass of their own on first use.

    def plan_queries(self, rules: list[RuleIdentity]) -> None:
        parts: list[tuple[str, str]] = [("scope", DECLARATION_QUERY)]
        parts += [(rule.code, rule.query) for rule in rules if rule.query]
        for rule in rules:
            for shared in getattr(rule, "analyses", ()):
                if all(key != shared.key for key, _ in parts):
                    parts.append((shared.key, shared.source))
        self._query_parts = tuple(parts)

    @cached_property
    def _shared_captures(self) -> dict[str, dict[str, list[Node]]]:
        parts = getattr(self, "_query_parts", (("scope", DECLARATION_QUERY),))
        combined = combined_query(self.source.language, parts)
        grouped: dict[str, dict[str, list[Node]]] = {prefix: {} for prefix, _ in parts}
        for name, nodes in run_query(combined, self.tree.root_node).items():
            prefix, _, local = name.partition(".")
            grouped.setdefault(prefix, {})[local] = nodes
        return grouped

    def captures(self, key: str | SharedQuery) -> dict[str, list[Node]]:
        """Captures by local name: of a rule's `query` (by rule code), of "scope", or of an
        analysis' ``SharedQuery``. An analysis query that no rule on this file declared (its
        rule is not selected: ``--ignore LL006``) gets a pass of its own instead of failing."""
        grouped = self._shared_captures
        name = key.key if isinstance(key, SharedQuery) else key
        if name in grouped:
            return grouped[name]
        if isinstance(key, SharedQuery):
            return self.memo(f"query:{key.key}", lambda: self._own_pass(key))
        raise KeyError(f"{name} did not register a query for this file (see plan_queries)")

    def _own_pass(self, shared: SharedQuery) -> dict[str, list[Node]]:
        combined = combined_query(self.source.language, ((shared.key, shared.source),))
        found: dict[str, list[Node]] = {}
        for name, nodes in run_query(combined, self.tree.root_node).items():
            found[name.partition(".")[2]] = nodes
        return found

    @cached_property
    def ancestry(self) -> Ancestry:
        """Use ``ctx.ancestry.ancestors(node)`` rather than ``node.parent`` loops (see Ancestry)."""
        return Ancestry(self.tree.root_node)

    def enclosing_function(self, node: Node) -> Node | None:
        return enclosing_function(node, self.ancestry)

    @cached_property
    def scopes(self) -> ScopeAnalysis:
        return ScopeAnalysis(
            self.tree,
            self.source.language,
            sloppy=not self.file_is_strict,
            captures=lambda: self.captures("scope"),
            ancestry=self.ancestry,
        )

    @cached_property
    def references(self) -> References:
        return References(self.tree, self.source.language)

    @cached_property
    def imports(self) -> ImportResolver:
        from leaklint.semantic.imports import ImportResolver

        return ImportResolver(self.scopes)

    # -- reporting -----------------------------------------------------------------------

    def span(self, node: Node) -> Span:
        start = self.source.position(node.start_byte)
        end = self.source.position(node.end_byte)
        return Span(start.line, start.column, end.line, end.column)

    def edit(self, start: int, end: int, text: str) -> Edit:
        """A fix's replacement of the bytes ``start:end`` by ``text``."""
        first, last = self.source.position(start), self.source.position(end)
        return Edit(start, end, text, Span(first.line, first.column, last.line, last.column))

    def text(self, node: Node) -> str:
        return self.source.data[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def report(
        self,
        rule: RuleIdentity,
        node: Node,
        message: Message,
        *,
        severity: Severity | None = None,
        related: tuple[tuple[Node, str], ...] = (),
        snippet_node: Node | None = None,
        fix: Fix | None = None,
    ) -> None:
        if not isinstance(message, Message):
            raise TypeError(f"{rule.code} must report a Message: use rule.msg(message_id, ...)")
        effective = severity or rule.severity
        override = self.settings.severity_overrides.get(rule.code)
        if override is not None:
            effective = override
        self.findings.append(
            Finding(
                rule=rule.code,
                name=rule.name,
                path=self.source.display_path,
                span=self.span(node),
                message=message.text,
                message_id=message.id,
                severity=effective,
                context=self.context_name(node),
                snippet=self.text(snippet_node or node)[:400],
                related=tuple(Related(self.span(n), msg) for n, msg in related),
                fix=fix,
            )
        )

    def context_name(self, node: Node) -> str:
        """A dotted name of the enclosing functions/classes, for stable fingerprints."""
        # Up to the nearest enclosing context already named (or the top), then down again
        # naming each: iterative, so deeply nested functions do not exhaust the stack.
        memo = self._context_memo
        unnamed: list[Node] = []
        holder = self.ancestry.nearest(node, _NAMED_CONTEXTS)
        while holder is not None and holder.id not in memo:
            unnamed.append(holder)
            holder = self.ancestry.nearest(holder, _NAMED_CONTEXTS)
        name = "" if holder is None else memo[holder.id]
        for inner in reversed(unnamed):
            own = _declared_name(inner)
            name = memo[inner.id] = f"{name}.{own}" if name else own
        return name

    @cached_property
    def _context_memo(self) -> dict[int, str]:
        return {}


_STRICTNESS_HOLDERS = FUNCTION_NODES | {"class_body", "class_heritage"}


def _says_strict(holder: Node) -> bool:
    """A class (always strict) or a function whose body opens with 'use strict'."""
    if holder.type in ("class_body", "class_heritage"):
        return True
    body = holder.child_by_field_name("body")
    return body is not None and body.type == "statement_block" and has_use_strict(body)


_NAMED_CONTEXTS = FUNCTION_NODES | {"class_declaration", "class", "abstract_class_declaration"}


def _declared_name(node: Node) -> str:
    if node.type in ("class_declaration", "class", "abstract_class_declaration") or (
        node.type in FUNCTION_NODES and node.type != "arrow_function"
    ):
        name = node.child_by_field_name("name")
        if name is not None and name.text is not None:
            return name.text.decode("utf-8", "replace")
        return "<anonymous>"
    if node.type == "arrow_function":
        parent = node.parent
        if parent is not None and parent.type == "variable_declarator":
            name = parent.child_by_field_name("name")
            if name is not None and name.text is not None:
                return name.text.decode("utf-8", "replace")
        return "<arrow>"
    return ""


def has_use_strict(body: Node) -> bool:
    """A directive prologue containing 'use strict' at the start of a program or body."""
    for child in body.named_children:
        if child.type == "comment" or child.type == "hash_bang_line":
            continue
        if child.type != "expression_statement":
            return False
        expression = child.named_child(0)
        if expression is None or expression.type != "string":
            return False
        if expression.text in (b"'use strict'", b'"use strict"'):
            return True
    return False
