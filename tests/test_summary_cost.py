"""What keeps the project summary cheap (issue 13) answers exactly as the slower code did."""

from __future__ import annotations

import re

import pytest

from leaklint.analysis.summary import _leftmost_longest


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
