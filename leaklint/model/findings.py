"""Findings: what a rule reports, where, and an identity that survives edits above it."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any


class Severity(str, Enum):
    """SARIF's levels, which GitHub code scanning maps to error / warning / note."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "note": 1}[self.value]


@dataclass(frozen=True)
class Span:
    """A 1-based region in characters; ``end_column`` is exclusive, as in SARIF."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Related:
    span: Span
    message: str
    path: str = ""  # another file, as displayed; empty: the finding's own file


@dataclass(frozen=True)
class Message:
    """A finding's text and the id of the template it was formatted from (``Rule.messages``):
    the id names the kind of problem whatever the names in the text (SARIF ``message.id``)."""

    id: str
    text: str


@dataclass(frozen=True)
class Suppression:
    kind: str  # "inSource" (a directive comment) or "external" (config / baseline)
    justification: str = ""


@dataclass
class Finding:
    rule: str  # LL001
    name: str  # implicit-global
    path: str  # as displayed: relative to the current directory, forward slashes
    span: Span
    message: str
    severity: Severity
    # What identifies the finding when lines move: the enclosing function and the
    # normalised code of the flagged construct (see ``fingerprint``).
    context: str = ""
    snippet: str = ""
    related: tuple[Related, ...] = ()
    suppression: Suppression | None = None
    fingerprint: str = field(default="")
    message_id: str = ""  # the key of the rule's message template (``Rule.messages``)

    def __post_init__(self) -> None:
        if not self.fingerprint:
            self.fingerprint = compute_fingerprint(self.rule, self.path, self.context, self.snippet)

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.span.line, self.span.column, self.rule)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = self.severity.value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        related = tuple(
            Related(Span(**item["span"]), item["message"], item.get("path", ""))
            for item in data.get("related", ())
        )
        suppression = data.get("suppression")
        return cls(
            rule=data["rule"],
            name=data["name"],
            path=data["path"],
            span=Span(**data["span"]),
            message=data["message"],
            severity=Severity(data["severity"]),
            context=data.get("context", ""),
            snippet=data.get("snippet", ""),
            related=related,
            suppression=Suppression(**suppression) if suppression else None,
            fingerprint=data.get("fingerprint", ""),
            message_id=data.get("message_id", ""),
        )


_WHITESPACE = re.compile(r"\s+")


def normalise_code(code: str) -> str:
    """Whitespace-insensitive form of a snippet, so reformatting keeps a finding's identity."""
    return _WHITESPACE.sub(" ", code).strip()


def compute_fingerprint(rule: str, path: str, context: str, snippet: str) -> str:
    """A stable identity that never includes the line number.

    Adding lines above a finding must not turn it into a new alert (GitHub code scanning and
    the baseline both match on this). Two identical snippets in the same function share a
    fingerprint; consumers disambiguate by occurrence order (see ``assign_occurrences``).
    """
    payload = "\x1f".join((rule, path.replace("\\", "/"), context, normalise_code(snippet)))
    # A file name that is not UTF-8 reaches here with its bytes as surrogate escapes (as
    # os.fsdecode gives them): hash those bytes, which changes nothing for any other name.
    return hashlib.sha256(payload.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def assign_occurrences(findings: list[Finding]) -> None:
    """Make fingerprints unique within a run by suffixing the nth repeat (in file order)."""
    seen: dict[str, int] = {}
    for finding in sorted(findings, key=lambda f: f.sort_key):
        base = finding.fingerprint.split(":")[0]
        count = seen.get(base, 0)
        seen[base] = count + 1
        finding.fingerprint = base if count == 0 else f"{base}:{count}"
