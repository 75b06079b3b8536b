"""Start-up: what importing the CLI loads (bench/startup.py measures the time itself)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

LAZY = [
    "sarif_om",
    "leaklint.reporters.sarif",
    "leaklint.reporters.html",
    "leaklint.reporters.json_reporter",
    "leaklint.audit",
    "leaklint.baseline",
    "leaklint.pipeline.parallel",
    "leaklint.pipeline.engine",
    "importlib.metadata",
    "multiprocessing",
    "concurrent.futures",
]


def modules_after(code: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(done.stdout.splitlines()[-1]))  # after whatever the code printed


def test_importing_the_cli_loads_nothing_it_may_not_need() -> None:
    loaded = modules_after("import leaklint.cli")
    assert not loaded & set(LAZY), sorted(loaded & set(LAZY))


@pytest.mark.parametrize("module", ["leaklint.pipeline.parallel", "multiprocessing", "sarif_om"])
def test_checking_one_file_does_not_load_the_pool_or_sarif(tmp_path: Path, module: str) -> None:
    (tmp_path / "a.js").write_text("const a = 1;\n", encoding="utf-8")
    code = (
        "import os, sys\n"
        f"os.chdir({str(tmp_path)!r})\n"
        "from leaklint.cli import cli\n"
        "try:\n"
        "    cli.main(['check', '--no-cache', 'a.js'], standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass"
    )
    assert module not in modules_after(code)


def test_python_dash_m_leaklint(tmp_path: Path) -> None:
    (tmp_path / "a.js").write_text("function f() { leaked = 1; }\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "leaklint", "check", "--no-cache", "a.js"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "a.js:1:16: LL001" in done.stdout
