"""A per-project result cache, so an unchanged file is never parsed twice.

One JSON file per (leaklint version and build, effective configuration, working directory)
holds, for each checked file, its size, modification time, content hash and findings (and the
digest of its project summary: the summaries themselves are in shards beside the file, read
only when a link needs them, ``summary_store``). A file whose
size and mtime are unchanged is a hit without being read; otherwise its content hash decides
(a `git checkout` that rewrites identical bytes still hits). JSON rather than pickle: a cache
directory inside a repository is untrusted input, and loading it must never run code.

Concurrent runs each write the whole file atomically (temp file + rename): the last writer
wins and nobody reads a torn file. A corrupt or foreign file is ignored and rebuilt; every
entry is decoded with a schema when it is used (``decode``), and one of the wrong shape is a
miss that the next save replaces. Entries for files that no longer exist are dropped.

What the cache reads and writes is limited to the cache directory, and nothing in it is
followed: a committed ``.leaklint_cache -> ../victim`` symlink once made leaklint write
``.gitignore``, ``CACHEDIR.TAG`` and cache files into any directory (a ``CACHEDIR.TAG`` in
``$HOME`` makes backup tools skip it). If the directory, or anything leaklint would read or
write in it, is a symlink or not what leaklint puts there (a FIFO, a device), the cache is not
used and the run says so once on standard error. ``$LEAKLINT_CACHE_DIR`` may name any
directory, but one that already exists must be empty or already hold leaklint's cache.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

from leaklint import __version__
from leaklint.fsutil import atomic_write_text, read_regular_file
from leaklint.pipeline.summary_store import Groups, SummaryStore

CACHE_DIR_ENV = "LEAKLINT_CACHE_DIR"
# 2: entries carry the file's project summary, and the cache a link result; 3: entries carry
# the file's environment (what its package.json and Meteor package.js decide about it); 4:
# summaries as rows of values, and the link state of the incremental relink; 5: summaries
# out of the results document, in shards beside it (``summary_store``)
_FORMAT = 5
# A cache file larger than this is not read, but rebuilt from this run's files: parsed JSON
# takes several times its size in memory, and a run should stay within ~400 MB. A project of
# 100,000 files with findings in many of them needs ~20 MB.
_MAX_CACHE_BYTES = 64 * 1024 * 1024
_TAG_SIGNATURE = "Signature: 8a477f597d28d172789f06886806bc55"
_TAG_TEXT = f"{_TAG_SIGNATURE}\n# This file is a cache directory tag created by leaklint.\n"
_IGNORE_TEXT = "# Created by leaklint\n*\n"

T = TypeVar("T")


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@functools.cache
def build_digest() -> str:
    """A digest of this build of leaklint's own code: the name, size and modification time of
    every module of the package. The version alone is not enough: summaries and findings
    cached by an earlier build of the same version (an editable install, a patched release)
    lacked what the new code computes until the cache was cleared by hand. Only ``stat`` is
    called, so start-up stays cheap (~80 files), and no rule module is imported for it."""
    return tree_digest(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def tree_digest(package: str) -> str:
    """Name, size and modification time of every ``.py`` and ``.json`` file (code, and data
    the rules read) under ``package``, digested."""
    parts: list[str] = []
    for directory, subdirectories, files in os.walk(package):
        subdirectories[:] = sorted(d for d in subdirectories if d != "__pycache__")
        for name in sorted(f for f in files if f.endswith((".py", ".json"))):
            try:
                info = os.stat(os.path.join(directory, name))
            except OSError:
                continue
            relative = os.path.relpath(os.path.join(directory, name), package)
            parts.append(f"{relative}:{info.st_size}:{info.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def cache_directory(project_root: Path) -> Path:
    override = os.environ.get(CACHE_DIR_ENV)
    return Path(override) if override else project_root / ".leaklint_cache"


class ResultCache(Generic[T]):
    """Results by file. ``decode`` turns a stored result back into a value, raising
    ValueError (or TypeError, KeyError) for one of the wrong shape, which is then a miss."""

    def __init__(self, directory: Path, key: str, decode: Callable[[Any], T] | None = None) -> None:
        identity = f"{__version__}\x1f{build_digest()}\x1f{key}\x1f{os.getcwd()}"
        digest = hashlib.sha256(identity.encode()).hexdigest()
        self.directory = directory
        self.path = directory / f"v{__version__}" / f"{digest[:20]}.json"
        self._decode = decode
        self._entries: dict[str, Any] = {}
        self._used: set[str] = set()  # keys this run asked about or stored: never pruned
        # The last link's findings and what they were computed from (see ``project``).
        self._project: dict[str, Any] | None = None
        self._dirty = False
        self._refused = False
        index: Any = None
        if self._usable():
            index = self._load()
        self.summaries = SummaryStore(self.path.parent, self.path.stem, index, _FORMAT)

    def _usable(self) -> bool:
        """Whether the cache may be read and written here; says why not, once, if not."""
        if self._refused:
            return False
        problem = unsafe_layout(self.directory, self.path, explicit=_is_explicit(self.directory))
        if problem is None:
            return True
        self._refused = True
        print(f"leaklint: not using the result cache: {problem}", file=sys.stderr)
        return False

    def _load(self) -> Any:
        """Read the results document; returns its index of the summary store (as stored)."""
        try:
            document = json.loads(_read_regular_file(self.path, _MAX_CACHE_BYTES))
        except (OSError, ValueError, RecursionError):
            return None  # no cache yet, or an unreadable one: start afresh
        if isinstance(document, dict) and document.get("format") == _FORMAT:
            entries = document.get("entries")
            if isinstance(entries, dict):
                self._entries = entries
            project = document.get("project")
            if isinstance(project, dict):
                self._project = project
            return document.get("summaries")
        return None

    def lookup(
        self, path: Path, environment: str = "", info: os.stat_result | None = None
    ) -> T | None:
        """The cached result for ``path`` if its content and its ``environment`` are unchanged,
        else None. The environment is what lies outside the file but decides its result — the
        ``type`` of the nearest package.json makes a ``.js`` file an ES module (strict, so an
        implicit global throws instead of leaking): editing package.json must not leave the
        old answer in place. ``info``: the file's ``stat`` if the caller has it already (the
        directory walk's), else it is taken here."""
        found = self.lookup_with_digest(path, environment, info)
        return found[0] if found is not None else None

    def lookup_with_digest(
        self, path: Path, environment: str = "", info: os.stat_result | None = None
    ) -> tuple[T, str] | None:
        """``lookup``'s result and the content hash recorded with it (what ``digest`` says),
        from the one entry read."""
        # abspath, not resolve(): discovery hands out canonical paths already, and a
        # realpath per file cost more than the rest of a warm run.
        key = os.path.abspath(path)
        self._used.add(key)
        entry = self._entries.get(key)
        if entry is None:
            return None
        if not _valid_entry(entry):
            self._forget(key)
            return None
        if info is None:
            try:
                info = path.stat()
            except OSError:
                return None
        mtime, size, digest, result, recorded_environment = entry
        if recorded_environment != environment:
            return None
        if not stat.S_ISREG(info.st_mode) or info.st_size != size:
            return None  # a FIFO or device swapped in is the checker's business, never read here
        if info.st_mtime_ns != mtime:
            try:
                data = _read_regular_file(path, size, follow_symlinks=True)
            except OSError:
                return None  # swapped for a FIFO, grown or gone since the stat: a miss
            if content_hash(data) != digest:
                return None
            entry[0] = info.st_mtime_ns
            self._dirty = True
        decoded = self._decoded(key, result)
        return (decoded, digest) if decoded is not None else None

    def _decoded(self, key: str, result: Any) -> T | None:
        if self._decode is None:
            return result if isinstance(result, dict) else None  # type: ignore[return-value]
        try:
            return self._decode(result)
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            self._forget(key)  # of the wrong shape: checked again and replaced
            return None

    def _forget(self, key: str) -> None:
        del self._entries[key]
        self._dirty = True

    def digest(self, path: Path) -> str:
        """The content hash recorded for ``path`` ('' if none): what a link result is keyed by."""
        entry = self._entries.get(os.path.abspath(path))
        return entry[2] if _valid_entry(entry) else ""

    def project(self, key: str) -> dict[str, Any] | None:
        """The project link's cached result if it was computed for ``key`` (the digests of
        every file it linked and the files asked for), else None."""
        project = self._project
        if project is None or project.get("key") != key:
            return None
        result = project.get("result")
        return result if isinstance(result, dict) else None

    def project_state(self, key: str) -> Any:
        """What the cached link for ``key`` was computed from (``incremental.LinkState``, as
        stored: the caller decodes it), or None."""
        project = self._project
        if project is None or project.get("key") != key:
            return None
        return project.get("state")

    def store_project(self, key: str, result: dict[str, Any], state: Any = None) -> None:
        self._project = {"key": key, "result": result, "state": state}
        self._dirty = True

    def store(
        self,
        path: Path,
        mtime_ns: int,
        size: int,
        digest: str,
        result: dict,
        environment: str = "",
    ) -> None:
        key = os.path.abspath(path)
        self._used.add(key)
        self._entries[key] = [mtime_ns, size, digest, result, environment]
        self._dirty = True

    def summary(self, digest: str) -> dict[str, Any] | None:
        """The project summary whose digest is ``digest`` (``FileResult.summary_digest``),
        as stored, or None: the caller checks its file again."""
        return self.summaries.get(digest) if not self._refused else None

    def discard_summary(self, digest: str) -> None:
        """A stored summary of the wrong shape: forgotten, so that the remade one is stored."""
        self.summaries.discard(digest)

    def store_summary(self, digest: str, summary: dict[str, Any] | None) -> None:
        self.summaries.add(digest, summary)

    def place_summaries(self, groups: Groups) -> None:
        """The link's components, by summary digest: summaries written together."""
        self.summaries.place_by(groups)

    def save(self) -> None:
        self._drop_deleted_files()
        if not _may_write_into(self.directory) or not self._usable():
            return
        if not self._dirty and not self.summaries.has_pending():
            return
        try:
            self._write_marker_files()
            # Shards first: the results document never names one that is not written yet.
            remove_unnamed = self.summaries.save(self._live_summaries())
            document = {
                "format": _FORMAT,
                "version": __version__,
                "entries": self._entries,
                "project": self._project,
                "summaries": self.summaries.index(),
            }
            if self._dirty or self.summaries.changed:
                atomic_write_text(self.path, json.dumps(document, separators=(",", ":")))
                remove_unnamed()
        except OSError:
            pass  # a read-only checkout still gets its results, just not cached
        self._dirty = False

    def _live_summaries(self) -> set[str]:
        """The summary digests some entry's result names: what the store must keep."""
        live: set[str] = set()
        for entry in self._entries.values():
            result = entry[3] if isinstance(entry, list) and len(entry) == 5 else None
            digest = result.get("summary_digest") if isinstance(result, dict) else None
            if isinstance(digest, str) and digest:
                live.add(digest)
        return live

    def _drop_deleted_files(self) -> None:
        """Forget files that are gone (renamed, deleted): otherwise every rename adds an
        entry that each later run loads (50 renames a run grew 50 entries to 250 in 5 runs).
        Files this run looked up exist; only the others cost a stat."""
        gone = [key for key in self._entries if key not in self._used and not _exists(key)]
        for key in gone:
            self._forget(key)

    def _write_marker_files(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        ignore = self.directory / ".gitignore"
        if not ignore.exists():
            atomic_write_text(ignore, _IGNORE_TEXT)
        tag = self.directory / "CACHEDIR.TAG"
        if not tag.exists():
            atomic_write_text(tag, _TAG_TEXT)


def _valid_entry(entry: Any) -> bool:
    """``[mtime_ns, size, digest, result, environment]``, as ``store`` writes it."""
    if not isinstance(entry, list) or len(entry) != 5:
        return False
    mtime, size, digest, _, environment = entry
    return (
        _is_int(mtime)
        and _is_int(size)
        and isinstance(digest, str)
        and isinstance(environment, str)
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _exists(path: str) -> bool:
    try:
        os.lstat(path)
    except (OSError, ValueError):  # gone, or a key no file system can hold
        return False
    return True


# --- where the cache may go ---------------------------------------------------------------


def _is_explicit(directory: Path) -> bool:
    override = os.environ.get(CACHE_DIR_ENV)
    return override is not None and override != "" and Path(override) == directory


def unsafe_layout(directory: Path, cache_file: Path, *, explicit: bool) -> str | None:
    """Why the cache must not be read or written here, or None when it may.

    Everything leaklint touches must be missing or exactly what it writes there, never a
    symlink: the directory, its ``.gitignore`` and ``CACHEDIR.TAG``, the version directory
    and the cache file. A directory the user named (``$LEAKLINT_CACHE_DIR``) must also be new,
    empty or already leaklint's, so that pointing it at ``$HOME`` does not tag ``$HOME``.
    """
    expected = [
        (directory, "directory"),
        (directory / ".gitignore", "file"),
        (directory / "CACHEDIR.TAG", "file"),
        (cache_file.parent, "directory"),
        (cache_file, "file"),
    ]
    for path, kind in expected:
        problem = _kind_problem(path, kind)
        if problem is not None:
            return problem
    if explicit and not _empty_or_ours(directory):
        return (
            f"{directory} (${CACHE_DIR_ENV}) is neither empty nor a leaklint cache; "
            "point it at a new or empty directory"
        )
    return None


def _kind_problem(path: Path, kind: str) -> str | None:
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None  # created when the cache is saved
    except OSError as error:
        return f"cannot inspect {path}: {error.strerror or error}"
    if stat.S_ISLNK(mode):
        return f"{path} is a symbolic link (leaklint never writes its cache through one)"
    if kind == "directory" and not stat.S_ISDIR(mode):
        return f"{path} is not a directory"
    if kind == "file" and not stat.S_ISREG(mode):
        return f"{path} is not a regular file"
    return None


def _empty_or_ours(directory: Path) -> bool:
    """A directory leaklint may take as its cache: missing (it creates it), empty, or
    holding the CACHEDIR.TAG leaklint writes."""
    if not os.path.lexists(directory):
        return True
    try:
        with os.scandir(directory) as entries:
            if next(entries, None) is None:
                return True
        tag = _read_regular_file(directory / "CACHEDIR.TAG", 4096)
    except (OSError, ValueError):
        return False  # unreadable, or a directory of somebody else's
    return tag.decode("utf-8", "replace").startswith(_TAG_SIGNATURE) and b"leaklint" in tag


def _read_regular_file(path: Path, limit: int, *, follow_symlinks: bool = False) -> bytes:
    """The bytes of a regular file, at most ``limit`` of them (OSError beyond), through
    ``fsutil.read_regular_file``: the cache's own files are never read through a symlink
    (ELOOP); a source file may be one."""
    return read_regular_file(path, limit, follow_symlinks=follow_symlinks).data


def _may_write_into(directory: Path) -> bool:
    """Respect a read-only checkout even when running as root (who may write anywhere).

    The cache goes into the closest existing directory on the way to ``directory``; if that
    directory has no write bit for anyone, it was made read-only on purpose.
    """
    existing = directory
    while not existing.exists():
        if existing.parent == existing:
            return False
        existing = existing.parent
    try:
        return bool(existing.stat().st_mode & 0o222) and os.access(existing, os.W_OK)
    except OSError:
        return False
