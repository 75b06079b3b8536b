"""What checking one file gives: its findings, or why it could not be checked, and what the
cache needs to recognise the same content next time. Also how every layer shows a path."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from leaklint.model.findings import Finding


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
    # What the cache needs to recognise the same content next time.
    mtime_ns: int = 0
    size: int = 0
    digest: str = ""
    # What the file tells the rest of the project (``model.project.FileSummary.to_dict``),
    # cached with its findings so that a warm or partial run links without parsing.
    summary: dict[str, Any] | None = None

    def to_cache(self) -> dict[str, Any]:
        return {
            "findings": [f.to_dict() for f in self.findings],
            "error": self.error.to_dict() if self.error else None,
            "checked": self.checked,
            "summary": self.summary,
        }

    @classmethod
    def from_cache(cls, data: dict[str, Any]) -> FileResult:
        error = data.get("error")
        return cls(
            path=error["path"] if error else "",
            findings=[Finding.from_dict(f) for f in data.get("findings", [])],
            error=FileError(**error) if error else None,
            checked=bool(data.get("checked", True)),
            summary=data.get("summary") if isinstance(data.get("summary"), dict) else None,
        )


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
