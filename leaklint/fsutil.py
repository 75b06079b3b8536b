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
from typing import NamedTuple

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


# --- reading ----------------------------------------------------------------------------------


class NotRegularFileError(OSError):
    """A path that is not a regular file: reading a FIFO blocks forever, ``/dev/zero`` never
    ends. ``str()`` is the message for the user."""

    def __str__(self) -> str:
        return self.strerror or super().__str__()


class FileTooLargeError(OSError):
    """A regular file with more bytes than the reader's limit. ``size`` is what was read (at
    least ``limit + 1``), not ``st_size``, which a growing file makes stale."""

    def __init__(self, path: Path, limit: int) -> None:
        super().__init__(errno.EFBIG, f"{path} is larger than {limit} bytes")
        self.limit = limit

    def __str__(self) -> str:
        return self.strerror or super().__str__()


class RegularFile(NamedTuple):
    data: bytes
    stat: os.stat_result  # of the open file: what was read, not what the path names now


def read_regular_file(path: Path | str, limit: int, *, follow_symlinks: bool = True) -> RegularFile:
    """The bytes of ``path`` if it is a regular file of at most ``limit`` bytes.

    Every file leaklint reads goes through here. The path is opened non-blocking (a FIFO
    nobody writes to would otherwise block ``open`` itself) and the *open descriptor* is
    checked, so a file swapped for a FIFO or a symlink to a device after a ``stat`` is still
    refused. At most ``limit + 1`` bytes are read: the cap holds for what is read, whatever
    ``st_size`` said when the run started. ``follow_symlinks=False``: a symlink at ``path`` is
    an error (ELOOP), for files of leaklint's own such as the cache.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFileError(
                errno.EINVAL, f"not a regular file ({file_kind(info.st_mode)})", str(path)
            )
        chunks: list[bytes] = []
        remaining = limit + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise FileTooLargeError(Path(path), limit)
    return RegularFile(data, info)


# For the small files leaklint reads besides sources (configuration, baseline, .gitignore).
MAX_TEXT_FILE_BYTES = 64 * 1024 * 1024


def read_regular_text(path: Path | str, limit: int = MAX_TEXT_FILE_BYTES) -> str:
    """``read_regular_file`` decoded as strict UTF-8 (``UnicodeDecodeError`` otherwise)."""
    return read_regular_file(path, limit).data.decode("utf-8")


def file_kind(mode: int) -> str:
    """What a non-regular file is, in words for a message."""
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"
