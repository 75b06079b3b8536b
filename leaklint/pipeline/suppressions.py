"""What the user has said not to report: per-file ignores in config and directive comments.

Runs once per file, after every rule has reported (``finalize_findings``), so the result is
still a pure function of the file and the settings and can be cached with it.

* ``[tool.leaklint.per-file-ignores]`` drops a rule's findings in matching files, as ruff does:
  the rule simply does not apply there.
* Directive comments mark findings as suppressed (``Suppression("inSource", reason)``) rather
  than dropping them, so SARIF can still show them as suppressed alerts:

  - ``// leaklint-disable-next-line LL003 -- reason``: the line after the comment;
  - ``// leaklint-disable-line LL002``: the comment's own line;
  - ``/* leaklint-disable LL005 */``: the whole file, wherever the comment is.

  Without codes a directive covers every rule. Codes may be separated by commas or spaces,
  and rule names work too. Directives are found among tree-sitter ``comment`` nodes, so a
  string that happens to contain the text does not count.
* With LL100 enabled (``--report-unused-disables``), directives that suppressed nothing are
  reported, as ESLint's ``--report-unused-disable-directives`` does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import pathspec

from leaklint.model.directives import Directive
from leaklint.model.findings import Finding, Suppression
from leaklint.pipeline.selection import rule_matches
from leaklint.rules import get_rule
from leaklint.syntax.parsing import captures

if TYPE_CHECKING:
    from leaklint.model.settings import Settings
    from leaklint.rules import Rule
    from leaklint.semantic.context import FileContext

UNUSED_DIRECTIVE_CODE = "LL100"

# The directive must open the comment (after `//`, `/*` and any JSDoc `*`), as in ESLint: a
# comment that merely mentions it ("see leaklint-disable-line") is prose, not a directive.
_DIRECTIVE = re.compile(
    r"^leaklint-(?P<kind>disable-next-line|disable-line|disable)(?=\s|$)(?P<rest>.*)$", re.DOTALL
)


def comment_body(text: str) -> str:
    """The text of a comment without its delimiters (and JSDoc-style leading stars)."""
    if text.startswith("//"):
        return text[2:].strip()
    if text.startswith("/*"):
        body = text[2:-2] if text.endswith("*/") else text[2:]
        return body.strip().lstrip("*").strip()
    return text.strip()


def parse_directive(text: str) -> tuple[str, tuple[str, ...], tuple[str, ...], str] | None:
    """``(kind, codes, unknown, justification)`` for a directive comment, else None."""
    match = _DIRECTIVE.match(comment_body(text))
    if match is None:
        return None
    words, _, reason = match.group("rest").partition("--")
    codes: list[str] = []
    unknown: list[str] = []
    for word in re.split(r"[\s,]+", words.strip()):
        if not word:
            continue
        rule = get_rule(word)
        if rule is None:
            unknown.append(word)
        elif rule.code not in codes:
            codes.append(rule.code)
    return match.group("kind"), tuple(codes), tuple(unknown), " ".join(reason.split())


def find_directives(ctx: FileContext) -> list[Directive]:
    # The substring test keeps the comment query off the vast majority of files.
    if b"leaklint-disable" not in ctx.source.data:
        return []
    comments = captures(ctx.source.language, "(comment) @comment", ctx.tree.root_node)
    directives = []
    for node in sorted(comments.get("comment", ()), key=lambda n: n.start_byte):
        parsed = parse_directive(ctx.text(node))
        if parsed is None:
            continue
        kind, codes, unknown, justification = parsed
        span = ctx.span(node)
        line = {"disable-line": span.line, "disable-next-line": span.end_line + 1}.get(kind)
        directives.append(Directive(kind, node, codes, unknown, justification, line))
    return directives


def apply_directives(findings: Iterable[Finding], directives: list[Directive]) -> None:
    """Mark covered findings as suppressed; a line directive wins over a file-wide one."""
    ordered = sorted(directives, key=lambda d: d.line is None)
    for finding in findings:
        if finding.rule == UNUSED_DIRECTIVE_CODE:
            continue
        directive = next((d for d in ordered if d.covers(finding)), None)
        if directive is None:
            continue
        directive.used = True
        directive.used_codes.add(finding.rule)
        finding.suppression = Suppression("inSource", directive.justification)


# --- per-file ignores ------------------------------------------------------------------


@lru_cache(maxsize=32)
def _per_file_specs(
    entries: tuple[tuple[str, tuple[str, ...]], ...],
) -> tuple[tuple[pathspec.PathSpec, tuple[str, ...]], ...]:
    return tuple((pathspec.GitIgnoreSpec.from_lines([glob]), codes) for glob, codes in entries)


def relative_to_root(path: Path, root: Path) -> str | None:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def ignored_selectors(path: Path, settings: Settings) -> tuple[str, ...]:
    """The rule selectors that per-file-ignores turn off for ``path``.

    Globs are gitignore-style and relative to the directory of the config file: ``*.test.js``
    matches at any depth, ``src/legacy/**`` only under that directory.
    """
    if not settings.per_file_ignores:
        return ()
    relative = relative_to_root(path, settings.root)
    if relative is None:
        return ()
    selectors: list[str] = []
    for spec, codes in _per_file_specs(settings.per_file_ignores):
        if spec.match_file(relative):
            selectors.extend(codes)
    return tuple(selectors)


def is_ignored(rule: type[Rule], selectors: tuple[str, ...]) -> bool:
    return any(rule_matches(selector, rule) for selector in selectors)


# --- the per-file post-processing step ---------------------------------------------------


def finalize_findings(ctx: FileContext, rules: Iterable[type[Rule]]) -> list[Finding]:
    """Apply per-file ignores and directive comments to one file's findings (sorted)."""
    selectors = ignored_selectors(ctx.source.path, ctx.settings)
    active = [rule for rule in rules if not is_ignored(rule, selectors)]
    active_codes = {rule.code for rule in active}
    ctx.findings = [f for f in ctx.findings if f.rule in active_codes]
    directives = find_directives(ctx)
    if directives:
        apply_directives(ctx.findings, directives)
        reporter = next((r for r in active if r.code == UNUSED_DIRECTIVE_CODE), None)
        if reporter is not None:
            reporter().report_unused(ctx, directives, active_codes)
    ctx.findings.sort(key=lambda f: f.sort_key)
    return ctx.findings
