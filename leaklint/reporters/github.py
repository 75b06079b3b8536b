"""GitHub Actions workflow commands: each finding becomes an annotation on the pull request.

``::warning file=app.js,line=3,col=5,endLine=3,endColumn=9,title=LL003 unclosed-client::msg``

The runner parses these lines from the job log, so values must be escaped the way the
Actions toolkit does it, or a message containing a newline or ``::`` would end the command
early (or start a new one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from leaklint.model.findings import Finding, Severity
from leaklint.reporters.text import hidden_counts

if TYPE_CHECKING:
    from leaklint.pipeline.engine import RunResult
    from leaklint.reporters import ReportOptions

COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}


def escape_data(value: str) -> str:
    """The message part, after ``::``."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """A ``key=value`` property: ``:`` and ``,`` would otherwise end the value."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def command(name: str, properties: dict[str, object], message: str) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{name} {props}::{escape_data(message)}"


def annotation(finding: Finding) -> str:
    span = finding.span
    properties = {
        "file": finding.path,
        "line": span.line,
        "col": span.column,
        "endLine": span.end_line,
        "endColumn": span.end_column,
        "title": f"{finding.rule} {finding.name}",
    }
    return command(COMMAND[finding.severity], properties, finding.message)


def report(result: RunResult, out: TextIO, options: ReportOptions) -> None:
    shown = [f for f in result.findings if f.suppression is None]
    for finding in shown:
        out.write(annotation(finding) + "\n")
    for error in result.errors:
        out.write(command("warning", {"file": error.path, "title": "leaklint"}, error.message))
        out.write("\n")
    # A plain line for the log; the runner only acts on lines that start with "::".
    files = result.files_checked
    out.write(
        f"leaklint: {len(shown)} problem{'s' if len(shown) != 1 else ''} in "
        f"{files} file{'s' if files != 1 else ''}.{hidden_counts(result)}\n"
    )
