"""What keeps the project summary cheap (issue 13) answers exactly as the slower code did."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tree_sitter import Node

from leaklint.analysis.frequency import how_often
from leaklint.analysis.summary import _leftmost_longest
from leaklint.model.settings import Settings
from leaklint.semantic.context import FileContext
from leaklint.syntax.parsing import parse
from leaklint.syntax.source import SourceFile


def _as_the_alternation_finds(data: bytes, names: frozenset[bytes]) -> list[tuple[int, int]]:
    ordered = sorted(names, key=len, reverse=True)
    pattern = re.compile(rb"(?<![\w$#])(?:" + b"|".join(map(re.escape, ordered)) + rb")(?![\w$])")
    return [match.span() for match in pattern.finditer(data)]


@pytest.mark.parametrize(
    ("data", "names"),
    [
        (b"lib(lib); x.lib; new lib; #lib; lib$; $lib; lib2 lib", {b"lib"}),
        (b"a ab abc abc.a b(a, ab)", {b"a", b"ab", b"abc"}),
        (b"start(start);startup start\n", {b"start", b"startup"}),
        (b"caf\xc3\xa9 caf caf\xc3\xa9x", {b"caf", b"caf\xc3\xa9"}),
        (b"", {b"x"}),
        (b"x", {b"x"}),
    ],
)
def test_mention_scan_finds_what_the_one_regex_found(data: bytes, names: set[bytes]) -> None:
    assert _leftmost_longest(data, frozenset(names)) == _as_the_alternation_finds(
        data, frozenset(names)
    )


_ONE_FUNCTION = """\
const { a, b, c } = require('./lib');
app.get('/x', (req, res) => {
  a(req);
  b(req);
  if (!cache) { cache = c(); }
  class Inner { field = a(); }
  items.forEach((item) => b(item));
});
function helper() { a(); b(); }
"""


def _calls_and_frequencies(monkeypatch: pytest.MonkeyPatch) -> tuple[list[object], list[int]]:
    from leaklint.analysis import frequency

    data = _ONE_FUNCTION.encode()
    source = SourceFile.from_bytes(Path("app.js"), data)
    ctx = FileContext(source, parse(source.data, source.language), Settings(root=Path.cwd()))
    ctx.plan_queries([])
    worked: list[int] = []
    original = frequency._function_frequency

    def counting(ctx: FileContext, node: Node, function: Node) -> frequency.Frequency:
        worked.append(node.id)
        return original(ctx, node, function)

    monkeypatch.setattr(frequency, "_function_frequency", counting)
    calls = [
        node
        for node in _descendants(ctx.tree.root_node)
        if node.type == "call_expression" and node.text.startswith((b"a(", b"b(", b"c("))
    ]
    answers = [
        (how_often(ctx, call).rate, how_often(ctx, call).why, how_often(ctx, call).function)
        for call in calls
    ]
    return answers, worked


def _descendants(root: Node) -> list[Node]:
    found, stack = [], [root]
    while stack:
        node = stack.pop()
        found.append(node)
        stack.extend(reversed(node.children))
    return found


def test_calls_in_one_function_share_its_frequency(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the guard test, how often a call runs depends on the functions around it only:
    the summary asks it of every use of an imported name, so one function's calls share one
    answer — and get the answers each would get alone."""
    from leaklint.analysis import frequency

    answers, worked = _calls_and_frequencies(monkeypatch)
    # a(req), b(req), c() in the handler (`cache` is no declared state: no guard); a() in the
    # class field; b(item) in the forEach callback (looked through); a(), b() in helper.
    assert len(answers) == 7
    assert len(worked) == 4  # the handler, the field, the callback, helper: once each
    monkeypatch.undo()
    monkeypatch.setattr(frequency, "_holder_frequency", frequency._function_frequency)
    alone, _ = _calls_and_frequencies(monkeypatch)  # nothing shared: each call on its own
    assert [(rate, why) for rate, why, _ in answers] == [(rate, why) for rate, why, _ in alone]
    assert [str(rate) for rate, _, _ in answers].count("Rate.PER_REQUEST") == 5


def test_a_subclass_own_instance_methods_are_read_once_and_static_ones_do_not_count(
    tmp_path: Path,
) -> None:
    """`this.getClient()` in a subclass of an imported class is a use of the base's method
    unless the subclass has an instance method of that name (a static one cannot be reached
    through `this`); the names are read once per class body, not once per call."""
    from tests.test_project_helpers import summary_of

    summary = summary_of(
        tmp_path,
        "repo.js",
        """
import { Base } from './base';
export class Repo extends Base {
  static getClient() { return null; }
  ownClient() { return 1; }
  a() { return this.getClient(); }
  b() { return this.getClient(); }
  c() { return this.ownClient(); }
}
""",
    )
    inherited = sorted(use.imported for use in summary.uses if use.imported.startswith("Base."))
    assert inherited == ["Base.getClient", "Base.getClient"]


def test_the_read_test_skips_calls_of_local_names_only(tmp_path: Path) -> None:
    """LL012's whole-collection read is looked for in every call; one whose callee starts from
    a local name is skipped before the receiver is unwrapped — and one whose receiver only
    `read_receiver` can see through (`(0, Order)`, `satisfies`) is still recorded."""
    from leaklint.model.project import READ
    from tests.test_project_helpers import summary_of

    summary = summary_of(
        tmp_path,
        "orders.ts",
        """
import { Order } from './models';
const local = { find: () => [] };
export async function all() {
  local.find();
  await Order.find();
  await (0, Order).find();
  await (Order satisfies unknown).find();
}
""",
    )
    reads = sorted(use.span.line for use in summary.uses if use.action == READ)
    assert reads == [6, 7, 8]
