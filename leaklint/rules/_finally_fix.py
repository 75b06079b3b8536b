"""The quick fix of LL003/LL006: move a release that ends a block into a `finally`.

Offered only for the simplest shape, where the rewrite is mechanical and cannot change what
the successful path does::

    const client = await pool.connect();   // the acquisition, a declaration statement
    await client.query('…');               // the body: no `try`, no hoisted declarations
    client.release();                      // the release, the block's last statement

becomes the same acquisition followed by ``try { body } finally { release }``. Anything else
(a release followed by more code, arguments that could name a variable of the body, a
multi-line string the re-indentation would alter) gets no fix: a wrong automatic edit costs
more than none.
"""

from __future__ import annotations

from collections.abc import Callable

from tree_sitter import Node

from leaklint.model.findings import Fix
from leaklint.semantic.context import FileContext

_DECLARATIONS = ("lexical_declaration", "variable_declaration")
# Declarations a block hoists: inside the new `try` they would no longer be visible after it.
_HOISTED = frozenset(
    {
        "function_declaration",
        "generator_function_declaration",
        "class_declaration",
        "abstract_class_declaration",
    }
)
_MULTILINE_TEXT = frozenset({"template_string", "string"})
_LITERALS = frozenset({"true", "false", "number", "string", "null", "undefined"})


def finally_fix(ctx: FileContext, acquisition: Node, release: Node, noun: str) -> Fix | None:
    declaration = ctx.ancestry.nearest(acquisition, frozenset(_DECLARATIONS))
    if declaration is None:
        return None
    if ctx.enclosing_function(declaration) != ctx.enclosing_function(acquisition):
        return None  # `const handler = async () => { … }` around it: not its own statement
    block = ctx.ancestry.parent(declaration)
    release_statement = _statement_of(ctx, release)
    if block is None or block.type != "statement_block" or release_statement is None:
        return None
    statements = [child for child in block.named_children if child.type != "comment"]
    if declaration not in statements or release_statement != statements[-1]:
        return None
    body = statements[statements.index(declaration) + 1 : -1]
    if not body or not _movable(ctx, body) or not _plain_release(release):
        return None
    return _rewrite(ctx, block, declaration, body, release_statement, noun)


def _statement_of(ctx: FileContext, release: Node) -> Node | None:
    """The expression statement that is just ``release`` (or ``await release``)."""
    node = ctx.ancestry.parent(release)
    if node is not None and node.type == "await_expression":
        node = ctx.ancestry.parent(node)
    return node if node is not None and node.type == "expression_statement" else None


def _plain_release(release: Node) -> bool:
    """`x.release()` or `x.end(true)`: arguments that cannot name a variable of the body,
    which the `finally` would no longer see."""
    arguments = release.child_by_field_name("arguments")
    return arguments is not None and all(a.type in _LITERALS for a in arguments.named_children)


def _movable(ctx: FileContext, body: list[Node]) -> bool:
    for statement in body:
        if statement.type in _HOISTED or statement.type == "try_statement":
            return False
        if _contains(statement, lambda n: n.type == "try_statement"):
            return False
        if _contains(
            statement,
            lambda n: n.type in _MULTILINE_TEXT and n.start_point.row != n.end_point.row,
        ):
            return False  # re-indenting its lines would change the string
    return True


def _contains(node: Node, predicate: Callable[[Node], bool]) -> bool:
    stack = [node]
    while stack:
        current = stack.pop()
        if predicate(current):
            return True
        stack.extend(current.children)
    return False


def _rewrite(
    ctx: FileContext,
    block: Node,
    declaration: Node,
    body: list[Node],
    release_statement: Node,
    noun: str,
) -> Fix | None:
    data = ctx.source.data
    if b"\r" in data.replace(b"\r\n", b""):
        return None  # lone CR line ends: too rare to be worth a line-splitting rewrite
    newline = "\r\n" if b"\r\n" in data else "\n"
    body_start = _line_start(data, body[0].start_byte)
    release_line = _line_start(data, release_statement.start_byte)
    before_release = data[release_line : release_statement.start_byte]
    if body_start < declaration.end_byte or before_release.strip():
        return None  # statements share lines: no clean place to open and close the `try`
    if release_statement.start_point.row != release_statement.end_point.row:
        return None
    indent = _indentation(data, declaration.start_byte)
    unit = _indent_unit(data, block, indent)
    lines = data[body_start:release_line].decode("utf-8", "replace").splitlines(keepends=True)
    moved = "".join(unit + line if line.strip() else line for line in lines)
    text = (
        f"{indent}try {{{newline}{moved}{indent}}} finally {{{newline}"
        f"{indent}{unit}{ctx.text(release_statement)}{newline}{indent}}}"
    )
    edit = ctx.edit(body_start, release_statement.end_byte, text)
    return Fix(f"Move the {noun} into a finally block", (edit,), safe=True)


def _line_start(data: bytes, offset: int) -> int:
    return data.rfind(b"\n", 0, offset) + 1


def _indentation(data: bytes, offset: int) -> str:
    start = _line_start(data, offset)
    line = data[start:offset].decode("utf-8", "replace")
    return line[: len(line) - len(line.lstrip(" \t"))]


def _indent_unit(data: bytes, block: Node, indent: str) -> str:
    """One level of the file's indentation: what the block's statements add to the line that
    opens it (two spaces when that cannot be told)."""
    outer = _indentation(data, block.start_byte)
    if indent.startswith(outer) and len(indent) > len(outer):
        return indent[len(outer) :]
    return "\t" if indent.startswith("\t") else "  "
