"""Findings in LSP terms: diagnostics, hovers and code actions.

leaklint's spans are 1-based lines and *character* columns; LSP positions are 0-based lines and
columns in the negotiated code units (UTF-16 unless the client offers better). Both count
lines the same way (CRLF, LF, lone CR), so the conversion only re-counts within a line.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from lsprotocol import types
from tree_sitter import Node, Tree

from leaklint.model.findings import Edit, Finding, Severity, Span
from leaklint.pipeline.fixes import non_overlapping
from leaklint.reporters.sarif import rule_help_uri
from leaklint.rules import get_rule
from leaklint.syntax.source import SourceFile

SOURCE = "leaklint"
SEVERITIES = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.NOTE: types.DiagnosticSeverity.Information,
}
REASON_PLACEHOLDER = "<reason>"
# "Fix all" is a source action: editors run it on request or, if the user asks for it in their
# settings, on save (VS Code's `editor.codeActionsOnSave: {"source.fixAll.leaklint": …}`).
FIX_ALL = f"{types.CodeActionKind.SourceFixAll.value}.leaklint"


# --- positions ---------------------------------------------------------------------------


def _units(text: str, encoding: str) -> int:
    if encoding == types.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8"))
    if encoding == types.PositionEncodingKind.Utf32:
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def client_position(source: SourceFile, line: int, column: int, encoding: str) -> types.Position:
    if source.is_ascii:  # the common case, and no line decoded (a bundle's line is megabytes)
        return types.Position(line=line - 1, character=column - 1)
    prefix = source.line_text(line)[: column - 1]
    return types.Position(line=line - 1, character=_units(prefix, encoding))


def client_range(source: SourceFile, span: Span, encoding: str) -> types.Range:
    return types.Range(
        start=client_position(source, span.line, span.column, encoding),
        end=client_position(source, span.end_line, span.end_column, encoding),
    )


def leaklint_position(
    source: SourceFile, position: types.Position, encoding: str
) -> tuple[int, int]:
    """A client position as leaklint's (1-based line, 1-based character column)."""
    text = source.line_text(position.line + 1)
    units = 0
    for index, char in enumerate(text):
        if units >= position.character:
            return position.line + 1, index + 1
        units += _units(char, encoding)
    return position.line + 1, len(text) + 1


def covers(span: Span, line: int, column: int) -> bool:
    return (span.line, span.column) <= (line, column) <= (span.end_line, span.end_column)


# --- diagnostics -------------------------------------------------------------------------


def diagnostic(finding: Finding, source: SourceFile, uri: str, encoding: str) -> types.Diagnostic:
    rule = get_rule(finding.rule)
    related = []
    for item in finding.related:
        if item.path and item.path != finding.path:
            location = _location_in(Path(item.path), item.span, encoding)
            if location is None:
                continue
        else:
            location = types.Location(uri=uri, range=client_range(source, item.span, encoding))
        related.append(types.DiagnosticRelatedInformation(location=location, message=item.message))
    return types.Diagnostic(
        range=client_range(source, finding.span, encoding),
        message=finding.message,
        severity=SEVERITIES[finding.severity],
        code=finding.rule,
        code_description=types.CodeDescription(href=rule_help_uri(rule)) if rule else None,
        source=SOURCE,
        related_information=related or None,
        data={"fingerprint": finding.fingerprint},
    )


def _location_in(path: Path, span: Span, encoding: str) -> types.Location | None:
    """A related location in another module of the project (project-wide findings), with
    positions converted from that file's own text; None if it can no longer be read."""
    try:
        other = SourceFile.read(path)
    except OSError:
        return None
    return types.Location(uri=path.resolve().as_uri(), range=client_range(other, span, encoding))


# --- hover -------------------------------------------------------------------------------


@cache
def _sections(code: str) -> tuple[str, str]:
    rule = get_rule(code)
    if rule is None:
        return "", ""
    documentation = rule.documentation()
    return _section(documentation, "Why is this bad?"), _section(documentation, "Use instead")


def _section(markdown: str, title: str) -> str:
    """A ``## title`` section of a rule's documentation, its markdown (code blocks) intact."""
    match = re.search(rf"^## {re.escape(title)}\s*$(.*?)(?=^## |\Z)", markdown, re.M | re.S)
    return match.group(1).strip() if match else ""


