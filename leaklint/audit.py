"""A one-off audit of a whole repository: every rule, then numbers a newcomer can act on.

``leaklint check`` answers "is this change clean?"; an audit answers "where are the leaks in
code I have never seen, and what do I fix first?". It runs the same engine with the same
selection machinery (``--select ALL --preview`` unless told otherwise), so its counts are the
counts ``check`` would print, then groups them by rule, directory and file. The terminal
summary is written here; the HTML report (``reporters/html.py``) renders the same
``AuditReport``.
"""

from __future__ import annotations

import os
import stat
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any, TextIO

import click

from leaklint.model.findings import Finding, Severity
from leaklint.pipeline.engine import RunResult, display_path
from leaklint.pipeline.source_links import SourceLinks
from leaklint.rules import Rule
from leaklint.syntax.classify import HEAD_BYTES, TAIL_BYTES, Classification, FileKind, classify
from leaklint.syntax.source import SourceFile

PARSE_ERROR_CODE = "LL000"
# CodeQL's precision vocabulary, most trustworthy first.
PRECISION_RANK = {"very-high": 4, "high": 3, "medium": 2, "low": 1}
SEVERITY_RANK = {"error": 3, "warning": 2, "note": 1}
# Why each kind of code comes where it does in "where to start", for the advice's last lines.
KIND_ADVICE = {
    FileKind.SERVER: "a leak there grows for as long as the process runs",
    FileKind.BROWSER: "a leak there lasts as long as the page is open",
    FileKind.TEST: "test code does not run in production",
    FileKind.GENERATED: "fix the generator, or leave the output out with --extend-exclude",
    FileKind.VENDORED: "upgrade the library rather than edit it, or leave it out with "
    "--extend-exclude",
}
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
    # Findings per kind of code (see syntax/classify.py): one key for a file, a mix for a directory.
    by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """The kind most of its findings are in (for a file: its kind)."""
        return max(self.by_kind.items(), key=lambda item: item[1])[0] if self.by_kind else ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "count": self.count,
            "by_rule": dict(self.by_rule),
            "by_kind": dict(self.by_kind),
        }


@dataclass(frozen=True)
class KindStats:
    """How much of the audited code is of one kind, and how many findings are in it."""

    kind: FileKind
    files: int
    files_with_findings: int
    findings: int
    reasons: tuple[tuple[str, int], ...]  # the commonest reasons for this kind, with file counts

    def explain(self) -> str:
        """``under public/ (12 files); uses document or window (3)``."""
        return "; ".join(
            f"{reason} ({_plural(count, 'file') if i == 0 else f'{count:,}'})"
            for i, (reason, count) in enumerate(self.reasons)
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "files": self.files,
            "files_with_findings": self.files_with_findings,
            "findings": self.findings,
            "reasons": dict(self.reasons),
        }


@dataclass(frozen=True)
class StartHere:
    """What to fix first, in the first kind of code (server, then browser, ...) with findings.

    The counts are those within that kind: "40 findings in 6 server files", not the whole
    audit's, which on a legacy app are mostly vendored and test code.
    """

    kind: FileKind
    rule: RuleStats  # counted within ``kind``
    file: Hotspot
    directory: Hotspot | None  # None when every finding is in one top-level file
    later: list[KindStats]  # the other kinds with findings, in FileKind order

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "rule": self.rule.code,
            "rule_findings": self.rule.count,
            "rule_files": self.rule.files,
            "file": self.file.path,
            "file_findings": self.file.count,
            "directory": self.directory.path if self.directory else None,
            "directory_findings": self.directory.count if self.directory else 0,
            "later": [k.kind.value for k in self.later],
        }


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
    # Every checked file's kind, by display path; the per-kind totals; what to fix first.
    classes: dict[str, Classification] = field(default_factory=dict)
    kinds: list[KindStats] = field(default_factory=list)
    start_here: StartHere | None = None
    top: int = 10  # hotspots shown, the same number in the terminal and in the HTML
    baselined: int = 0  # of ``suppressed``, those recorded in the baseline
    baseline: dict[str, Any] | None = None
    links: SourceLinks | None = None

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
            "kinds": [k.to_dict() for k in self.kinds],
            "start_here": self.start_here.to_dict() if self.start_here else None,
            "baselined": self.baselined,
            "baseline": self.baseline,
            "source_links": self.links.to_dict() if self.links else None,
        }


