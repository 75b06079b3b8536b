"""The check command as users and CI see it: exit codes, formats, errors that are not tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import write

LEAKY = "function f(w, h) {\n  area = w * h;\n  return area;\n}\n"
CLEAN = "function f(w, h) {\n  const area = w * h;\n  return area;\n}\n"


def test_exit_zero_when_clean(project: Path, run_cli) -> None:
    write(project / "src/a.js", CLEAN)
    result = run_cli("check", "src")
    assert result.exit_code == 0, result.output
    assert "All clear" in result.output


def test_exit_one_with_findings_and_text_format(project: Path, run_cli) -> None:
    write(project / "src/a.js", LEAKY)
    result = run_cli("check", "src")
    assert result.exit_code == 1
    assert "src/a.js:2:3: LL001 'area' is assigned but never declared" in result.output
    assert "  area = w * h;" in result.output  # code frame
    assert "^^^^" in result.output
    assert "Found 1 problem (1 error) in 1 file." in result.output


def test_exit_zero_flag(project: Path, run_cli) -> None:
    write(project / "a.js", LEAKY)
    assert run_cli("check", "--exit-zero", "a.js").exit_code == 0


def test_default_path_is_current_directory(project: Path, run_cli) -> None:
    write(project / "lib/x.js", LEAKY)
    result = run_cli("check")
    assert result.exit_code == 1
    assert "lib/x.js:2:3" in result.output


def test_json_format(project: Path, run_cli) -> None:
    write(project / "a.js", LEAKY)
    result = run_cli("check", "--format", "json", "a.js")
    data = json.loads(result.output)
    assert data["files_checked"] == 1
    assert data["errors"] == []
    (finding,) = data["findings"]
    assert {
        k: finding[k]
        for k in ("rule", "name", "path", "line", "column", "end_line", "end_column", "severity")
    } == {
        "rule": "LL001",
        "name": "implicit-global",
        "path": "a.js",
        "line": 2,
        "column": 3,
        "end_line": 2,
        "end_column": 7,
        "severity": "error",
    }


def test_output_file_is_written(project: Path, run_cli) -> None:
    write(project / "a.js", LEAKY)
    result = run_cli("check", "--format", "json", "--output", "out/report.json", "a.js")
    assert result.exit_code == 1
    assert result.output == ""
    assert json.loads((project / "out/report.json").read_text())["findings"]


def test_missing_path_is_usage_error(project: Path, run_cli) -> None:
    result = run_cli("check", "does/not/exist.js")
    assert result.exit_code == 2
    assert "does/not/exist.js" in result.output
    assert "Traceback" not in result.output


def test_select_and_ignore(project: Path, run_cli) -> None:
    write(project / "a.js", LEAKY)
    assert run_cli("check", "--ignore", "LL001", "a.js").exit_code == 0
    assert run_cli("check", "--select", "LL000", "a.js").exit_code == 0
    assert run_cli("check", "--select", "ALL", "a.js").exit_code == 1
    assert run_cli("check", "--select", "implicit-global", "a.js").exit_code == 1
    bad = run_cli("check", "--select", "LL999", "a.js")
    assert bad.exit_code == 2
    assert "unknown rule or prefix 'LL999'" in bad.output


def test_broken_and_binary_files_do_not_stop_the_run(project: Path, run_cli) -> None:
    write(project / "a_broken.js", "function ( {\n  leaked = 1;\n")
    (project / "b_binary.js").write_bytes(b"\x00\x01\x02 binary")
    (project / "c_latin1.js").write_bytes(
        "// caf\xe9\nfunction g() { oops = 1; }\n".encode("latin-1")
    )
    write(project / "d_good.js", LEAKY)
    result = run_cli("check", "--format", "json", ".")
    data = json.loads(result.output)
    rules = sorted((f["path"], f["rule"]) for f in data["findings"])
    assert ("d_good.js", "LL001") in rules
    assert ("a_broken.js", "LL000") in rules
    assert ("c_latin1.js", "LL000") in rules  # not UTF-8: reported, and still checked
    assert ("c_latin1.js", "LL001") in rules
    assert data["errors"] == [{"path": "b_binary.js", "message": "skipped: binary file"}]
    assert data["files_checked"] == 3


def test_findings_in_parseable_parts_of_broken_file(project: Path, run_cli) -> None:
    write(project / "a.js", "function ok() { leaked = 1; }\nfunction bad( {\n")
    data = json.loads(run_cli("check", "--format", "json", "a.js").output)
    assert ("LL001", 1) in [(f["rule"], f["line"]) for f in data["findings"]]


def test_version(run_cli) -> None:
    result = run_cli("--version")
    assert result.exit_code == 0
    assert result.output.startswith("leaklint, version ")


def test_installed_console_script_runs_without_traceback(tmp_path: Path) -> None:
    """The real entry point, as pre-commit and CI call it."""
    exe = Path(sys.executable).with_name("leaklint")
    (tmp_path / "a.js").write_text(LEAKY)
    (tmp_path / "leaklint.toml").write_text("bogus = 1\n")
    done = subprocess.run(
        [str(exe), "check", "a.js"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert "unknown key 'bogus'" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_text_output_has_no_colour_when_not_a_tty(project: Path, run_cli) -> None:
    write(project / "a.js", LEAKY)
    assert "\x1b[" not in run_cli("check", "a.js").output
