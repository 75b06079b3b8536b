"""SARIF 2.1.0, the format GitHub code scanning (and most code-review tools) import.

The log is built from ``sarif-om``'s classes and serialised with the SARIF property names that
sarif-om records in each attrs field's ``schema_property_name`` metadata. GitHub reads only a
subset of SARIF ("SARIF support for code scanning"); what is here, and why:

* ``tool.driver.rules``: one descriptor per rule that ran. ``fullDescription`` is the first
  paragraph of the rule's "What it does" (GitHub accepts at most 1,024 characters there); the
  whole documentation is ``help`` (text and markdown), shown on the alert page.
* ``partialFingerprints.primaryLocationLineHash``: the identity GitHub uses, computed from the
  file exactly as GitHub's upload action computes it (``line_hash``). ``leaklint/v1`` beside it
  is ``Finding.fingerprint`` (rule, path, enclosing function, normalised code, never the line),
  for other consumers. Both stay the same when lines are added above a finding.
* Suppressed and baselined findings are left out: GitHub does not read ``suppressions`` and
  would open an alert for each. ``--sarif-include-suppressed`` keeps them, with ``suppressions``.
* Related locations are linked from the message as ``[text](id)``, the only way GitHub shows
  them; brackets and backslashes of the message itself are escaped, as CodeQL writes them.
* URIs are relative to the repository root (the nearest directory above the current one with a
  ``.git``, else the current directory), named by ``originalUriBaseIds["%SRCROOT%"]``, with the
  directory leaklint ran in as ``invocations[0].workingDirectory``; file names are
  percent-encoded byte by byte, so a name that is not UTF-8 keeps its exact bytes.
* GitHub's limits: at most 25,000 results a run and 10 MB gzipped a file. Above that the most
  severe results are kept, and a tool notification and a line on stderr say what was dropped.
* ``automationDetails.id`` from ``--category``, so that runs over different parts of a
  repository do not replace each other's alerts.
* ``columnKind: unicodeCodePoints``: leaklint's columns count characters, not UTF-16 units.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import sys
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import quote

import attr
import sarif_om as om

from leaklint import __version__, fsutil
from leaklint.model.findings import Finding, Severity, Span
from leaklint.pipeline.engine import MAX_FILE_BYTES
from leaklint.reporters.line_hash import line_hashes

if TYPE_CHECKING:
    from leaklint.pipeline.engine import FileError, RunResult
    from leaklint.reporters import ReportOptions
    from leaklint.rules import Rule

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "leaklint/v1"
LINE_HASH_KEY = "primaryLocationLineHash"
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

# GitHub code scanning's documented limits.
MAX_FULL_DESCRIPTION = 1024  # characters of rules[].fullDescription.text
MAX_RESULTS = 25_000  # results per run
# An upload may be 10 MB gzipped; counted in decimal megabytes, which leaves a margin for what
# the upload action adds (fingerprints it computes, its own properties).
MAX_GZIPPED_BYTES = 10_000_000
_NOTIFICATION_ROOM = 1024  # bytes: more than the truncation notice takes, even uncompressed
_LEVEL_RANK = {"error": 3, "warning": 2, "note": 1, "none": 0}


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
    if isinstance(value, str):
        return printable(value)
    return value


def printable(text: str) -> str:
    """``text`` as UTF-8 can encode it: the bytes of a file name that is not UTF-8 (surrogate
    escapes, as os.fsdecode gives them) are written as ``\\xff``, never a crash at write time."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return text


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
        urls = metadata.metadata("leaklint-node").get_all("Project-URL") or []
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


def full_description(rule: type[Rule]) -> str:
    """The first paragraph of "What it does", within GitHub's 1,024 characters.

    The whole section is often longer (it lists what is not reported); the alert page shows the
    rule's ``help``, which has all of it.
    """
    documentation = rule.documentation()
    match = re.search(r"^## What it does\s*$\n(.*?)(?:\n\s*\n|^## |\Z)", documentation, re.M | re.S)
    text = " ".join(match.group(1).split()) if match else rule.summary
    return shorten(text, MAX_FULL_DESCRIPTION)


