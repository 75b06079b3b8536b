"""What checking one file gives: its findings, or why it could not be checked, and what the
cache needs to recognise the same content next time. Also how every layer shows a path."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from leaklint.model.decoding import (
    expect_bool,
    expect_list,
    expect_object,
    expect_str,
)
from leaklint.model.findings import Finding
from leaklint.model.project import FileSummary


@dataclass
class FileError:
    path: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


@dataclass
class FileResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    error: FileError | None = None
    checked: bool = True
    skipped: str | None = None  # why a file was not checked although it could be (generated)
    seconds: float = 0.0  # time spent checking it in this run (0 for a cache hit)
    # What the cache needs to recognise the same content next time.
    mtime_ns: int = 0
    size: int = 0
    digest: str = ""
    # What the file tells the rest of the project (``model.project.FileSummary.to_dict``),
    # when this run made it. The cache keeps it apart from the findings, by its digest
    # (``pipeline.summary_store``): a cached result carries only ``summary_digest``.
    summary: dict[str, Any] | None = None
    # The same summary decoded, when this run made it: the link takes it as it is. A cached
    # summary is decoded (strictly) only when the link has to be recomputed — a warm run
    # whose link is cached never reads one.
    decoded_summary: FileSummary | None = field(default=None, compare=False, repr=False)
    # A digest of ``summary`` ("" without one): what the link's cached result is keyed by, so
    # that an edit which leaves the summary as it was (a comment, a body the link does not
    # read) reuses the link instead of recomputing it from every file's summary.
    summary_digest: str = ""

    def to_cache(self) -> dict[str, Any]:
        return {
            "findings": [f.to_dict() for f in self.findings],
            "error": self.error.to_dict() if self.error else None,
            "checked": self.checked,
            "summary_digest": self.summary_digest,
        }

    @classmethod
    def from_cache(cls, data: Any) -> FileResult:
        """The inverse of ``to_cache``: a DecodeError (a cache miss) for anything else."""
        data = expect_object(data, _CACHED_KEYS, "cached result")
        error = None if data["error"] is None else _file_error_from_dict(data["error"])
        return cls(
            path=error.path if error else "",
            findings=[Finding.from_dict(f) for f in expect_list(data["findings"], "findings")],
            error=error,
            checked=expect_bool(data["checked"], "checked"),
            summary_digest=expect_str(data["summary_digest"], "summary digest"),
        )


_CACHED_KEYS = frozenset(FileResult("").to_cache())


def _file_error_from_dict(data: Any) -> FileError:
    data = expect_object(data, ("path", "message"), "error")
    return FileError(expect_str(data["path"], "error path"), expect_str(data["message"], "error"))


def display_path(path: Path) -> str:
    """Relative to the current directory with forward slashes, as every reporter shows it."""
    try:
        shown = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        shown = str(path)
    return shown.replace(os.sep, "/")


@dataclass
class BaselineStatus:
    """How a run compared with its baseline; reporters show it, the CLI warns about ``stale``."""

    path: str
    matched: int = 0
    stale: int = 0  # recorded findings that no longer occur in the files checked

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
