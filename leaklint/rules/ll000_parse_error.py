"""## What it does
Reports a file, or a part of one, that leaklint could not parse: a syntax error, syntax the
grammar does not know yet (Flow annotations, a stage-1 proposal), or bytes that are not UTF-8.

It also reports code nested more than 65,535 levels deep (generated code such as
`a = a = a = …`) if tree-sitter's queries, which every rule relies on, do not reach it: such
a file is only partly analysed.

## Why is this bad?
It is not a leak. It tells you that leaklint's view of this file is incomplete: findings in
the parseable parts are still reported (tree-sitter recovers from errors), but a leak inside
the broken region (or below the depth limit) can be missed.

## Example
```js
function broken( {
```

## Use instead
Fix the syntax, or exclude generated and non-standard files with `extend-exclude` in
`[tool.leaklint]`.
"""

from __future__ import annotations

from tree_sitter import Node, QueryError

from leaklint.model.findings import Severity
from leaklint.rules._base import Rule
from leaklint.semantic.context import FileContext
from leaklint.syntax.parsing import captures


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
        # Worded for both causes: tree-sitter's grammars reject a few valid constructs too
        # (audits met a `String.raw` template with an invalid escape, an interface member named
        # `in`), and telling such code it has a syntax error is a claim leaklint cannot back.
        "syntax-error": (
            "Cannot parse this ({what}): a syntax error, or syntax leaklint's grammar does not "
            "know; leaklint checked the rest of the file, but leaks inside the unparseable "
            "region can be missed."
        ),
        # The {what} of syntax-error.
        "what-missing": "missing '{token}'",
        "what-unexpected": "unexpected syntax",
        "too-deep": (
            "Code nested more than {limit} levels deep: leaklint's queries cannot reach below "
            "that depth, so this statement was only partly analysed."
        ),
    }

    def check(self, ctx: FileContext) -> None:
        if ctx.source.decode_errors:
            ctx.report(
                self,
                ctx.tree.root_node.child(0) or ctx.tree.root_node,
                self.msg("not-utf8"),
            )
        root = ctx.tree.root_node
        too_deep = statement_unreached_by_queries(ctx)
        if too_deep is not None:
            ctx.report(self, too_deep, self.msg("too-deep", limit=f"{QUERY_DEPTH_LIMIT:,}"))
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


# tree-sitter's query cursor keeps node depths in 16 bits: a plain query never visits a node
# more than this many levels below the root (depth 0), so no rule would see it.
QUERY_DEPTH_LIMIT = 65_535


def statement_unreached_by_queries(ctx: FileContext) -> Node | None:
    """The top-level statement holding code the file's queries do not reach, or None.

    Only a file nested past ``QUERY_DEPTH_LIMIT`` can have such code. For one, a query for the
    type of its first node that deep, run the way rules run theirs (``parsing.captures``),
    tells whether that depth is reached: the answer is measured, not assumed, so it stays
    right whatever the query runner does about deep trees.
    """
    root = ctx.tree.root_node
    beyond = first_named_node_beyond(root, QUERY_DEPTH_LIMIT)
    if beyond is None:
        return None
    deep, top = beyond
    try:
        reached = captures(ctx.source.language, f"({deep.type}) @node", root).get("node", [])
    except QueryError:
        reached = []
    return None if any(node == deep for node in reached) else top


def first_named_node_beyond(root: Node, limit: int) -> tuple[Node, Node] | None:
    """The first named node deeper than ``limit`` and the top-level node holding it.

    A subtree of ``n`` nodes is at most ``n - 1`` levels deep, and ``descendant_count`` is
    stored in the tree, so only subtrees big enough to reach the limit are entered: almost
    every file is answered at the root, and a flat 2 MB array costs a handful of steps. The
    top-level node is what gets reported, because a report looks up its node's ancestors,
    which costs depth² tens of thousands of levels down.
    """
    stack: list[tuple[Node, int, Node | None]] = [(root, 0, None)]
    while stack:
        node, depth, top = stack.pop()
        if depth > limit and node.is_named and top is not None:
            return node, top
        # The children's subtrees hold descendant_count - 1 nodes, at least one per child.
        if depth + node.descendant_count - node.child_count < limit:
            continue
        reach = limit - depth  # a child goes past the limit only if its subtree is bigger
        stack.extend(
            (child, depth + 1, top or child)
            for child in reversed(node.children)
            if child.descendant_count > reach
        )
    return None


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
