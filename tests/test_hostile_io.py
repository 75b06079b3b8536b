"""Hostile file systems and names (issue 17): what leaklint reads, follows and writes.

Each test here failed before its fix: an output path that is also a checked source, names
that are not UTF-8, a deleted current directory, reads that block or never end, text from the
checked code that injects workflow commands or terminal escapes, symlinks that leave the
walked tree, and code frames of minified lines.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from leaklint.fsutil import FileTooLargeError, NotRegularFileError, read_regular_file
from leaklint.source import SourceFile
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


# --- 12: reads that block or never end ---------------------------------------------------------


def test_fifo_and_device_on_the_command_line_are_skipped(tmp_path: Path) -> None:
    write(tmp_path / "ok.js", LEAKY)
    os.mkfifo(tmp_path / "a.js")
    (tmp_path / "z.js").symlink_to("/dev/zero")
    done = leaklint(tmp_path, "check", "--no-cache", "a.js", "z.js", "ok.js")
    out = done.stdout.decode()
    assert done.returncode == 1, done.stderr
    assert "a.js: skipped: not a regular file (a FIFO)" in out
    assert "skipped: not a regular file (a character device)" in out
    assert "ok.js:2:3: LL001" in out


@pytest.mark.parametrize("option", ["--baseline", "--config"])
def test_fifo_as_baseline_or_config_is_a_clear_error(tmp_path: Path, option: str) -> None:
    write(tmp_path / "ok.js", LEAKY)
    os.mkfifo(tmp_path / "input")
    done = leaklint(tmp_path, "check", option, "input", "ok.js")
    assert done.returncode == 2
    assert b"Traceback" not in done.stderr and b"input" in done.stderr


def test_source_swapped_for_a_fifo_after_discovery_is_skipped(project: Path, no_hang) -> None:
    from leaklint.config import Settings
    from leaklint.engine import run

    write(project / "a.js", LEAKY)
    files = [project / "a.js"]
    (project / "a.js").unlink()
    os.mkfifo(project / "a.js")
    result = run(files, Settings(root=project), jobs=1, use_cache=False)
    assert [e.message for e in result.errors] == ["skipped: not a regular file (a FIFO)"]


def test_cached_file_swapped_for_a_fifo_is_not_read(project: Path, no_hang) -> None:
    from leaklint.config import Settings
    from leaklint.engine import run

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
    from leaklint.findings import Finding, Severity, Span

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
