"""Exit codes that must not collide with "findings" (1): Ctrl-C, a closed pipe, a crash."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from leaklint.pipeline import engine
from tests.conftest import write

LEAKLINT = str(Path(sys.executable).with_name("leaklint"))
LEAKY = "function f() { leaked = 1; }\n"


def many_leaky_files(root: Path, files: int, lines: int) -> None:
    for index in range(files):
        body = "".join(f"function f{n}() {{ area{n} = {n}; }}\n" for n in range(lines))
        write(root / f"f{index}.js", body)


def test_an_internal_error_exits_two_with_a_hint(project: Path, run_cli, monkeypatch) -> None:
    write(project / "a.js", LEAKY)

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("leaklint.pipeline.engine.run", crash)
    result = run_cli("check", "a.js")
    assert result.exit_code == 2
    assert "internal error: RuntimeError: boom" in result.output
    assert "please report it" in result.output


def test_the_internal_error_traceback_on_request(project: Path, run_cli, monkeypatch) -> None:
    write(project / "a.js", LEAKY)
    monkeypatch.setattr(engine, "rule_codes_for", lambda settings: 1 / 0)
    monkeypatch.setenv("LEAKLINT_TRACEBACK", "1")
    result = run_cli("check", "--no-cache", "a.js")
    assert result.exit_code == 2
    assert "Traceback" in result.output and "ZeroDivisionError" in result.output


def test_ctrl_c_exits_130_without_a_traceback(tmp_path: Path) -> None:
    many_leaky_files(tmp_path, files=1000, lines=200)  # ~15 s of work, stopped at 1.5 s
    process = subprocess.Popen(
        [LEAKLINT, "check", "--no-cache", "-j2", "."],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        # A shell without job control starts background commands with SIGINT ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        start_new_session=True,
    )
    time.sleep(1.5)
    os.killpg(process.pid, signal.SIGINT)  # as a terminal does: the whole process group
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "Aborted!" not in stderr


@pytest.mark.parametrize(
    ("command", "expected"), [(["check"], 1), (["audit", "--format", "json"], 0)]
)
def test_a_closed_pipe_stops_quietly(tmp_path: Path, command: list[str], expected: int) -> None:
    many_leaky_files(tmp_path, files=2, lines=50)
    process = subprocess.Popen(
        [LEAKLINT, *command, "--no-cache", "-j1", "."],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # a reader that is gone before the report is written: EPIPE
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == expected, stderr
    assert stderr == ""


NOTE_ONLY = "setInterval(tick, 1000);\n"  # LL002 at module level: a note
# Per request (a route handler): a warning. (A function whose callers are elsewhere is a note.)
WARNING = "app.get('/poll', (req, res) => { setInterval(tick, 1000); });\n"


@pytest.mark.parametrize(
    ("source", "level", "code"),
    [
        (NOTE_ONLY, None, 0),
        (NOTE_ONLY, "note", 1),
        (WARNING, None, 1),
        (WARNING, "warning", 1),
        (WARNING, "error", 0),
        (LEAKY, "error", 1),
        ("const x = ;\n", None, 0),  # LL000 only
        ("const x = ;\n", "note", 1),
    ],
)
def test_fail_level(project: Path, run_cli, source: str, level: str | None, code: int) -> None:
    write(project / "a.js", source)
    args = ["check", "--no-cache", "a.js"] + (["--fail-level", level] if level else [])
    result = run_cli(*args)
    assert result.exit_code == code, result.output
    assert "a.js:1:" in result.output  # reported whatever the exit code


def test_exit_non_zero_on_is_the_same_option(project: Path, run_cli) -> None:
    write(project / "a.js", WARNING)
    assert run_cli("check", "--exit-non-zero-on", "error", "a.js").exit_code == 0


def test_an_internal_error_on_one_file_exits_two_and_keeps_the_others(
    project: Path, run_cli, monkeypatch
) -> None:
    write(project / "a.js", LEAKY)
    write(project / "b.js", "function g() { other = 1; }\n")
    real = engine.check_source

    def fail_on_b(source, settings, rules, **options):
        if source.display_path == "b.js":
            raise ValueError("boom")
        return real(source, settings, rules, **options)

    monkeypatch.setattr(engine, "check_source", fail_on_b)
    result = run_cli("check", "--no-cache", "-j1", ".")
    assert result.exit_code == 2  # not 1 ("findings") nor 0: b.js's findings are missing
    assert "a.js:1:16: LL001" in result.stdout
    assert "b.js: internal error: ValueError: boom" in result.stdout
    assert "internal error on 1 file" in result.stderr and "please report it" in result.stderr


def test_ctrl_c_does_not_wait_for_the_files_in_flight(tmp_path: Path) -> None:
    # One ~3 MB file keeps a worker busy for seconds; Ctrl-C must not wait for it.
    write(
        tmp_path / "big.js", "".join(f"function f{n}() {{ a{n} = {n}; }}\n" for n in range(100_000))
    )
    many_leaky_files(tmp_path, files=40, lines=50)
    process = subprocess.Popen(
        [LEAKLINT, "check", "--no-cache", "-j2", "."],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        start_new_session=True,
    )
    time.sleep(1.5)
    os.killpg(process.pid, signal.SIGINT)
    interrupted = time.monotonic()
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert time.monotonic() - interrupted < 3, "waited for the workers to finish their files"


def test_a_file_a_limit_stopped_makes_the_run_not_clean(project: Path, run_cli) -> None:
    # Issue #17 point 9/13: a file whose analysis a limit stopped (time or memory budget,
    # nesting too deep) is listed, and the run never exits 0 as if it were clean.
    write(project / "ok.js", "const a = 1;\n")
    write(project / "big.js", "function f() {\n" + "  var x = [1, 2, 3];\n" * 40_000 + "}\n")
    result = run_cli("check", "--no-cache", "--file-time-budget", "0.01", "ok.js", "big.js")
    assert result.exit_code == 2, result.output
    assert "big.js: analysis stopped" in result.stdout
    assert "only partly analysed" in result.stderr
    assert run_cli("check", "--no-cache", "ok.js").exit_code == 0


def test_ctrl_c_after_workers_were_stopped_skips_the_exit_hooks(monkeypatch) -> None:
    # A worker terminated while it wrote a result leaves half a message in the result pipe,
    # and concurrent.futures' exit hook then waits for the rest for ever: under load, a
    # Ctrl-C hung `leaklint check -j2` after it had printed "interrupted" (or printed that
    # hook's traceback). Once workers were stopped in flight, the exit skips the hooks.
    from leaklint import cli
    from leaklint.pipeline import parallel

    exits: list[int] = []

    def fake_exit(code: int) -> None:
        exits.append(code)
        raise SystemExit(code)

    monkeypatch.setattr(cli.os, "_exit", fake_exit)
    monkeypatch.setattr(parallel, "_stopped_in_flight", False)
    with pytest.raises(SystemExit):
        cli._exit(130)
    assert exits == []  # no pool stopped: the ordinary exit, hooks and all
    monkeypatch.setattr(parallel, "_stopped_in_flight", True)
    with pytest.raises(SystemExit):
        cli._exit(130)
    assert exits == [130]
