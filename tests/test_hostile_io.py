"""Hostile file systems and names (issue 17): what leaklint reads, follows and writes.

Each test here failed before its fix: an output path that is also a checked source, names
that are not UTF-8, a deleted current directory, reads that block or never end, text from the
checked code that injects workflow commands or terminal escapes, symlinks that leave the
walked tree, and code frames of minified lines.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from leaklint.display import escape_controls, frame_window, json_safe, quote_path
from leaklint.fsutil import FileTooLargeError, NotRegularFileError, read_regular_file
from leaklint.model.findings import compute_fingerprint
from leaklint.reporters.github import escape_data, escape_property
from leaklint.syntax.source import SourceFile
from tests.conftest import write

LEAKY = "function f(w, h) {\n  area = w * h;\n  return area;\n}\n"
BAD_NAME = os.fsdecode(b"bad\xff.js")  # what os.listdir hands out for a non-UTF-8 name


class Blocked(BaseException):
    """Not an OSError (as TimeoutError is): the code under test must not swallow it."""


@pytest.fixture
def no_hang() -> Iterator[None]:
    """Fail (instead of hanging the suite) if the test blocks for 20 seconds."""

    def interrupt(signum: int, frame: object) -> None:
        raise Blocked("blocked: a read that should have been refused")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.alarm(20)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def leaklint(cwd: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    """The installed CLI in a child process: a hang is a timeout, not a stuck suite."""
    return subprocess.run(
        [sys.executable, "-m", "leaklint.cli", *args],
        cwd=cwd,
        capture_output=True,
        timeout=timeout,
        check=False,
    )


# --- 2: an output path that is also an input ---------------------------------------------------


@pytest.mark.parametrize("option", ["-o", "--write-baseline"])
def test_output_that_is_the_checked_file_is_refused(project: Path, run_cli, option: str) -> None:
    write(project / "a.js", LEAKY)
    result = run_cli("check", option, "a.js", "a.js")
    assert result.exit_code == 2
    assert "refusing to write" in result.output and "a.js" in result.output
    assert (project / "a.js").read_text() == LEAKY


def test_output_that_is_a_discovered_file_is_refused(project: Path, run_cli) -> None:
    write(project / "src" / "a.js", LEAKY)
    result = run_cli("check", "-o", "src/a.js", ".")
    assert result.exit_code == 2
    assert (project / "src" / "a.js").read_text() == LEAKY


def test_output_through_a_symlink_or_hard_link_to_a_source_is_refused(
    project: Path, run_cli
) -> None:
    write(project / "a.js", LEAKY)
    (project / "report.txt").symlink_to("a.js")
    os.link(project / "a.js", project / "hard.txt")
    for name in ("report.txt", "hard.txt"):
        result = run_cli("check", "-o", name, ".")
        assert result.exit_code == 2, name
        assert (project / "a.js").read_text() == LEAKY


def test_missing_output_path_that_resolves_to_a_source_is_refused(project: Path, run_cli) -> None:
    write(project / "a.js", LEAKY)
    result = run_cli("check", "-o", "missing/../a.js", ".")
    assert result.exit_code == 2
    assert (project / "a.js").read_text() == LEAKY


def test_report_over_the_baseline_it_reads_is_refused(project: Path, run_cli) -> None:
    write(project / "a.js", LEAKY)
    assert run_cli("check", "--write-baseline", "base.json", "a.js").exit_code == 0
    before = (project / "base.json").read_text()
    result = run_cli("check", "--baseline", "base.json", "-o", "base.json", "a.js")
    assert result.exit_code == 2
    assert (project / "base.json").read_text() == before


def test_audit_html_over_a_source_is_refused(project: Path, run_cli) -> None:
    write(project / "a.js", LEAKY)
    result = run_cli("audit", "--html", "a.js", "a.js")
    assert result.exit_code == 2
    assert "refusing to write --html" in result.output
    assert (project / "a.js").read_text() == LEAKY


def test_ordinary_outputs_are_still_written(project: Path, run_cli) -> None:
    write(project / "a.js", LEAKY)
    assert run_cli("check", "-o", "report.txt", "--write-baseline", "b.json", ".").exit_code == 0
    assert (project / "report.txt").exists() and (project / "b.json").exists()
    # Updating a baseline in place reads and writes the same file, on purpose.
    updated = run_cli("check", "--write-baseline", "b.json", "--baseline", "b.json", ".")
    assert updated.exit_code == 0, updated.output


# --- 5: file names that are not UTF-8 ----------------------------------------------------------


@pytest.fixture
def bad_name(project: Path) -> Path:
    try:
        path = project / BAD_NAME
        path.write_text("function f(){ area = 1 }\n")
    except (OSError, UnicodeEncodeError):
        pytest.skip("this file system refuses names that are not UTF-8")
    return project


def test_non_utf8_name_is_analysed_and_shown_as_git_quotes_it(bad_name: Path, run_cli) -> None:
    result = run_cli("check", "--no-cache", ".")
    assert result.exit_code == 1, result.output
    assert result.output.startswith('"bad\\377.js":1:15: LL001 ')
    assert "1 file." in result.output


@pytest.mark.parametrize("cache", [True, False])
def test_non_utf8_name_in_json_is_valid_and_exact(bad_name: Path, run_cli, cache: bool) -> None:
    flags = [] if cache else ["--no-cache"]
    for _ in range(2 if cache else 1):  # a warm run answers from the cache
        result = run_cli("check", "--format", "json", *flags, ".")
        assert result.exit_code == 1, result.output
        result.stdout_bytes.decode("utf-8")  # strict: no raw non-UTF-8 byte in the document
        [finding] = json.loads(result.stdout)["findings"]
        assert os.fsencode(finding["path"]) == b"bad\xff.js"
        assert "\\udcff" in result.stdout


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_non_utf8_name_report_file_in_each_format(bad_name: Path, run_cli, fmt: str) -> None:
    result = run_cli("check", "--no-cache", "--format", fmt, "-o", f"report.{fmt}", ".")
    assert result.exit_code == 1, result.output
    text = (bad_name / f"report.{fmt}").read_bytes().decode("utf-8")
    if fmt == "json":
        assert json.loads(text)["findings"][0]["path"] == BAD_NAME
    elif fmt == "sarif":
        [finding] = json.loads(text)["runs"][0]["results"]
        assert finding["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
            "bad%FF.js"
        )
    else:
        assert '"bad\\377.js"' in text


def test_non_utf8_name_in_github_format(bad_name: Path, run_cli) -> None:
    result = run_cli("check", "--no-cache", "--format", "github", ".")
    assert result.exit_code == 1
    assert result.output.startswith('::error file="bad\\377.js",line=1,col=15,')


def test_non_utf8_name_in_baseline(bad_name: Path, run_cli) -> None:
    assert run_cli("check", "--no-cache", "--write-baseline", "b.json", ".").exit_code == 0
    document = json.loads((bad_name / "b.json").read_bytes().decode("utf-8"))
    assert document["entries"][0]["path"] == BAD_NAME
    result = run_cli("check", "--no-cache", "--baseline", "b.json", ".")
    assert result.exit_code == 0, result.output
    assert "1 in baseline" in result.output


def test_non_utf8_name_in_audit(bad_name: Path, run_cli) -> None:
    summary = run_cli("audit", "--no-cache", ".")
    assert summary.exit_code == 0, summary.output
    assert '  1  "bad\\377.js"  ' in summary.output  # the top files
    assert 'most findings is "bad\\377.js" (1)' in summary.output  # where to start
    as_json = run_cli("audit", "--no-cache", "--format", "json", ".")
    assert json.loads(as_json.stdout_bytes.decode("utf-8"))["files"][0]["path"] == BAD_NAME
    html = run_cli("audit", "--no-cache", "--html", "r.html", ".")
    assert html.exit_code == 0, html.output
    assert "bad\ufffd.js" in (bad_name / "r.html").read_bytes().decode("utf-8")


def test_fingerprint_of_a_non_utf8_path() -> None:
    first = compute_fingerprint("LL001", BAD_NAME, "f", "area = 1")
    assert first != compute_fingerprint("LL001", "bad\ufffd.js", "f", "area = 1")


def test_json_safe_keeps_the_document_and_its_meaning() -> None:
    document = json.dumps({"path": BAD_NAME, "ok": "é"}, ensure_ascii=False)
    safe = json_safe(document)
    safe.encode("utf-8")
    assert json.loads(safe) == {"path": BAD_NAME, "ok": "é"}


# --- 10: a deleted current directory -----------------------------------------------------------


@pytest.mark.parametrize("command", ["check", "audit"])
def test_deleted_current_directory_is_a_clear_error(tmp_path: Path, command: str) -> None:
    write(tmp_path / "a.js", LEAKY)
    gone = tmp_path / "gone"
    gone.mkdir()
    script = (
        "import os, sys, runpy; os.chdir(sys.argv[1]); os.rmdir(sys.argv[1]); "
        "sys.argv = ['leaklint', *sys.argv[2:]]; runpy.run_module('leaklint.cli', "
        "run_name='__main__')"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(gone), command, str(tmp_path / "a.js")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "current directory no longer exists" in done.stderr
    assert "Traceback" not in done.stderr


# --- 12: reads that block or never end ---------------------------------------------------------


def test_fifo_and_device_on_the_command_line_are_refused(tmp_path: Path) -> None:
    # Named on the command line, a FIFO or a device is a mistake in the command (issue #15:
    # "refused, not read forever"): exit 2 at once, naming it. Found in a walk, or swapped in
    # during the run, such a file is skipped instead (the tests below).
    write(tmp_path / "ok.js", LEAKY)
    os.mkfifo(tmp_path / "a.js")
    (tmp_path / "z.js").symlink_to("/dev/zero")
    for name, kind in (("a.js", "named pipe (FIFO)"), ("z.js", "device")):
        done = leaklint(tmp_path, "check", "--no-cache", name, "ok.js")
        assert done.returncode == 2, done.stderr
        assert f"{name} is a {kind}" in done.stderr.decode(), done.stderr


@pytest.mark.parametrize("option", ["--baseline", "--config"])
def test_fifo_as_baseline_or_config_is_a_clear_error(tmp_path: Path, option: str) -> None:
    write(tmp_path / "ok.js", LEAKY)
    os.mkfifo(tmp_path / "input")
    done = leaklint(tmp_path, "check", option, "input", "ok.js")
    assert done.returncode == 2
    assert b"Traceback" not in done.stderr and b"input" in done.stderr


def test_source_swapped_for_a_fifo_after_discovery_is_skipped(project: Path, no_hang) -> None:
    from leaklint.model.settings import Settings
    from leaklint.pipeline.engine import run

    write(project / "a.js", LEAKY)
    files = [project / "a.js"]
    (project / "a.js").unlink()
    os.mkfifo(project / "a.js")
    result = run(files, Settings(root=project), jobs=1, use_cache=False)
    assert [e.message for e in result.errors] == ["skipped: not a regular file (a FIFO)"]


def test_cached_file_swapped_for_a_fifo_is_not_read(project: Path, no_hang) -> None:
    from leaklint.model.settings import Settings
    from leaklint.pipeline.engine import run

    empty = write(project / "a.js", "")
    settings = Settings(root=project)
    assert run([empty], settings, jobs=1).files_checked == 1  # cached: size 0
    empty.unlink()
    os.mkfifo(empty)  # also size 0, a new mtime: the cache would hash its content
    result = run([empty], settings, jobs=1)
    assert [e.message for e in result.errors] == ["skipped: not a regular file (a FIFO)"]


def test_readers_refuse_fifos_and_devices(tmp_path: Path, no_hang) -> None:
    from leaklint.reporters.text import code_frame

    fifo = tmp_path / "f.js"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero")):
        with pytest.raises(NotRegularFileError):
            read_regular_file(path, 1024)
        with pytest.raises(OSError):
            SourceFile.read(path)  # the audit's excerpts read through this
    from leaklint.model.findings import Finding, Severity, Span

    finding = Finding("LL001", "x", str(fifo), Span(1, 1, 1, 2), "m", Severity.ERROR)
    assert code_frame(finding, color=False) == []


def test_size_cap_applies_to_what_is_read(tmp_path: Path) -> None:
    big = tmp_path / "big.js"
    big.write_bytes(b"x" * 101)
    with pytest.raises(FileTooLargeError):
        read_regular_file(big, 100)
    assert read_regular_file(big, 101).data == b"x" * 101
    status = Path("/proc/self/status")  # a regular file whose st_size (0) lies
    if status.exists():
        assert status.stat().st_size == 0
        with pytest.raises(FileTooLargeError):
            read_regular_file(status, 10)


# --- 15: workflow commands and terminal escapes in human output --------------------------------

INJECTED_NAME = "::error title=INJECTED::pwned.js"
EVENT_INJECTION = (
    "const express = require('express');\nconst app = express();\n"
    "app.get('/e', (req, res) => {\n  process.on(`x\n::warning title=X::y`, () => res.end());\n"
    "});\n"
)


@pytest.fixture
def hostile(project: Path) -> Path:
    write(project / INJECTED_NAME, LEAKY)
    write(project / "esc\x1b[2K.js", LEAKY)
    write(project / "ev.js", EVENT_INJECTION)
    write(project / "frame.js", "function g() {\n  y = 1; /* \x1b[1A\x1b[2K \x7f \x9b2J */\n}\n")
    return project


def test_text_output_never_starts_a_line_with_two_colons(hostile: Path, run_cli) -> None:
    result = run_cli("check", "--no-cache", "--select", "ALL", ".")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert not [line for line in lines if line.startswith("::")]
    assert any(line.startswith("./::error title=INJECTED::pwned.js:2:3: LL001 ") for line in lines)
    [event] = [line for line in lines if " LL007 " in line]
    assert "'x\\n::warning title=X::y' listener" in event


def test_text_output_escapes_control_characters(hostile: Path, run_cli) -> None:
    result = run_cli("check", "--no-cache", "--select", "ALL", ".")
    assert not {"\x1b", "\x7f", "\x9b"} & set(result.output)
    assert '"esc\\033[2K.js":2:3: LL001' in result.output
    frame = result.output.split("frame.js:2:3: LL001")[1].splitlines()
    assert frame[1] == "    2 |   y = 1; /* \u241b[1A\u241b[2K \u2421 \ufffd2J */"
    assert frame[2] == "      |   ^"


def test_github_output_keeps_injections_inside_their_command(hostile: Path, run_cli) -> None:
    result = run_cli("check", "--no-cache", "--select", "ALL", "--format", "github", ".")
    lines = result.output.splitlines()
    *commands, summary = lines
    assert summary.startswith("leaklint: ")
    assert not {"\x1b", "\x7f", "\x9b"} & set(result.output)
    for line in commands:
        before, properties, _message = line.split("::", 2)
        assert before == "" and properties.split(" ")[0] in ("error", "warning", "notice")
        # Every property is before the first "::": a file name did not end them early.
        assert properties.endswith(("title=leaklint", "implicit-global", "listener-leak"))
    assert any("file=%3A%3Aerror title=INJECTED%3A%3Apwned.js," in line for line in lines)
    assert any("'x%0A::warning title=X::y' listener" in line for line in lines)


def test_github_escaping_covers_the_injected_values() -> None:
    assert escape_property(INJECTED_NAME) == "%3A%3Aerror title=INJECTED%3A%3Apwned.js"
    assert escape_data("x\n::warning title=X::y\r") == "x%0A::warning title=X::y%0D"


def test_audit_summary_escapes_names_and_messages(hostile: Path, run_cli) -> None:
    result = run_cli("audit", "--no-cache", ".")
    assert result.exit_code == 0
    assert "\x1b" not in result.output
    assert not [line for line in result.output.splitlines() if line.startswith("::")]
    assert '"esc\\033[2K.js"' in result.output


def test_quote_path_and_escape_controls() -> None:
    assert quote_path("src/app.js") == "src/app.js"
    assert quote_path("src/Привет.js") == "src/Привет.js"
    assert quote_path('a"b\\c\td.js') == '"a\\"b\\\\c\\td.js"'
    assert quote_path("x\x9b.js") == '"x\\302\\233.js"'
    assert quote_path(":x.js") == "./:x.js"
    assert escape_controls("a\nb\x1b\x7f\x85\udcff") == "a\\nb\\x1b\\x7f\\x85\\xff"
    assert escape_controls("a\r\nb", keep="\r\n") == "a\r\nb"


# --- 16: symlinks that leave the walked tree ---------------------------------------------------


@pytest.fixture
def secret_link(tmp_path: Path) -> Path:
    write(tmp_path / "secret" / ".env", "API_TOKEN=hunter2\n")
    write(tmp_path / "secret" / "lib.js", LEAKY)
    project = tmp_path / "project"
    write(project / "app.js", LEAKY)
    (project / "config.js").symlink_to("../secret/.env")
    (project / "vendor").symlink_to("../secret", target_is_directory=True)
    (project / "alias.js").symlink_to("app.js")
    return project


def test_walk_does_not_follow_symlinks_out_of_the_tree(secret_link: Path) -> None:
    done = leaklint(secret_link, "check", "--no-cache", ".")
    out = done.stdout.decode()
    assert "hunter2" not in out and "config.js" not in out and "vendor" not in out
    assert "app.js:2:3: LL001" in out and "alias.js:2:3: LL001" in out  # inside: followed


def test_symlink_named_on_the_command_line_is_still_checked(secret_link: Path) -> None:
    done = leaklint(secret_link, "check", "--no-cache", "config.js")
    assert done.returncode == 1
    assert b"API_TOKEN" in done.stdout


# --- 18: code frames of minified lines ---------------------------------------------------------


def test_code_frame_of_a_long_line_is_a_window_around_the_column(project: Path, run_cli) -> None:
    padding = "var a=[" + "1," * 100_000 + "0];"
    write(project / "bundle.js", padding + "leak=1;" + "var b=2;" * 25_000 + "\n")
    result = run_cli("check", "--no-cache", "bundle.js")
    assert result.exit_code == 1
    header, source, caret = result.output.splitlines()[:3]
    assert header.startswith(f"bundle.js:1:{len(padding) + 1}: LL001")
    assert len(source) < 140 and len(caret) < 140
    assert source.startswith("    1 | …") and source.endswith("…")
    start = caret.index("^")
    assert source[start : start + 4] == "leak" and caret[start:] == "^^^^"


def test_frame_window_keeps_short_lines_and_clamps_the_caret() -> None:
    assert frame_window("\tx = 1", 1, 2) == frame_window(" x = 1", 1, 2)
    assert frame_window("ab", 2, 2).start == 2  # a caret just past the end of the line
    window = frame_window("a" * 1000, 0, 1000)
    assert window.text.endswith("…") and not window.text.startswith("…")
    assert (window.start, window.end) == (0, 120)
