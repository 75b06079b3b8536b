"""## What it does
Flags an assignment to a name that is declared nowhere: not with `var`, `let`, `const`,
`function`, `class`, `import`, as a parameter, by a `/* global */` comment, in the
configuration, nor as a known global of the configured environments.

Plain assignment, compound assignment (`+=`), `++`/`--`, `for (x in/of …)` heads and
destructuring assignment targets all count as writes. Each name is reported once per
enclosing function, at its first write.

webpack's writable module variables (`__webpack_public_path__`, `__webpack_base_uri__`,
`__webpack_nonce__`) are not reported: webpack rewrites those assignments at build time.

## Why is this bad?
In sloppy-mode code (CommonJS or scripts without `'use strict'`) assigning an undeclared name
silently creates a property of the global object. It is never collected: whatever it holds
lives for the whole process, and it is shared between every request the server handles, so one
user's data can end up in another user's response. The talk this tool comes from opens with
exactly this leak.

In strict-mode code (ES modules, class bodies, `'use strict'`) the same line throws a
`ReferenceError` at run time instead — a crash waiting for the first call.

## Example
```js
function calculateArea(width, height) {
  area = width * height; // creates global.area
  return area;
}
```

## Use instead
```js
function calculateArea(width, height) {
  const area = width * height;
  return area;
}
```

If the global is intended, declare it: `globalThis.area = …`, a `/* global area: writable */`
comment, or `globals = ["area"]` in `[tool.leaklint]`.
"""

from __future__ import annotations

import re

from tree_sitter import Node

from leaklint.context import FileContext
from leaklint.findings import Severity
from leaklint.parsing import query, run_query
from leaklint.rules._base import Rule
from leaklint.scope import (
    FUNCTION_NODES,
    known_globals,
    pattern_identifiers,
)

WRITES = """
(assignment_expression left: (identifier) @assign)
(assignment_expression left: (parenthesized_expression (identifier) @assign))
(assignment_expression left: (object_pattern) @pattern)
(assignment_expression left: (array_pattern) @pattern)
(augmented_assignment_expression left: (identifier) @compound)
(update_expression argument: (identifier) @update)
(for_in_statement left: (_) @for_in)
(with_statement) @with
(ERROR) @error
"""
# webpack's writable module variables: webpack rewrites `__webpack_public_path__ = …` to a
# property of its runtime at build time, so the assignment neither creates a global nor throws.
BUNDLER_VARIABLES = frozenset(
    {"__webpack_public_path__", "__webpack_base_uri__", "__webpack_nonce__"}
)
# Comments are many; they are only collected when a `/* global */` directive may be present.
_GLOBAL_DIRECTIVE_HINT = re.compile(rb"/\*\s*globals?\s")

# `/* global a, b: writable */` and `/* globals … */`, as ESLint reads them.
_GLOBAL_COMMENT = re.compile(r"^/\*\s*globals?\s(.*?)\*/$", re.DOTALL)


class ImplicitGlobal(Rule):
    code = "LL001"
    name = "implicit-global"
    summary = "Assignment to an undeclared variable creates a global (or throws in strict mode)."
    severity = Severity.ERROR
    precision = "very-high"
    tags = ("memory-leak", "correctness", "global")
    # Every write form contains one of these; a file with none cannot assign a bare name.
    triggers = (b"=", b"++", b"--", b" in ", b" of ")
    query = WRITES

    def check(self, ctx: FileContext) -> None:
        captures = ctx.captures(self.code)
        writes = self._writes(captures)
        if not writes:
            return
        declared_globals = (
            known_globals(ctx.settings.env) | set(ctx.settings.globals) | BUNDLER_VARIABLES
        )
        if _GLOBAL_DIRECTIVE_HINT.search(ctx.source.data):
            declared_globals |= comment_globals(_comments(ctx))
        candidates = [(kind, n) for kind, n in writes if n.text.decode() not in declared_globals]
        if not candidates:
            return
        # Writes inside `with (obj) {}` may write obj.x: unknowable statically. Inside a region
        # that did not parse, error recovery can turn a declaration into a bare assignment.
        skipped = [(n.start_byte, n.end_byte) for n in captures.get("with", ())]
        skipped += [(n.start_byte, n.end_byte) for n in captures.get("error", ())]
        reported: set[tuple[str, int]] = set()
        for kind, ident in sorted(candidates, key=lambda item: item[1].start_byte):
            name = ident.text.decode("utf-8", "replace")
            if ctx.scopes.declares(name, ident):
                continue
            if any(start <= ident.start_byte < end for start, end in skipped):
                continue
            if _in_broken_statement(ctx, ident):
                continue  # `type Map = {…}` (Flow/TS in a .js file) recovers as `Map = {…}`
            if name == "arguments" and _inside_ordinary_function(ctx, ident):
                continue  # every non-arrow function has its own `arguments`
            if _guarded_by_typeof(ctx, ident, name):
                continue  # `if (typeof x !== 'undefined') x = …` writes an existing global
            function = ctx.enclosing_function(ident)
            key = (name, function.id if function is not None else -1)
            if key in reported:
                continue
            reported.add(key)
            # The source's spelling: parsing may rename an identifier (`using`, parsing.py).
            message = self._message(ctx, ident, ctx.text(ident), kind)
            ctx.report(self, ident, message, snippet_node=ident)

    @staticmethod
    def _writes(captures: dict[str, list[Node]]) -> list[tuple[str, Node]]:
        writes: list[tuple[str, Node]] = []
        writes += [("assign", n) for n in captures.get("assign", ())]
        writes += [("compound", n) for n in captures.get("compound", ())]
        writes += [("update", n) for n in captures.get("update", ())]
        for pattern in captures.get("pattern", ()):
            writes += [("assign", n) for n in pattern_identifiers(pattern)]
        for left in captures.get("for_in", ()):
            if left.parent.child_by_field_name("kind") is None:  # no var/let/const: a write
                writes += [("assign", n) for n in pattern_identifiers(left)]
        return writes

    @staticmethod
    def _message(ctx: FileContext, ident: Node, name: str, kind: str) -> str:
        if kind in ("compound", "update"):
            return (
                f"'{name}' is read and written but never declared: this throws a "
                "ReferenceError at run time. Declare it with let or const."
            )
        if _is_classic_browser_script(ctx) and not ctx.code_is_strict(ident):
            return (
                f"'{name}' is assigned but never declared, so it becomes a property of the "
                "page's global object (window) that lives as long as the page and that every "
                "script on it shares. Declare it with let or const."
            )
        if ctx.is_strict(ident):
            return (
                f"'{name}' is assigned but never declared: in strict mode (ES modules, classes, "
                "'use strict') this throws a ReferenceError at run time. "
                "Declare it with let or const."
            )
        return (
            f"'{name}' is assigned but never declared, so it becomes a global that lives for "
            "the whole process and is shared between requests. Declare it with let or const."
        )


