"""scripts/add_rule.py, run into a copy of the repository: the new rule imports, is registered,
and the tests generated for it pass (after its snapshots are filled, as the script says)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.script_loader import load_script

ROOT = Path(__file__).resolve().parent.parent
ARGS = [
    "LL042",
    "unclosed-watcher",
    "A file watcher opened per call is never closed.",
    "--module",
    "fs",
    "--function",
    "watch",
]
add_rule = load_script("add_rule")


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The parts of the repository a rule lives in, copied (never the real tree)."""
    copy = tmp_path / "repo"
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", ".leaklint_cache")
    for directory in ("leaklint", "tests", "fixtures", "scripts"):
        shutil.copytree(ROOT / directory, copy / directory, ignore=skip)
    for name in ("README.md", "pyproject.toml"):
        shutil.copy2(ROOT / name, copy / name)
    return copy


def _run(copy: Path, *command: str) -> subprocess.CompletedProcess[str]:
    """A Python process that imports leaklint and the tests from the copy."""
    environment = dict(os.environ, PYTHONPATH=str(copy))
    environment.pop("LEAKLINT_UPDATE_SNAPSHOTS", None)
    return subprocess.run(
        [sys.executable, *command], cwd=copy, env=environment, capture_output=True, text=True
    )


def test_the_new_rule_imports_is_registered_and_its_tests_pass(checkout: Path) -> None:
    done = _run(checkout, "scripts/add_rule.py", *ARGS, "--root", str(checkout))
    assert done.returncode == 0, done.stderr
    module = checkout / "leaklint/rules/ll042_unclosed_watcher.py"
    for path in (
        module,
        checkout / "fixtures/LL042/flagged.js",
        checkout / "fixtures/LL042/clean.js",
        checkout / "tests/test_ll042.py",
        checkout / "tests/snapshots/LL042/flagged.js.snap",
    ):
        assert path.is_file(), path
    documentation = module.read_text(encoding="utf-8")
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
        assert heading in documentation

    probe = _run(
        checkout,
        "-c",
        "import leaklint; from leaklint.rules import ALL_RULES, get_rule; rule = get_rule('LL042');"
        "print(leaklint.__file__); print([r.code for r in ALL_RULES].index('LL042'));"
        "print(rule.name, dict(rule.messages))",
    )
    assert probe.returncode == 0, probe.stderr
    where, position, facts = probe.stdout.splitlines()
    assert Path(where).is_relative_to(checkout)  # the copy's registry, not the installed one
    codes = [r.code for r in load_registry()]
    # Code order: right after the last registered code below LL042, whichever rules exist.
    assert int(position) == codes.index(max(c for c in codes if c < "LL042")) + 1
    assert facts.startswith("unclosed-watcher {'called':")
    readme = (checkout / "README.md").read_text(encoding="utf-8")
    assert (
        "| LL042 | `unclosed-watcher` | A file watcher opened per call is never closed." in readme
    )

    ruff = Path(sys.executable).with_name("ruff")
    generated = [str(module), str(checkout / "tests/test_ll042.py")]
    if ruff.exists():
        lint = subprocess.run([ruff, "check", *generated], cwd=checkout, capture_output=True)
        assert lint.returncode == 0, lint.stdout
        form = subprocess.run([ruff, "format", "--check", *generated], cwd=checkout)
        assert form.returncode == 0

    tests = ["-m", "pytest", "-q", "-p", "no:cacheprovider"]
    placeholder = _run(checkout, *tests, "tests/test_snapshots.py", "-k", "LL042")
    assert placeholder.returncode == 1, "a placeholder snapshot must fail until it is filled"
    filled = _run(checkout, *tests, "tests/test_snapshots.py", "-k", "LL042", "--snapshot-update")
    assert filled.returncode == 0, filled.stdout
    snapshot = (checkout / "tests/snapshots/LL042/flagged.js.snap").read_text(encoding="utf-8")
    assert "5:3 LL042 warning called" in snapshot
    assert "LL042 `fs.watch()` is called here." in snapshot

    suite = _run(
        checkout,
        *tests,
        "tests/test_ll042.py",
        "tests/test_fixtures.py",
        "tests/test_snapshots.py",
        "tests/test_messages.py",
        "tests/test_readme_rules.py",
        "tests/test_rule_combinations.py",
        "-k",
        "LL042 or ll042 or readme or flagged_and_clean or every_rule_words or every_snapshot",
    )
    assert suite.returncode == 0, suite.stdout[-3000:]
    assert " passed" in suite.stdout


def test_a_long_summary_is_wrapped_so_the_generated_module_passes_ruff(tmp_path: Path) -> None:
    summary = (
        "A file watcher opened for every request and never closed keeps its inotify watch, "
        "its file descriptor and its callback's closure alive until the process exits."
    )
    rule = add_rule.NewRule("LL042", "unclosed-watcher", summary, "fs", "watch")
    module = tmp_path / "ll042_unclosed_watcher.py"
    module.write_text(add_rule.rule_module(rule), encoding="utf-8")
    namespace: dict[str, object] = {}
    exec(compile(module.read_text(encoding="utf-8"), str(module), "exec"), namespace)
    assert namespace["UnclosedWatcher"].summary == summary  # the pieces join back exactly
    assert all(len(line) <= 100 for line in module.read_text(encoding="utf-8").splitlines())
    ruff = Path(sys.executable).with_name("ruff")
    if ruff.exists():
        config = str(ROOT / "pyproject.toml")
        lint = subprocess.run([ruff, "check", "--config", config, module])
        assert lint.returncode == 0
        form = subprocess.run([ruff, "format", "--check", "--config", config, module])
        assert form.returncode == 0


def load_registry() -> tuple[type, ...]:
    from leaklint.rules import ALL_RULES

    return ALL_RULES


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({0: "LL007"}, "LL007 exists already"),
        ({0: "L8"}, "is not LL followed by three digits"),
        ({1: "Unclosed_Watcher"}, "is not kebab-case"),
        ({1: "listener-leak"}, "the name 'listener-leak' is taken"),
        ({2: "no full stop"}, "one sentence ending with a full stop"),
        ({6: "not an identifier"}, "is not an identifier"),
    ],
)
def test_bad_arguments_are_clear_errors_and_write_nothing(
    checkout: Path, change: dict[int, str], complaint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = sorted(p.relative_to(checkout) for p in checkout.rglob("*"))
    registry = (checkout / "leaklint/rules/__init__.py").read_text(encoding="utf-8")
    args = [change.get(number, value) for number, value in enumerate(ARGS)]
    assert add_rule.main([*args, "--root", str(checkout)]) == 2
    assert complaint in capsys.readouterr().err
    assert sorted(p.relative_to(checkout) for p in checkout.rglob("*")) == before
    assert (checkout / "leaklint/rules/__init__.py").read_text(encoding="utf-8") == registry


def test_a_directory_that_is_not_a_checkout_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert add_rule.main([*ARGS, "--root", str(tmp_path)]) == 2
    assert "is not a leaklint checkout" in capsys.readouterr().err