def hover_markdown(findings: list[Finding]) -> str:
    parts = []
    for finding in findings:
        why, instead = _sections(finding.rule)
        rule = get_rule(finding.rule)
        text = f"**{finding.rule} {finding.name}**: {finding.message}"
        if why:
            text += f"\n\n#### Why is this bad?\n\n{why}"
        if instead:
            text += f"\n\n#### Use instead\n\n{instead}"
        if rule is not None:
            text += f"\n\n[{finding.rule} documentation]({rule_help_uri(rule)})"
        parts.append(text)
    return "\n\n---\n\n".join(parts)


# --- code actions ------------------------------------------------------------------------


def text_edit(source: SourceFile, edit: Edit, encoding: str) -> types.TextEdit:
    return types.TextEdit(range=client_range(source, edit.span, encoding), new_text=edit.text)


def code_actions(
    finding: Finding, source: SourceFile, tree: Tree | None, uri: str, encoding: str
) -> list[types.CodeAction]:
    """The finding's quick fix (if it has one), then disable-for-this-line and -file."""
    found = diagnostic(finding, source, uri, encoding)
    actions = []
    if finding.fix is not None:
        fix = finding.fix
        edits = [text_edit(source, e, encoding) for e in fix.edits]
        actions.append(
            types.CodeAction(
                title=f"{fix.description} ({finding.rule})"
                + ("" if fix.safe else " (unsafe: check the behaviour)"),
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[found],
                is_preferred=fix.safe,
                edit=types.WorkspaceEdit(changes={uri: edits}),
            )
        )
    line_edit = _disable_line_edit(finding, source, tree, encoding)
    file_edit = _disable_file_edit(finding, source)
    for title, edit in (
        (f"Disable {finding.rule} for this line", line_edit),
        (f"Disable {finding.rule} for this file", file_edit),
    ):
        actions.append(
            types.CodeAction(
                title=title,
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[found],
                edit=types.WorkspaceEdit(changes={uri: [edit]}),
            )
        )
    return actions


def fix_all(
    findings: list[Finding], source: SourceFile, uri: str, encoding: str
) -> types.CodeAction | None:
    """Every safe fix of the document at once (those that do not overlap), as
    `leaklint check --fix` would apply them; None when there is none."""
    safe = [f.fix for f in findings if f.fix is not None and f.fix.safe]
    chosen = non_overlapping(safe, len(source.data))
    if not chosen:
        return None
    edits = [text_edit(source, edit, encoding) for fix in chosen for edit in fix.edits]
    return types.CodeAction(
        title="Fix all safe leaklint problems",
        kind=FIX_ALL,
        edit=types.WorkspaceEdit(changes={uri: edits}),
    )


def _newline(source: SourceFile) -> str:
    return "\r\n" if b"\r\n" in source.data else "\n"


def _disable_line_edit(
    finding: Finding, source: SourceFile, tree: Tree | None, encoding: str
) -> types.TextEdit:
    """`// leaklint-disable-next-line LL00N -- <reason>` above the finding's line, at its
    indentation; inside JSX children, where `//` would be text, as `{/* … */}`."""
    line = finding.span.line
    text = source.line_text(line)
    indent = text[: len(text) - len(text.lstrip(" \t"))]
    directive = f"leaklint-disable-next-line {finding.rule} -- {REASON_PLACEHOLDER}"
    comment = f"// {directive}"
    if tree is not None and _starts_jsx_child(tree, source, line, len(indent)):
        comment = f"{{/* {directive} */}}"
    start = types.Position(line=line - 1, character=0)
    return types.TextEdit(
        range=types.Range(start=start, end=start),
        new_text=f"{indent}{comment}{_newline(source)}",
    )


def _starts_jsx_child(tree: Tree, source: SourceFile, line: int, indent_chars: int) -> bool:
    offset = _byte_offset(source, line, indent_chars)
    node: Node | None = tree.root_node.descendant_for_byte_range(offset, offset)
    while node is not None and node.parent is not None and node.parent.start_byte == offset:
        node = node.parent
    parent = node.parent if node is not None else None
    return parent is not None and parent.type in ("jsx_element", "jsx_fragment")


def _byte_offset(source: SourceFile, line: int, chars: int) -> int:
    return source.line_offset(line) + len(source.line_text(line)[:chars].encode("utf-8"))


def _disable_file_edit(finding: Finding, source: SourceFile) -> types.TextEdit:
    """`/* leaklint-disable LL00N -- <reason> */` on the first line (after a `#!` line)."""
    line = 1 if source.data.startswith(b"#!") else 0
    start = types.Position(line=line, character=0)
    directive = f"/* leaklint-disable {finding.rule} -- {REASON_PLACEHOLDER} */"
    return types.TextEdit(
        range=types.Range(start=start, end=start), new_text=f"{directive}{_newline(source)}"
    )