# Where Express apps keep the files they serve to browsers (`express.static('public')`).
_BROWSER_ASSET_DIRECTORIES = frozenset({"public", "static", "assets"})


def _is_classic_browser_script(ctx: FileContext) -> bool:
    """A plain script served to browsers: under `public/`, `static/` or `assets/`, with no
    import or export. A browser runs it as a classic script, whatever the package's "type"
    says, so a write in sloppy code creates a global of the page."""
    parts = {part.lower() for part in ctx.project_path.parts[:-1]}
    return bool(parts & _BROWSER_ASSET_DIRECTORIES) and not ctx.has_module_syntax


def _comments(ctx: FileContext) -> list[Node]:
    compiled = query(ctx.source.language, "(comment) @comment")
    return run_query(compiled, ctx.tree.root_node).get("comment", [])


def comment_globals(comments: list[Node]) -> set[str]:
    names: set[str] = set()
    for comment in comments:
        text = comment.text
        if not text or b"global" not in text[:12]:
            continue
        match = _GLOBAL_COMMENT.match(text.decode("utf-8", "replace"))
        if match is None:
            continue
        for item in match.group(1).split(","):
            name = item.split(":")[0].strip()
            if name:
                names.add(name)
    return names


ORDINARY_FUNCTIONS = FUNCTION_NODES - {"arrow_function"}
_CONDITIONS = {"if_statement": "condition", "ternary_expression": "condition"}


_STATEMENTS = frozenset({"expression_statement", "for_in_statement", "for_statement"})


def _in_broken_statement(ctx: FileContext, node: Node) -> bool:
    """The write's statement has a syntax error, or follows one on the same line.

    tree-sitter recovers from syntax it does not know by dropping tokens into an ERROR node and
    parsing on: Flow's `type X = {…}` becomes ERROR(`type`) + `X = {…}`, and an implicit global
    appears that the source never wrote. Only whole, cleanly parsed statements are judged.
    """
    if not ctx.tree.root_node.has_error:
        return False
    statement = ctx.ancestry.nearest(node, _STATEMENTS)
    if statement is None:
        return False
    if statement.has_error:
        return True
    previous = statement.prev_sibling
    return (
        previous is not None
        and previous.is_error
        # Lines from the source, not tree rows: parsing may join a line (see parsing.py).
        and ctx.source.position(previous.end_byte).line
        == ctx.source.position(statement.start_byte).line
    )


_TYPEOF_OPERAND = re.compile(rb"typeof\s*\(?\s*([A-Za-z_$][\w$]*)")


def _typeof_operands(ctx: FileContext) -> frozenset[str]:
    """Names that appear after `typeof` anywhere in the file (one scan per file)."""
    return ctx.memo(
        "LL001.typeof",
        lambda: frozenset(m.decode() for m in _TYPEOF_OPERAND.findall(ctx.source.data)),
    )


def _inside_ordinary_function(ctx: FileContext, node: Node) -> bool:
    return any(a.type in ORDINARY_FUNCTIONS for a in ctx.ancestry.ancestors(node))


def _guarded_by_typeof(ctx: FileContext, node: Node, name: str) -> bool:
    """Inside a branch whose condition tests ``typeof name`` (a feature test)."""
    if name not in _typeof_operands(ctx):
        return False  # the common case, decided without walking the tree
    pattern = re.compile(rb"typeof\s*\(?\s*" + re.escape(name.encode()) + rb"\b")
    child = node
    for current in ctx.ancestry.ancestors(node):
        if current.type in FUNCTION_NODES:
            return False
        field = _CONDITIONS.get(current.type)
        if field is not None:
            condition = current.child_by_field_name(field)
            if (
                condition is not None
                and condition.id != child.id
                and pattern.search(condition.text)
            ):
                return True
        if current.type == "binary_expression" and current.child_by_field_name("right") == child:
            left = current.child_by_field_name("left")
            if left is not None and pattern.search(left.text):
                return True  # typeof x === 'function' && (x = …)
        child = current
    return False
