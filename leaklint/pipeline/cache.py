"""A per-project result cache, so an unchanged file is never parsed twice.

One JSON file per (leaklint version, effective configuration, working directory) holds, for
each checked file, its size, modification time, content hash and findings. A file whose
size and mtime are unchanged is a hit without being read; otherwise its content hash decides
(a `git checkout` that rewrites identical bytes still hits). JSON rather than pickle: a cache
directory inside a repository is untrusted input, and loading it must never run code.

Concurrent runs each write the whole file atomically (temp file + rename): the last writer
wins and nobody reads a torn file. A corrupt or foreign file is ignored and rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from leaklint import __version__
from leaklint.fsutil import atomic_write_text

CACHE_DIR_ENV = "LEAKLINT_CACHE_DIR"
_FORMAT = 2  # 2: entries carry the file's project summary


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def cache_directory(project_root: Path) -> Path:
    override = os.environ.get(CACHE_DIR_ENV)
    return Path(override) if override else project_root / ".leaklint_cache"


class ResultCache:
    def __init__(self, directory: Path, key: str) -> None:
        digest = hashlib.sha256(f"{__version__}\x1f{key}\x1f{os.getcwd()}".encode()).hexdigest()
        self.directory = directory
        self.path = directory / f"v{__version__}" / f"{digest[:20]}.json"
        self._entries: dict[str, list[Any]] = {}
        # The last link's findings and what they were computed from (see ``project``).
        self._project: dict[str, Any] | None = None
        self._dirty = False
        self._load()

    def _load(self) -> None:
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return  # no cache yet, or an unreadable one: start afresh
        if isinstance(document, dict) and document.get("format") == _FORMAT:
            entries = document.get("entries")
            if isinstance(entries, dict):
                self._entries = entries
            project = document.get("project")
            if isinstance(project, dict):
                self._project = project

    def lookup(self, path: Path) -> dict[str, Any] | None:
        """The cached result for ``path`` if its content is unchanged, else None."""
        # abspath, not resolve(): discovery hands out canonical paths already, and a
        # realpath per file cost more than the rest of a warm run.
        key = os.path.abspath(path)
        entry = self._entries.get(key)
        if not isinstance(entry, list) or len(entry) != 4:
            return None
        try:
            stat = path.stat()
        except OSError:
            return None
        mtime, size, digest, result = entry
        if stat.st_size != size:
            return None
        if stat.st_mtime_ns != mtime:
            try:
                if content_hash(path.read_bytes()) != digest:
                    return None
            except OSError:
                return None
            entry[0] = stat.st_mtime_ns
            self._dirty = True
        return result if isinstance(result, dict) else None

    def digest(self, path: Path) -> str:
        """The content hash recorded for ``path`` ('' if none): what a link result is keyed by."""
        entry = self._entries.get(os.path.abspath(path))
        return entry[2] if isinstance(entry, list) and len(entry) == 4 else ""

    def project(self, key: str) -> dict[str, Any] | None:
        """The project link's cached result if it was computed for ``key`` (the digests of
        every file it linked and the files asked for), else None."""
        project = self._project
        if project is None or project.get("key") != key:
            return None
        result = project.get("result")
        return result if isinstance(result, dict) else None

    def store_project(self, key: str, result: dict[str, Any]) -> None:
        self._project = {"key": key, "result": result}
        self._dirty = True

    def store(self, path: Path, mtime_ns: int, size: int, digest: str, result: dict) -> None:
        self._entries[os.path.abspath(path)] = [mtime_ns, size, digest, result]
        self._dirty = True

    def save(self) -> None:
        if not self._dirty or not _may_write_into(self.directory):
            return
        document = {
            "format": _FORMAT,
            "version": __version__,
            "entries": self._entries,
            "project": self._project,
        }
        try:
            self._write_marker_files()
            atomic_write_text(self.path, json.dumps(document, separators=(",", ":")))
        except OSError:
            pass  # a read-only checkout still gets its results, just not cached
        self._dirty = False

    def _write_marker_files(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        ignore = self.directory / ".gitignore"
        if not ignore.exists():
            atomic_write_text(ignore, "# Created by leaklint\n*\n")
        tag = self.directory / "CACHEDIR.TAG"
        if not tag.exists():
            atomic_write_text(
                tag,
                "Signature: 8a477f597d28d172789f06886806bc55\n"
                "# This file is a cache directory tag created by leaklint.\n",
            )


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
