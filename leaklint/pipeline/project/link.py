"""The engine's project step: which files make up the project, and the findings of the link.

Runs after every file's own check, on the summaries those checks produced (or the cache held):
``project_findings`` builds the graph (``graph.ProjectGraph``), hands each requested file's
linked uses to every selected rule's ``check_project`` and turns the reports into findings,
with per-file ignores and the file's directive comments applied as for any other finding.

A partial run (pre-commit passes only the staged files) still links the whole repository:
``project_files`` lists the repository's other files, whose summaries come from the cache
when their content is unchanged; their own findings are not reported.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from leaklint.model.decoding import DecodeError, expect_int, expect_list, expect_object, expect_str
from leaklint.model.findings import Finding, Related, Severity, Suppression, related_from_dict
from leaklint.model.project import FileSummary, ProjectFacts, ProjectReport
from leaklint.model.results import display_path
from leaklint.model.settings import Settings
from leaklint.pipeline.discovery import discover
from leaklint.pipeline.project.graph import ProjectGraph, callee_text
from leaklint.pipeline.project.resolve import Resolver
from leaklint.pipeline.suppressions import UNUSED_DIRECTIVE_CODE, ignored_selectors, is_ignored
from leaklint.rules import Rule

# What marks a directory as a project whose other files a partial run must see.
_PROJECT_MARKERS = (".git", "package.json", "tsconfig.json", "jsconfig.json", "pnpm-workspace.yaml")


def project_root(paths: list[Path], settings: Settings) -> Path:
    """Where imports resolve: the configured root when every file lies in it, else the
    deepest directory holding them all (a config kept elsewhere, as the benchmark's is)."""
    root = os.path.abspath(settings.root)
    if _all_inside(paths, root):
        return Path(root)
    directories = {os.path.dirname(os.path.abspath(p)) for p in paths}
    return Path(os.path.commonpath(list(directories)))


def _all_inside(paths: list[Path], root: str) -> bool:
    prefix = root.rstrip(os.sep) + os.sep
    return all(os.path.abspath(path).startswith(prefix) for path in paths)


def project_files(paths: list[Path], settings: Settings) -> list[Path]:
    """The project's files that ``paths`` leaves out, when they all lie in one project root
    (``settings.root`` holding a .git, package.json, tsconfig.json …); else none."""
    root = Path(os.path.abspath(settings.root))
    if not any((root / marker).exists() for marker in _PROJECT_MARKERS):
        return []
    if not _all_inside(paths, str(root)):
        return []
    given = {os.path.abspath(path) for path in paths}
    return [path for path in discover([root], settings) if os.path.abspath(path) not in given]


@dataclass(frozen=True)
class Verdict:
    """One of a file's own findings (rule, path, line, column) made on "per call" of an export
    that the link found runs once: it goes (empty ``message_id``) or becomes this note; or one
    made as a note on an assumed rate that the link found runs per request: this warning."""

    rule: str
    path: str
    line: int
    column: int
    message_id: str
    message: str
    severity: str
    related: Related

    def to_cache(self) -> list[Any]:
        return [
            self.rule,
            self.path,
            self.line,
            self.column,
            self.message_id,
            self.message,
            self.severity,
            asdict(self.related),
        ]

    @classmethod
    def from_cache(cls, item: Any) -> Verdict:
        rule, path, line, column, message_id, message, severity, related = _fields(
            item, 8, "verdict"
        )
        return cls(
            expect_str(rule, "rule"),
            expect_str(path, "path"),
            expect_int(line, "line", minimum=1),
            expect_int(column, "column", minimum=1),
            expect_str(message_id, "message id"),
            expect_str(message, "message"),
            Severity(expect_str(severity, "severity")).value,
            related_from_dict(related),
        )


@dataclass
class ProjectRun:
    """What the link found, and what it read besides the summaries (configuration files, as
    (path, mtime, size), -1 for a missing one) — the cache reuses it while none has changed."""

    findings: list[Finding] = field(default_factory=list)
    # (path, directive comment line, rule) for each directive that suppresses one of them.
    answered: set[tuple[str, int, str]] = field(default_factory=set)
    inputs: list[tuple[str, int, int]] = field(default_factory=list)
    # Related locations for the rules' own findings: (rule, path, line, column) → notes.
    notes: list[tuple[str, str, int, int, Related]] = field(default_factory=list)
    # The rules' own findings whose function runs once after all (``analysis.callers``).
    verdicts: list[Verdict] = field(default_factory=list)

    def to_cache(self) -> dict[str, Any]:
        return {
            "findings": [f.to_dict() for f in self.findings],
            "answered": sorted(self.answered),
            "inputs": self.inputs,
            "notes": [
                [rule, path, line, column, asdict(note)]
                for rule, path, line, column, note in self.notes
            ],
            "verdicts": [verdict.to_cache() for verdict in self.verdicts],
        }

    @classmethod
    def from_cache(cls, data: Any) -> ProjectRun | None:
        """The inverse of ``to_cache``; None (a miss) for anything of another shape."""
        try:
            return cls._decode(data)
        except (DecodeError, ValueError, TypeError, KeyError, RecursionError):
            return None

    @classmethod
    def _decode(cls, data: Any) -> ProjectRun:
        data = expect_object(
            data, ("findings", "answered", "inputs", "notes", "verdicts"), "link result"
        )
        answered = set()
        for item in expect_list(data["answered"], "answered"):
            path, line, code = _fields(item, 3, "answered")
            answered.add(
                (expect_str(path, "path"), expect_int(line, "line"), expect_str(code, "rule"))
            )
        inputs = []
        for item in expect_list(data["inputs"], "inputs"):
            path, mtime, size = _fields(item, 3, "input")
            inputs.append(
                (expect_str(path, "path"), expect_int(mtime, "mtime"), expect_int(size, "size"))
            )
        notes = []
        for item in expect_list(data["notes"], "notes"):
            rule, path, line, column, note = _fields(item, 5, "note")
            notes.append(
                (
                    expect_str(rule, "rule"),
                    expect_str(path, "path"),
                    expect_int(line, "line", minimum=1),
                    expect_int(column, "column", minimum=1),
                    related_from_dict(note),
                )
            )
        findings = [Finding.from_dict(f) for f in expect_list(data["findings"], "findings")]
        verdicts = [Verdict.from_cache(v) for v in expect_list(data["verdicts"], "verdicts")]
        return cls(findings, answered, inputs, notes, verdicts)


def _fields(item: Any, count: int, what: str) -> list[Any] | tuple[Any, ...]:
    item = expect_list(item, what)
    if len(item) != count:
        raise DecodeError(f"{what}: expected {count} items, got {len(item)}")
    return item


def link_key(paths: list[Path], order: list[str], absolute: dict[Path, str]) -> str:
    """What a cached link is for besides configuration: which files there are (``order``:
    their sorted absolute paths; ``absolute``: each file's) and which were asked for
    (findings are reported in those only). What each file tells the link (its summary's
    digest) is kept with the cached link and compared file by file, so that a changed
    summary relinks only its part of the project (``incremental``)."""
    hasher = hashlib.blake2b(digest_size=16)
    for path in order:
        hasher.update(path.encode("utf-8", "surrogateescape") + b"\n")
    hasher.update(b"\x00")
    for path in sorted(absolute[path] for path in paths):
        hasher.update(path.encode("utf-8", "surrogateescape") + b"\n")
    return hasher.hexdigest()


def inputs_unchanged(cached: ProjectRun) -> bool:
    """Whether every configuration file the cached link read (or found missing) is as it was."""
    return all(stat_of(path) == (mtime, size) for path, mtime, size in cached.inputs)


def stat_of(path: str) -> tuple[int, int]:
    try:
        stat = os.stat(path)
    except OSError:
        return -1, -1
    return stat.st_mtime_ns, stat.st_size


def project_findings(
    paths: list[Path],
    summaries: dict[Path, FileSummary] | dict[Path, dict[str, Any]],
    settings: Settings,
    profile_for: Callable[[Path], tuple[Settings, list[type[Rule]]]],
    resolver: Resolver | None = None,
) -> ProjectRun:
    """The findings the link makes in ``paths``: leaks whose parts live in different files.
    ``settings`` are the project root's (where modules resolve from); ``profile_for`` gives
    the settings and rules of each file asked for (hierarchical configuration). A summary
    may be given decoded (what the engine holds) or as its dict (decoded here). ``resolver``:
    one the caller keeps (to read the files' edges from it afterwards, or primed with an
    earlier run's answers); by default a fresh one for the root of ``paths``."""
    run = ProjectRun()
    grouped: dict[tuple[str, str], list[tuple[Finding, ProjectReport]]] = {}
    profiles = {path: profile_for(path) for path in paths}
    loaded: dict[Path, FileSummary] = {}
    for path, data in summaries.items():
        try:
            decoded = data if isinstance(data, FileSummary) else FileSummary.from_dict(data)
        except (KeyError, TypeError, ValueError):
            continue  # a damaged cache entry: that file tells the project nothing
        loaded[Path(os.path.abspath(path))] = decoded
    if not loaded or not (
        any(_has_project_check(rule) for _, rules in profiles.values() for rule in rules)
        or any(summary.conditional or summary.handles for summary in loaded.values())
    ):
        return run
    if resolver is None:
        resolver = Resolver(project_root(paths, settings))
    graph = ProjectGraph(loaded, display_path, resolver)
    facts = graph.link()
    run.inputs = [(path, *stat_of(path)) for path in resolver.configuration_read()]
    siblings = _Siblings(graph, loaded) if any(s.handles for s in loaded.values()) else None
    for path in paths:
        absolute = Path(os.path.abspath(path))
        file_settings, rules = profiles[path]
        if absolute in loaded:
            run.verdicts.extend(_once_verdicts(graph, absolute, loaded[absolute], file_settings))
            if siblings is not None:  # after the once-verdicts: a drop wins over a rewording
                run.verdicts.extend(siblings.verdicts(absolute, loaded[absolute]))
        file_facts = facts.get(absolute)
        if file_facts is None:
            continue
        selectors = ignored_selectors(path, file_settings)
        for rule in rules:
            if not _has_project_check(rule) or is_ignored(rule, selectors):
                continue
            checker = rule()
            for linked, note in checker.project_notes(file_facts):
                span = linked.use.span
                run.notes.append((rule.code, file_facts.path, span.line, span.column, note))
            for report in checker.check_project(file_facts):
                finding = _finding(
                    rule, report, file_facts, file_settings, loaded[absolute], run.answered
                )
                if report.group and finding.suppression is None:
                    grouped.setdefault((rule.code, report.group), []).append((finding, report))
                else:
                    run.findings.append(finding)
    if grouped:
        asked = {Path(os.path.abspath(path)) for path in paths}
        outside = _grouped_elsewhere(grouped, facts, loaded, asked, profile_for)
        run.findings.extend(_one_finding_per_group(grouped, outside))
    return run


_Members = dict[tuple[str, str], list[tuple[Finding, ProjectReport]]]


def _grouped_elsewhere(
    grouped: _Members,
    facts: dict[Path, ProjectFacts],
    loaded: dict[Path, FileSummary],
    asked: set[Path],
    profile_for: Callable[[Path], tuple[Settings, list[type[Rule]]]],
) -> _Members:
    """The members of ``grouped``'s groups in files this run was not asked about (pre-commit
    passes the staged files only): the group's first place may be one of them, and then the
    finding belongs to that file, not to this run's."""
    codes = {code for code, _ in grouped}
    outside: _Members = {}
    for file, file_facts in facts.items():
        if file in asked or file not in loaded:
            continue
        file_settings, rules = profile_for(file)
        selectors = ignored_selectors(file, file_settings)
        for rule in rules:
            if rule.code not in codes or is_ignored(rule, selectors):
                continue
            for report in rule().check_project(file_facts):
                key = (rule.code, report.group)
                if key not in grouped:
                    continue
                finding = _finding(rule, report, file_facts, file_settings, loaded[file], set())
                if finding.suppression is None:
                    outside.setdefault(key, []).append((finding, report))
    return outside


def _one_finding_per_group(grouped: _Members, outside: _Members) -> Iterator[Finding]:
    """Each group's first finding (by path and line), listing the others' places, when that
    first place is in a file this run reports on. All the uses of one export are in its
    import-graph component, so a relink of that component regroups them all."""
    for key, members in grouped.items():
        everyone = sorted([*members, *outside.get(key, ())], key=lambda m: m[0].sort_key)
        first, _ = everyone[0]
        if not any(first is finding for finding, _ in members):
            continue  # a full run reports it in that other file
        also = tuple(
            Related(finding.span, report.also, finding.path) for finding, report in everyone[1:]
        )
        yield replace(first, related=first.related + also) if also else first


def _once_verdicts(
    graph: ProjectGraph, file: Path, summary: FileSummary, settings: Settings
) -> Iterator[Verdict]:
    """The file's own findings made on "per call" of an export the link found runs once, and
    those made as notes on an assumed rate of an export that per-request code calls."""
    for conditional in summary.conditional:
        witness = graph.once.get((file, conditional.export))
        if witness is not None:
            caller_file, use = witness
            text = (
                f"{callee_text(conditional.export, use)} is called here, by code that "
                f"{graph.caller_reason(witness)}; no caller in the project runs it more often"
            )
            found = (conditional.message_id, conditional.message, Severity.NOTE)
        elif conditional.repeat_message_id and (file, conditional.export) in graph.per_request:
            rate, caller_file, use = graph.per_request[(file, conditional.export)]
            text = f"{callee_text(conditional.export, use)} is called here, {rate}"
            found = (conditional.repeat_message_id, conditional.repeat_message, Severity.WARNING)
        else:
            continue
        message_id, message, default = found
        severity = settings.severity_overrides.get(conditional.rule) or default
        yield Verdict(
            conditional.rule,
            graph.shown(file),
            conditional.span.line,
            conditional.span.column,
            message_id,
            message,
            Severity(severity).value,
            Related(use.span, text, graph.shown(caller_file)),
        )


class _Siblings:
    """Methods installed on one prototype by a module of the project (`Handler.prototype.start
    = start; Handler.prototype.stop = stop`), each defined in a file of its own."""

    def __init__(self, graph: ProjectGraph, loaded: dict[Path, FileSummary]) -> None:
        self.graph = graph
        self.loaded = loaded
        # (file, export) → the prototypes it is installed on, as (installing file, owner).
        self.owners: dict[tuple[Path, str], list[tuple[Path, str]]] = {}
        # (installing file, owner) → (method name, defining file, export) of each method.
        self.members: dict[tuple[Path, str], list[tuple[str, Path, str]]] = {}
        for file, summary in loaded.items():
            for method in summary.methods:
                defined = graph.definition(file, method.specifier, method.imported)
                if defined is None:
                    continue
                owner = (file, method.owner)
                self.owners.setdefault(defined, []).append(owner)
                self.members.setdefault(owner, []).append((method.name, *defined))

    def verdicts(self, file: Path, summary: FileSummary) -> Iterator[Verdict]:
        """The file's LL002 findings about a handle that a sibling method clears: they go."""
        for handle in summary.handles:
            if self._cleared(file, handle.export, handle.prop, handle.once, handle.calls):
                shown = self.graph.shown(file)
                yield Verdict(
                    handle.rule,
                    shown,
                    handle.span.line,
                    handle.span.column,
                    "",
                    "",
                    Severity.NOTE.value,
                    Related(handle.span, "", shown),
                )

    def _cleared(self, file: Path, export: str, prop: str, once: bool, calls: str) -> bool:
        called = set(calls.split(",")) if calls else set()
        for owner in self.owners.get((file, export), ()):
            for name, sibling_file, sibling in self.members.get(owner, ()):
                if (sibling_file, sibling) == (file, export) or not (once or name in called):
                    continue
                summary = self.loaded.get(sibling_file)
                clearings = summary.clearings if summary is not None else ()
                if any(c.export == sibling and prop in c.props.split(",") for c in clearings):
                    return True
        return False


def apply_verdicts(findings: list[Finding], verdicts: list[Verdict]) -> None:
    """Turn the findings the link's verdicts are about into their once-per-process form, in
    place: a note with the module-level wording and where the one caller is, or nothing; or
    into their per-request warning, with where the per-request caller is."""
    if not verdicts:
        return
    by_place = {(v.rule, v.path, v.line, v.column): v for v in verdicts}
    kept = []
    for finding in findings:
        verdict = by_place.get((finding.rule, finding.path, finding.span.line, finding.span.column))
        if verdict is None:
            kept.append(finding)
            continue
        if not verdict.message_id:
            continue  # made once per process: no leak
        finding.message, finding.message_id = verdict.message, verdict.message_id
        finding.severity = Severity(verdict.severity)
        # The per-call wording's notes (where the handle is stored) still hold; add the caller.
        finding.related = (*finding.related, verdict.related)
        kept.append(finding)
    findings[:] = kept


def drop_answered_unused_directives(
    findings: list[Finding], answered: set[tuple[str, int, str]]
) -> None:
    """LL100 judged each file's directives when the file was checked, before the link: a
    directive that suppresses only a cross-module finding looked unused then. Drop that
    report (in place) when every code it calls unused was used by the link."""
    if not answered:
        return
    used: dict[tuple[str, int], set[str]] = {}
    for path, line, code in answered:
        used.setdefault((path, line), set()).add(code)
    kept = []
    for finding in findings:
        codes = used.get((finding.path, finding.span.line))
        if finding.rule == UNUSED_DIRECTIVE_CODE and codes and _answers(finding, codes):
            continue
        kept.append(finding)
    findings[:] = kept


def _answers(report: Finding, codes: set[str]) -> bool:
    """Whether an LL100 report is only about ``codes`` ("unused" with no codes listed: any)."""
    if report.message_id == "unused":
        return True
    if report.message_id != "unused-codes":
        return False
    listed = set(re.findall(r"LL\d{3}", report.message.rsplit("from", 1)[-1]))
    return bool(listed) and listed <= codes


def _has_project_check(rule: type[Rule]) -> bool:
    return (
        rule.check_project is not Rule.check_project or rule.project_notes is not Rule.project_notes
    )


def attach_notes(findings: list[Finding], notes: list[tuple[str, str, int, int, Related]]) -> None:
    """Give the rules' own findings at linked uses their related locations in other modules."""
    wanted: dict[tuple[str, str, int, int], list[Related]] = {}
    for rule, path, line, column, note in notes:
        wanted.setdefault((rule, path, line, column), []).append(note)
    if not wanted:
        return
    for finding in findings:
        key = (finding.rule, finding.path, finding.span.line, finding.span.column)
        extra = [n for n in wanted.get(key, ()) if n not in finding.related]
        if extra:
            finding.related = (*finding.related, *extra)


def _finding(
    rule: type[Rule],
    report: ProjectReport,
    facts: ProjectFacts,
    settings: Settings,
    summary: FileSummary,
    answered: set[tuple[str, int, str]],
) -> Finding:
    use = report.linked.use
    finding = Finding(
        rule=rule.code,
        name=rule.name,
        path=facts.path,
        span=use.span,
        message=report.message.text,
        message_id=report.message.id,
        severity=settings.severity_overrides.get(rule.code) or rule.severity,
        context=use.context,
        snippet=use.snippet,
        related=report.related,
    )
    for directive in sorted(summary.directives, key=lambda d: d.line is None):
        if directive.line is not None and directive.line != use.span.line:
            continue
        if not directive.codes or rule.code in directive.codes:
            finding.suppression = Suppression("inSource", directive.justification)
            answered.add((facts.path, directive.comment_line, rule.code))
            break
    return finding