# --- building the report ----------------------------------------------------------------------


def build_report(
    result: RunResult,
    seconds: float,
    roots: list[str],
    *,
    files: Iterable[Path] = (),
    project_root: Path | None = None,
    with_excerpts: bool = False,
    top: int = 10,
    links: SourceLinks | None = None,
) -> AuditReport:
    """The audit of a finished run. ``files`` are the checked files, classified here by their
    path relative to ``project_root`` (the configuration's directory) and their first bytes."""
    shown = [f for f in result.findings if f.suppression is None]
    classes = classify_files(files, project_root or Path.cwd())
    kind_of = _kind_lookup(classes)
    report = AuditReport(
        roots=roots,
        files_checked=result.files_checked,
        seconds=seconds,
        findings=shown,
        suppressed=len(result.findings) - len(shown),
        rules=rule_stats(result.rules, shown),
        directories=directory_hotspots(shown, kind_of),
        files=hotspots(shown, lambda f: f.path, kind_of),
        unparsed=unparsed(result, shown),
        excerpts=excerpts(shown) if with_excerpts else [],
        classes=classes,
        kinds=kind_stats(classes, shown, kind_of),
        top=top,
        baselined=result.baseline.matched if result.baseline else 0,
        baseline=result.baseline.to_dict() if result.baseline else None,
        links=links,
    )
    report.start_here = start_here(report, kind_of)
    return report


# --- what kind of code each file is -------------------------------------------------------


def classify_files(files: Iterable[Path], project_root: Path) -> dict[str, Classification]:
    """Each file's kind, by the path a finding shows for it."""
    root = project_root.resolve()
    classes: dict[str, Classification] = {}
    for file in files:
        head, tail = read_ends(file)
        classes[display_path(file)] = classify(project_path(file, root), head, tail)
    return classes


def project_path(file: Path, root: Path) -> PurePosixPath:
    """Relative to the project, so that a checkout under ~/test/ is not all test code."""
    try:
        return PurePosixPath(file.resolve().relative_to(root).as_posix())
    except ValueError:
        shown = display_path(file)
        return PurePosixPath(*[p for p in PurePosixPath(shown).parts if p != ".."])


def read_ends(file: Path) -> tuple[bytes, bytes]:
    """The first HEAD_BYTES and the last TAIL_BYTES of a regular file; nothing otherwise
    (a FIFO would block, and a file that vanished since the run has nothing to say)."""
    try:
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return b"", b""
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return b"", b""
        head = os.read(fd, HEAD_BYTES)
        if info.st_size <= HEAD_BYTES:
            return head, b""
        os.lseek(fd, max(HEAD_BYTES, info.st_size - TAIL_BYTES), os.SEEK_SET)
        return head, os.read(fd, TAIL_BYTES)
    except OSError:
        return b"", b""
    finally:
        os.close(fd)


KindOf = Callable[[str], str]


def _kind_lookup(classes: dict[str, Classification]) -> KindOf:
    def kind_of(path: str) -> str:
        found = classes.get(path)
        return found.kind.value if found else FileKind.SERVER.value

    return kind_of


def kind_stats(
    classes: dict[str, Classification], findings: list[Finding], kind_of: KindOf
) -> list[KindStats]:
    """One entry per kind that has files, in FileKind order (server first)."""
    files: Counter[str] = Counter(c.kind.value for c in classes.values())
    reasons: dict[str, Counter[str]] = {}
    for classification in classes.values():
        reasons.setdefault(classification.kind.value, Counter()).update(classification.reasons)
    found: Counter[str] = Counter(kind_of(f.path) for f in findings)
    hit: dict[str, set[str]] = {}
    for finding in findings:
        hit.setdefault(kind_of(finding.path), set()).add(finding.path)
    return [
        KindStats(
            kind,
            files[kind.value],
            len(hit.get(kind.value, ())),
            found[kind.value],
            tuple(reasons.get(kind.value, Counter()).most_common(2)),
        )
        for kind in FileKind
        if files[kind.value] or found[kind.value]
    ]


