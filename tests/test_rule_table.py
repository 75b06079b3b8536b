"""The registry's static table (``leaklint/rules/_table.py``): it says what the rule classes
say, a run answered from the cache imports no rule module, and a rule's source change still
invalidates cached results."""

from __future__ import annotations

import importlib
import inspect
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from leaklint.pipeline.selection import selected_codes, selected_rules
from leaklint.rules import RULE_TABLE, Rule, RuleSet, find_entry, get_rule, load_rule

RULES_DIRECTORY = Path(__file__).resolve().parent.parent / "leaklint" / "rules"


def rule_classes_in_modules() -> dict[str, type[Rule]]:
    """Every Rule subclass defined in a rule module (``llNNN_*.py``), by code."""
    found: dict[str, type[Rule]] = {}
    for path in sorted(RULES_DIRECTORY.glob("ll[0-9]*.py")):
        module = importlib.import_module(f"leaklint.rules.{path.stem}")
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, Rule) and value.__module__ == module.__name__:
                found[value.code] = value
    return found


def test_the_table_says_what_every_rule_class_says() -> None:
    classes = rule_classes_in_modules()
    assert [entry.code for entry in RULE_TABLE] == sorted(classes)  # every rule, in code order
    for entry in RULE_TABLE:
        rule = classes[entry.code]
        assert f"leaklint.rules.{entry.module}" == rule.__module__
        assert entry.class_name == rule.__name__
        assert entry.name == rule.name
        assert entry.severity == rule.severity
        assert entry.default_enabled == rule.default_enabled
        assert entry.preview == rule.preview
        assert load_rule(entry.code) is rule


def test_selection_from_the_table_matches_selection_from_the_classes() -> None:
    cases = [
        ((), (), (), False),
        ((), (), (), True),
        (("ALL",), (), (), False),
        (("ALL",), (), ("LL1",), True),
        (("LL00",), ("unclosed-handle",), ("LL003",), False),
        (("LL012", "listener-leak"), (), (), False),
    ]
    for select, extend, ignore, preview in cases:
        codes = selected_codes(select, extend, ignore, preview=preview)
        rules = selected_rules(select, extend, ignore, preview=preview)
        assert [rule.code for rule in rules] == codes


def test_rules_are_found_by_code_or_name() -> None:
    assert get_rule(" ll003 ") is load_rule("LL003")
    assert get_rule("Unclosed-Client") is load_rule("LL003")
    assert find_entry("LL999") is None and get_rule("nothing") is None


def test_a_rule_set_imports_only_when_read() -> None:
    rules = RuleSet(["LL001", "LL003"])
    assert len(rules) == 2 and rules.codes == ("LL001", "LL003")
    assert [rule.code for rule in rules] == ["LL001", "LL003"]
    assert rules == [load_rule("LL001"), load_rule("LL003")] and rules[1] is load_rule("LL003")


# A cached run in its own process, with leaklint imported from ``package`` (a copy of the
# package, so that a test may edit a rule's source): prints whether any file was checked
# (not answered from the cache) and which rule and analysis modules were imported.
PROBE = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from leaklint.config import Settings
    from leaklint.pipeline import engine
    checked = []
    real_check = engine.check_path
    engine.check_path = lambda *a, **k: checked.append(str(a[0])) or real_check(*a, **k)
    project = Path(sys.argv[1])
    files = sorted(project.glob("*.js"))
    result = engine.run(files, Settings(root=project), jobs=1)
    heavy = [
        name for name in sys.modules
        if name.startswith(("leaklint.rules.ll", "leaklint.semantic.context", "leaklint.analysis."))
    ]
    print(json.dumps({
        "checked": len(checked),
        "findings": sorted(f.rule for f in result.findings),
        "imported": sorted(heavy),
        "package": engine.__file__,
    }))
    """
)


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    """A copy of the leaklint package (its files' own mtimes kept), importable first."""
    root = tmp_path / "site"
    shutil.copytree(
        RULES_DIRECTORY.parent,
        root / "leaklint",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    return root


def cached_run(package: Path, project: Path, cache: Path) -> dict:
    environment = dict(os.environ, PYTHONPATH=str(package), LEAKLINT_CACHE_DIR=str(cache))
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(project)],
        capture_output=True,
        text=True,
        env=environment,
        cwd=project,
        check=True,
    )
    result = json.loads(done.stdout.splitlines()[-1])
    assert Path(result["package"]).is_relative_to(package)  # the copy, not the worktree
    return result


def test_a_warm_run_imports_no_rule_and_a_rule_edit_invalidates_it(
    tmp_path: Path, package_copy: Path
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "a.js").write_text("function f() { leaked = 1; }\n")
    (project / "b.js").write_text("setInterval(() => {}, 10);\nmodule.exports = {};\n")
    cache = tmp_path / "cache"

    cold = cached_run(package_copy, project, cache)
    assert cold["checked"] == 2 and "LL001" in cold["findings"]
    assert any(name.startswith("leaklint.rules.ll") for name in cold["imported"])

    warm = cached_run(package_copy, project, cache)
    assert warm["checked"] == 0 and warm["findings"] == cold["findings"]
    assert warm["imported"] == []  # answered from the cache: no rule, no analysis imported

    # A rule's source edited (as in a source checkout): the cached results no longer hold.
    rule_module = package_copy / "leaklint" / "rules" / "ll001_implicit_global.py"
    with rule_module.open("a", encoding="utf-8") as handle:
        handle.write("\n# edited\n")
    edited = cached_run(package_copy, project, cache)
    assert edited["checked"] == 2 and edited["findings"] == cold["findings"]
