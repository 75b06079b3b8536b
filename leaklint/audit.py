"""A one-off audit of a whole repository: every rule, then numbers a newcomer can act on.

``leaklint check`` answers "is this change clean?"; an audit answers "where are the leaks in
code I have never seen, and what do I fix first?". It runs the same engine with the same
selection machinery (``--select ALL --preview`` unless told otherwise), so its counts are the
counts ``check`` would print, then groups them by rule, directory and file. The terminal
summary is written here; the HTML report (``reporters/html.py``) renders the same
``AuditReport``.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, TextIO

import click

from leaklint.config import Settings
from leaklint.model.findings import Finding, Severity
from leaklint.pipeline.discovery import discover
from leaklint.pipeline.engine import ProgressCallback, RunResult, run
from leaklint.rules import Rule
from leaklint.syntax.source import SourceFile

PARSE_ERROR_CODE = "LL000"
# CodeQL's precision vocabulary, most trustworthy first.
PRECISION_RANK = {"very-high": 4, "high": 3, "medium": 2, "low": 1}
# Excerpts are one line, cut to a window around the flagged code: minified bundles have lines
# of megabytes, and the report embeds one excerpt per finding.
EXCERPT_WIDTH = 160


@dataclass(frozen=True)
class RuleStats:
    code: str
    name: str
    summary: str
    severity: Severity
    precision: str
    preview: bool
    default_enabled: bool
    count: int
    files: int  # how many files it fires in: 300 findings in one file is one fix, not 300

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "summary": self.summary,
            "severity": self.severity.value,
            "precision": self.precision,
            "preview": self.preview,
            "default_enabled": self.default_enabled,
            "count": self.count,
            "files": self.files,
        }


@dataclass(frozen=True)
class Hotspot:
    """A directory or file and its findings, split by rule for the stacked charts."""

    path: str
    count: int
    by_rule: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "count": self.count, "by_rule": dict(self.by_rule)}


@dataclass(frozen=True)
class Unparsed:
    """A file leaklint could not (fully) analyse: a syntax error, or skipped altogether."""

    path: str
    line: int  # 0 when the file was skipped before parsing
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "message": self.message}


@dataclass(frozen=True)
class Excerpt:
    """The flagged line (possibly windowed) and the flagged range in it, 0-based, end-exclusive."""

    text: str
    start: int
    end: int


@dataclass
class AuditReport:
    roots: list[str]
    files_checked: int
    seconds: float
    findings: list[Finding]  # unsuppressed, in path/line order
    suppressed: int
    rules: list[RuleStats]  # every rule that ran, most findings first
    directories: list[Hotspot]
    files: list[Hotspot]
    unparsed: list[Unparsed]
    excerpts: list[Excerpt] = field(default_factory=list)  # parallel to ``findings``

    @property
    def by_severity(self) -> Counter[Severity]:
        return Counter(f.severity for f in self.findings)

    @property
    def rules_triggered(self) -> int:
        return sum(1 for r in self.rules if r.count)

    def to_dict(self) -> dict[str, Any]:
        return {
            "roots": self.roots,
            "files_checked": self.files_checked,
            "seconds": round(self.seconds, 3),
            "findings": len(self.findings),
            "suppressed": self.suppressed,
            "by_severity": {s.value: self.by_severity[s] for s in Severity},
            "rules": [r.to_dict() for r in self.rules],
            "directories": [d.to_dict() for d in self.directories],
            "files": [f.to_dict() for f in self.files],
            "unparsed": [u.to_dict() for u in self.unparsed],
        }


# --- building the report ----------------------------------------------------------------------


def run_audit(
    paths: list[Path],
    settings: Settings,
    *,
    with_excerpts: bool = False,
    jobs: int | None = None,
    use_cache: bool = True,
    progress: ProgressCallback | None = None,
) -> AuditReport:
    """Discover, check and summarise. Raises ``DiscoveryError`` for a missing path."""
    started = time.perf_counter()
    files = discover(paths, settings)
    result = run(files, settings, jobs=jobs, use_cache=use_cache, progress=progress)
    elapsed = time.perf_counter() - started
    roots = [p.as_posix() for p in paths]
    return build_report(result, elapsed, roots, with_excerpts=with_excerpts)


def build_report(
    result: RunResult, seconds: float, roots: list[str], *, with_excerpts: bool = False
) -> AuditReport:
    shown = [f for f in result.findings if f.suppression is None]
    return AuditReport(
        roots=roots,
        files_checked=result.files_checked,
        seconds=seconds,
        findings=shown,
        suppressed=len(result.findings) - len(shown),
        rules=rule_stats(result.rules, shown),
        directories=hotspots(shown, directory_of),
        files=hotspots(shown, lambda f: f.path),
        unparsed=unparsed(result, shown),
        excerpts=excerpts(shown) if with_excerpts else [],
    )


def rule_stats(rules: list[type[Rule]], findings: list[Finding]) -> list[RuleStats]:
    counts = Counter(f.rule for f in findings)
    files: dict[str, set[str]] = {}
    for finding in findings:
        files.setdefault(finding.rule, set()).add(finding.path)
    stats = [
        RuleStats(
            code=rule.code,
            name=rule.name,
            summary=rule.summary,
            severity=rule.severity,
            precision=rule.precision,
            preview=rule.preview,
            default_enabled=rule.default_enabled,
            count=counts[rule.code],
            files=len(files.get(rule.code, ())),
        )
        for rule in rules
    ]
    return sorted(stats, key=lambda r: (-r.count, r.code))


def directory_of(finding: Finding) -> str:
    parent = PurePosixPath(finding.path).parent.as_posix()
    return parent if parent else "."


def hotspots(findings: list[Finding], key: Any) -> list[Hotspot]:
    """Group by ``key`` (a directory or a file): biggest first, ties by path for stability."""
    groups: dict[str, Counter[str]] = {}
    for finding in findings:
        groups.setdefault(key(finding), Counter())[finding.rule] += 1
    spots = [
        Hotspot(path, sum(by_rule.values()), dict(sorted(by_rule.items())))
        for path, by_rule in groups.items()
    ]
    return sorted(spots, key=lambda h: (-h.count, h.path))


def unparsed(result: RunResult, findings: list[Finding]) -> list[Unparsed]:
    """Files with a syntax error (LL000: analysed in part) and files skipped before parsing."""
    items = [
        Unparsed(f.path, f.span.line, f.message) for f in findings if f.rule == PARSE_ERROR_CODE
    ]
    items += [Unparsed(e.path, 0, e.message) for e in result.errors]
    return sorted(items, key=lambda u: (u.path, u.line))


def excerpts(findings: list[Finding]) -> list[Excerpt]:
    """One excerpt per finding; each file is read once (findings arrive sorted by path)."""
    out: list[Excerpt] = []
    current_path: str | None = None
    source: SourceFile | None = None
    for finding in findings:
        if finding.path != current_path:
            current_path = finding.path
            source = _read(finding.path)
        line = source.line_text(finding.span.line) if source is not None else ""
        out.append(excerpt_window(line, finding))
    return out


def _read(path: str) -> SourceFile | None:
    try:
        return SourceFile.read(Path(path), path)
    except OSError:
        return None


def excerpt_window(line: str, finding: Finding, width: int = EXCERPT_WIDTH) -> Excerpt:
    """The line with tabs as one space (columns count characters), cut to ``width`` around
    the flagged range, with an ellipsis marking each cut."""
    text = line.replace("\t", " ")
    start = max(0, min(finding.span.column - 1, len(text)))
    end = finding.span.end_column - 1 if finding.span.end_line == finding.span.line else len(text)
    end = max(start, min(end, len(text)))
    leading = len(text) - len(text.lstrip(" "))
    if leading <= start:  # drop indentation: it carries no meaning in a table cell
        text, start, end = text[leading:], start - leading, end - leading
    if len(text) <= width:
        return Excerpt(text, start, end)
    left = max(0, min(start - width // 4, len(text) - width))
    right = left + width
    prefix = "…" if left else ""
    suffix = "…" if right < len(text) else ""
    shown = prefix + text[left:right] + suffix
    offset = len(prefix) - left
    return Excerpt(shown, start + offset, min(end, right) + offset)


# --- the terminal summary ---------------------------------------------------------------------


def write_summary(report: AuditReport, out: TextIO, *, color: bool = False, top: int = 10) -> None:
    def bold(text: str) -> str:
        return click.style(text, bold=True) if color else text

    def dim(text: str) -> str:
        return click.style(text, dim=True) if color else text

    out.write(bold(headline(report)) + "\n")
    _write_rules(report, out, bold, dim)
    _write_hotspots("Top directories", report.directories, top, out, bold)
    _write_hotspots("Top files", report.files, top, out, bold)
    _write_unparsed(report, out, bold)


def headline(report: AuditReport) -> str:
    files = _plural(report.files_checked, "file")
    total = len(report.findings)
    parts = [
        _plural(report.by_severity[s], s.value)
        for s in (Severity.ERROR, Severity.WARNING, Severity.NOTE)
        if report.by_severity[s]
    ]
    detail = f" ({', '.join(parts)})" if parts else ""
    text = (
        f"Audited {files} in {report.seconds:.2f}s: {_plural(total, 'finding')}{detail} "
        f"from {report.rules_triggered} of {_plural(len(report.rules), 'rule')}."
    )
    if report.suppressed:
        text += f" {report.suppressed} suppressed."
    return text


def _write_rules(report: AuditReport, out: TextIO, bold: Any, dim: Any) -> None:
    out.write("\n" + bold("Findings per rule") + "\n")
    name_width = max((len(r.name) for r in report.rules), default=4)
    count_width = max((len(str(r.count)) for r in report.rules), default=5)
    count_width = max(count_width, len("COUNT"))
    out.write(
        f"  {'CODE':<6} {'NAME':<{name_width}}  {'COUNT':>{count_width}}  "
        f"{'FILES':>5}  {'SEVERITY':<8}  PRECISION\n"
    )
    for rule in report.rules:
        flags = " (preview)" if rule.preview else ""
        row = (
            f"  {rule.code:<6} {rule.name:<{name_width}}  {rule.count:>{count_width}}  "
            f"{rule.files:>5}  {rule.severity.value:<8}  {rule.precision}{flags}"
        )
        out.write((row if rule.count else dim(row)) + "\n")


def _write_hotspots(title: str, spots: list[Hotspot], top: int, out: TextIO, bold: Any) -> None:
    if not spots:
        return
    shown = spots[:top]
    more = f" (top {top} of {len(spots)})" if len(spots) > top else ""
    out.write("\n" + bold(title + more) + "\n")
    width = max(len(str(s.count)) for s in shown)
    for spot in shown:
        rules = ", ".join(f"{code} {n}" for code, n in _by_count(spot.by_rule))
        out.write(f"  {spot.count:>{width}}  {spot.path}  [{rules}]\n")


def _write_unparsed(report: AuditReport, out: TextIO, bold: Any) -> None:
    out.write("\n")
    if not report.unparsed:
        out.write("Every file was parsed.\n")
        return
    out.write(bold(f"Files that could not be parsed ({len(report.unparsed)})") + "\n")
    for item in report.unparsed:
        where = f"{item.path}:{item.line}" if item.line else item.path
        out.write(f"  {where}: {item.message}\n")


def _by_count(by_rule: dict[str, int]) -> list[tuple[str, int]]:
    return sorted(by_rule.items(), key=lambda item: (-item[1], item[0]))


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"
