"""Grammars and parsers. One parser per grammar per process, created on first use."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import tree_sitter
import tree_sitter_javascript
import tree_sitter_typescript

from leaklint import budget
from leaklint.syntax.source import Language


@cache
def grammar(language: Language) -> tree_sitter.Language:
    if language is Language.TYPESCRIPT:
        return tree_sitter.Language(tree_sitter_typescript.language_typescript())
    if language is Language.TSX:
        return tree_sitter.Language(tree_sitter_typescript.language_tsx())
    # The JavaScript grammar parses JSX too, so .js files written with JSX work unchanged.
    return tree_sitter.Language(tree_sitter_javascript.language())


@cache
def _parser(language: Language) -> tree_sitter.Parser:
    return tree_sitter.Parser(grammar(language))


# `using x = …` / `await using x = …` (explicit resource management, TS 5.2) is unknown to the
# TypeScript grammar, which then mis-parses the rest of the file. Rewriting the keyword to
# `const` (padded to the same length, so every byte offset stays put) gives the same scoping.
_USING = re.compile(rb"using(?=\s+[A-Za-z_$][\w$]*\s*[=:])")
_AWAIT_BEFORE = re.compile(rb"await\s+$")


def _const_for_using(data: bytes) -> bytes:
    out = bytearray(data)
    for match in _USING.finditer(data):  # a literal first: the regex engine scans fast
        start, end = match.span()
        awaited = _AWAIT_BEFORE.search(data, max(0, start - 64), start)
        if awaited is not None:
            start = awaited.start()
        if _inside_word(data, start):
            continue  # `isusing x = …`, `obj.using x`: not the keyword
        out[start:end] = b"const" + b" " * (end - start - len(b"const"))
    return bytes(out)


# `importOriginal<typeof import('./x')>()`, vitest's documented way to partially mock a
# module, and `f<import('./x').T>()`: the TypeScript grammar cannot parse an import type in a
# call's type arguments and turns the whole statement into an ERROR. The import type becomes
# an identifier of the same length (`typeof ____________`), which types nothing that leak
# analysis reads; value-position `import('x')` calls are never followed by `>(`.
_IMPORT_TYPE_ARGUMENT = re.compile(
    rb"<(\s*(?:typeof\s+)?)(import\((['\"])[^'\"\n]*\3\))(?=(?:\.[\w$.]+)?\s*>\s*\()"
)

# `table: import('x').Table<T>`: nor can it parse an import type that takes type arguments,
# anywhere (annotations, aliases, `implements`). The `import('x')` becomes an identifier of
# the same length, so the rest is a plain generic type reference. A dynamic `import('x')` is a
# promise, whose only members are then/catch/finally: those are left alone.
_IMPORT_TYPE_WITH_ARGUMENTS = re.compile(
    rb"import\((['\"])[^'\"\n]*\1\)(?=\.(?!(?:then|catch|finally)\b)[\w$]+(?:\.[\w$]+)*\s*<)"
)


def _blank_import_call(match: re.Match[bytes]) -> bytes:
    return b"_" * len(match.group(0))


# Variance annotations on type parameters (`interface Box<out T>`, `<in out T>`, TS 4.7) are
# unknown to the TypeScript grammar; they become spaces. Only inside a type parameter list:
# after `<` or `,` and before a name that a `,`, `>`, `=` or `extends` follows.
_COMMENTS = rb"(?:/\*[^*]*\*+(?:[^/*][^*]*\*+)*/\s*|//[^\n]*\n\s*)*"
_VARIANCE = re.compile(
    rb"([<,]\s*" + _COMMENTS + rb")(in\s+out|in|out)(?=\s+[A-Za-z_$][\w$]*\s*(?:[,>=]|extends\b))"
)


def _blank_variance(match: re.Match[bytes]) -> bytes:
    return match.group(1) + b" " * len(match.group(2))


def _blank_import_type(match: re.Match[bytes]) -> bytes:
    return b"<" + match.group(1) + b"_" * len(match.group(2))


# `let` at the end of a line followed by a declarator (`let\n  doc = view.document,\n  …`) is
# a declaration (ECMAScript inserts no semicolon there: `let doc` continues the statement),
# but the grammars read `let;` and then bare assignments, so LL001 reported every declared
# name as an implicit global (30 in one vendored FileSaver.js). The line break becomes a space
# for the parser; byte offsets, and so every reported line, stay where they were.
_LET_NEWLINE = re.compile(
    rb"let([ \t]*(?:\r\n|\r|\n)\s*)(?=[A-Za-z_$\[{])(?!(?:in|instanceof|of)\b)"
)
_WORD_CHARS = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$.")


def _inside_word(data: bytes, start: int) -> bool:
    """Whether ``start`` continues a longer word or follows a `.` (`outlet`, `obj.let`)."""
    return start > 0 and data[start - 1] in _WORD_CHARS


def _sub_keyword(
    pattern: re.Pattern[bytes], data: bytes, replace: Callable[[re.Match[bytes]], bytes]
) -> bytes:
    """``pattern.sub`` for a pattern that starts with a keyword, skipping matches inside a
    longer word. The patterns start with their literal so the regex engine scans fast; a
    look-behind in the pattern would make it test every byte."""

    def checked(match: re.Match[bytes]) -> bytes:
        budget.check()  # a file can hold a million of them
        return match.group(0) if _inside_word(data, match.start()) else replace(match)

    return pattern.sub(checked, data)


# `for await (let [a, b] of it)`: both grammars read `let [a, b]` after `for await (` as a
# subscript of a variable named `let` (sloppy-mode JavaScript allows one), not as a
# destructuring declaration, so LL001 reported `b = …` in the loop as an implicit global
# (Zeppelin's Automod triggers). Without `await` they parse it right; the keyword becomes
# spaces for the parser. No analysis reads it: a for-await step is not an `await` expression
# in the tree either way, and `let` keeps its block scope (a `var` would not).
_FOR_AWAIT_LET_PATTERN = re.compile(rb"for(\s+)await(?=\s*\(\s*let\s*\[)")


def _blank_for_await(match: re.Match[bytes]) -> bytes:
    return b"for" + match.group(1) + b"     "


# Import attributes on a re-export (`export { a } from './x.json' with { type: 'json' }`) and
# the older `assert { … }` form in JavaScript stop the grammars; they say how to load a JSON
# module, nothing that leak analysis reads, so the clause is blanked in place.
_IMPORT_ATTRIBUTES = re.compile(rb"(from\s*(['\"])[^'\"\n]*\2\s*)((?:with|assert)\s*\{[^{}\n]*\})")


def _blank_import_attributes(match: re.Match[bytes]) -> bytes:
    return match.group(1) + b" " * len(match.group(3))


# `export type * from './types'` (TypeScript 5.0) is unknown to the grammar; without `type` it
# is a plain re-export, the same to leak analysis, so the keyword is blanked in place.
_EXPORT_TYPE_STAR = re.compile(rb"(export\s+)type(?=\s+\*)")


def _blank_export_type(match: re.Match[bytes]) -> bytes:
    return match.group(1) + b"    "


def _join_let_declarations(data: bytes) -> bytes:
    # Matches come in order, so the last line break before each is looked for only since the
    # previous match: searching from the file's start (for a `\r` that an LF file never has)
    # made `let\n` a million times take 26 s.
    scanned_to, last_break = 0, -1

    def join(match: re.Match[bytes]) -> bytes:
        nonlocal scanned_to, last_break
        start = match.start()
        found = max(data.rfind(b"\n", scanned_to, start), data.rfind(b"\r", scanned_to, start))
        if found != -1:
            last_break = found
        scanned_to = start
        line_start = last_break
        if b"//" in data[line_start + 1 : start]:
            # `// eslint-disable-next-line fp/no-let`: the end of a comment, and joining the
            # next line would turn that line's code into comment.
            return match.group(0)
        return b"let" + re.sub(rb"[\r\n]", b" ", match.group(1))

    return _sub_keyword(_LET_NEWLINE, data, join)


# `export { _null as null }`: a module's export names may be reserved words (ES2022), but the
# JavaScript grammar stops at them. Only JavaScript has `as` in import/export specifiers alone
# (TypeScript's `x as T` is a type assertion, and its grammar accepts these names), so there a
# reserved word after `as` and before `,` or `}` gets an underscore for its first letter.
_RESERVED_EXPORT_NAME = re.compile(
    rb"as(\s+)(null|true|false|break|case|catch|class|const|continue|debugger|delete"
    rb"|do|else|export|extends|finally|for|function|if|import|in|instanceof|new|return|super"
    rb"|switch|this|throw|try|typeof|var|void|while|with)(?=\s*[,}])"
)


def _rename_reserved_export(match: re.Match[bytes]) -> bytes:
    return b"as" + match.group(1) + b"_" + match.group(2)[1:]


def parse(data: bytes, language: Language) -> tree_sitter.Tree:
    prepared = prepare(data, language)
    tree = _watched_parse(language, prepared)  # under the file's budget (budget.py)
    return _repaired_with_text(language, tree, prepared)


def _repaired_with_text(
    language: Language, tree: tree_sitter.Tree, data: bytes
) -> tree_sitter.Tree:
    """``tree`` after the bounded repairs below when it has syntax errors, reading its text
    from the bytes it was finally parsed from."""
    if tree.root_node.has_error:
        reparser = _Reparser(language, _reparses_allowed(len(data)))
        tree, data = _repaired(tree, data, reparser)
    return _with_text(language, tree, data)


@dataclass(frozen=True)
class ParseState:
    """What an incremental re-parse starts from: a tree and the exact (prepared) bytes it was
    parsed from. The language server keeps one per open document."""

    tree: tree_sitter.Tree
    data: bytes


def parse_incremental(
    data: bytes, language: Language, previous: ParseState | None
) -> tuple[tree_sitter.Tree, ParseState]:
    """``parse(data, language)``, reusing the unchanged parts of ``previous`` through
    tree-sitter's edit API. The edit is the one span where the *prepared* bytes differ: the
    rewrites in ``prepare`` depend on context, so diffing the raw text could miss a rewrite
    that appeared or vanished next to the change, and tree-sitter would reuse a stale node."""
    prepared = prepare(data, language)
    old_tree = None
    if previous is not None and previous.data != prepared:
        old_tree = previous.tree.copy()  # edit() mutates; the caller's state stays valid
        _describe_edit(old_tree, previous.data, prepared)
    elif previous is not None:
        old_tree = previous.tree
    tree = (
        _parser(language).parse(prepared, old_tree)
        if old_tree is not None
        else _parser(language).parse(prepared)
    )
    state = ParseState(tree, prepared)
    # The repairs reparse a modified copy from scratch; they only run on broken code.
    return _repaired_with_text(language, tree, prepared), state


def _describe_edit(tree: tree_sitter.Tree, old: bytes, new: bytes) -> None:
    """Tell ``tree`` (parsed from ``old``) that the bytes between the common prefix and the
    common suffix of ``old`` and ``new`` were replaced."""
    limit = min(len(old), len(new))
    start = _common_prefix(old, new, limit)
    suffix = _common_prefix(old[::-1], new[::-1], limit - start)
    old_end, new_end = len(old) - suffix, len(new) - suffix
    tree.edit(
        start_byte=start,
        old_end_byte=old_end,
        new_end_byte=new_end,
        start_point=_point(old, start),
        old_end_point=_point(old, old_end),
        new_end_point=_point(new, new_end),
    )


def _common_prefix(a: bytes, b: bytes, limit: int) -> int:
    """Length of the common prefix of ``a`` and ``b`` (at most ``limit``), by bisection on
    slice comparisons, which run at memcmp speed (a per-byte loop costs ~50 ms on 100 KB)."""
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _point(data: bytes, offset: int) -> tuple[int, int]:
    """tree-sitter's (row, byte column): rows count LF only."""
    row = data.count(b"\n", 0, offset)
    return row, offset - (data.rfind(b"\n", 0, offset) + 1)


