"""## What it does
Reports a file, or a part of one, that leaklint could not parse: a syntax error, syntax the
grammar does not know yet (Flow annotations, a stage-1 proposal), or bytes that are not UTF-8.

## Why is this bad?
It is not a leak. It tells you that leaklint's view of this file is incomplete: findings in
the parseable parts are still reported (tree-sitter recovers from errors), but a leak inside
the broken region can be missed.

## Example
```js
function broken( {
```

## Use instead
Fix the syntax, or exclude generated and non-standard files with `extend-exclude` in
`[tool.leaklint]`.
"""

from __future__ import annotations

from tree_sitter import Node

from leaklint.model.findings import Severity
from leaklint.rules._base import Rule
from leaklint.semantic.context import FileContext


class ParseError(Rule):
    code = "LL000"
    name = "parse-error"
    summary = "The file could not be fully parsed, so leaklint's analysis of it is incomplete."
    severity = Severity.WARNING
    precision = "very-high"
    tags = ("parse",)
    messages = {
        "not-utf8": (
            "The file is not valid UTF-8; undecodable bytes were replaced before checking."
        ),
        "syntax-error": (
            "Syntax error ({what}); leaklint checked the rest of the file, but leaks inside the "
            "unparseable region can be missed."
        ),
        # The {what} of syntax-error.
        "what-missing": "missing '{token}'",
        "what-unexpected": "unexpected syntax",
    }

    def check(self, ctx: FileContext) -> None:
        if ctx.source.decode_errors:
            ctx.report(
                self,
                ctx.tree.root_node.child(0) or ctx.tree.root_node,
                self.msg("not-utf8"),
            )
        root = ctx.tree.root_node
        if not root.has_error:
            return
        problem = first_error(root, ctx.source.data)
        if problem is None:
            return
        what = (
            self.msg("what-missing", token=problem.type)
            if problem.is_missing
            else self.msg("what-unexpected")
        )
        ctx.report(self, problem, self.msg("syntax-error", what=what.text))


def first_error(node: Node, data: bytes = b"") -> Node | None:
    """The first ERROR or MISSING node in document order, descending only into bad subtrees,
    except a `;` that JavaScript inserts itself (see ``_inserted_semicolon``).

    Iterative: a deeply nested broken file must not exhaust Python's recursion limit.
    """
    stack = [node]
    while stack:
        current = stack.pop()
        if current.is_error:
            return current
        if current.is_missing:
            if not _inserted_semicolon(current, data):
                return current
            continue
        bad = [c for c in current.children if c.has_error or c.is_missing or c.is_error]
        stack.extend(reversed(bad))
    return None


def _inserted_semicolon(missing: Node, data: bytes) -> bool:
    """A `;` that tree-sitter reports missing before a line break, a `}` or the end of the
    file, where the rest parsed: automatic semicolon insertion puts it there too (a class field
    `#abort` followed by a `[kResume] = null` field on the next line, in undici)."""
    if missing.type != ";":
        return False
    rest = data[missing.end_byte :].lstrip(b" \t")
    return not rest or rest[:1] in (b"\n", b"\r", b"}")
