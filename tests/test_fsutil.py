"""What leaklint's writes may touch: a regular file or a missing path is replaced atomically;
devices and FIFOs are written through, never replaced; symlinks are followed; stale temps of
ours are cleaned up. Each test here failed before the fix (issue: writes outside the report)."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from leaklint.fsutil import UnsafeOutputError, atomic_write_text
from tests.conftest import write

LEAKY = "function f(w, h) {\n  area = w * h;\n  return area;\n}\n"

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="mknod of a character device needs root")


@needs_root
def test_character_device_is_written_through_not_replaced(tmp_path: Path) -> None:
    null = tmp_path / "null"
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    atomic_write_text(null, "report\n")
    assert stat.S_ISCHR(os.stat(null).st_mode)
    assert os.stat(null).st_rdev == os.makedev(1, 3)


@needs_root
def test_cli_output_to_a_device_keeps_the_device(project: Path, run_cli) -> None:
    write(project / "a.js", LEAKY)
    os.mknod(project / "null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    for fmt in ("text", "json", "sarif"):
        result = run_cli("check", "--format", fmt, "-o", "null", "a.js")
        assert result.exit_code == 1, result.output
        assert stat.S_ISCHR(os.stat(project / "null").st_mode)


def test_dev_null_is_untouched(tmp_path: Path) -> None:
    before = os.stat("/dev/null")
    atomic_write_text(Path("/dev/null"), "x")
    after = os.stat("/dev/null")
    assert (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)
    assert not list(Path("/dev").glob(".null.*.tmp"))


def test_fifo_with_a_reader_is_written_through(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []

    def read() -> None:
        with open(fifo, "rb") as handle:
            received.append(handle.read())

    reader = threading.Thread(target=read)
    reader.start()
    # The reader may not have opened its end yet; retry briefly as a real consumer would race.
    for _ in range(200):
        try:
            atomic_write_text(fifo, "hello\n")
            break
        except UnsafeOutputError:
            threading.Event().wait(0.01)
    reader.join(timeout=5)
    assert received == [b"hello\n"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_fifo_without_a_reader_is_refused_not_a_hang(project: Path, run_cli) -> None:
    write(project / "a.js", LEAKY)
    os.mkfifo(project / "pipe")
    result = run_cli("check", "-o", "pipe", "a.js")
    assert result.exit_code == 2
    assert "FIFO that nothing is reading" in result.output
    assert stat.S_ISFIFO(os.stat(project / "pipe").st_mode)


def test_directory_is_refused(project: Path, run_cli) -> None:
    write(project / "a.js", LEAKY)
    (project / "out").mkdir()
    result = run_cli("check", "-o", "out", "a.js")
    assert result.exit_code == 2
    assert "is a directory" in result.output


def test_symlinked_report_writes_its_target_and_stays_a_link(tmp_path: Path) -> None:
    target = tmp_path / "real" / "report.txt"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "report.txt"
    link.symlink_to(target)
    atomic_write_text(link, "new")
    assert link.is_symlink()
    assert target.read_text() == "new"


def test_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "report.txt"
    link.symlink_to(tmp_path / "made.txt")
    atomic_write_text(link, "new")
    assert link.is_symlink()
    assert (tmp_path / "made.txt").read_text() == "new"


def test_regular_file_replaced_with_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text("old")
    path.chmod(0o640)
    atomic_write_text(path, "new")
    assert path.read_text() == "new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_temp_left_by_a_killed_writer_is_removed_on_the_next_write(tmp_path: Path) -> None:
    # A real writer killed with SIGKILL between creating its temp and renaming it.
    script = (
        "import os, sys, time, tempfile\n"
        "d = sys.argv[1]\n"
        "tempfile.mkstemp(prefix=f'.report.json.{os.getpid()}.', suffix='.tmp', dir=d)\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert len(list(tmp_path.glob(".report.json.*.tmp"))) == 1
    live = tmp_path / f".report.json.{os.getpid()}.keepme.tmp"  # a concurrent writer: alive
    live.write_text("in progress")
    atomic_write_text(tmp_path / "report.json", "{}")
    assert sorted(p.name for p in tmp_path.glob(".report.json.*.tmp")) == [live.name]
    assert (tmp_path / "report.json").read_text() == "{}"