def shorten(text: str, limit: int) -> str:
    """``text`` cut after its last whole sentence that fits in ``limit`` characters."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    end = cut.rfind(". ")
    return (cut[: end + 1] if end > 0 else cut.rstrip()) + "…"


def rule_descriptor(rule: type[Rule]) -> om.ReportingDescriptor:
    documentation = rule.documentation()
    return om.ReportingDescriptor(
        id=rule.code,
        name=rule.name,
        short_description=om.MultiformatMessageString(text=rule.summary),
        full_description=om.MultiformatMessageString(text=full_description(rule)),
        help=om.MultiformatMessageString(text=documentation, markdown=documentation),
        help_uri=rule_help_uri(rule),
        default_configuration=om.ReportingConfiguration(level=rule.severity.value),
        properties={
            "tags": list(rule.tags),
            "precision": rule.precision,
            "problem.severity": PROBLEM_SEVERITY[rule.severity],
        },
    )


# --- where files are -----------------------------------------------------------------------


def repository_root(start: Path) -> Path:
    """The nearest directory at or above ``start`` holding ``.git`` (a directory, or the file
    of a worktree or submodule), else ``start``: GitHub resolves relative URIs against the
    repository's top level. No git binary is needed."""
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return start


def file_uri(path: str) -> str:
    """A ``file:`` URI for an absolute path, percent-encoding the bytes of the name."""
    if os.name == "nt":
        return Path(path).as_uri()
    return "file://" + quote(os.fsencode(path))


def directory_uri(path: str) -> str:
    return file_uri(path).rstrip("/") + "/"


@dataclass
class SourceRoot:
    """Turns a finding's path (relative to ``cwd``, as reporters show it) into the URI GitHub
    wants: relative to ``root``, or a ``file:`` URI for a file outside it."""

    cwd: str
    root: str
    _locations: dict[str, om.ArtifactLocation] = field(default_factory=dict)

    def absolute(self, path: str) -> str:
        return os.path.normpath(os.path.join(self.cwd, path))

    def artifact_location(self, path: str) -> om.ArtifactLocation:
        if path not in self._locations:
            self._locations[path] = self._artifact_location(self.absolute(path))
        return self._locations[path]

    def _artifact_location(self, absolute: str) -> om.ArtifactLocation:
        try:
            relative = os.path.relpath(absolute, self.root)
        except ValueError:  # another drive on Windows
            return om.ArtifactLocation(uri=file_uri(absolute))
        if relative == os.pardir or relative.startswith(os.pardir + os.sep):
            return om.ArtifactLocation(uri=file_uri(absolute))
        posix = relative.replace(os.sep, "/")
        return om.ArtifactLocation(uri=quote(os.fsencode(posix)), uri_base_id=SRCROOT)


def read_regular_file(path: str) -> bytes | None:
    """The bytes of a regular file, or None: never blocks on a FIFO or reads a device."""
    try:
        return fsutil.read_regular_file(path, MAX_FILE_BYTES).data
    except OSError:  # not a regular file, too large, unreadable
        return None


def primary_line_hashes(
    findings: Iterable[Finding], source_root: SourceRoot
) -> dict[tuple[str, int], str]:
    """``primaryLocationLineHash`` by (path, line), each file with results read once.

    A file that cannot be read now (or has become shorter) gets none: GitHub's upload action
    then computes its own when it can read the file.
    """
    lines_by_path: dict[str, set[int]] = {}
    for finding in findings:
        lines_by_path.setdefault(finding.path, set()).add(finding.span.line)
    hashes: dict[tuple[str, int], str] = {}
    for path, lines in lines_by_path.items():
        data = read_regular_file(source_root.absolute(path))
        if data is not None:
            for line, value in line_hashes(data, lines).items():
                hashes[path, line] = value
    return hashes


def region(span: Span) -> om.Region:
    return om.Region(
        start_line=span.line,
        start_column=span.column,
        end_line=span.end_line,
        end_column=span.end_column,
    )


def location(
    artifact: om.ArtifactLocation, span: Span, message: str | None = None, id: int = -1
) -> om.Location:
    return om.Location(
        id=id,
        physical_location=om.PhysicalLocation(artifact_location=artifact, region=region(span)),
        message=om.Message(text=escape_message(message)) if message else None,
    )


_MESSAGE_SPECIALS = re.compile(r"([\\\[\]])")


def escape_message(text: str) -> str:
    """A plain-text SARIF message: ``[``, ``]`` and ``\\`` are escaped with a backslash, so that
    code in a message (``handlers[name](1)``) is never read as an embedded link.

    SARIF requires the escapes inside a link's text and allows them elsewhere; CodeQL, whose
    logs GitHub renders, escapes them everywhere, and its viewers unescape them everywhere.
    """
    return _MESSAGE_SPECIALS.sub(r"\\\1", printable(text))


