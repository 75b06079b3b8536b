"""Machine-readable output: one JSON document."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, TextIO

from leaklint import __version__

if TYPE_CHECKING:
    from leaklint.pipeline.engine import RunResult
    from leaklint.reporters import ReportOptions


def finding_dict(finding: Any) -> dict[str, Any]:
    data = {
        "rule": finding.rule,
        "name": finding.name,
        "path": finding.path,
        "line": finding.span.line,
        "column": finding.span.column,
        "end_line": finding.span.end_line,
        "end_column": finding.span.end_column,
        "message": finding.message,
        "message_id": finding.message_id,
        "severity": finding.severity.value,
        "fingerprint": finding.fingerprint,
    }
    if finding.related:
        data["related"] = [
            {
                "line": r.span.line,
                "column": r.span.column,
                "end_line": r.span.end_line,
                "end_column": r.span.end_column,
                "message": r.message,
                **({"path": r.path} if r.path else {}),
            }
            for r in finding.related
        ]
    if finding.fix is not None:
        data["fix"] = fix_dict(finding.fix)
    if finding.suppression is not None:
        data["suppressed"] = {
            "kind": finding.suppression.kind,
            "justification": finding.suppression.justification,
        }
    return data


def fix_dict(fix: Any) -> dict[str, Any]:
    """Edits as byte offsets (into the UTF-8 file, BOM excluded) and as 1-based lines and
    character columns (end exclusive), so tools can apply them either way."""
    return {
        "description": fix.description,
        "safe": fix.safe,
        "edits": [
            {
                "start_byte": edit.start,
                "end_byte": edit.end,
                "line": edit.span.line,
                "column": edit.span.column,
                "end_line": edit.span.end_line,
                "end_column": edit.span.end_column,
                "text": edit.text,
            }
            for edit in fix.edits
        ],
    }


def report(result: RunResult, out: TextIO, options: ReportOptions) -> None:
    document = {
        "version": __version__,
        "findings": [finding_dict(f) for f in result.findings if f.suppression is None],
        "files_checked": result.files_checked,
        "errors": [error.to_dict() for error in result.errors],
        # Files passed over on purpose (generated or minified), with the reason.
        "skipped": [{"path": s.path, "reason": s.message} for s in result.skipped],
        "suppressed": sum(
            1 for f in result.findings if f.suppression and f.suppression.kind == "inSource"
        ),
    }
    if result.baseline is not None:
        document["baseline"] = result.baseline.to_dict()
    json.dump(document, out, indent=2, ensure_ascii=False)
    out.write("\n")
