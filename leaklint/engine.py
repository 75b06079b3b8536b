"""Run the selected rules over files and collect what they find.

The per-file step (``check_source``) is a pure function of the file's bytes and the settings,
which is what lets the cache and the worker pool wrap it without anything else knowing.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from leaklint.config import Settings
from leaklint.context import FileContext
from leaklint.findings import Finding, assign_occurrences
from leaklint.parsing import parse
from leaklint.rules import Rule
from leaklint.selection import selected_rules
from leaklint.source import SourceFile, package_type

# Larger files are generated bundles or data; they are skipped with a note rather than parsed.
MAX_FILE_BYTES = 32 * 1024 * 1024


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


@dataclass
class RunResult:
    findings: list[Finding] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    files_checked: int = 0
    rules: list[type[Rule]] = field(default_factory=list)


def display_path(path: Path) -> str:
    """Relative to the current directory with forward slashes, as every reporter shows it."""
    try:
        shown = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        shown = str(path)
    return shown.replace(os.sep, "/")


def rules_for(settings: Settings) -> list[type[Rule]]:
    return selected_rules(
        settings.select, settings.extend_select, settings.ignore, preview=settings.preview
    )


def check_source(
    source: SourceFile, settings: Settings, rules: Iterable[type[Rule]]
) -> list[Finding]:
    """All findings of ``rules`` in one file."""
    tree = parse(source.data, source.language)
    ctx = FileContext(source=source, tree=tree, settings=settings)
    for rule in rules:
        if rule.applies_to(source.data):
            rule().check(ctx)
    ctx.findings.sort(key=lambda f: f.sort_key)
    return ctx.findings


def check_path(path: Path, settings: Settings, rules: list[type[Rule]]) -> FileResult:
    shown = display_path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return FileResult(
                shown,
                error=FileError(
                    shown, f"skipped: {size // (1024 * 1024)} MB is over the 32 MB limit"
                ),
                checked=False,
            )
        source = SourceFile.read(path, shown)
    except OSError as error:
        return FileResult(
            shown, error=FileError(shown, f"cannot read: {error.strerror or error}"), checked=False
        )
    if source.is_binary():
        return FileResult(shown, error=FileError(shown, "skipped: binary file"), checked=False)
    try:
        findings = check_source(source, settings, rules)
    except RecursionError:
        return FileResult(
            shown, error=FileError(shown, "skipped: nesting too deep to analyse"), checked=False
        )
    except Exception as error:  # one broken file never stops the run
        return FileResult(
            shown,
            error=FileError(shown, f"internal error: {type(error).__name__}: {error}"),
            checked=False,
        )
    return FileResult(shown, findings=findings)


def iter_results(
    paths: list[Path], settings: Settings, rules: list[type[Rule]]
) -> Iterator[FileResult]:
    for path in paths:
        yield check_path(path, settings, rules)


def run(paths: list[Path], settings: Settings) -> RunResult:
    package_type.cache_clear()  # package.json files may have changed since the last run
    rules = rules_for(settings)
    result = RunResult(rules=rules)
    for file_result in iter_results(paths, settings, rules):
        if file_result.checked:
            result.files_checked += 1
        result.findings.extend(file_result.findings)
        if file_result.error is not None:
            result.errors.append(file_result.error)
    result.findings.sort(key=lambda f: f.sort_key)
    assign_occurrences(result.findings)
    return result
