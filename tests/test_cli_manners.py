"""The CLI as editors, terminals and scripts use it: stdin, colours, special files,
statistics, timings, generated files and runs that check nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from leaklint.cli import _use_color, cli
from leaklint.syntax.generated import generated_reason
from tests.cli_helpers import chdir, invoke, write

LEAKY = "function f() { leaked = 1; }\n"
LEAKLINT = str(Path(sys.executable).with_name("leaklint"))


def run_stdin(cwd: Path, text: str, *args: str):
    with chdir(cwd):
        return CliRunner().invoke(cli, ["check", *args], input=text, catch_exceptions=False)


# --- stdin for editors ----------------------------------------------------------------------


def test_stdin_with_a_filename(tmp_path: Path) -> None:
    write(tmp_path, {"src/leaklint.toml": "globals = ['declared']\n"})
    result = run_stdin(tmp_path, LEAKY, "--stdin-filename", "src/a.ts", "--format", "json", "-")
    assert result.exit_code == 1, result.output
    [finding] = json.loads(result.stdout)["findings"]
    assert (finding["path"], finding["line"], finding["rule"]) == ("src/a.ts", 1, "LL001")
    # The file's own configuration applies: declared there, not reported.
    clean = run_stdin(
        tmp_path, "function f() { declared = 1; }\n", "--stdin-filename", "src/a.ts", "-"
    )
    assert clean.exit_code == 0, clean.output


def test_stdin_without_a_filename_and_excluded_names(tmp_path: Path) -> None:
    result = run_stdin(tmp_path, LEAKY, "-")
    assert result.exit_code == 1
    assert result.stdout.startswith("-:1:16: LL001")
    # --force-exclude drops an excluded name, as ruff does (an editor on a vendored file).
    excluded = run_stdin(tmp_path, LEAKY, "--force-exclude", "--stdin-filename", "dist/a.js", "-")
    assert excluded.exit_code == 0 and "LL001" not in excluded.output


def test_stdin_cannot_be_mixed_with_paths(tmp_path: Path) -> None:
    write(tmp_path, {"a.js": LEAKY})
    result = run_stdin(tmp_path, LEAKY, "-", "a.js")
    assert result.exit_code == 2
    assert "cannot be combined" in result.output
    named = run_stdin(tmp_path, LEAKY, "--stdin-filename", "b.js", "a.js")
    assert named.exit_code == 2
    assert "--stdin-filename needs '-'" in named.output
    # Alone, --stdin-filename reads stdin, as editors call it.
    alone = run_stdin(tmp_path, LEAKY, "--stdin-filename", "b.js")
    assert alone.exit_code == 1 and alone.stdout.startswith("b.js:1:16: LL001")


# --- special files --------------------------------------------------------------------------


def test_a_fifo_named_on_the_command_line_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "a.js")
    done = subprocess.run(
        [LEAKLINT, "check", "a.js"], cwd=tmp_path, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 2
    assert "a.js is a named pipe (FIFO), not a file or directory" in done.stderr


def test_a_symlink_to_a_device_is_refused(tmp_path: Path) -> None:
    (tmp_path / "zero.js").symlink_to("/dev/zero")
    result = invoke(tmp_path, "zero.js")
    assert result.exit_code == 2
    assert "zero.js is a device" in result.output


# --- colour ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "tty", "expected"),
    [
        ({}, True, True),
        ({}, False, False),
        ({"NO_COLOR": "1"}, True, False),
        ({"TERM": "dumb"}, True, False),
        ({"FORCE_COLOR": "1"}, False, True),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False, True),
        ({"FORCE_COLOR": "0"}, True, False),
    ],
)
def test_colour_environment(monkeypatch, env: dict[str, str], tty: bool, expected: bool) -> None:
    for name in ("NO_COLOR", "FORCE_COLOR", "TERM"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: tty, raising=False)
    assert _use_color(None, "text") is expected
    assert _use_color(None, "json") is False


def test_force_color_reaches_the_output(tmp_path: Path, monkeypatch) -> None:
    write(tmp_path, {"a.js": LEAKY})
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert "\x1b[" in invoke(tmp_path, "a.js").stdout


# --- statistics and timings -----------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "sarif", "github"])
def test_statistics_with_machine_formats_go_to_stderr(tmp_path: Path, fmt: str) -> None:
    write(tmp_path, {"a.js": LEAKY + "function g() { other = 2; }\n"})
    result = invoke(tmp_path, "--no-cache", "--statistics", "--format", fmt, "a.js")
    assert result.exit_code == 1
    assert "2\tLL001\timplicit-global" in result.stderr
    assert "slowest 1 file:" in result.stderr and "a.js" in result.stderr
    if fmt != "github":
        json.loads(result.stdout)  # the document itself is untouched


def test_show_timings_lists_the_slowest_files(tmp_path: Path) -> None:
    write(tmp_path, {f"m{i}.js": LEAKY for i in range(3)})
    result = invoke(tmp_path, "--no-cache", "--show-timings", "-j1")
    lines = result.stderr.splitlines()
    assert lines[0] == "leaklint: slowest 3 files:"
    seconds = [float(line.split()[0]) for line in lines[1:4]]
    assert seconds == sorted(seconds, reverse=True)
    assert sorted(line.split()[-1] for line in lines[1:4]) == ["m0.js", "m1.js", "m2.js"]
    invoke(tmp_path, "-j1")  # fills the cache
    warm = invoke(tmp_path, "--show-timings", "-j1")
    assert "no timings: every file was answered from the cache" in warm.stderr


# --- generated files ------------------------------------------------------------------------

WEBPACK = "/******/ (() => { // webpackBootstrap\n/******/ \tvar __webpack_modules__ = {};\n"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("// @generated\n" + LEAKY, "banner"),
        ("/* Generated by the protocol buffer compiler. */\n" + LEAKY, "banner"),
        ("// Code generated by sqlc. DO NOT EDIT.\n" + LEAKY, "banner"),
        ("/* eslint-disable */\n" + WEBPACK + LEAKY, "webpack"),
        (LEAKY + "//# sourceMappingURL=a.js.map\n", "sourceMappingURL"),
        ("var a=1;" * 3000, "average"),
        (LEAKY * 1000 + "x=" + "1+" * 3000 + "1;\n", "a line of"),
        (LEAKY, None),
        ("// Generates the report from the rows.\n" + LEAKY, None),
        (LEAKY * 2000, None),  # long file, short lines
    ],
)
def test_generated_reasons(text: str, reason: str | None) -> None:
    found = generated_reason(text.encode(), "app.js")
    assert (found is None) if reason is None else (reason in (found or ""))


@pytest.mark.parametrize(
    ("name", "hashed"),
    [
        ("main.3f2a9b1c.js", True),
        ("chunk-5e8f1a2b9c.mjs", True),
        ("runtime~main.1a2b3c4d.chunk.js", True),
        ("backup.20231201.js", False),  # a date: digits only
        ("x.deadbeef.js", False),  # a word: letters only
        ("1614000000000-Init.ts", False),  # a migration's timestamp
        ("app.js", False),
    ],
)
def test_hashed_bundle_names(name: str, hashed: bool) -> None:
    assert (generated_reason(b"x();\n", name) is not None) is hashed


def test_generated_files_are_skipped_with_a_reason(tmp_path: Path) -> None:
    write(tmp_path, {"src/plain.js": LEAKY, "src/b.js": "// @generated\n" + LEAKY})
    result = invoke(tmp_path, "--no-cache")
    assert result.exit_code == 1
    assert "src/b.js" not in result.stdout and "in 1 file." in result.stdout
    assert "skipped 1 file that looks generated" in result.stderr
    document = json.loads(invoke(tmp_path, "--no-cache", "--format", "json").stdout)
    assert document["skipped"] == [
        {"path": "src/b.js", "reason": "generated: a generated-by banner"}
    ]
    verbose = invoke(tmp_path, "--no-cache", "--verbose")
    assert "leaklint: skipped src/b.js: generated: a generated-by banner" in verbose.stderr
    # Named on the command line it is checked, unless --force-exclude (pre-commit) says not.
    assert "src/b.js:2:16: LL001" in invoke(tmp_path, "--no-cache", "src/b.js").stdout
    forced = invoke(tmp_path, "--no-cache", "--force-exclude", "src/b.js")
    assert forced.exit_code == 0 and "LL001" not in forced.stdout
    # check-generated = true checks them anyway, and the cache keeps the two apart.
    write(tmp_path, {"leaklint.toml": "check-generated = true\n"})
    assert "src/b.js:2:16: LL001" in invoke(tmp_path).stdout
    write(tmp_path, {"leaklint.toml": ""})
    assert "src/b.js" not in invoke(tmp_path).stdout


# --- nothing checked ------------------------------------------------------------------------


def test_nothing_found_is_a_warning_not_all_clear(tmp_path: Path) -> None:
    write(tmp_path, {"README.md": "# hi\n", "dist/a.js": LEAKY})
    result = invoke(tmp_path)
    assert result.exit_code == 0  # as ruff; see the README ("Exit codes")
    assert "All clear" not in result.stdout
    assert "warning: no JavaScript or TypeScript files found" in result.stderr


def test_only_unreadable_or_binary_files_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "a.js").write_bytes(b"\x00\x01\x02\x03" * 100)
    result = invoke(tmp_path, "a.js")
    assert "All clear" not in result.stdout
    assert "warning: none of the 1 file found could be checked" in result.stderr


def test_no_progress_bar_on_a_dumb_terminal(monkeypatch) -> None:
    from leaklint import progress

    class Terminal:
        def isatty(self) -> bool:
            return True

    for name in ("CI", "LEAKLINT_NO_PROGRESS", "TERM"):
        monkeypatch.delenv(name, raising=False)
    assert progress.wanted("text", Terminal())  # type: ignore[arg-type]
    monkeypatch.setenv("TERM", "dumb")
    assert not progress.wanted("text", Terminal())  # type: ignore[arg-type]
