"""The byte-level gates in front of the handler search answer exactly as the search without
them: a gate only saves the per-function work where the file's bytes rule a kind out."""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import pytest
from tree_sitter import Node

from leaklint.analysis import percall
from leaklint.analysis.nodes import text
from leaklint.model.settings import Settings
from leaklint.semantic.context import FileContext
from leaklint.syntax.parsing import parse
from leaklint.syntax.source import SourceFile

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SOURCES = sorted(
    path
    for path in FIXTURES.rglob("*")
    if path.suffix in {".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs"}
)

SAMPLES = [
    "app.get('/x', function (req, res) { store[req.id] = 1; });",
    "module.exports = async (ctx, next) => { await next(); };",
    "function onError(err, req, res, next) { res.end(); }",
    "server.route({ handler(request, reply) { return reply.send(); } });",
    "function f(/* the request */ req, res) {}",
    "function g({ req }, res) {}",  # destructured: not a name of its own
    "function h(requests, resolve) {}",  # the words' bytes, not the names
    "function k(req) {} function m(ctx) {} const n = (res, next) => 0;",
    "export async function GET(request) { return new Response(); }",
    "export function POSTAL(a, b) {}",
    "class Routes { POST(req, res) {} getServerSideProps() {} }",
    "const x = (ctx, nextPage) => 0; function y(ctx2, next) {}",
    "",
]


def _reference_has_handler_parameters(function: Node) -> bool:
    """The test before the gates: every parameter's name decoded and compared."""
    names = percall._parameter_names(function)
    for first, second in pairwise(names):
        if first in percall.REQUEST_NAMES and second in percall.RESPONSE_NAMES:
            return True
    return names[:2] == ["ctx", "next"]


def _reference_is_route_export(function: Node) -> bool:
    name = function.child_by_field_name("name")
    return name is not None and text(name) in percall.ROUTE_HANDLER_NAMES


def _functions(data: bytes, name: str) -> list[Node]:
    source = SourceFile.from_bytes(Path(name), data)
    ctx = FileContext(source, parse(source.data, source.language), Settings(root=Path.cwd()))
    ctx.plan_queries([])
    return list(ctx.captures(percall.PERCALL).get("percall_function", ()))


def _cases() -> list[tuple[str, bytes]]:
    cases = [(f"sample-{i}.ts", code.encode()) for i, code in enumerate(SAMPLES)]
    cases += [(str(path), path.read_bytes()) for path in SOURCES]
    return cases


def test_the_gated_search_finds_the_handlers_the_full_search_finds() -> None:
    assert len(SOURCES) > 100  # the fixtures are there to compare on
    found_any = 0
    for name, data in _cases():
        functions = _functions(data, name)
        expected = [
            f
            for f in functions
            if _reference_has_handler_parameters(f) or _reference_is_route_export(f)
        ]
        got = percall._named_or_parametered_handlers(data, functions)
        assert [f.id for f in got] == [f.id for f in expected], name
        found_any += bool(expected)
    assert found_any > 20  # handlers of both kinds were there to be found


@pytest.mark.parametrize("code", SAMPLES)
def test_the_per_function_bytes_test_agrees_with_the_names(code: str) -> None:
    for function in _functions(code.encode(), "sample.ts"):
        expected = _reference_has_handler_parameters(function)
        assert percall._has_handler_parameters(function) == expected, text(function)
        assert percall._is_route_export(function) == _reference_is_route_export(function)


def test_the_discord_test_answers_as_its_regular_expressions() -> None:
    signs = (re.compile(rb"Discord"), re.compile(rb"discord"), percall._DISCORD_INTERACTION_API)
    samples = [
        b"const { Client } = require('discord.js');",
        b"// a Discord bot",
        b"await interaction.reply('pong');",
        b"interaction.replyLater()",  # not the API: the word does not end there
        b"interaction.",
        b"interactions.reply()",
        b"",
    ]
    for data in samples + [data for _, data in _cases()]:
        expected = any(sign.search(data) for sign in signs)
        assert percall._names_discord(data) == expected, data[:80]
