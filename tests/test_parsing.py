"""Source rewrites done before parsing keep every byte offset and only touch what they mean to."""

from __future__ import annotations

import pytest

from leaklint.semantic.scope import ScopeAnalysis
from leaklint.syntax.parsing import _blank_template_type_arguments, parse
from leaklint.syntax.source import Language


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


def test_template_text_that_looks_like_type_arguments_is_left_alone() -> None:
    # The end of a template literal, `n<@!")}>` before its closing backtick: blanking it as
    # type arguments cut the string open (one syntax error for the whole file, Zeppelin).
    for source in (
        b'send(`users:\\n\\n<@!${ids.join(">\\n<@!")}>`);',
        b"const t = `a\\n<${user}>`;",
    ):
        assert _blank_template_type_arguments(source) == source
        assert not parse(source, Language.TYPESCRIPT).root_node.has_error


def test_using_declarations_parse_as_const_in_typescript() -> None:
    source = b"async function f() { await using h = open(); using g = h; }"
    tree = parse(source, Language.TYPESCRIPT)
    assert not tree.root_node.has_error
    scopes = ScopeAnalysis(tree, Language.TYPESCRIPT)
    offset = source.rindex(b"h;")
    binding = scopes.resolve_name("h", offset, offset + 1)
    assert binding is not None and binding.kind == "const"


def _text(tree) -> bytes:
    return tree.root_node.text


def assert_parses_in_place(sources: tuple[bytes, ...], *languages: Language) -> None:
    """Each source parses without an error in each language, every byte where it was."""
    for source in sources:
        for language in languages:
            tree = parse(source, language)
            assert not tree.root_node.has_error, (source, language)
            assert len(_text(tree)) == len(source)


def test_a_bare_ampersand_in_jsx_text_is_not_a_syntax_error() -> None:
    sources = (
        b"const a = <p>Terms & Conditions</p>;",
        b"const a = <><b>R&D</b> & more</>;",
        b"const a = <p>a && b & c {x & y}</p>;",
        b"const a = <a href='/up?utm_source=oss&utm_medium=x&y=1'>Up & away</a>;",
        b'const a = <a href="/?a=1&b=2" title="x & y">t</a>;',
        b"function F() {\n  return (\n    <div>\n      <p>Q & A</p>\n    </div>\n  );\n}\n",
    )
    assert_parses_in_place(sources, Language.JAVASCRIPT, Language.TSX)


def test_reserved_words_as_jsx_attribute_and_member_tag_names_parse() -> None:
    sources = (
        b"const a = <Collapse in={open} timeout={0} unmountOnExit>x</Collapse>;",
        b'const a = <label for="q" class="label">Q</label>;',
        b"const a = <Slide appear={false} in />;",
        b'const a = <Skeleton.default height="80vh" width="100%" count={1} />;',
        b"const a = <Skeleton.default>t</Skeleton.default>;",
    )
    assert_parses_in_place(sources, Language.JAVASCRIPT, Language.TSX)


def test_reserved_words_outside_jsx_are_not_renamed() -> None:
    # Only a broken tree is repaired; valid code keeps every keyword where it was.
    code = b"for (const k in o) if (i < opts.default) x = this == 'a';\n"
    assert _text(parse(code, Language.JAVASCRIPT)) == code
    # A real syntax error stays one: the repair is kept only when it removes errors.
    broken = b"const a = <X in={1} />;\nconst b = (;\n"
    assert parse(broken, Language.JAVASCRIPT).root_node.has_error


def test_an_ampersand_then_an_apostrophe_in_a_jsx_attribute_string_parses() -> None:
    # signalk-server's admin UI: the apostrophe after the `&` breaks the string itself, and the
    # grammar's error holds `="B&` (in an element) or `"B&` after an `=` (in parentheses).
    sources = (
        b'const a = <T help="B&G device x\'s" />;',
        b'const A = () => (\n  <div>\n    <T\n      help="a B&G device MFD\'s"\n'
        b"      value={1}\n    />\n  </div>\n);\n",
    )
    assert_parses_in_place(sources, Language.JAVASCRIPT, Language.TSX)
    text = _text(parse(sources[0], Language.TSX))
    assert b'help="B G device' in text  # only the `&` was blanked


