"""## What it does
Flags an assignment to a name that is declared nowhere: not with `var`, `let`, `const`,
`function`, `class`, `import`, as a parameter, by a `/* global */` comment, in the
configuration, nor as a known global of the configured environments.

Plain assignment, compound assignment (`+=`), `++`/`--`, `for (x in/of …)` heads and
destructuring assignment targets all count as writes. Each name is reported once per
enclosing function, at its first write.

webpack's writable module variables (`__webpack_public_path__`, `__webpack_base_uri__`,
`__webpack_nonce__`) are not reported: webpack rewrites those assignments at build time. Nor
is an assignment outside any function in a file of a Meteor package (a `package.js` with
`Package.describe` in its directory or above): Meteor's linker declares it as a variable of the
package, the documented way to share one (`Oidc = {};` with `api.export('Oidc')`).

In a file that does not parse whole (LL000), a write is judged only when its statement parsed
cleanly and no statement that failed to parse mentions the name: error recovery can swallow a
declaration (`let body = …`, a method's parameters when the class around them broke), and a
later write of that name would look undeclared. ESLint reports nothing but the parse error
there.

## Why is this bad?
In sloppy-mode code (CommonJS or scripts without `'use strict'`) assigning an undeclared name
silently creates a property of the global object. It is never collected: whatever it holds
lives for the whole process, and it is shared between every request the server handles, so one
user's data can end up in another user's response. The conference talk on Node.js memory
leaks that leaklint's rules are based on opens with exactly this leak.

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

from tree_sitter import Node, QueryCursor

from leaklint.model.findings import Fix, Message, Severity
from leaklint.rules._base import Rule
from leaklint.semantic.context import FileContext
from leaklint.semantic.scope import (
    FUNCTION_NODES,
    REFERENCE_QUERY,
    known_globals,
    pattern_identifiers,
)
from leaklint.syntax.parsing import query, run_query
from leaklint.syntax.source import BROWSER_ASSET_DIRECTORIES, meteor_package, real_directory

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
    messages = {
        "read-and-written": (
            "'{name}' is read and written but never declared: this throws a ReferenceError at "
            "run time. Declare it with let or const."
        ),
        "page-global": (
            "'{name}' is assigned but never declared, so it becomes a property of the page's "
            "global object (window) that lives as long as the page and that every script on it "
            "shares. Declare it with let or const."
        ),
        "strict-reference-error": (
            "'{name}' is assigned but never declared: in strict mode (ES modules, classes, "
            "'use strict') this throws a ReferenceError at run time. Declare it with let or "
            "const."
        ),
        "process-global": (
            "'{name}' is assigned but never declared, so it becomes a global that lives for the "
            "whole process and is shared between requests. Declare it with let or const."
        ),
    }

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
            if _named_in_error(ctx, name, captures.get("error", ())):
                continue  # its declaration may be what failed to parse
            if name == "arguments" and _inside_ordinary_function(ctx, ident):
                continue  # every non-arrow function has its own `arguments`
            if _guarded_by_typeof(ctx, ident, name):
                continue  # `if (typeof x !== 'undefined') x = …` writes an existing global
            function = ctx.enclosing_function(ident)
            if function is None and kind == "assign" and _in_meteor_package(ctx):
                continue  # a package variable: Meteor's linker declares it (`Oidc = {};`)
            key = (name, function.id if function is not None else -1)
            if key in reported:
                continue
            reported.add(key)
            # The source's spelling: parsing may rename an identifier (`using`, parsing.py).
            message = self._message(ctx, ident, ctx.text(ident), kind)
            fix = let_declaration_fix(ctx, ident, name) if kind == "assign" else None
            ctx.report(self, ident, message, snippet_node=ident, fix=fix)

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

    @classmethod
    def _message(cls, ctx: FileContext, ident: Node, name: str, kind: str) -> Message:
        if kind in ("compound", "update"):
            return cls.msg("read-and-written", name=name)
        if _is_classic_browser_script(ctx) and not ctx.code_is_strict(ident):
            return cls.msg("page-global", name=name)
        if ctx.is_strict(ident):
            return cls.msg("strict-reference-error", name=name)
        return cls.msg("process-global", name=name)


def _in_meteor_package(ctx: FileContext) -> bool:
    """Whether the file belongs to a Meteor package (a ``package.js`` with
    ``Package.describe``): outside functions, its undeclared writes declare package variables
    (audit 8: wekan's `Oidc = {};`, exported with `api.export('Oidc')`)."""
    directory = ctx.source.path.parent
    return ctx.memo("LL001.meteor", lambda: meteor_package(real_directory(str(directory))))


def let_declaration_fix(ctx: FileContext, ident: Node, name: str) -> Fix | None:
    """`x = …;` → `let x = …;` when that statement stands directly in a function's body and
    every use of the undeclared `x` in the file comes after it, inside that function: then
    the name was only ever the function's own variable. Safe unless a nested function uses it
    too (a hoisted inner function called before the assignment would now meet the `let`'s
    temporal dead zone)."""
    statement = _assignment_statement(ctx, ident)
    function = ctx.enclosing_function(ident)
    if statement is None or function is None:
        return None
    body = function.child_by_field_name("body")
    if body is None or ctx.ancestry.parent(statement) != body:
        return None
    if _named_outside(ctx.source.data, name, function):
        return None  # another function may use it (or a comment names it: stay on the safe side)
    uses = [n for n in _identifiers_in(ctx, function, name) if not ctx.scopes.declares(name, n)]
    if not uses or uses[0].id != ident.id:
        return None  # read or written earlier: not a fresh variable
    nested = any(ctx.enclosing_function(n) != function for n in uses)
    edit = ctx.edit(statement.start_byte, statement.start_byte, "let ")
    return Fix(f"Declare '{ctx.text(ident)}' with let", (edit,), safe=not nested)


def _named_outside(data: bytes, name: str, function: Node) -> bool:
    """Whether ``name`` occurs as a word anywhere outside ``function``: a text test, so that
    the common case needs no pass over every identifier of the file (a word in a string or a
    comment only costs a fix that would have been safe). ``bytes.find``, not a regex: a
    pattern that starts with a look-behind makes ``re`` test every byte of the file."""
    needle = name.encode("utf-8")
    for start, end in ((0, function.start_byte), (function.end_byte, len(data))):
        at = data.find(needle, start, end)
        while at != -1:
            before = data[at - 1 : at] if at > 0 else b" "
            after = data[at + len(needle) : at + len(needle) + 1] or b" "
            if not _WORD_BYTE.match(before) and not _WORD_BYTE.match(after):
                return True
            at = data.find(needle, at + 1, end)
    return False


# ASCII identifier bytes; a non-ASCII neighbour counts as a boundary, which can only make
# ``_named_outside`` answer yes more often (no fix), never offer a wrong one.
_WORD_BYTE = re.compile(rb"[A-Za-z0-9_$]")


def _identifiers_in(ctx: FileContext, function: Node, name: str) -> list[Node]:
    """Identifiers spelled ``name`` inside ``function``, in source order, from a pass over the
    function alone."""
    cursor = QueryCursor(query(ctx.source.language, REFERENCE_QUERY))
    cursor.set_byte_range(function.start_byte, function.end_byte)
    found = cursor.captures(function).get("ref", [])
    spelled = name.encode("utf-8")
    return sorted((n for n in found if n.text == spelled), key=lambda n: n.start_byte)


def _assignment_statement(ctx: FileContext, ident: Node) -> Node | None:
    """The statement `ident = …;` itself, when the assignment is all it is (not `(x) = 1`,
    not `a = 1, b = 2`, which `let` would turn into two declarations)."""
    assignment = ctx.ancestry.parent(ident)
    if assignment is None or assignment.type != "assignment_expression":
        return None
    if assignment.child_by_field_name("left") != ident:
        return None
    statement = ctx.ancestry.parent(assignment)
    if statement is None or statement.type != "expression_statement":
        return None
    if statement.start_byte != assignment.start_byte:
        return None
    return statement


# Where Express apps keep the files they serve to browsers (shared with the audit's classifier).
_BROWSER_ASSET_DIRECTORIES = BROWSER_ASSET_DIRECTORIES


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


def _named_in_error(ctx: FileContext, name: str, errors: list[Node]) -> bool:
    """The name is a word of a region that did not parse: error recovery may have swallowed
    its declaration there (`let body = …` or a method's parameters, when TypeScript's
    `constructor(private readonly as: X)` breaks the class around it — matrix-hookshot, audit
    11), so a later clean write of it proves nothing. ESLint reports no such file at all:
    only its parse error."""
    if not errors:
        return False
    word = _declaring(name)
    data = ctx.source.data
    for error in errors:
        # The statement around the error when it is a line or two: `let as: X;` recovers as
        # `let as X` with only the `:` in the ERROR node (a test of matrix-hookshot). Not a
        # large one: an EJS tag inside a script-wide object (Shinobi) would excuse its every
        # `var`.
        region = _statement_around(ctx, error)
        if region.end_point.row - region.start_point.row > _SMALL_STATEMENT_ROWS:
            region = error
        if word.search(data, region.start_byte, region.end_byte):
            return True
    return False


_SMALL_STATEMENT_ROWS = 2


def _declaring(name: str) -> re.Pattern[bytes]:
    """Where a broken statement may declare ``name``: after `let`/`const`/`var`/`function`/
    `class`, or as a parameter (`repo: string`, `(a, repo)`). A bare mention (`g = {…}` in an
    EJS-templated script: Shinobi) declares nothing, and its writes stay reported."""
    escaped = re.escape(name.encode("utf-8"))
    return re.compile(
        rb"\b(?:let|const|var|function|class)\s+" + escaped + rb"(?![\w$])"
        rb"|(?<![\w$.])" + escaped + rb"\s*\??\s*[:,)]"
    )


_STATEMENT_LISTS = frozenset({"program", "statement_block", "class_body", "switch_body"})


def _statement_around(ctx: FileContext, node: Node) -> Node:
    """``node``'s ancestor that is an item of a statement list (itself, if it is one)."""
    up = ctx.ancestry
    parent = up.parent(node)
    while parent is not None and parent.type not in _STATEMENT_LISTS:
        node, parent = parent, up.parent(parent)
    return node


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
