"""Human output: ``path:line:col: CODE message``, a code frame with a caret, a summary."""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from leaklint.display import escape_controls, frame_window, quote_path
from leaklint.fsutil import read_regular_file
from leaklint.model.findings import Finding, Severity
from leaklint.syntax.source import MAX_SOURCE_BYTES

if TYPE_CHECKING:
    from leaklint.pipeline.engine import RunResult
    from leaklint.reporters import ReportOptions

_SEVERITY_COLOUR = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.NOTE: "cyan"}


@lru_cache(maxsize=64)
def _lines(path: str) -> list[str]:
    try:
        # The file may have become a FIFO or a device since it was checked: read it safely.
        data = read_regular_file(Path(path), MAX_SOURCE_BYTES).data
    except OSError:
        return []
    text = data.decode("utf-8", errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def code_frame(finding: Finding, color: bool) -> list[str]:
    lines = _lines(finding.path)
    if not 1 <= finding.span.line <= len(lines):
        return []
    raw = lines[finding.span.line - 1]
    start = finding.span.column - 1
    end = finding.span.end_column - 1 if finding.span.end_line == finding.span.line else len(raw)
    frame = frame_window(raw, start, end)
    gutter = f"{finding.span.line:>5} | "
    caret = " " * len(gutter[:-2]) + "| " + " " * frame.start + "^" * (frame.end - frame.start)
    if color:
        caret = click.style(caret, fg=_SEVERITY_COLOUR[finding.severity], bold=True)
    return [gutter + frame.text, caret]


def format_finding(finding: Finding, color: bool) -> str:
    location = f"{quote_path(finding.path)}:{finding.span.line}:{finding.span.column}:"
    code = finding.rule
    if color:
        location = click.style(location, bold=True)
        code = click.style(code, fg=_SEVERITY_COLOUR[finding.severity], bold=True)
    return f"{location} {code} {escape_controls(finding.message)}"


def report(result: RunResult, out: TextIO, options: ReportOptions) -> None:
    shown = [f for f in result.findings if f.suppression is None]
    if options.statistics:
        # As `ruff check --statistics`: the counts replace the per-finding listing.
        write_statistics(shown, out)
        write_errors(result, out)
        out.write(summary_line(result, shown, options.color) + "\n")
        return
    for finding in shown:
        out.write(format_finding(finding, options.color) + "\n")
        if options.show_source:
            for line in code_frame(finding, options.color):
                out.write(line + "\n")
            for related in finding.related:
                out.write(
                    f"      = {quote_path(related.path or finding.path)}:{related.span.line}:"
                    f"{related.span.column}: {escape_controls(related.message)}\n"
                )
            out.write("\n")
    write_errors(result, out)
    out.write(summary_line(result, shown, options.color) + "\n")


def write_errors(result: RunResult, out: TextIO) -> None:
    for error in result.errors:
        out.write(f"{quote_path(error.path)}: {escape_controls(error.message)}\n")


def write_statistics(findings: list[Finding], out: TextIO) -> None:
    """One line per rule, most findings first, in ruff's shape: ``count<TAB>code<TAB>name``
    with the count right-aligned and the code left-aligned to their widest values."""
    counts = Counter((f.rule, f.name) for f in findings)
    if not counts:
        return
    count_width = len(str(max(counts.values())))
    code_width = max(len(code) for code, _ in counts)
    for (code, name), count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        out.write(f"{count:>{count_width}}\t{code:<{code_width}}\t{name}\n")


def summary_line(result: RunResult, shown: list[Finding], color: bool) -> str:
    files = f"{result.files_checked} file{'s' if result.files_checked != 1 else ''}"
    if not shown and not result.files_checked:
        return "Nothing checked."  # not "All clear": the CLI says why on stderr
    if not shown:
        text = f"All clear: no leaks found in {files}.{hidden_counts(result)}"
        return click.style(text, fg="green") if color else text
    by_severity = Counter(f.severity for f in shown)
    parts = [
        f"{by_severity[s]} {s.value}{'s' if by_severity[s] != 1 else ''}"
        for s in (Severity.ERROR, Severity.WARNING, Severity.NOTE)
        if by_severity[s]
    ]
    text = (
        f"Found {len(shown)} problem{'s' if len(shown) != 1 else ''} "
        f"({', '.join(parts)}) in {files}.{hidden_counts(result)}"
    )
    return click.style(text, bold=True) if color else text


def hidden_counts(result: RunResult) -> str:
    """The summary's tail for findings that were found but are not shown."""
    kinds = Counter(f.suppression.kind for f in result.findings if f.suppression is not None)
    text = ""
    if kinds["inSource"]:
        text += f" {kinds['inSource']} suppressed."
    if kinds["external"]:
        text += f" {kinds['external']} in baseline."
    return text