def test_less_than_a_parenthesised_typeof_is_a_comparison() -> None:
    # ioBroker's controller: `<(typeof a.b` read as the start of type arguments.
    sources = (
        b"if (\n  mem !== undefined &&\n  mem < (typeof c.warn === 'number' ? c.warn : 100)\n"
        b") {\n  log(mem);\n}\n",
        b"const y = f<(typeof c.w)[]>(z);\nconst x = m < (typeof c.w === 'n' ? 1 : 2);\n",
    )
    assert_parses_in_place(sources, Language.TYPESCRIPT, Language.TSX)
    text = _text(parse(sources[1], Language.TYPESCRIPT))
    assert b"f<(typeof c.w)[]>(z)" in text  # a real type argument list is left alone


def test_only_jsx_text_ampersands_are_touched() -> None:
    source = b"const a = <p>Q & A {x & y} &amp; &#38;</p>;"
    text = _text(parse(source, Language.TSX))
    assert b"{x & y}" in text and b"&amp;" in text and b"&#38;" in text
    assert b"Q   A" in text


def test_a_real_syntax_error_is_still_one_and_code_is_not_rewritten() -> None:
    assert parse(b"const x = a &;", Language.JAVASCRIPT).root_node.has_error
    source = b"function F() { return (<div><p>Q&A</p>{a & b}</div>); }\nfoo(;\n"
    tree = parse(source, Language.TSX)
    assert tree.root_node.has_error  # `foo(;` is broken whatever happens to the JSX
    assert b"Q A" in _text(tree) and b"{a & b}" in _text(tree)
    # TypeScript (.ts) has no JSX: a bitwise `&` there is never rewritten.
    assert parse(b"const x = a & b;", Language.TYPESCRIPT).root_node.text == b"const x = a & b;"


def test_import_types_in_call_type_arguments_parse_in_typescript() -> None:
    # vitest's partial mock idiom, vi.importActual, and a qualified import type.
    sources = (
        b"vi.mock('./x', async (importOriginal) => {\n"
        b"  const mod = await importOriginal<typeof import('./x')>();\n"
        b"  return { ...mod };\n});\n",
        b"const fs = await vi.importActual<typeof import('node:fs')>('node:fs');",
        b"const a = f<import('./types').Options>();",
    )
    assert_parses_in_place(sources, Language.TYPESCRIPT, Language.TSX)


def test_import_types_with_type_arguments_parse_in_typescript() -> None:
    # openstatus: `table: import("@tanstack/react-table").Table<TData>` in an interface.
    sources = (
        b'interface P<T> {\n  table: import("@tanstack/react-table").Table<T>;\n}\n',
        b"type A = Map<string, import('./x').Row<number>>;\n",
        b"class C implements import('./x').Store<string> {}\n",
    )
    assert_parses_in_place(sources, Language.TYPESCRIPT, Language.TSX)


def test_a_dynamic_import_then_with_type_arguments_is_left_alone() -> None:
    source = b"const m = import('./m').then<number>(() => 1);\n"
    assert _text(parse(source, Language.TYPESCRIPT)) == source


def test_dynamic_imports_are_left_alone() -> None:
    source = b"const m = await import('./y'); if (a < import('./z')) {}"
    assert _text(parse(source, Language.TYPESCRIPT)) == source


def test_let_at_the_end_of_a_line_still_declares() -> None:
    # ECMAScript inserts no semicolon after `let` here; the grammar did, and LL001 then saw
    # implicit globals. CRLF too, and offsets must not move.
    sources = (
        b"function f(view) {\n  let\n    doc = view.document,\n    x = 2;\n  doc = x;\n}\n",
        b"let\r\n  {a, b} = c;\r\n",
    )
    assert_parses_in_place(sources, Language.JAVASCRIPT, Language.TYPESCRIPT)
    for source in sources:
        assert "lexical_declaration" in str(parse(source, Language.JAVASCRIPT).root_node)
    # `outlet` and `obj.let` are not the keyword.
    assert "lexical_declaration" not in str(parse(b"outlet\nx = 1;", Language.JAVASCRIPT).root_node)


