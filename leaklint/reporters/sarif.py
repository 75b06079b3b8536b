"""SARIF 2.1.0, the format GitHub code scanning (and most code-review tools) import.

The log is built from ``sarif-om``'s classes and serialised with the SARIF property names that
sarif-om records in each attrs field's ``schema_property_name`` metadata. What code scanning
reads, and why it is there:

* ``tool.driver.rules``: one descriptor per rule that ran, with the rule's documentation as
  ``help`` (shown on the alert page), its level, tags and precision.
* ``partialFingerprints["leaklint/v1"]``: ``Finding.fingerprint``, which is built from the rule,
  the path, the enclosing function and the normalised code, never the line number, so an
  alert keeps its identity (and a dismissal sticks) when lines are added above it.
* ``columnKind: unicodeCodePoints``: leaklint's columns count characters, not UTF-16 units.
* Suppressed findings stay in the log with a ``suppressions`` entry rather than vanishing.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import quote

import attr
import sarif_om as om

from leaklint import __version__
from leaklint.model.findings import Finding, Severity, Span

if TYPE_CHECKING:
    from leaklint.pipeline.engine import FileError, RunResult
    from leaklint.reporters import ReportOptions
    from leaklint.rules import Rule

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "leaklint/v1"
SRCROOT = "%SRCROOT%"
DEFAULT_HOMEPAGE = "https://github.com/leaklint/leaklint"

# CodeQL's vocabulary for properties["problem.severity"], which GitHub shows for non-security
# alerts.
PROBLEM_SEVERITY = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.NOTE: "recommendation",
}

# Properties kept even when they equal sarif-om's default. A result's missing ``level`` means
# "the rule's default level", not sarif-om's "warning": dropping it would turn an LL001
# downgraded to warning by [tool.leaklint.severity] back into an error.
_ALWAYS_EMIT = frozenset({"level"})


# --- serialisation -----------------------------------------------------------------------


def to_json(value: Any) -> Any:
    """A sarif-om object as plain JSON data, with SARIF's camelCase property names.

    ``None`` and values equal to the field's default are dropped: SARIF consumers read a
    missing property as its default, and the logs stay small.
    """
    if attr.has(type(value)):
        data: dict[str, Any] = {}
        for field in attr.fields(type(value)):
            item = getattr(value, field.name)
            if item is None:
                continue
            name = field.metadata.get("schema_property_name", field.name)
            if name not in _ALWAYS_EMIT and _is_default(field, item):
                continue
            data[name] = to_json(item)
        return data
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items() if item is not None}
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    return value


def _is_default(field: attr.Attribute, value: Any) -> bool:
    default = field.default
    if default is attr.NOTHING:
        return False  # a required property
    if isinstance(default, attr.Factory):  # type: ignore[arg-type]
        default = default.factory()
    return type(value) is type(default) and value == default


# --- building the log --------------------------------------------------------------------


@cache
def homepage() -> str:
    try:
        urls = metadata.metadata("leaklint").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        urls = []
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip().lower() == "homepage" and url.strip():
            return url.strip()
    return DEFAULT_HOMEPAGE


def rule_help_uri(rule: type[Rule]) -> str:
    # The README's rule list has one heading per rule, "LL001 implicit-global".
    return f"{homepage()}#{rule.code.lower()}-{rule.name}"


def section(markdown: str, title: str) -> str:
    """The body of a ``## title`` section of a rule's documentation, as one paragraph."""
    match = re.search(rf"^## {re.escape(title)}\s*$(.*?)(?=^## |\Z)", markdown, re.M | re.S)
    return " ".join(match.group(1).split()) if match else ""


def rule_descriptor(rule: type[Rule]) -> om.ReportingDescriptor:
    documentation = rule.documentation()
    return om.ReportingDescriptor(
        id=rule.code,
        name=rule.name,
        short_description=om.MultiformatMessageString(text=rule.summary),
        full_description=om.MultiformatMessageString(
            text=section(documentation, "What it does") or rule.summary
        ),
        help=om.MultiformatMessageString(text=documentation, markdown=documentation),
        help_uri=rule_help_uri(rule),
        default_configuration=om.ReportingConfiguration(level=rule.severity.value),
        properties={
            "tags": list(rule.tags),
            "precision": rule.precision,
            "problem.severity": PROBLEM_SEVERITY[rule.severity],
        },
    )


