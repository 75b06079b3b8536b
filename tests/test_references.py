"""``References``: the uses of a name, read from the bytes for the first few names a file asks
about and from the whole-file identifier pass after that, must be the same either way."""

from __future__ import annotations

from pathlib import Path

import pytest
from tree_sitter import Tree

from leaklint.semantic import scope
from leaklint.semantic.scope import References
from leaklint.syntax.parsing import parse
from leaklint.syntax.source import Language, SourceFile

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SOURCES = sorted(
    p for p in FIXTURES.rglob("*") if p.suffix in (".js", ".mjs", ".jsx", ".ts", ".tsx")
)

# Names next to what a byte scan could get wrong: keywords that are identifiers (`async`,
# `get`, `of`), shorthands in objects and patterns, template substitutions, a name that is a
# prefix or suffix of others, a non-breaking space and a U+2028 after a name, a property and
# a private name spelled like a variable, strings and comments, a hex number spelled like a name.
TRICKY = """
  // leading comment: a
let async = 1, get = 2, of = 3, a = 4, ab = 5, ba = 6, $a = 7, a$ = 8, _a = 9;
async = get + of; a\u00a0= ab + ba; a\u2028+ a;
const o = { a, get, b: a, [a]: 1, a: 2 }; const { a: x, ab: y, async: z } = o;
const s = `${a}${ab}a` + 'a' + "a"; /* a */ o.a = a; class K { #a = 1; a() { return this.#a; } }
for (const of of [a]) { of; } label: a; x1a = 0x1a in o; é = a; aé = a;
"""


def _tree(source: str, language: Language = Language.JAVASCRIPT) -> Tree:
    return parse(source.encode("utf-8"), language)


def _indexed(tree: Tree, language: Language) -> References:
    index = References(tree, language)
    index._text = None  # never scan: the query pass answers
    return index


def _ids(nodes: list) -> list[int]:
    return [n.id for n in nodes]


def _every_name(tree: Tree, language: Language) -> list[str]:
    index = _indexed(tree, language)
    index.named("")
    assert index._by_name is not None
    names = [name.decode("utf-8") for name in index._by_name]
    return [*names, "get", "async", "of", "from", "default", "length", "then", "nope"]


def _ranges(tree: Tree) -> list[tuple[int, int]]:
    root = tree.root_node
    size = root.end_byte
    # The whole file, from byte 0 (before the tree's first token), and cuts that fall inside
    # words: an identifier counts when it *starts* in the range.
    return [(root.start_byte, size), (0, size), (size // 3, 2 * size // 3), (size // 2, size)]


def _assert_scan_equals_index(tree: Tree, language: Language, label: str) -> None:
    for name in _every_name(tree, language):
        for start, end in _ranges(tree):
            scanned = References(tree, language)
            assert scanned._text is not None, label
            expected = _indexed(tree, language).named_within(name, start, end)
            assert _ids(scanned.named_within(name, start, end)) == _ids(expected), (
                label,
                name,
                start,
                end,
            )
            assert scanned._by_name is None  # answered from the bytes
        assert _ids(References(tree, language).named(name)) == _ids(
            _indexed(tree, language).named(name)
        ), (label, name)


def test_scan_and_index_agree_on_names_a_byte_scan_could_get_wrong() -> None:
    tree = _tree(TRICKY)
    assert not tree.root_node.has_error
    _assert_scan_equals_index(tree, Language.JAVASCRIPT, "tricky")
    assert len(References(tree, Language.JAVASCRIPT).named("a")) > 10


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_scan_and_index_agree_on_every_fixture(path: Path) -> None:
    source = SourceFile.read(path)
    tree = parse(source.data, source.language)
    if tree.root_node.has_error:
        assert References(tree, source.language)._text is None  # never scanned
        return
    _assert_scan_equals_index(tree, source.language, path.name)


def test_a_few_names_are_read_without_the_whole_file_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tree = _tree("function main() { start(); }\nfunction start() {}\nmain();\n" * 50)
    references = References(tree, Language.JAVASCRIPT)

    def no_pass(self: References) -> dict:
        raise AssertionError("the whole-file identifier pass ran")

    monkeypatch.setattr(References, "_captures", no_pass)
    assert len(references.named("main")) == 100
    assert len(references.named_within("start", 0, tree.root_node.end_byte // 2)) == 50


def test_a_file_that_asks_about_every_name_builds_one_index(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 3,000 module-level names asked about one by one: scanning the file for each would cost
    # 3,000 scans of it; the allowance runs out after a few, and one pass answers the rest.
    names = [f"v{i}" for i in range(3000)]
    tree = _tree("".join(f"var {n} = {n} + 1;\n" for n in names))
    references = References(tree, Language.JAVASCRIPT)
    passes = []
    original = References._captures

    def counted(self: References) -> dict:
        passes.append(1)
        return original(self)

    monkeypatch.setattr(References, "_captures", counted)
    scanned_before_index = 0
    for name in names:
        assert len(references.named(name)) == 2
        if references._by_name is None:
            scanned_before_index += 1
    assert passes == [1]
    assert 0 < scanned_before_index <= scope._SCAN_BYTES_PER_BYTE + 1


def test_a_name_used_everywhere_stops_scanning_after_the_lookup_allowance() -> None:
    tree = _tree("a = a + 1;\n" * 2000)
    references = References(tree, Language.JAVASCRIPT)
    assert len(references.named("a")) == 4000
    assert references._by_name is not None  # 4,000 lookups: over the allowance, so indexed


def test_a_tree_with_errors_is_never_scanned() -> None:
    tree = _tree("let a = 1; a = ) a + ;")
    assert tree.root_node.has_error
    references = References(tree, Language.JAVASCRIPT)
    assert references._text is None
    assert _ids(references.named("a")) == _ids(_indexed(tree, Language.JAVASCRIPT).named("a"))


def test_word_spans_are_the_matches_of_the_look_behind_regex_they_replace() -> None:
    import re

    from leaklint.analysis.nodes import word_occurrences_within

    texts = [
        TRICKY.encode("utf-8"),
        b"aa aaa a_a $a a$ #a a1 1a a",
        "zaéaéa aéa xéxéx".encode(),  # a rejected match overlapping a real one
        b"",
    ]
    words = ["a", "aa", "aéa", "xéx", "get", "async", "$a", "a$", "nope"]
    for data in texts:
        for word in words:
            regex = re.compile(rb"(?<![\w$#])" + re.escape(word.encode()) + rb"(?![\w$])")
            ranges = ((0, len(data)), (1, len(data) - 1), (len(data) // 2, len(data)))
            # Past either end too: `re` clamps ``pos`` and ``endpos`` to the data.
            for start, end in (*ranges, (0, len(data) + 5), (-3, len(data)), (2, 3)):
                expected = [(m.start(), m.end()) for m in regex.finditer(data, start, end)]
                assert list(word_occurrences_within(data, word, start, end)) == expected, (
                    data,
                    word,
                    start,
                    end,
                )