def test_for_await_with_let_destructuring_declares_its_names() -> None:
    # Both grammars read `let [` after `for await (` as a subscript of a variable `let`.
    sources = (
        b"async function f(it) { for await (let [a, b] of it) { b = a; } }",
        b"async function f(it) { for await\n  (let\t[a] of it) a = 1; }",
    )
    assert_parses_in_place(sources, Language.JAVASCRIPT, Language.TYPESCRIPT)
    for source in sources:
        for language in (Language.JAVASCRIPT, Language.TYPESCRIPT):
            loop = str(parse(source, language).root_node)
            assert "array_pattern" in loop and "subscript_expression" not in loop
    # `for await (const [a] of it)` and a `let` subscript outside a for-await are left alone.
    for source in (b"for await (const [a] of it) {}", b"x = let[0]; for (await [a] of it) {}"):
        assert _text(parse(source, Language.JAVASCRIPT)) == source


def test_variance_annotations_on_type_parameters_parse() -> None:
    sources = (
        b"interface Box<out T> { get(): T }",
        b"export interface Z<out O = unknown, in I = unknown> extends Q<O> {}",
        b"type Fn<in out T extends object> = (x: T) => T;",
        b"interface O<\n  /** @ts-ignore Cast variance */\n  out Shape extends S = S,\n> {}",
    )
    assert_parses_in_place(sources, Language.TYPESCRIPT, Language.TSX)
    # `in` as an operator is code, not a variance annotation.
    for source in (b"for (const k in obj) {}", b"if (a < b && c in d) {}"):
        assert _text(parse(source, Language.TYPESCRIPT)) == source


def test_reserved_words_as_export_names_parse_in_javascript() -> None:
    source = b"const _null = 1, _if = 2;\nexport { _null as null, _if as if };\n"
    tree = parse(source, Language.JAVASCRIPT)
    assert not tree.root_node.has_error
    assert len(_text(tree)) == len(source)
    # Elsewhere `as` is an identifier or a TypeScript assertion: left alone.
    assert (
        _text(parse(b"const x = { as: null };", Language.JAVASCRIPT)) == b"const x = { as: null };"
    )


def test_using_as_a_plain_variable_parses_in_both_grammars() -> None:
    # jQuery UI's position(): `using` is a variable there, not a declaration keyword.
    code = b"function p(o) {\n  var using;\n  using = function () {};\n  return using;\n}\n"
    for language in (Language.JAVASCRIPT, Language.TYPESCRIPT):
        tree = parse(code, language)
        assert not tree.root_node.has_error, language
        assert tree.root_node.end_byte == len(code)


def test_using_declarations_are_kept_where_plain_uses_are_renamed() -> None:
    code = b"async function f() {\n  await using res = open();\n  using = 1;\n}\n"
    tree = parse(code, Language.JAVASCRIPT)
    assert not tree.root_node.has_error
    assert b"await using res" in tree.root_node.text


def test_a_line_break_before_a_bracket_ends_a_statement_where_javascript_says_so() -> None:
    # argparse: `let argv` then a destructuring assignment on the next line.
    code = b"function f(args) {\n  let argv\n  [args, argv] = g(args)\n  return argv\n}\n"
    tree = parse(code, Language.JAVASCRIPT)
    assert not tree.root_node.has_error
    assert len(tree.root_node.text) == len(code)
    scopes = ScopeAnalysis(tree, Language.JAVASCRIPT)
    offset = code.rindex(b"argv] =")
    binding = scopes.resolve_name("argv", offset, offset + 4)
    assert binding is not None and binding.kind == "let"


def test_member_access_across_a_line_break_is_left_alone() -> None:
    code = b"const x = list\n[0].name;\n"
    tree = parse(code, Language.JAVASCRIPT)
    assert not tree.root_node.has_error
    assert b"list\n[0]" in tree.root_node.text