def prepare(data: bytes, language: Language) -> bytes:
    """The bytes the grammar is given: ``data`` with the same-length rewrites described above."""
    if b"\x00" in data:  # a raw NUL in a string (see SourceFile.is_binary) stops the grammars
        data = data.replace(b"\x00", b" ")
    if b"let" in data:
        data = _join_let_declarations(data)
        if b"await" in data:
            data = _sub_keyword(_FOR_AWAIT_LET_PATTERN, data, _blank_for_await)
    if b"from" in data and (b" with" in data or b" assert" in data):
        data = _IMPORT_ATTRIBUTES.sub(_blank_import_attributes, data)
    if language is Language.JAVASCRIPT and b"as " in data:
        data = _sub_keyword(_RESERVED_EXPORT_NAME, data, _rename_reserved_export)
    if language is not Language.JAVASCRIPT:
        if b"using" in data:
            data = _const_for_using(data)
        if b">`" in data:
            data = _blank_template_type_arguments(data)
        if b"import(" in data:
            data = _IMPORT_TYPE_ARGUMENT.sub(_blank_import_type, data)
            data = _IMPORT_TYPE_WITH_ARGUMENTS.sub(_blank_import_call, data)
        if b"in " in data or b"out " in data:
            data = _VARIANCE.sub(_blank_variance, data)
        if b"export type" in data:
            data = _sub_keyword(_EXPORT_TYPE_STAR, data, _blank_export_type)
    return data


