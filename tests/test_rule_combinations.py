"""Every rule alone, and every pair of rules, on every fixture: no internal error.

A rule must not depend on another rule having run (``--ignore LL006`` must not break LL003),
so each selection is checked through ``engine.check_path``, the step that turns an exception
into the ``internal error: …`` a user would see, and that error must not occur.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

import pytest

from leaklint.pipeline.engine import check_path
from leaklint.rules import ALL_RULES, Rule
from tests.fixture_harness import FIXTURES, fixture_files, fixture_settings

SELECTIONS: list[tuple[type[Rule], ...]] = [(rule,) for rule in ALL_RULES] + list(
    itertools.combinations(ALL_RULES, 2)
)


def _distinct_runs(path: Path) -> dict[tuple[str, ...], tuple[type[Rule], ...]]:
    """The selections that can behave differently on this file, one representative each.

    Only rules whose triggers the file contains run at all, so two selections with the same
    applicable rules do the same work, except that LL100 judges directives against the whole
    selection: a selection with LL100 is keyed by all of its rules.
    """
    data = path.read_bytes()
    settings = fixture_settings(path)
    runs: dict[tuple[str, ...], tuple[type[Rule], ...]] = {}
    for selection in SELECTIONS:
        codes = [rule.code for rule in selection]
        if "LL100" not in codes:
            codes = [rule.code for rule in selection if rule.applies_to(data, settings)]
        runs.setdefault(tuple(codes), selection)
    return runs


def _internal_errors(path: Path) -> list[str]:
    settings = replace(fixture_settings(path), preview=True)
    problems = []
    for selection in _distinct_runs(path).values():
        result = check_path(path, settings, list(selection))
        if result.error is not None:
            codes = "+".join(rule.code for rule in selection)
            problems.append(f"{codes}: {result.error.message}")
    return problems


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_every_rule_alone_and_in_pairs_runs_without_internal_error(path: Path) -> None:
    problems = _internal_errors(path)
    assert not problems, "\n".join(problems)


def test_an_internal_error_is_visible_to_this_test(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above must fail when a rule raises, not see "All clear in 0 files"."""
    from leaklint.rules.ll002_uncleared_interval import UnclearedInterval

    def broken(self: Rule, ctx: object) -> None:
        raise KeyError("LL999 did not register a query for this file")

    monkeypatch.setattr(UnclearedInterval, "check", broken)
    problems = _internal_errors(FIXTURES / "LL002" / "flagged.js")
    assert problems
    # Per rule since the language server's issue: the error names the rule that failed.
    assert all("internal error in rule LL002: KeyError" in problem for problem in problems)
    assert any(problem.startswith("LL002: ") for problem in problems)