def linked_message(finding: Finding) -> str:
    """The message, with each related location linked as ``[text](id)`` after it: GitHub shows
    related locations only as links embedded in the message."""
    message = escape_message(finding.message)
    if not finding.related:
        return message
    links = "; ".join(
        f"[{escape_message(related.message)}]({number})"
        for number, related in enumerate(finding.related, start=1)
    )
    return f"{message} Related: {links}."


def sarif_result(
    finding: Finding,
    rule_index: int,
    baseline_used: bool,
    source_root: SourceRoot,
    line_hash: str | None = None,
) -> om.Result:
    artifact = source_root.artifact_location(finding.path)
    fingerprints = {FINGERPRINT_KEY: finding.fingerprint}
    if line_hash is not None:
        fingerprints[LINE_HASH_KEY] = line_hash
    result = om.Result(
        rule_id=finding.rule,
        rule_index=rule_index,
        level=finding.severity.value,
        message=om.Message(text=linked_message(finding), id=finding.message_id or None),
        locations=[location(artifact, finding.span)],
        partial_fingerprints=fingerprints,
    )
    if finding.related:
        result.related_locations = [
            location(
                # A related location in another module has its own URI (the project link).
                source_root.artifact_location(related.path) if related.path else artifact,
                related.span,
                related.message,
                id=number,
            )
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


def notification(error: FileError, source_root: SourceRoot) -> om.Notification:
    # A file that was skipped on purpose (binary, too large) is a warning; one that could not
    # be read or analysed is an error: its leaks went unchecked.
    level = "warning" if error.message.startswith("skipped") else "error"
    return om.Notification(
        message=om.Message(text=escape_message(f"{error.path}: {error.message}")),
        level=level,
        locations=[
            om.Location(
                physical_location=om.PhysicalLocation(
                    artifact_location=source_root.artifact_location(error.path)
                )
            )
        ],
    )


def automation_id(category: str) -> str:
    """``automationDetails.id`` for a category, ending in "/" as the upload action writes it
    (so ``--category`` here and ``category:`` of upload-sarif name the same thing)."""
    return category if category.endswith("/") else category + "/"


def _rules_for(result: RunResult, findings: Iterable[Finding]) -> list[type[Rule]]:
    rules = list(result.rules)
    known = {rule.code for rule in rules}
    # A rule can report without having been selected in ``result.rules`` only through
    # callers that build a RunResult by hand; keep ruleIndex valid for them too.
    from leaklint.rules import get_rule

    for finding in findings:
        rule = get_rule(finding.rule)
        if finding.rule not in known and rule is not None:
            rules.append(rule)
            known.add(finding.rule)
    return rules


def build_log(
    result: RunResult,
    root: Path | None = None,
    *,
    cwd: Path | None = None,
    include_suppressed: bool = False,
    category: str | None = None,
) -> om.SarifLog:
    """The SARIF log of a run. ``cwd`` is where the findings' paths are relative to (the current
    directory by default) and ``root`` what the URIs are relative to (its repository root)."""
    working_directory = os.path.abspath(cwd if cwd is not None else os.getcwd())
    source_root = SourceRoot(
        working_directory, os.path.abspath(root or repository_root(Path(working_directory)))
    )
    findings = [f for f in result.findings if include_suppressed or f.suppression is None]
    rules = _rules_for(result, findings)
    index = {rule.code: number for number, rule in enumerate(rules)}
    baseline_used = result.baseline is not None
    hashes = primary_line_hashes(findings, source_root)
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
            sarif_result(
                finding,
                index.get(finding.rule, -1),
                baseline_used,
                source_root,
                hashes.get((finding.path, finding.span.line)),
            )
            for finding in findings
        ],
        column_kind="unicodeCodePoints",
        original_uri_base_ids={SRCROOT: om.ArtifactLocation(uri=directory_uri(source_root.root))},
        automation_details=om.RunAutomationDetails(id=automation_id(category))
        if category
        else None,
        invocations=[
            om.Invocation(
                # The run completed; files it could not check are reported as notifications.
                execution_successful=True,
                working_directory=om.ArtifactLocation(uri=directory_uri(working_directory)),
                tool_execution_notifications=[
                    notification(error, source_root) for error in result.errors
                ]
                or None,
            )
        ],
    )
    return om.SarifLog(version="2.1.0", schema_uri=SCHEMA_URI, runs=[run])


# --- GitHub's limits -------------------------------------------------------------------------


