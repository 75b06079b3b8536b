"""`analysis.flow`: the one vocabulary of where a value goes, with identity."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from leaklint.analysis.flow import destination, same_value, stored_on, stored_reads, value_identity
from leaklint.model.settings import Settings
from leaklint.semantic.context import FileContext
from leaklint.syntax.parsing import parse
from leaklint.syntax.source import SourceFile


def _context(code: str) -> FileContext:
    source = SourceFile.from_bytes(Path("flow.js"), textwrap.dedent(code).encode())
    ctx = FileContext(source, parse(source.data, source.language), Settings(root=Path.cwd()))
    ctx.plan_queries([])
    return ctx


def _node_at(ctx: FileContext, marker: str, occurrence: int = 0):
    data = ctx.source.data
    start = -1
    for _ in range(occurrence + 1):
        start = data.index(marker.encode(), start + 1)
    node = ctx.tree.root_node.named_descendant_for_byte_range(start, start + len(marker))
    assert node is not None
    return node


@pytest.mark.parametrize(
    ("statement", "kind", "method", "index"),
    [
        ("x;", "discarded", None, -1),
        ("void x;", "discarded", None, -1),
        ("x.unref();", "method-call", "unref", -1),
        ("(x).delete(k);", "method-call", "delete", -1),
        ("delete x[k];", "member-deleted", None, -1),
        ("delete x.k;", "member-deleted", "k", -1),
        ("x.length = 0;", "member-written", "length", -1),
        ("x[k] = 1;", "member-written", None, -1),
        ("x['total'] = 1;", "member-written", "total", -1),
        ("if (x.size > 10) {}", "member-compared", "size", -1),
        ("use(x.y);", "member-read", "y", -1),
        ("clearInterval(x);", "argument", None, 0),
        ("f(a, x);", "argument", None, 1),
        ("new F(x);", "new-argument", None, 0),
        ("x = 1;", "written", None, -1),
        ("y = x;", "assigned", None, -1),
        ("return x;", "returned", None, -1),
        ("await x;", "awaited", None, -1),
    ],
)
def test_destination_of_one_read(statement: str, kind: str, method: str | None, index: int) -> None:
    ctx = _context(f"async function g(x, k, a, y) {{ {statement} }}")
    where = destination(ctx, _node_at(ctx, "x", 1))
    assert (where.kind, where.method, where.index) == (kind, method, index)


def test_an_argument_knows_its_callee() -> None:
    ctx = _context("const m = new Map();\nfunction g(x) { clearInterval(x); m.set(k, x); }")
    clear = destination(ctx, _node_at(ctx, "x", 1))
    assert clear.callee(ctx) is not None and clear.callee(ctx).is_global("clearInterval")
    stored = destination(ctx, _node_at(ctx, "x", 2))
    assert stored.callee_method == "set" and stored.escapes


def test_stored_reads_keep_this_properties_to_their_class() -> None:
    ctx = _context(
        """
        class A { start() { this.timer = go(); } stop() { clearInterval(this.timer); } }
        class B { stop() { clearInterval(this.timer); } }
        """
    )
    target = _node_at(ctx, "this.timer")
    reads = stored_reads(ctx, target)
    assert reads is not None and len(reads) == 1
    assert reads[0].start_byte < ctx.source.data.index(b"class B")


def test_stored_reads_of_a_variable_skip_its_writes() -> None:
    ctx = _context("let t;\nfunction a() { t = go(); }\nfunction b() { t = null; stop(t); }")
    reads = stored_reads(ctx, _node_at(ctx, "t", 1))
    assert reads is not None and [r.start_byte for r in reads] == [ctx.source.data.rindex(b"t)")]


def test_a_destructured_property_cannot_be_followed() -> None:
    ctx = _context("function a() { this.timer = go(); }\nconst { timer } = obj;")
    assert stored_reads(ctx, _node_at(ctx, "this.timer")) is None


def test_stored_on_says_whose_object_keeps_the_value() -> None:
    ctx = _context(
        "const agents = {};\nfunction run(req) { this.a = 1; agents[req.host] = 2; req.log = 3; }"
    )
    function = _node_at(ctx, "function run")
    assert stored_on(ctx, _node_at(ctx, "this.a"), function) == "this"
    assert stored_on(ctx, _node_at(ctx, "agents[req.host]"), function) == "outer"
    assert stored_on(ctx, _node_at(ctx, "req.log"), function) == "local"
    assert stored_on(ctx, _node_at(ctx, "agents", 0), function) is None


def test_identity_of_what_imports_and_globals_denote() -> None:
    ctx = _context(
        "const bus = require('./bus');\n"
        "function f() { bus.on('a', onA); process.on('a', onA); bus.off('a', onB); }"
    )
    first, last = (
        _node_at(ctx, "bus.on").named_children[0],
        _node_at(ctx, "bus.off").named_children[0],
    )
    assert value_identity(ctx, first) == value_identity(ctx, last) is not None
    listener = value_identity(ctx, _node_at(ctx, "onA", 0))
    assert listener == value_identity(ctx, _node_at(ctx, "onA", 1))
    # Two undeclared globals are two values, not "unknown, so maybe the same".
    assert not same_value(listener, value_identity(ctx, _node_at(ctx, "onB")))