def priority(rule: RuleStats) -> tuple[int, int, int]:
    """What to fix first: the most severe, most trustworthy rule, then the most frequent."""
    return (SEVERITY_RANK[rule.severity.value], PRECISION_RANK.get(rule.precision, 0), rule.count)


def start_here(report: AuditReport, kind_of: KindOf) -> StartHere | None:
    """Advice for the first kind of code, in FileKind order, with a leak finding (LL000, a
    parse error, is not one): server code before browser code, vendored code last."""
    leaks = [f for f in report.findings if f.rule != PARSE_ERROR_CODE]
    for kind in FileKind:
        mine = [f for f in leaks if kind_of(f.path) == kind.value]
        if not mine:
            continue
        first = max((r for r in stats_within(report.rules, mine) if r.count), key=priority)
        directory = focus_directory(directory_hotspots(mine, kind_of), len(mine))
        later = [k for k in report.kinds if k.kind is not kind and k.findings]
        worst_file = hotspots(mine, lambda f: f.path, kind_of)[0]
        return StartHere(kind, first, worst_file, directory, later)
    return None


def focus_directory(directories: list[Hotspot], total: int) -> Hotspot | None:
    """The most specific directory holding at least half of ``total`` findings: with hotspots
    rolled up, the biggest is often src/ itself, which tells a newcomer nothing."""
    if not directories or directories[0].path == ".":
        return None
    halves = [d for d in directories if d.path != "." and 2 * d.count >= total]
    if not halves:
        return directories[0]
    return max(halves, key=lambda d: (len(PurePosixPath(d.path).parts), d.count))


def stats_within(rules: list[RuleStats], findings: list[Finding]) -> list[RuleStats]:
    """The rules' stats counted over ``findings`` only (one kind of code, say)."""
    counts = Counter(f.rule for f in findings)
    files: dict[str, set[str]] = {}
    for finding in findings:
        files.setdefault(finding.rule, set()).add(finding.path)
    return [replace(r, count=counts[r.code], files=len(files.get(r.code, ()))) for r in rules]


def rule_stats(rules: list[type[Rule]], findings: list[Finding]) -> list[RuleStats]:
    """Every rule that ran with its findings and files, most findings first."""
    ran = [
        RuleStats(
            code=rule.code,
            name=rule.name,
            summary=rule.summary,
            severity=rule.severity,
            precision=rule.precision,
            preview=rule.preview,
            default_enabled=rule.default_enabled,
            count=0,
            files=0,
        )
        for rule in rules
    ]
    return sorted(stats_within(ran, findings), key=lambda r: (-r.count, r.code))


def ancestors(path: str) -> list[str]:
    """``a/b/c.js`` → ["a/b", "a", "."]: every directory a finding counts towards."""
    parents = [p.as_posix() for p in PurePosixPath(path).parents]
    return parents or ["."]


def directory_hotspots(findings: list[Finding], kind_of: KindOf | None = None) -> list[Hotspot]:
    """Directories with the findings of their whole subtree, not only of the files directly
    in them: a legacy app's leaks sit in src/jobs/*/ and the directory to look at is src/jobs.

    A directory whose findings are all in one subdirectory says nothing the subdirectory does
    not, so it is left out; "." (everything) too, unless nothing else is left.
    """
    spots = hotspots(findings, lambda f: ancestors(f.path), kind_of)
    counts = {spot.path: spot.count for spot in spots}
    child_counts: dict[str, set[int]] = {}
    for spot in spots:
        if spot.path != ".":
            child_counts.setdefault(PurePosixPath(spot.path).parent.as_posix(), set()).add(
                spot.count
            )
    kept = [s for s in spots if s.count not in child_counts.get(s.path, set())]
    without_root = [s for s in kept if s.path != "."]
    return without_root or [s for s in spots if s.path == "." and counts["."]]