def fit_github_limits(
    document: dict[str, Any],
    *,
    max_results: int | None = None,
    max_gzipped_bytes: int | None = None,
) -> str | None:
    """Keep the most severe results within GitHub's limits; say what was dropped.

    Returns the sentence that was also added as a tool notification, or None when everything
    fits. Results keep their order (by file and line); the most severe are chosen first, and
    among equally severe ones those earlier in that order.
    """
    max_results = MAX_RESULTS if max_results is None else max_results
    max_gzipped_bytes = MAX_GZIPPED_BYTES if max_gzipped_bytes is None else max_gzipped_bytes
    run = document["runs"][0]
    results: list[dict[str, Any]] = run.get("results", [])
    by_severity = sorted(
        range(len(results)), key=lambda i: (-_LEVEL_RANK.get(results[i].get("level"), 2), i)
    )
    keep = min(len(results), max_results)
    # Room for the notification that says what was left out, added once the count is known.
    keep = _fitting_count(
        document, results, by_severity[:keep], max_gzipped_bytes - _NOTIFICATION_ROOM
    )
    if keep == len(results):
        return None
    kept = sorted(by_severity[:keep])
    dropped = [results[i] for i in by_severity[keep:]]
    run["results"] = [results[i] for i in kept]
    message = _truncation_message(len(results), keep, dropped, max_results, max_gzipped_bytes)
    invocation = run["invocations"][0]
    invocation.setdefault("toolExecutionNotifications", []).append(
        {"level": "warning", "message": {"text": message}}
    )
    return message


def _fitting_count(
    document: dict[str, Any],
    results: list[dict[str, Any]],
    candidates: list[int],
    max_gzipped_bytes: int,
) -> int:
    """How many of ``candidates`` (most severe first) fit in the gzipped size limit."""
    run = document["runs"][0]

    def gzipped_size(count: int) -> int:
        run["results"] = [results[i] for i in sorted(candidates[:count])]
        data = compact_json(document)
        # Below the limit uncompressed is below it gzipped: no need to compress at all.
        return len(data) if len(data) <= max_gzipped_bytes else len(gzip.compress(data))

    try:
        count = len(candidates)
        if gzipped_size(count) <= max_gzipped_bytes:
            return count
        count = _estimated_fit(document, [results[i] for i in candidates], max_gzipped_bytes)
        # The estimate compresses results in another order: step down until the file fits.
        while count > 0 and gzipped_size(count) > max_gzipped_bytes:
            count = min(count - 1, int(count * 0.98))
        return count
    finally:
        run["results"] = results


def _estimated_fit(
    document: dict[str, Any], ordered: list[dict[str, Any]], max_gzipped_bytes: int
) -> int:
    """Results that fit, compressing them one by one after the rest of the document."""
    run = document["runs"][0]
    run["results"] = []
    compressor = zlib.compressobj(wbits=31)  # gzip framing, as gzip.compress
    size = len(compressor.compress(compact_json(document))) + len(
        compressor.flush(zlib.Z_SYNC_FLUSH)
    )
    for count, item in enumerate(ordered):
        size += len(compressor.compress(compact_json(item) + b","))
        if count % 64 == 0:  # a sync flush makes the count exact, at a small cost in ratio
            size += len(compressor.flush(zlib.Z_SYNC_FLUSH))
        if size > max_gzipped_bytes:
            return count
    return len(ordered)


def compact_json(value: Any) -> bytes:
    """What the upload action sends: JSON without indentation, UTF-8."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _truncation_message(
    total: int, kept: int, dropped: list[dict[str, Any]], max_results: int, max_bytes: int
) -> str:
    levels = [item.get("level", "warning") for item in dropped]
    counts = ", ".join(
        f"{levels.count(level):,} {level}"
        for level in ("error", "warning", "note", "none")
        if level in levels
    )
    limit = (
        f"at most {max_results:,} results per run"
        if kept == max_results
        else f"at most {max_bytes / 1_000_000:g} MB of gzipped SARIF per upload"
    )
    return (
        f"GitHub code scanning accepts {limit}: this report keeps the {kept:,} most severe of "
        f"{total:,} results and leaves out {total - kept:,} ({counts}). Check a part of the "
        "repository per run (with --category) to see them all."
    )


def report(result: RunResult, out: TextIO, options: ReportOptions) -> None:
    log = build_log(
        result,
        include_suppressed=options.sarif_include_suppressed,
        category=options.category,
    )
    document = to_json(log)
    truncated = fit_github_limits(document)
    if truncated is not None:
        print(f"leaklint: {truncated}", file=sys.stderr)
    # "$schema" and "version" first, as every SARIF producer writes them; order is cosmetic.
    ordered = {key: document.pop(key) for key in ("$schema", "version")} | document
    json.dump(ordered, out, indent=2, ensure_ascii=False)
    out.write("\n")
