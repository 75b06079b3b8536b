"""Findings: what a rule reports, where, and an identity that survives edits above it."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field, fields
from enum import Enum
from typing import Any

from leaklint.model.decoding import (
    DecodeError,
    expect_bool,
    expect_int,
    expect_list,
    expect_object,
    expect_str,
)


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


@dataclass(frozen=True)
class Edit:
    """Replace the bytes ``start:end`` of the file (as parsed: UTF-8, BOM dropped) with
    ``text``. ``span`` is the same region in lines and characters, for JSON and editors."""

    start: int
    end: int
    text: str
    span: Span


@dataclass(frozen=True)
class Fix:
    """A mechanical change that resolves a finding. ``safe`` fixes keep what the code does on
    the paths that worked before; ``leaklint check --fix`` applies only those, an editor
    offers both."""

    description: str
    edits: tuple[Edit, ...]
    safe: bool

    @classmethod
    def from_dict(cls, data: Any) -> Fix:
        """The inverse of ``asdict``, strict like ``Finding.from_dict`` (the cache holds it)."""
        data = expect_object(data, ("description", "edits", "safe"), "fix")
        edits = []
        for item in expect_list(data["edits"], "edits"):
            item = expect_object(item, ("start", "end", "text", "span"), "edit")
            edits.append(
                Edit(
                    expect_int(item["start"], "start", minimum=0),
                    expect_int(item["end"], "end", minimum=0),
                    expect_str(item["text"], "text"),
                    span_from_dict(item["span"]),
                )
            )
        return cls(
            expect_str(data["description"], "description"),
            tuple(edits),
            expect_bool(data["safe"], "safe"),
        )


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
    fix: Fix | None = None
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
    def from_dict(cls, data: Any) -> Finding:
        """The inverse of ``to_dict``: a DecodeError for anything ``to_dict`` does not write
        (the result cache reads these back from a file anybody can edit)."""
        data = expect_object(data, _FINDING_KEYS, "finding")
        suppression = data["suppression"]
        fix = data["fix"]
        return cls(
            rule=expect_str(data["rule"], "rule"),
            name=expect_str(data["name"], "name"),
            path=expect_str(data["path"], "path"),
            span=span_from_dict(data["span"]),
            message=expect_str(data["message"], "message"),
            severity=_severity_from_value(data["severity"]),
            context=expect_str(data["context"], "context"),
            snippet=expect_str(data["snippet"], "snippet"),
            related=tuple(
                related_from_dict(item) for item in expect_list(data["related"], "related")
            ),
            suppression=None if suppression is None else _suppression_from_dict(suppression),
            fingerprint=expect_str(data["fingerprint"], "fingerprint"),
            fix=None if fix is None else Fix.from_dict(fix),
            message_id=expect_str(data["message_id"], "message_id"),
        )


_FINDING_KEYS = frozenset(f.name for f in fields(Finding))
_SPAN_KEYS = frozenset(f.name for f in fields(Span))
_RELATED_KEYS = frozenset(f.name for f in fields(Related))
_SUPPRESSION_KEYS = frozenset(f.name for f in fields(Suppression))
_SUPPRESSION_KINDS = ("inSource", "external")


def span_from_dict(data: Any) -> Span:
    """The inverse of ``asdict(span)``, strict like ``Finding.from_dict``."""
    data = expect_object(data, _SPAN_KEYS, "span")
    return Span(**{key: expect_int(data[key], f"span {key}", minimum=1) for key in _SPAN_KEYS})


def related_from_dict(data: Any) -> Related:
    """The inverse of ``asdict(related)``, strict like ``Finding.from_dict``."""
    data = expect_object(data, _RELATED_KEYS, "related location")
    return Related(
        span_from_dict(data["span"]),
        expect_str(data["message"], "related message"),
        expect_str(data["path"], "related path"),
    )


def _suppression_from_dict(data: Any) -> Suppression:
    data = expect_object(data, _SUPPRESSION_KEYS, "suppression")
    kind = expect_str(data["kind"], "suppression kind")
    if kind not in _SUPPRESSION_KINDS:
        raise DecodeError(f"suppression kind: unknown {kind!r}")
    return Suppression(kind, expect_str(data["justification"], "suppression justification"))


def _severity_from_value(value: Any) -> Severity:
    try:
        return Severity(expect_str(value, "severity"))
    except ValueError:
        raise DecodeError(f"severity: unknown {value!r}") from None


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