def test_a_lone_parameter_named_after_a_type_parses_in_a_function_type() -> None:
    # `(any) => Row` is one parameter named `any` (Unleash's stores write this).
    sources = (
        b"const mapRow: (any) => Row = (row) => ({ id: row.id });\n",
        b"type Handler = (string) => void;\n",
    )
    assert_parses_in_place(sources, Language.TYPESCRIPT, Language.TSX)
    tree = parse(b"const f = (any) => any + 1;\n", Language.TYPESCRIPT)
    assert b"(any) => any" in tree.root_node.text  # a value-position arrow is left alone


def test_an_assertion_on_a_parameter_named_after_a_type_parses() -> None:
    # `asserts object` without `is`: the parameter named `object` is truthy (saltcorn's tests).
    sources = (
        b"export function assertIsSet(object: any): asserts object {\n  if (!object) throw 1;\n}\n",
        b"function check(string: unknown): asserts string {}\n",
    )
    assert_parses_in_place(sources, Language.TYPESCRIPT, Language.TSX)
    tree = parse(b"function f(object: any): asserts object is Row {}\n", Language.TYPESCRIPT)
    assert b"asserts object is Row" in tree.root_node.text  # a type predicate is left alone


def test_a_comment_ending_in_let_does_not_swallow_the_next_line() -> None:
    code = b"function f() {\n  // eslint-disable-next-line fp/no-let\n  let x = 0;\n  x += 1;\n}\n"
    tree = parse(code, Language.JAVASCRIPT)
    scopes = ScopeAnalysis(tree, Language.JAVASCRIPT)
    offset = code.rindex(b"x +=")
    binding = scopes.resolve_name("x", offset, offset + 1)
    assert binding is not None and binding.kind == "let"


def test_export_type_star_parses_in_typescript() -> None:
    sources = (b'export type * from "./types";\nexport type * as ns from "./more";\n',)
    assert_parses_in_place(sources, Language.TYPESCRIPT, Language.TSX)


def test_import_attributes_on_re_exports_and_assert_forms_parse() -> None:
    sources = (
        b'export { default as pkg } from "./package.json" with { type: "json" };\n',
        b'export * from "./data.json" with { type: "json" };\n',
        b'import meta from "./meta.json" assert { type: "json" };\n',
    )
    assert_parses_in_place(sources, Language.JAVASCRIPT, Language.TYPESCRIPT)


def _every_shipped_query_part() -> dict[str, str]:
    from leaklint.analysis.summary import SUMMARY_ANALYSES
    from leaklint.pipeline.selection import selected_rules
    from leaklint.semantic.scope import DECLARATION_QUERY

    parts = {"scope": DECLARATION_QUERY}
    for rule in selected_rules(("ALL",), (), (), preview=True):
        if rule.query:
            parts[rule.code] = rule.query
        for shared in getattr(rule, "analyses", ()):
            parts.setdefault(shared.key, shared.source)
    for shared in SUMMARY_ANALYSES:
        parts.setdefault(shared.key, shared.source)
    return parts


@pytest.mark.parametrize("language", list(Language))
def test_known_patterns_keeps_what_compiling_each_part_keeps(language: Language) -> None:
    from leaklint.syntax.parsing import known_patterns, valid_patterns

    for key, patterns in _every_shipped_query_part().items():
        assert known_patterns(language, patterns) == valid_patterns(language, patterns), key


def test_a_combined_query_is_compiled_once_not_part_by_part(monkeypatch) -> None:
    # Compiling each part alone to see what the grammar keeps cost every process ~0.25 s.
    from leaklint.syntax import parsing

    compiled: list[str] = []
    monkeypatch.setattr(parsing, "query", lambda language, source: compiled.append(source))
    parts = tuple(sorted(_every_shipped_query_part().items()))
    for language in Language:
        parsing.combined_query.__wrapped__(language, parts)
    assert len(compiled) == len(Language)


def test_a_pattern_the_grammar_knows_the_names_of_but_cannot_match_is_dropped() -> None:
    from leaklint.syntax.parsing import combined_query

    impossible = "(identifier (identifier)) @inner"  # an identifier has no children
    compiled = combined_query(
        Language.JAVASCRIPT, (("a", impossible + "\n(identifier) @id"), ("b", "(number) @n"))
    )
    names = {compiled.capture_name(i) for i in range(compiled.capture_count)}
    assert names == {"a.id", "b.n"}