def hotspots(
    findings: list[Finding],
    key: Callable[[Finding], str | list[str]],
    kind_of: KindOf | None = None,
) -> list[Hotspot]:
    """Group by ``key`` (a file, or the directories a finding counts towards): biggest first,
    ties by path for stability."""
    groups: dict[str, Counter[str]] = {}
    kinds: dict[str, Counter[str]] = {}
    for finding in findings:
        keys = key(finding)
        kind = kind_of(finding.path) if kind_of else ""
        for group in [keys] if isinstance(keys, str) else keys:
            groups.setdefault(group, Counter())[finding.rule] += 1
            if kind:
                kinds.setdefault(group, Counter())[kind] += 1
    spots = [
        Hotspot(
            path,
            sum(by_rule.values()),
            dict(sorted(by_rule.items())),
            _in_kind_order(kinds.get(path, Counter())),
        )
        for path, by_rule in groups.items()
    ]
    return sorted(spots, key=lambda h: (-h.count, h.path))


def _in_kind_order(counts: Counter[str]) -> dict[str, int]:
    return {kind.value: counts[kind.value] for kind in FileKind if counts[kind.value]}


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
    _write_start_here(report, out, bold)
    _write_kinds(report, out, bold)
    _write_rules(report, out, bold, dim)
    _write_hotspots("Top directories", report.directories, top, out, bold)
    _write_hotspots("Top files", report.files, top, out, bold, with_kind=True)
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
        by_baseline = f", {report.baselined:,} by the baseline" if report.baselined else ""
        text += f" {report.suppressed:,} suppressed{by_baseline}."
    return text


def start_here_lines(report: AuditReport) -> list[str]:
    """Where to start, as plain sentences: the terminal prints them, the HTML marks them up."""
    advice = report.start_here
    if advice is None:
        return []
    kind, rule = advice.kind.value, advice.rule
    lines = [
        f"Fix {rule.code} {rule.name} first: {_plural(rule.count, 'finding')} in "
        f"{_plural(rule.files, f'{kind} file')}, {rule.severity.value} severity, "
        f"{rule.precision} precision. {rule.summary}",
        f"The {kind} file with most findings is {advice.file.path} ({advice.file.count:,})"
        + (
            f"; the {kind} directory is {advice.directory.path}/ ({advice.directory.count:,})."
            if advice.directory
            else "."
        ),
    ]
    for stats in advice.later:
        lines.append(
            f"Then {stats.kind.value} code: {_plural(stats.findings, 'finding')} in "
            f"{_plural(stats.files_with_findings, 'file')}; {KIND_ADVICE[stats.kind]}."
        )
    return lines


def start_here_title(report: AuditReport) -> str:
    advice = report.start_here
    if advice is None:
        return "Where to start"
    first = next(k for k in report.kinds if k.kind is advice.kind)
    why = "" if advice.kind is FileKind.SERVER else "; no server code has findings"
    return (
        f"Where to start: {advice.kind.value} code ({_plural(first.findings, 'finding')} in "
        f"{_plural(first.files_with_findings, 'file')}{why})"
    )


def _write_start_here(report: AuditReport, out: TextIO, bold: Any) -> None:
    lines = start_here_lines(report)
    if not lines:
        return
    out.write("\n" + bold(start_here_title(report)) + "\n")
    for number, line in enumerate(lines, 1):
        out.write(f"  {number}. {line}\n")


def _write_kinds(report: AuditReport, out: TextIO, bold: Any) -> None:
    if not report.kinds:
        return
    out.write("\n" + bold("Files by kind") + "\n")
    out.write(f"  {'KIND':<10} {'FILES':>6}  {'WITH FINDINGS':>13}  {'FINDINGS':>8}  WHY\n")
    for stats in report.kinds:
        out.write(
            f"  {stats.kind.value:<10} {stats.files:>6,}  {stats.files_with_findings:>13,}  "
            f"{stats.findings:>8,}  {stats.explain()}\n"
        )


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


def _write_hotspots(
    title: str, spots: list[Hotspot], top: int, out: TextIO, bold: Any, *, with_kind: bool = False
) -> None:
    if not spots:
        return
    shown = spots[:top]
    more = f" (top {top} of {len(spots)})" if len(spots) > top else ""
    out.write("\n" + bold(title + more) + "\n")
    width = max(len(str(s.count)) for s in shown)
    for spot in shown:
        rules = ", ".join(f"{code} {n}" for code, n in _by_count(spot.by_rule))
        kind = f"  {spot.kind}" if with_kind and spot.kind else ""
        out.write(f"  {spot.count:>{width}}  {spot.path}{kind}  [{rules}]\n")


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
