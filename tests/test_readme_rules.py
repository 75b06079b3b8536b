"""The README's rule table is the registry's: code, name, summary, severity, default, precision."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from leaklint.rules import ALL_RULES, Rule
from tests.script_loader import load_script

README = Path(__file__).resolve().parent.parent / "README.md"
readme_rules = load_script("readme_rules")


def _table_rows(readme: str) -> list[list[str]]:
    start, end = readme.index(readme_rules.BEGIN), readme.index(readme_rules.END)
    lines = readme[start:end].splitlines()[3:]  # marker, header, separator
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]] for line in lines]


def test_readme_table_is_generated_from_the_registry() -> None:
    readme = README.read_text(encoding="utf-8")
    assert readme_rules.with_table(readme, ALL_RULES) == readme, (
        "README.md's rule table is out of date: run `python scripts/readme_rules.py`"
    )


def test_every_rule_has_one_row_saying_what_its_class_says() -> None:
    rows = _table_rows(README.read_text(encoding="utf-8"))
    assert len(rows) == len(ALL_RULES)
    for rule, (code, name, summary, severity, default, precision) in zip(
        ALL_RULES, rows, strict=True
    ):
        assert code.startswith((rule.code, f"[{rule.code}]"))
        assert name == f"`{rule.name}`"
        assert summary == rule.summary
        assert severity.split(" ")[0] == rule.severity.value
        assert default == ("preview" if rule.preview else "on" if rule.default_enabled else "off")
        assert precision == rule.precision


def test_a_changed_precision_makes_the_table_stale(monkeypatch: pytest.MonkeyPatch) -> None:
    readme = README.read_text(encoding="utf-8")
    rule: type[Rule] = ALL_RULES[3]
    monkeypatch.setattr(rule, "precision", "low")
    assert readme_rules.with_table(readme, ALL_RULES) != readme


def test_check_mode_reports_a_stale_table(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text(
        f"# x\n\n{readme_rules.BEGIN}\n| old |\n{readme_rules.END}\n", encoding="utf-8"
    )
    assert readme_rules.main(["--root", str(tmp_path), "--check"]) == 1
    assert readme_rules.main(["--root", str(tmp_path)]) == 0
    assert readme_rules.main(["--root", str(tmp_path), "--check"]) == 0
    assert "`implicit-global`" in (tmp_path / "README.md").read_text(encoding="utf-8")


def test_a_readme_without_markers_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# x\n", encoding="utf-8")
    assert readme_rules.main(["--root", str(tmp_path), "--check"]) == 2
