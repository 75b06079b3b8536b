"""Grammars and parsers. One parser per grammar per process, created on first use."""

from __future__ import annotations

from functools import cache

import tree_sitter
import tree_sitter_javascript
import tree_sitter_typescript

from leaklint.source import Language


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


def parse(data: bytes, language: Language) -> tree_sitter.Tree:
    return _parser(language).parse(data)


@cache
def query(language: Language, source: str) -> tree_sitter.Query:
    """A compiled query, cached: compiling is far costlier than running."""
    return tree_sitter.Query(grammar(language), source)


def captures(language: Language, source: str, node: tree_sitter.Node) -> dict[str, list]:
    return tree_sitter.QueryCursor(query(language, source)).captures(node)


def matches(language: Language, source: str, node: tree_sitter.Node) -> list:
    return tree_sitter.QueryCursor(query(language, source)).matches(node)