# Repairs parse the file again, and error recovery makes a broken parse slow (600 KB of JSX
# text with bare `&`s: 4 s a parse). However many repairs apply, a file is parsed again at
# most this many times, and a large one fewer: together the repairs re-parse at most about
# _REPARSE_BYTES (but always one full parse), so a file costs a bounded multiple of one parse.
_MAX_REPARSES = 8
_REPARSE_BYTES = 4 * 1024 * 1024


def _reparses_allowed(size: int) -> int:
    return max(1, min(_MAX_REPARSES, _REPARSE_BYTES // max(size, 1)))


class _Reparser:
    """Parses repaired copies of one file while its budget of re-parses lasts."""

    def __init__(self, language: Language, allowed: int) -> None:
        self.language = language
        self.remaining = allowed

    def parse(self, data: bytes) -> tree_sitter.Tree | None:
        if self.remaining <= 0:
            return None
        self.remaining -= 1
        return _watched_parse(self.language, data)


# tree-sitter reads a callback's input in chunks of this size.
_READ_CHUNK = 64 * 1024
# Smaller files cannot take long or much memory to parse (dense code: ~150 bytes a byte).
_WATCHED_PARSE_BYTES = 256 * 1024


def _parsed_through_callback(data: bytes) -> bool:
    return budget.active() and len(data) > _WATCHED_PARSE_BYTES


def _with_text(language: Language, tree: tree_sitter.Tree, data: bytes) -> tree_sitter.Tree:
    """A tree whose nodes read their text from ``data``. A tree parsed from a callback reads
    each node's text through the callback (a file's analysis got 15 times slower), so the
    bytes are parsed again with that tree as the old one: with nothing edited, tree-sitter
    reuses it whole (0.005 s for 3 MB of real code; a broken tree's errors are parsed again)."""
    if not _parsed_through_callback(data):
        return tree
    return _parser(language).parse(data, old_tree=tree)


def _watched_parse(language: Language, data: bytes) -> tree_sitter.Tree:
    """The parse of ``data``, under the file's budget (see budget.py): tree-sitter calls back
    every few microseconds while it parses (only when it reads through a callback) and stops
    when told to, so a file that would take too long or too much memory stops here. Such a
    tree has no text until ``_with_text``: the repairs need none."""
    parser = _parser(language)
    if not _parsed_through_callback(data):
        return parser.parse(data)
    stopped: list[budget.AnalysisStopped] = []

    def progress(*_state: object) -> bool:
        try:
            budget.check()
        except budget.AnalysisStopped as stop:  # never raise through tree-sitter's C code
            stopped.append(stop)
            return True
        return False

    def read(offset: int, _point: object) -> bytes:
        return data[offset : offset + _READ_CHUNK]

    try:
        return parser.parse(read, progress_callback=progress)
    except ValueError:  # "Parsing failed": what a cancelled parse raises
        # A cancelled parser resumes the same parse on its next call (the next file came
        # out as the rest of this one) unless it is reset.
        parser.reset()
        if stopped:
            raise stopped[0] from None
        raise


def _repaired(
    tree: tree_sitter.Tree, data: bytes, reparser: _Reparser
) -> tuple[tree_sitter.Tree, bytes]:
    """The repairs below, in turn, on a tree with syntax errors. Each parses a repaired copy
    and keeps it only if it has fewer ERROR nodes; the errors are found once per tree."""
    errors = _errors(tree)
    if errors and b"using" in data:
        tree, data, errors = _reparse_using_identifiers(tree, data, errors, reparser)
    if errors and b"[" in data:
        tree, data, errors = _reparse_line_breaks_before_brackets(tree, data, errors, reparser)
    if errors and reparser.language is not Language.JAVASCRIPT and b") =>" in data:
        tree, data, errors = _reparse_type_named_parameters(tree, data, errors, reparser)
    if errors and reparser.language is not Language.JAVASCRIPT and b"typeof" in data:
        tree, data, errors = _reparse_less_than_typeof(tree, data, errors, reparser)
    if errors and reparser.language is Language.JAVASCRIPT and b"<" in data:
        tree, data, errors = _reparse_reserved_jsx_names(tree, data, errors, reparser)
    if errors and reparser.language is not Language.JAVASCRIPT and b"asserts " in data:
        tree, data, errors = _reparse_type_named_assertions(tree, data, errors, reparser)
    if (
        errors
        and reparser.language is not Language.TYPESCRIPT
        and b"&" in data
        and len(data) <= _REPAIR_MAX_BYTES
    ):
        tree, data = _reparse_bare_ampersands(tree, data, errors, reparser)
    return tree, data


# `<p>Terms & Conditions</p>` is valid JSX (only `{ < > }` are special in JSX text, and `&`
# starts an entity only as `&name;`), but the grammars stop at the `&`, and error recovery
# turns the rest of the element into ERROR nodes or, worse, into code (`b & c`): valid React
# components were reported as unparsable (LL000) and lost their analysis. The same goes for
# `href='/?a=1&b=2'` in a JSX attribute. An `&` (or `&&`) that the broken tree shows right
# after JSX content or in an attribute's string becomes spaces and the file is parsed
# again, a few rounds while the first error moves on; the repaired tree is kept only if it
# has fewer errors than the original. Offsets are unchanged.
_ENTITY = re.compile(rb"&(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#[xX][0-9A-Fa-f]+);")
_JSX_CONTENT = frozenset(
    {
        "jsx_text",
        "jsx_opening_element",
        "jsx_closing_element",
        "jsx_self_closing_element",
        "jsx_element",
        "jsx_expression",
        "html_character_reference",
    }
)
_REPAIR_ROUNDS = 8
# Each round parses the file again; JSX lives in hand-written components, not in bundles.
_REPAIR_MAX_BYTES = 2 * 1024 * 1024


# `var using; … using = function (props) {…}` (jQuery UI's position(), bundled in many legacy
# apps): `using` is an ordinary identifier, but both grammars take a statement that starts
# with it for a `using` declaration and fail. When a tree has errors, every `using` that does
# not start a declaration (`using x`, `await using x`) is renamed `usin$`, the same length so
# offsets stay put, and the file is parsed again; the new tree is kept if it has fewer errors.
# (Rules that show a name read it from the source, so they still say `using`.)
_USING_IDENTIFIER = re.compile(rb"using(?![\w$])(?!\s+[A-Za-z_$])")


class ErrorNodes(list[tree_sitter.Node]):
    """A tree's ERROR nodes in document order, with the parents met on the way down to them
    (``node.parent`` searches down from the root: asking it per error costs depth times width)."""

    def __init__(
        self,
        nodes: list[tree_sitter.Node],
        parents: dict[int, tree_sitter.Node],
        previous: dict[int, tree_sitter.Node],
    ) -> None:
        super().__init__(nodes)
        self._parents = parents
        self._previous = previous

    def parent_of(self, node: tree_sitter.Node) -> tree_sitter.Node | None:
        return self._parents.get(node.id)

    def previous_sibling_of(self, node: tree_sitter.Node) -> tree_sitter.Node | None:
        """Like ``node.prev_sibling``, which costs the parent's width (found from the root)."""
        return self._previous.get(node.id)


# A tree, the bytes it was parsed from, and its ERROR nodes in document order.
_Parsed = tuple[tree_sitter.Tree, bytes, ErrorNodes]


def _reparsed_if_better(
    tree: tree_sitter.Tree,
    data: bytes,
    errors: ErrorNodes,
    repaired: bytes,
    reparser: _Reparser,
) -> _Parsed:
    """The parse of ``repaired`` if it has fewer syntax errors than ``tree``, else ``tree``."""
    if repaired == data:
        return tree, data, errors
    candidate = reparser.parse(repaired)
    if candidate is None:
        return tree, data, errors
    candidate_errors = _errors(candidate)
    if len(candidate_errors) < len(errors):
        return candidate, repaired, candidate_errors
    return tree, data, errors


# `<Collapse in={open}>`, `<label for="id" class="x">`, `<Skeleton.default />`: a JSX attribute
# name and each part of a member tag name is a JSXIdentifier, which may be any IdentifierName,
# reserved words included; the JavaScript grammar (not TSX's) stops at them, and error recovery
# turned the attributes that follow into assignments to undeclared names (LL001) and the
# component into an LL000. On a broken tree such a word — after a blank and before `=` and a
# value or the tag's end, or after `<Name.`/`</Name.` — gets an underscore for its first letter
# (`_n`, `_lass`, `_efault`: the same length) and the file is parsed again; kept if better.
_JSX_RESERVED = (
    rb"null|true|false|break|case|catch|class|const|continue|debugger|default|delete|do|else"
    rb"|export|extends|finally|for|function|if|import|in|instanceof|new|return|super|switch"
    rb"|this|throw|try|typeof|var|void|while|with"
)
_RESERVED_JSX_ATTRIBUTE = re.compile(
    rb"([ \t\r\n])(" + _JSX_RESERVED + rb")(?=[ \t\r\n]*(?:=[ \t\r\n]*[\"'{]|/?>))"
)
_RESERVED_JSX_MEMBER = re.compile(
    rb"(</?[A-Za-z_$][\w$]*(?:\.[\w$]+)*\.)(" + _JSX_RESERVED + rb")(?![\w$])"
)


def _underscored(match: re.Match[bytes]) -> bytes:
    return match.group(1) + b"_" + match.group(2)[1:]


def _reparse_reserved_jsx_names(
    tree: tree_sitter.Tree, data: bytes, errors: ErrorNodes, reparser: _Reparser
) -> _Parsed:
    renamed = _RESERVED_JSX_MEMBER.sub(_underscored, data)
    renamed = _RESERVED_JSX_ATTRIBUTE.sub(_underscored, renamed)
    return _reparsed_if_better(tree, data, errors, renamed, reparser)


def _reparse_using_identifiers(
    tree: tree_sitter.Tree, data: bytes, errors: ErrorNodes, reparser: _Reparser
) -> _Parsed:
    renamed = _sub_keyword(_USING_IDENTIFIER, data, lambda _: b"usin$")
    return _reparsed_if_better(tree, data, errors, renamed, reparser)


# `let argv\n[args, argv] = parse()` (argparse), an arrow function's `}\n\n[...a].forEach(…)`
# (npm): JavaScript inserts a semicolon at that line break, because what precedes cannot go
# on with `[`, but the grammars' scanner never inserts one before `[`. Near the first syntax
# error, the line break before the closest such `[` becomes a `;` (the same length; leaklint
# takes lines from the source, not from the tree) and the file is parsed again, a few rounds
# while that removes errors.
_ASI_WINDOW = 200
_BLANKS = frozenset(b" \t\r\n")
_LINE_BREAKS = frozenset(b"\r\n")


def _breaks_before_brackets(data: bytes, start: int, end: int) -> list[tuple[int, int]]:
    """(first line break, `[`) of every `[` in ``data[start:end]`` that only blanks with a
    line break among them precede. Found from each `[` backwards, so each blank is looked at
    once: the regex `[\\r\\n][ \\t\\r\\n]*\\[` tried a match at every line break and ran on to
    the end of the blanks, which is quadratic in a run of blank lines (200,000: 57 s)."""
    found: list[tuple[int, int]] = []
    bracket = data.find(b"[", start, end)
    while bracket != -1:
        first_break = -1
        index = bracket - 1
        while index >= start and data[index] in _BLANKS:
            if data[index] in _LINE_BREAKS:
                first_break = index
            index -= 1
        if first_break != -1:
            found.append((first_break, bracket))
        bracket = data.find(b"[", bracket + 1, end)
    return found


def _reparse_line_breaks_before_brackets(
    tree: tree_sitter.Tree, data: bytes, errors: ErrorNodes, reparser: _Reparser
) -> _Parsed:
    best, best_errors, out = tree, errors, data
    for _ in range(_REPAIR_ROUNDS):
        if not best_errors:
            break
        error = best_errors[0]
        start, end = max(0, error.start_byte - _ASI_WINDOW), error.end_byte + _ASI_WINDOW
        breaks = _breaks_before_brackets(out, start, end)
        if not breaks:
            break
        line_break, _ = min(breaks, key=lambda pair: abs(pair[1] - error.start_byte))
        trial = out[:line_break] + b";" + out[line_break + 1 :]
        candidate = reparser.parse(trial)
        if candidate is None:
            break
        trial_errors = _errors(candidate)
        if len(trial_errors) >= len(best_errors):
            break
        best, best_errors, out = candidate, trial_errors, trial
    return best, out, best_errors


# `const mapRow: (any) => Row = …`: in a TypeScript function type, `(any)` is one parameter
# named `any` (of an implicit type), but the grammar reads a type where it wants a name and
# fails. When a tree has errors, such a lone parameter named after a predefined type gets a
# `$` for its last letter (the same length) and the file is parsed again; the new tree is kept
# if it has fewer errors. Types mean nothing to leak analysis.
_TYPE_NAMED_PARAMETER = re.compile(
    rb"\(\s*(any|string|number|boolean|object|unknown|never|void|symbol|bigint)\s*\)(?=\s*=>)"
)


def _reparse_type_named_parameters(
    tree: tree_sitter.Tree, data: bytes, errors: ErrorNodes, reparser: _Reparser
) -> _Parsed:
    def rename(match: re.Match[bytes]) -> bytes:
        last = match.end(1) - match.start() - 1  # the name's last letter, in the match
        return match.group(0)[:last] + b"$" + match.group(0)[last + 1 :]

    renamed = _TYPE_NAMED_PARAMETER.sub(rename, data)
    return _reparsed_if_better(tree, data, errors, renamed, reparser)


# `function assertIsSet(object: any): asserts object {…}` asserts that the parameter named
# `object` is truthy, but the TypeScript grammars read a predefined type after `asserts` and
# fail unless an `is` follows (saltcorn's test assertions: LL000 on valid code). When a tree
# has errors, such a name gets a `$` for its last letter (the same length), as
# _TYPE_NAMED_PARAMETER does, and the file is parsed again; kept if it has fewer errors.
_TYPE_NAMED_ASSERTION = re.compile(
    rb"\basserts\s+(any|string|number|boolean|object|unknown|never|symbol|bigint)\b(?!\s+is\b)"
)


def _reparse_type_named_assertions(
    tree: tree_sitter.Tree, data: bytes, errors: ErrorNodes, reparser: _Reparser
) -> _Parsed:
    def rename(match: re.Match[bytes]) -> bytes:
        last = match.end(1) - match.start() - 1  # the name's last letter, in the match
        return match.group(0)[:last] + b"$" + match.group(0)[last + 1 :]

    renamed = _TYPE_NAMED_ASSERTION.sub(rename, data)
    return _reparsed_if_better(tree, data, errors, renamed, reparser)


# `if (mem < (typeof limit.warn === 'number' ? limit.warn : 100))` is a comparison, but the
# TypeScript grammars read `<(typeof limit.warn` as the start of type arguments and fail at the
# `===` (ioBroker's controller: LL000 on valid code). When an error starts at such a `typeof`,
# the `<` before its parenthesis becomes `>` (the same length) and the file is parsed again;
# kept if it has fewer errors. Which comparison it is means nothing to leak analysis.
_PAREN_BEFORE = re.compile(rb"<\s*\(\s*$")


def _reparse_less_than_typeof(
    tree: tree_sitter.Tree, data: bytes, errors: ErrorNodes, reparser: _Reparser
) -> _Parsed:
    out = bytearray(data)
    for error in errors:
        if not data.startswith(b"typeof", error.start_byte):
            continue
        window = max(0, error.start_byte - 64)  # `<` and `(` sit right before the error
        before = _PAREN_BEFORE.search(data, window, error.start_byte)
        if before is not None and _ends_an_operand(data, before.start()):
            out[before.start()] = ord(">")
    return _reparsed_if_better(tree, data, errors, bytes(out), reparser)


def _ends_an_operand(data: bytes, position: int) -> bool:
    """Whether the code before ``position`` ends an expression (`mem <`, `a.b <`, `f() <`)."""
    rest = data[max(0, position - 64) : position].rstrip()
    return bool(rest) and rest[-1] in _IDENTIFIER_END


def _reparse_bare_ampersands(
    tree: tree_sitter.Tree, data: bytes, original_errors: ErrorNodes, reparser: _Reparser
) -> tuple[tree_sitter.Tree, bytes]:
    best, best_errors, best_data = tree, original_errors, data
    errors = original_errors
    out = bytearray(data)
    for _ in range(_REPAIR_ROUNDS):
        positions = [p for p in _ampersands_after_jsx(errors) if not _ENTITY.match(data, p)]
        if not positions:
            break
        for position in positions:
            out[position] = 0x20
        candidate = reparser.parse(bytes(out))
        if candidate is None:
            break
        candidate_errors = _errors(candidate)
        if not candidate_errors:
            return candidate, bytes(out)
        if candidate_errors[0].start_byte <= errors[0].start_byte:
            break  # no progress: this is not (only) a JSX `&`
        errors = candidate_errors
        if len(errors) < len(best_errors):
            best, best_errors, best_data = candidate, errors, bytes(out)
    return (best, best_data) if len(best_errors) < len(original_errors) else (tree, data)


def _errors(tree: tree_sitter.Tree) -> ErrorNodes:
    """Every ERROR node, found by descending only into subtrees that contain an error.

    A query for `(ERROR)` costs the whole tree, and grows faster than the tree where a node
    is very wide (`(` 40,000 times: 1.1 s, 4 times more per doubling); this walk costs the
    children of the nodes on the way to errors, once each.
    """
    found: list[tree_sitter.Node] = []
    parents: dict[int, tree_sitter.Node] = {}
    previous: dict[int, tree_sitter.Node] = {}
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        budget.check()
        if node.type == "ERROR":
            found.append(node)
        before: tree_sitter.Node | None = None
        for child in node.children:
            if child.has_error:
                parents[child.id] = node
                if before is not None:
                    previous[child.id] = before
                stack.append(child)
            before = child
    found.sort(key=lambda n: n.start_byte)
    return ErrorNodes(found, parents, previous)


def _ampersands_after_jsx(errors: ErrorNodes) -> list[int]:
    """Byte offsets of `&`/`&&` tokens that an ERROR node holds right after JSX content, or
    inside a JSX attribute's string (`href='/?a=1&b=2'`, where an `&` is text too)."""
    found: list[int] = []
    for error in errors:
        in_attribute = _in_jsx_attribute_string(error, errors)
        previous = errors.previous_sibling_of(error)
        for child in error.children:
            after_jsx = previous is not None and previous.type in _JSX_CONTENT
            if child.type in ("&", "&&") and (in_attribute or after_jsx):
                found.extend(range(child.start_byte, child.end_byte))
            previous = child
    return found


def _in_jsx_attribute_string(error: tree_sitter.Node, errors: ErrorNodes) -> bool:
    if _is_broken_attribute_value(error, errors):
        return True
    string = errors.parent_of(error)
    if string is None or string.type != "string":
        return False
    attribute = errors.parent_of(string)
    return attribute is not None and attribute.type == "jsx_attribute"


def _is_broken_attribute_value(error: tree_sitter.Node, errors: ErrorNodes) -> bool:
    """`help="B&G device x's"`: an apostrophe after the `&` breaks the attribute's string
    itself, and the error holds `="B&` (or `"B&` right after an `=`)."""
    kinds = [child.type for child in error.children[:3]]
    if kinds[:1] == ["="]:
        kinds = kinds[1:]
    else:
        previous = errors.previous_sibling_of(error)
        if previous is None or previous.type != "=":
            return False
    return kinds[:2] in (['"', "string_fragment"], ["'", "string_fragment"])


_IDENTIFIER_END = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$)]")


