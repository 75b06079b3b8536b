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

import os
from pathlib import Path
from typing import Any

from leaklint.model.findings import Finding, Suppression
from leaklint.model.project import FileSummary, ProjectFacts, ProjectReport
from leaklint.model.results import display_path
from leaklint.model.settings import Settings
from leaklint.pipeline.discovery import discover
from leaklint.pipeline.project.graph import ProjectGraph
from leaklint.pipeline.project.resolve import Resolver
from leaklint.pipeline.suppressions import ignored_selectors, is_ignored
from leaklint.rules import Rule

# What marks a directory as a project whose other files a partial run must see.
_PROJECT_MARKERS = (".git", "package.json", "tsconfig.json", "jsconfig.json", "pnpm-workspace.yaml")


def project_files(paths: list[Path], settings: Settings) -> list[Path]:
    """The project's files that ``paths`` leaves out, when they all lie in one project root
    (``settings.root`` holding a .git, package.json, tsconfig.json …); else none."""
    root = Path(os.path.abspath(settings.root))
    if not any((root / marker).exists() for marker in _PROJECT_MARKERS):
        return []
    prefix = str(root).rstrip(os.sep) + os.sep
    if not all(os.path.abspath(path).startswith(prefix) for path in paths):
        return []
    given = {os.path.abspath(path) for path in paths}
    return [path for path in discover([root], settings) if os.path.abspath(path) not in given]


def project_findings(
    paths: list[Path],
    summaries: dict[Path, dict[str, Any]],
    settings: Settings,
    rules: list[type[Rule]],
) -> list[Finding]:
    """The findings the link makes in ``paths``: leaks whose parts live in different files."""
    checkers = [rule for rule in rules if _has_project_check(rule)]
    if not checkers or not summaries:
        return []
    loaded: dict[Path, FileSummary] = {}
    for path, data in summaries.items():
        try:
            loaded[Path(os.path.abspath(path))] = FileSummary.from_dict(data)
        except (KeyError, TypeError, ValueError):
            continue  # a damaged cache entry: that file tells the project nothing
    shown = {path: display_path(path) for path in loaded}
    graph = ProjectGraph(loaded, shown, Resolver(settings.root))
    facts = graph.link()
    findings: list[Finding] = []
    for path in paths:
        absolute = Path(os.path.abspath(path))
        file_facts = facts.get(absolute)
        if file_facts is None:
            continue
        selectors = ignored_selectors(path, settings)
        for rule in checkers:
            if is_ignored(rule, selectors):
                continue
            for report in rule().check_project(file_facts):
                findings.append(_finding(rule, report, file_facts, settings, loaded[absolute]))
    return findings


def _has_project_check(rule: type[Rule]) -> bool:
    return rule.check_project is not Rule.check_project


def _finding(
    rule: type[Rule],
    report: ProjectReport,
    facts: ProjectFacts,
    settings: Settings,
    summary: FileSummary,
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
            break
    return finding
