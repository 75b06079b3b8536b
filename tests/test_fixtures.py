"""Every fixture file, checked with its rule: findings must equal the `expect:` markers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixture_harness import FIXTURES, actual, expected, fixture_files


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_fixture(path: Path) -> None:
    want = expected(path)
    got = actual(path)
    missing = sorted((want - got).elements())
    unexpected = sorted((got - want).elements())
    assert not missing and not unexpected, (
        f"{path.name}: missing {missing} (line, rule) / unexpected {unexpected}"
    )


def test_every_rule_has_flagged_and_clean_fixtures() -> None:
    from leaklint.rules import ALL_RULES

    for rule in ALL_RULES:
        files = [p for p in fixture_files() if p.relative_to(FIXTURES).parts[0] == rule.code]
        assert any(expected(p) for p in files), f"{rule.code} has no flagged fixture"
        assert any(not expected(p) for p in files), f"{rule.code} has no clean fixture"