def _blank_template_type_arguments(data: bytes) -> bytes:
    """Blank the type arguments of tagged templates: styled.div<{ on: boolean }>`…`.

    The TypeScript grammar cannot parse type arguments on a tagged template, which
    styled-components code uses everywhere; the types mean nothing to leak analysis, so they
    become spaces (newlines kept, so every offset and line stays where it was).
    """
    out = bytearray(data)
    end = data.find(b">`")
    while end != -1:
        start = _matching_angle(data, end)
        if (
            start is not None
            and start > 0
            and data[start - 1] in _IDENTIFIER_END
            and _could_be_type_arguments(data[start : end + 1])
        ):
            for index in range(start, end + 1):
                if out[index] not in (0x0A, 0x0D):
                    out[index] = 0x20
        end = data.find(b">`", end + 2)
    return bytes(out)


_OPENING = {0x29: 0x28, 0x5D: 0x5B, 0x7D: 0x7B}  # ) ] } -> ( [ {


def _could_be_type_arguments(span: bytes) -> bool:
    """Whether ``span`` (from `<` to `>`) can be a type argument list: no `${`, and its
    brackets balanced. Text at the end of a template literal can look like one (Zeppelin's
    `` `…\\n<@!${ids.join(">\\n<@!")}>` ``, where `n<@!")}>` precedes the closing backtick):
    blanking it cut the string open and made the whole file one syntax error."""
    if b"${" in span:
        return False
    stack: list[int] = []
    for char in span:
        if char in (0x28, 0x5B, 0x7B):
            stack.append(char)
        elif char in _OPENING and (not stack or stack.pop() != _OPENING[char]):
            return False
    return not stack