def artifact_location(path: str) -> om.ArtifactLocation:
    """A URI relative to %SRCROOT% (the current directory), or a file URI outside it."""
    if Path(path).is_absolute():
        return om.ArtifactLocation(uri=Path(path).as_uri())
    return om.ArtifactLocation(uri=quote(str(PurePosixPath(path))), uri_base_id=SRCROOT)


def region(span: Span) -> om.Region:
    return om.Region(
        start_line=span.line,
        start_column=span.column,
        end_line=span.end_line,
        end_column=span.end_column,
    )


def location(path: str, span: Span, message: str | None = None, id: int = -1) -> om.Location:
    return om.Location(
        id=id,
        physical_location=om.PhysicalLocation(
            artifact_location=artifact_location(path), region=region(span)
        ),
        message=om.Message(text=message) if message else None,
    )


def sarif_result(finding: Finding, rule_index: int, baseline_used: bool) -> om.Result:
    result = om.Result(
        rule_id=finding.rule,
        rule_index=rule_index,
        level=finding.severity.value,
        message=om.Message(text=finding.message),
        locations=[location(finding.path, finding.span)],
        partial_fingerprints={FINGERPRINT_KEY: finding.fingerprint},
    )
    if finding.related:
        result.related_locations = [
            location(finding.path, related.span, related.message, id=number)
            for number, related in enumerate(finding.related, start=1)
        ]
    if finding.suppression is not None:
        result.suppressions = [
            om.Suppression(
                kind=finding.suppression.kind,
                justification=finding.suppression.justification or None,
            )
        ]
    if baseline_used:
        in_baseline = finding.suppression is not None and finding.suppression.kind == "external"
        result.baseline_state = "unchanged" if in_baseline else "new"
    return result


def notification(error: FileError) -> om.Notification:
    # A file that was skipped on purpose (binary, too large) is a warning; one that could not
    # be read or analysed is an error: its leaks went unchecked.
    level = "warning" if error.message.startswith("skipped") else "error"
    return om.Notification(
        message=om.Message(text=f"{error.path}: {error.message}"),
        level=level,
        locations=[
            om.Location(
                physical_location=om.PhysicalLocation(
                    artifact_location=artifact_location(error.path)
                )
            )
        ],
    )


def build_log(result: RunResult, root: Path | None = None) -> om.SarifLog:
    rules = list(result.rules)
    known = {rule.code for rule in rules}
    # A rule can report without having been selected in ``result.rules`` only through
    # callers that build a RunResult by hand; keep ruleIndex valid for them too.
    from leaklint.rules import get_rule

    for finding in result.findings:
        rule = get_rule(finding.rule)
        if finding.rule not in known and rule is not None:
            rules.append(rule)
            known.add(finding.rule)
    index = {rule.code: number for number, rule in enumerate(rules)}
    baseline_used = result.baseline is not None
    root_uri = (root or Path.cwd()).resolve().as_uri().rstrip("/") + "/"
    run = om.Run(
        tool=om.Tool(
            driver=om.ToolComponent(
                name="leaklint",
                version=__version__,
                semantic_version=__version__,
                information_uri=homepage(),
                rules=[rule_descriptor(rule) for rule in rules],
            )
        ),
        results=[
            sarif_result(finding, index.get(finding.rule, -1), baseline_used)
            for finding in result.findings
        ],
        column_kind="unicodeCodePoints",
        original_uri_base_ids={SRCROOT: om.ArtifactLocation(uri=root_uri)},
        invocations=[
            om.Invocation(
                # The run completed; files it could not check are reported as notifications.
                execution_successful=True,
                tool_execution_notifications=[notification(e) for e in result.errors] or None,
            )
        ],
    )
    return om.SarifLog(version="2.1.0", schema_uri=SCHEMA_URI, runs=[run])


def report(result: RunResult, out: TextIO, options: ReportOptions) -> None:
    document = to_json(build_log(result))
    # "$schema" and "version" first, as every SARIF producer writes them; order is cosmetic.
    ordered = {key: document.pop(key) for key in ("$schema", "version")} | document
    json.dump(ordered, out, indent=2, ensure_ascii=False)
    out.write("\n")
