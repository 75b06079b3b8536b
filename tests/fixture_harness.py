"""Fixture files state their expected findings next to the code.

A line that should be reported carries a marker comment, ``// expect: LL001`` (or
``/* expect: LL001, LL001 */`` where a line comment cannot go, e.g. inside JSX); lines without
one must stay silent. The first line may hold ``// fixture-settings: {json}`` with
``Settings`` overrides such as ``{"env": ["browser"]}``.
"""

from __future__ import annotations

import io
import json
import os
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

from leaklint.config import Settings
from leaklint.pipeline.engine import check_source, run
from leaklint.pipeline.selection import selected_rules
from leaklint.reporters import ReportOptions
from leaklint.reporters.text import report
from leaklint.syntax.source import SourceFile

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
_EXPECT = re.compile(r"(?://|/\*)\s*expect:\s*((?:LL\d{3}[\s,]*)+)")
_SETTINGS = re.compile(r"fixture-settings:\s*(\{.*\})")


PROJECTS = FIXTURES / "project"  # one folder per multi-file project (see project_fixtures)
_SUFFIXES = {".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx"}


def fixture_files() -> list[Path]:
    """Single-file fixtures, one folder per rule (project folders are checked as a whole)."""
    return sorted(
        p
        for p in FIXTURES.rglob("*")
        if p.suffix in _SUFFIXES and p.is_file() and PROJECTS not in p.parents
    )


def project_fixtures() -> list[Path]:
    """``fixtures/project/<case>/``: a small repository each, checked from its own root, with
    ``// expect:`` markers in any of its files and every other line silent."""
    return sorted(p for p in PROJECTS.iterdir() if p.is_dir())


def project_expected(folder: Path) -> Counter[tuple[str, int, str]]:
    wanted: Counter[tuple[str, int, str]] = Counter()
    for path in sorted(folder.rglob("*")):
        if path.suffix in _SUFFIXES and path.is_file():
            relative = path.relative_to(folder).as_posix()
            for (line, code), count in expected(path).items():
                wanted[(relative, line, code)] += count
    return wanted


def project_actual(
    folder: Path, paths: list[Path] | None = None, **overrides: object
) -> Counter[tuple[str, int, str]]:
    """What a run of every rule (preview ones too) reports in ``folder``'s files; ``paths``:
    a partial run over those files only, as pre-commit makes."""
    from leaklint.pipeline.discovery import discover

    options = {"preview": True, "project": True, **overrides}  # project-wide analysis is opt-in
    settings = Settings(root=folder, **options)  # type: ignore[arg-type]
    files = paths if paths is not None else discover([folder], settings)
    result = run(files, settings, use_cache=False)
    found: Counter[tuple[str, int, str]] = Counter()
    for finding in result.findings:
        relative = Path(finding.path).resolve().relative_to(folder).as_posix()
        found[(relative, finding.span.line, finding.rule)] += 1
    return found


def expected(path: Path) -> Counter[tuple[int, str]]:
    wanted: Counter[tuple[int, str]] = Counter()
    text = path.read_text(encoding="utf-8")
    for number, line in enumerate(re.split(r"\r\n|\r|\n", text), start=1):
        for match in _EXPECT.finditer(line):
            for code in re.findall(r"LL\d{3}", match.group(1)):
                wanted[(number, code)] += 1
    return wanted


def fixture_settings(path: Path) -> Settings:
    first = path.read_text(encoding="utf-8").splitlines()[0] if path.stat().st_size else ""
    match = _SETTINGS.search(first)
    overrides = {
        key.replace("-", "_"): value
        for key, value in (json.loads(match.group(1)).items() if match else [])
    }
    for key, value in list(overrides.items()):
        if isinstance(value, list):
            overrides[key] = tuple(value)
    # Fixtures run as `--select CODE --preview` does: preview rules and preview cases included.
    return Settings(root=path.parent, **{"preview": True, **overrides})


def rule_code_for(path: Path) -> str:
    return path.relative_to(FIXTURES).parts[0]


def actual(path: Path, settings: Settings | None = None) -> Counter[tuple[int, str]]:
    settings = settings or fixture_settings(path)
    code = rule_code_for(path)
    rules = selected_rules((code,), (), (), preview=True)
    source = SourceFile.read(path, path.name)
    return Counter((f.span.line, f.rule) for f in check_source(source, settings, rules))


def snapshot_path(path: Path) -> Path:
    """Where the text report of a fixture is pinned: ``tests/snapshots/LL003/flagged.js.snap``."""
    from tests.snapshot import SNAPSHOTS

    relative = path.relative_to(FIXTURES)
    return SNAPSHOTS / relative.parent / f"{relative.name}.snap"


def report_text(path: Path) -> str:
    """The fixture's full report as ``leaklint check --select CODE --preview`` prints it from
    the repository root (messages, line:column, code frames, related locations, summary),
    followed by what the text format does not print: each finding's severity and message id.

    Runs the whole pipeline (``engine.run``), so an internal error shows up as its text.
    Must be called with the repository root as the current directory (paths are shown and
    code frames read relative to it).
    """
    code = rule_code_for(path)
    settings = replace(fixture_settings(path), select=(code,), preview=True)
    shown = os.path.relpath(path, ROOT).replace(os.sep, "/")
    result = run([Path(shown)], settings, jobs=1, use_cache=False)
    out = io.StringIO()
    report(result, out, ReportOptions(color=False, show_source=True))
    lines = [f"# leaklint check --select {code} --preview {shown}", "", out.getvalue()]
    if result.findings:
        lines.append("# line:column rule severity message-id")
        lines += [
            f"{f.span.line}:{f.span.column} {f.rule} {f.severity.value} {f.message_id or '-'}"
            for f in result.findings
        ]
        lines.append("")
    return "\n".join(lines)