def _matching_angle(data: bytes, close: int) -> int | None:
    """The `<` that opens the type argument list closed at ``close`` (`=>` is not a bracket)."""
    depth = 0
    index = close
    limit = max(0, close - 4000)  # type arguments are short; give up on anything else
    while index >= limit:
        char = data[index]
        if char == 0x3E and not (index > 0 and data[index - 1] == 0x3D):  # '>' but not '=>'
            depth += 1
        elif char == 0x3C:  # '<'
            depth -= 1
            if depth == 0:
                return index
        elif char == 0x60 and index != close + 1:  # another template: not a type list
            return None
        index -= 1
    return None


@cache
def query(language: Language, source: str) -> tree_sitter.Query:
    """A compiled query, cached: compiling is far costlier than running."""
    return tree_sitter.Query(grammar(language), source)


_CAPTURE_NAME = re.compile(r"@([A-Za-z_][\w.-]*)")


def valid_patterns(language: Language, patterns: str) -> str:
    """The patterns (one per line or per top-level form) that this grammar can compile.

    The JavaScript grammar lacks TypeScript node types such as ``enum_declaration``; a rule
    written for both languages lists every pattern and each grammar keeps what it knows.
    """
    try:
        query(language, patterns)
        return patterns
    except Exception:
        pass
    kept = []
    for pattern in _split_patterns(patterns):
        try:
            query(language, pattern)
        except Exception:
            continue
        kept.append(pattern)
    return "\n".join(kept)


