"""Scope analysis: the shortcut LL001 uses must agree with full resolution everywhere."""

from __future__ import annotations

from pathlib import Path

import pytest
from tree_sitter import QueryCursor

from leaklint.semantic.scope import ScopeAnalysis
from leaklint.syntax.parsing import parse, query
from leaklint.syntax.source import SourceFile

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SOURCES = sorted(
    p for p in FIXTURES.rglob("*") if p.suffix in (".js", ".mjs", ".jsx", ".ts", ".tsx")
)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_declares_agrees_with_resolve_on_every_identifier(path: Path) -> None:
    source = SourceFile.read(path)
    tree = parse(source.data, source.language)
    cursor = QueryCursor(query(source.language, "(identifier) @name"))
    identifiers = cursor.captures(tree.root_node).get("name", [])
    # Separate analyses, so that `declares` runs before anything is indexed, as in LL001.
    quick = ScopeAnalysis(tree, source.language)
    full = ScopeAnalysis(tree, source.language)
    for ident in identifiers:
        name = ident.text.decode()
        assert quick.declares(name, ident) == (full.resolve(ident, name) is not None), (
            path.name,
            ident.start_point,
            name,
        )
