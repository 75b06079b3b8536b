"""Source rewrites done before parsing keep every byte offset and only touch what they mean to."""

from __future__ import annotations

from leaklint.parsing import _blank_template_type_arguments, parse
from leaklint.scope import ScopeAnalysis
from leaklint.source import Language


def test_template_type_arguments_are_blanked_in_place() -> None:
    source = b"const B = styled.div<{ a: () => void;\n b: X<Y> }>`x`;"
    rewritten = _blank_template_type_arguments(source)
    assert len(rewritten) == len(source)
    assert rewritten.count(b"\n") == source.count(b"\n")
    assert b"styled.div " in rewritten and b"`x`" in rewritten
    # parse() applies the rewrite itself: the same source no longer has a syntax error.
    assert not parse(source, Language.TYPESCRIPT).root_node.has_error
    assert parse(source, Language.JAVASCRIPT).root_node.has_error  # JS has no such rewrite


def test_comparisons_and_plain_templates_are_left_alone() -> None:
    for source in (
        b"if (a < b && c > d) { f`t`; }",
        b"const x = a<b ? 1 : 2; const y = tag`${a > b}`;",
    ):
        assert _blank_template_type_arguments(source) == source


def test_using_declarations_parse_as_const_in_typescript() -> None:
    source = b"async function f() { await using h = open(); using g = h; }"
    tree = parse(source, Language.TYPESCRIPT)
    assert not tree.root_node.has_error
    scopes = ScopeAnalysis(tree, Language.TYPESCRIPT)
    offset = source.rindex(b"h;")
    binding = scopes.resolve_name("h", offset, offset + 1)
    assert binding is not None and binding.kind == "const"