def _split_patterns(patterns: str) -> list[str]:
    """Top-level S-expressions (and bracketed alternations) of a query source."""
    forms, depth, start = [], 0, None
    in_string = False
    for index, char in enumerate(patterns):
        if in_string:
            in_string = char != '"' or patterns[index - 1] == "\\"
            continue
        if char == '"':
            in_string = True
        elif char == ";" and depth == 0:
            continue
        elif char in "([":
            if depth == 0:
                start = index
            depth += 1
        elif char in ")]":
            depth -= 1
            if depth == 0 and start is not None:
                end = index + 1
                # Captures and quantifiers after the closing bracket belong to the form.
                match = re.match(r"(\s*[*+?])?(\s*@[\w.-]+)*", patterns[end:])
                end += match.end() if match else 0
                forms.append(patterns[start:end])
                start = None
    return forms


@cache
def namespaced(language: Language, prefix: str, patterns: str) -> str:
    """Patterns with every capture renamed ``@x`` → ``@prefix.x`` so sources can be combined."""
    return _CAPTURE_NAME.sub(
        lambda m: f"@{prefix}.{m.group(1)}", valid_patterns(language, patterns)
    )


@cache
def combined_query(language: Language, parts: tuple[tuple[str, str], ...]) -> tree_sitter.Query:
    """One query for several (prefix, patterns) sources: one pass over the tree serves all.

    Running a query costs mostly the walk over the tree, whatever the patterns; a pass per rule
    would cost as much as parsing again. The set of parts differs per file only by which rules
    a file triggers, so the cache stays small.

    Each part's patterns are first filtered by the names the grammar knows (``known_patterns``)
    rather than by compiling each part on its own (``valid_patterns``), which cost every process
    a quarter of a second; only if the grammar still refuses the result are they compiled one
    by one.
    """
    source = "\n".join(
        _renamed(prefix, known_patterns(language, patterns)) for prefix, patterns in parts
    )
    try:
        return query(language, source)
    except Exception:  # a pattern whose names exist but which the grammar cannot match
        source = "\n".join(namespaced(language, prefix, patterns) for prefix, patterns in parts)
        return query(language, source)


