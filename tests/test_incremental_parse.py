"""parse_incremental gives the tree a fresh parse gives, edit after edit."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from leaklint.syntax.parsing import parse, parse_incremental
from leaklint.syntax.source import Language, language_for

FIXTURES = sorted(
    p for p in Path(__file__).parent.parent.joinpath("fixtures").rglob("*") if language_for(p)
)


def _edits(data: bytes, rng: random.Random) -> list[bytes]:
    """A typing session: insertions, deletions and replacements at random places."""
    versions = []
    pieces = [b"x", b" = 1;", b"\n", b"{", b"}", b"(", b"const y = require('pg');\n", b""]
    for _ in range(6):
        start = rng.randrange(len(data) + 1)
        end = min(len(data), start + rng.randrange(12))
        data = data[:start] + rng.choice(pieces) + data[end:]
        versions.append(data)
    return versions


@pytest.mark.parametrize("path", FIXTURES[::3], ids=lambda p: f"{p.parent.name}/{p.name}")
def test_incremental_parse_matches_a_fresh_parse(path: Path) -> None:
    language = language_for(path)
    assert language is not None
    data = path.read_bytes()
    tree, state = parse_incremental(data, language, None)
    assert str(tree.root_node) == str(parse(data, language).root_node)
    for version in _edits(data, random.Random(path.name)):
        tree, state = parse_incremental(version, language, state)
        assert str(tree.root_node) == str(parse(version, language).root_node)


def test_a_rewrite_that_appears_next_to_the_edit_is_seen() -> None:
    # Typing the name after `using` turns the keyword into `const` (parsing.prepare): the
    # bytes before the edit change too, and the re-parse must not reuse the stale node.
    before = b"function f() {\n  using \n  return 1;\n}\n"
    after = b"function f() {\n  using x = open();\n  return 1;\n}\n"
    _, state = parse_incremental(before, Language.TYPESCRIPT, None)
    tree, _ = parse_incremental(after, Language.TYPESCRIPT, state)
    assert str(tree.root_node) == str(parse(after, Language.TYPESCRIPT).root_node)
    assert "lexical_declaration" in str(tree.root_node)


def test_the_previous_state_is_left_usable() -> None:
    first = b"let a = 1;\n"
    _, state = parse_incremental(first, Language.JAVASCRIPT, None)
    parse_incremental(b"let a = 12;\n", Language.JAVASCRIPT, state)
    again, _ = parse_incremental(b"let b = 1;\n", Language.JAVASCRIPT, state)
    assert str(again.root_node) == str(parse(b"let b = 1;\n", Language.JAVASCRIPT).root_node)
