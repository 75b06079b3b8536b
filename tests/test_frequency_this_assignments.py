"""``frequency._this_assigned_by`` finds its `this.x = …` candidates by a query: the same
answer, member by member, as visiting every node below each member."""

from __future__ import annotations

from pathlib import Path

from tree_sitter import Node

from leaklint.analysis import frequency
from leaklint.syntax.parsing import parse
from leaklint.syntax.source import SourceFile

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

SAMPLE = """
class Poller {
  timer = null;
  #secret;
  constructor() { this.timer = 0; this.ready = false; }
  start() { if (this.timer) return; this.timer = setInterval(() => { this.ticks = 1; }, 10); }
  stop() { clearInterval(this.timer); this['timer'] = null; this[key] = 1; this.#secret = 2; }
  nested() { class Inner { m() { this.inner = 1; } } function f() { this.loose = 1; } }
  compound() { this.count += 1; other.timer = 1; (this).paren = 1; }
  static reset() { this.instances = []; }
}
"""


def _walked(class_body: Node) -> dict[int, frozenset[bytes]]:
    """What the function answered before: every named node below each member visited."""
    answer: dict[int, frozenset[bytes]] = {}
    for member in class_body.named_children:
        if frequency._is_constructor(member):
            continue
        found: set[bytes] = set()
        stack = [member]
        while stack:
            current = stack.pop()
            prop = frequency._this_property_assigned(current)
            if prop is not None:
                found.add(prop)
            stack.extend(current.named_children)
        answer[member.id] = frozenset(found)
    return answer


def _class_bodies(node: Node) -> list[Node]:
    found, stack = [], [node]
    while stack:
        current = stack.pop()
        if current.type == "class_body":
            found.append(current)
        stack.extend(current.named_children)
    return found


def test_the_queried_assignments_are_the_walked_ones() -> None:
    sources = [(Path("sample.ts"), SAMPLE.encode()), (Path("sample.js"), SAMPLE.encode())]
    sources += [
        (path, path.read_bytes())
        for path in sorted(FIXTURES.rglob("*"))
        if path.suffix in {".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs"}
    ]
    compared = assigned = 0
    for path, data in sources:
        source = SourceFile.from_bytes(path, data)
        tree = parse(source.data, source.language)
        for body in _class_bodies(tree.root_node):
            expected = _walked(body)
            assert frequency._this_assigned_by(body, source.language) == expected, path
            compared += 1
            assigned += sum(bool(props) for props in expected.values())
    assert compared > 50 and assigned > 20  # there were classes, and assignments in them


def len_members(body: Node) -> int:
    return body.named_child_count


def test_the_sample_class_assignments() -> None:
    source = SourceFile.from_bytes(Path("sample.js"), SAMPLE.encode())
    body = max(_class_bodies(parse(source.data, source.language).root_node), key=len_members)
    got = frequency._this_assigned_by(body, source.language)
    by_name = {
        (member.child_by_field_name("name") or member).text: got[member.id]
        for member in body.named_children
        if member.id in got
    }
    assert by_name[b"start"] == {b"timer", b"ticks"}
    assert by_name[b"stop"] == {b"timer", b"#secret"}
    assert by_name[b"nested"] == {b"inner", b"loose"}
    assert b"constructor" not in by_name
