"""Open documents and their findings, independent of the LSP machinery.

Each open document keeps what its next check needs and nothing more: the tree of its last
parse with the bytes it was parsed from (the incremental re-parse starts there) and the
findings of the version that was checked. The text itself lives in pygls' workspace. Both are
dropped when the editor closes the document, so memory follows the open documents.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from leaklint.config import CONFIG_NAMES, ConfigError, Settings, load_settings
from leaklint.model.findings import Finding, Severity, Span
from leaklint.model.results import display_path
from leaklint.pipeline.discovery import IgnoreCache, is_excluded
from leaklint.pipeline.engine import check_source, rules_for
from leaklint.rules import Rule, get_rule
from leaklint.syntax.parsing import ParseState, parse_incremental
from leaklint.syntax.source import Language, SourceFile, language_for

# What an editor calls the languages, for documents without a file name (untitled buffers).
LANGUAGE_IDS: dict[str, str] = {
    "javascript": ".js",
    "javascriptreact": ".jsx",
    "typescript": ".ts",
    "typescriptreact": ".tsx",
}

# Told about one rule's failure: (rule code, document path, traceback text).
RuleFailure = Callable[[str, Path, str], None]


@dataclass
class OpenDocument:
    uri: str
    path: Path
    language: Language
    parse_state: ParseState | None = None
    checked_version: int | None = None  # the version ``findings`` belong to
    checked_generation: int = -1  # the configuration they were computed with
    findings: list[Finding] = field(default_factory=list)
    source: SourceFile | None = None  # of the checked version: positions, line texts
    changed_at: float = 0.0  # time.monotonic() of the last edit
    # Project-wide findings of the saved file (settings.project), and the project generation
    # (saves and watched source changes) they were computed at.
    project_findings: list[Finding] = field(default_factory=list)
    project_generation: int = -1


def document_path(path: Path | None, language_id: str, fallback_directory: Path) -> Path | None:
    """The path a document is checked as, or None when leaklint does not check it.

    A named file is judged by its name, as `leaklint check` would; an untitled one by the
    editor's language id."""
    if path is not None and path.suffix:
        return path if language_for(path) is not None else None
    suffix = LANGUAGE_IDS.get(language_id)
    if suffix is None:
        return None
    name = path.name if path is not None else "untitled"
    return (path.parent if path is not None else fallback_directory) / f"{name}{suffix}"


class ProjectSettings:
    """Settings per workspace folder, discovered as the CLI does from that directory; a
    document outside every folder is configured from its own directory upward."""

    def __init__(self) -> None:
        self._by_start: dict[Path, Settings | ConfigError] = {}
        self.ignores = IgnoreCache()
        self.generation = 0  # bumped whenever configuration may have changed

    def clear(self) -> None:
        self._by_start.clear()
        self.ignores = IgnoreCache()
        self.generation += 1

    def for_document(self, path: Path, folders: list[Path]) -> Settings:
        """Raises ``ConfigError`` for a broken configuration file."""
        start = _innermost_folder(path, folders) or path.parent
        if start not in self._by_start:
            try:
                self._by_start[start] = load_settings(start=start)
            except ConfigError as error:
                self._by_start[start] = error
        found = self._by_start[start]
        if isinstance(found, ConfigError):
            raise found
        return found


def _innermost_folder(path: Path, folders: list[Path]) -> Path | None:
    containing = [f for f in folders if path == f or f in path.parents]
    return max(containing, key=lambda f: len(f.parts)) if containing else None


# Files whose change can change what is checked or how: configuration, module kinds, ignores.
WATCHED_NAMES = frozenset({*CONFIG_NAMES, "package.json", ".gitignore"})


def is_config_file(path: Path) -> bool:
    return path.name in WATCHED_NAMES


def check_document(
    document: OpenDocument,
    text: str,
    settings: Settings,
    on_rule_failure: RuleFailure,
    ignores: IgnoreCache | None = None,
) -> list[Finding]:
    """The findings `leaklint check` reports for ``text`` saved at the document's path
    (suppressed ones left out), re-parsing incrementally from the last version."""
    if is_excluded(document.path, settings, ignores):
        document.parse_state, document.source = None, None
        return []
    # A lone surrogate (a client's JSON can carry one) becomes "?": one character for one,
    # so every column after it stays where the editor has it.
    data = text.encode("utf-8", errors="replace")
    source = SourceFile.from_bytes(document.path, data, display_path(document.path))
    document.source = source
    if source.is_binary():
        return []

    def rule_failed(rule: type[Rule], error: Exception) -> None:
        trace = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        on_rule_failure(rule.code, document.path, trace)

    try:
        tree, document.parse_state = parse_incremental(
            source.data, source.language, document.parse_state
        )
        findings = check_source(
            source, settings, rules_for(settings), tree=tree, on_rule_error=rule_failed
        )
    except Exception as error:  # RecursionError, or a failure outside any rule
        document.parse_state = None  # start the next parse afresh
        on_rule_failure("engine", document.path, traceback.format_exc())
        return [analysis_failure(source, error)]
    return [f for f in findings if f.suppression is None]


def project_findings_of(path: Path, settings: Settings) -> list[Finding]:
    """The findings that only project-wide analysis makes in the *saved* file at ``path``
    (those with a related location in another module), from the same run `leaklint check
    --project` makes: the other files' summaries come from the cache the CLI writes, so this
    costs a link, not a check of the repository — except on a cold cache."""
    from leaklint.pipeline.engine import run

    if not path.is_file():
        return []
    result = run([path], settings, use_cache=True, named=[path])
    return [
        finding
        for finding in result.findings
        if finding.suppression is None
        and any(item.path and item.path != finding.path for item in finding.related)
    ]


def analysis_failure(source: SourceFile, error: Exception) -> Finding:
    """An LL000 diagnostic on the first line, so the editor shows that this document went
    unchecked instead of silently showing nothing."""
    rule = get_rule("LL000")
    assert rule is not None
    reason = (
        "it nests too deeply to analyse"
        if isinstance(error, RecursionError)
        else f"of an internal error ({type(error).__name__})"
    )
    return Finding(
        rule=rule.code,
        name=rule.name,
        path=source.display_path,
        span=Span(1, 1, 1, max(2, len(source.line_text(1)) + 1)),
        message=f"leaklint could not check this file because {reason}; see the server log.",
        severity=Severity.WARNING,
    )