def _renamed(prefix: str, patterns: str) -> str:
    return _CAPTURE_NAME.sub(lambda m: f"@{prefix}.{m.group(1)}", patterns)


# What a pattern names, once its strings and comments are blanked: node types after `(`, and
# fields before `:`. `_`, ERROR and MISSING are the query language's own.
_PATTERN_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|;[^\n]*')
_NAMED_NODE = re.compile(r"\(\s*([A-Za-z_]\w*)")
_FIELD = re.compile(r"([A-Za-z_]\w*)\s*:")
_QUERY_WORDS = frozenset({"_", "ERROR", "MISSING"})


@cache
def known_patterns(language: Language, patterns: str) -> str:
    """``valid_patterns`` without compiling: the top-level patterns whose node types and
    fields this grammar has (all of them unchanged when it has every name). A pattern can
    still be impossible in a grammar that knows its names; ``combined_query`` then falls back."""
    if _names_known(language, patterns):
        return patterns
    return "\n".join(p for p in _split_patterns(patterns) if _names_known(language, p))


def _names_known(language: Language, patterns: str) -> bool:
    known = grammar(language)
    text = _PATTERN_STRING.sub(" ", patterns)
    return all(
        name in _QUERY_WORDS or known.id_for_node_kind(name, True) is not None
        for name in _NAMED_NODE.findall(text)
    ) and all(known.field_id_for_name(name) is not None for name in _FIELD.findall(text))


