"""Writing files safely: everything leaklint writes (reports, baseline, cache) goes through here.

The promise: leaklint replaces only a *regular file* (or creates a missing one). Anything else at
the target path is written *through* — a character device such as ``/dev/null`` or a terminal, a
FIFO somebody reads — or refused with a clear error (a directory, a FIFO nobody reads, a socket).
A symlink is followed: its target is written and the link stays a link. Renaming a temporary file
over the path, the usual atomic write, would have replaced ``/dev/null`` itself when run as root.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import tempfile
import time
from pathlib import Path

# A temporary file of ours is `.{name}.{pid}.{random}.tmp`: the pid says whether the writer is
# still alive, so a temp left by a `kill -9` can be removed on the next write without racing a
# concurrent run that is writing the same report right now.
_TEMP_PATTERN = r"^\.{name}\.(\d+)\.[A-Za-z0-9_]+\.tmp$"
# A temp older than this is stale whatever its pid says (pids are reused).
_STALE_AFTER_SECONDS = 24 * 3600


class UnsafeOutputError(OSError):
    """The output path is something leaklint will not write: a directory, a socket, a FIFO
    without a reader. Carries a message meant for the user."""


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader (or a crash) sees the old file or the new one.

    A regular file or a missing path is replaced atomically (temp file beside it, fsync, rename).
    A symlink is resolved first. A device or FIFO is written through, never replaced.
    """
    path = Path(path)
    kind = _target_kind(path)
    if kind == "special":
        _write_through(path, data)
        return
    if kind != "regular":
        raise UnsafeOutputError(errno.EINVAL, f"{path} is {kind}, not a file leaklint can write")
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    _replace_atomically(target, data)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8", errors="surrogateescape"))


def _target_kind(path: Path) -> str:
    """'regular' (also: missing, or a dangling symlink), 'special' (device, FIFO) or a phrase."""
    try:
        mode = os.stat(path).st_mode  # follows symlinks: the target's kind is what matters
    except FileNotFoundError:
        return "regular"
    except NotADirectoryError:
        return "regular"  # a parent is a file: mkdir below gives the clear error
    if stat.S_ISREG(mode):
        return "regular"
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return "special"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def _write_through(path: Path, data: bytes) -> None:
    """Write to a device or FIFO in place. A FIFO is opened non-blocking so that one nobody
    reads is an error at once instead of a hang; the writes themselves then block normally."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as error:
        if error.errno == errno.ENXIO:
            raise UnsafeOutputError(
                errno.ENXIO, f"{path} is a FIFO that nothing is reading"
            ) from None
        raise
    try:
        os.set_blocking(fd, True)
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
    finally:
        os.close(fd)


def _replace_atomically(path: Path, data: bytes) -> None:
    directory = path.parent if str(path.parent) else Path(".")
    directory.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(directory, path.name)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=directory)
    try:
        # mkstemp creates the file 0600; a report or baseline should get the usual mode.
        os.chmod(temp, _existing_mode(path) or (0o666 & ~_umask()))
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _remove_stale_temps(directory: Path, name: str) -> None:
    """Remove temporaries of ours for ``name`` whose writer died (``kill -9`` mid-write)."""
    pattern = re.compile(_TEMP_PATTERN.format(name=re.escape(name)))
    prefix = f".{name}."
    try:
        entries = [entry for entry in os.scandir(directory) if entry.name.startswith(prefix)]
    except OSError:
        return
    now = time.time()
    for entry in entries:
        match = pattern.match(entry.name)
        if not match:
            continue
        with contextlib.suppress(OSError):
            info = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(info.st_mode):
                continue
            if _process_alive(int(match.group(1))) and now - info.st_mtime < _STALE_AFTER_SECONDS:
                continue
            os.unlink(entry.path)


def _process_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by somebody else
    except OSError:
        return False
    return True


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _existing_mode(path: Path) -> int | None:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        return None