def captures(language: Language, source: str, node: tree_sitter.Node) -> dict[str, list]:
    return run_query(query(language, source), node)


# A query cursor keeps the depth at which a match started in 16 bits: in code nested deeper
# than 65,535 levels (`a = a = … = 1` 100,000 times) its matches never finish, each step
# revisits all of them (over 100 s), and nothing below that depth is found. So a match may
# start at most this deep, and each subtree that starts below it is queried as a tree of its
# own: every match is found once, and each query stays far from the limit.
QUERY_START_DEPTH = 20_000


def run_query(compiled: tree_sitter.Query, node: tree_sitter.Node) -> dict[str, list]:
    """``QueryCursor(compiled).captures(node)`` in document order, for trees of any depth.

    The cursor's own order is not document order where matches nest (`if … else if …`
    gave offsets 4, 37, 54, 26, …, 9); in document order, walks that remember what they saw
    (``Ancestry``) go from one capture to the next instead of starting over.
    """
    cursor = tree_sitter.QueryCursor(compiled)
    if node.descendant_count <= QUERY_START_DEPTH:  # too few nodes to nest that deep
        found = cursor.captures(node)
    else:
        cursor.set_max_start_depth(QUERY_START_DEPTH)
        found = {name: list(nodes) for name, nodes in cursor.captures(node).items()}
        for root in _nodes_at_depth(node, QUERY_START_DEPTH + 1):
            for name, nodes in run_query(compiled, root).items():
                found.setdefault(name, []).extend(nodes)
    for nodes in found.values():
        nodes.sort(key=_start_byte)  # stable, and nearly sorted already: about linear
    return found


def _start_byte(node: tree_sitter.Node) -> int:
    return node.start_byte


def _nodes_at_depth(node: tree_sitter.Node, depth: int) -> list[tree_sitter.Node]:
    """The descendants ``depth`` levels below ``node``. A subtree of n nodes is at most n
    deep, so only children with enough descendants are entered: a flat tree costs the
    children of its few large nodes, not a walk over every node."""
    found: list[tree_sitter.Node] = []
    stack = [(node, 0)]
    while stack:
        current, level = stack.pop()
        budget.check()
        for child in current.children:
            if level + 1 == depth:
                found.append(child)
            elif child.descendant_count >= depth - level:
                stack.append((child, level + 1))
    return found
