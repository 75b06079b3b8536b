"""Run the selected rules over files and collect what they find.

The per-file step (``check_source``) is a pure function of the file's bytes and the settings,
which is what lets the cache and the worker pool wrap it without anything else knowing.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from leaklint.analysis.summary import SUMMARY_ANALYSES, may_link
from leaklint.analysis.summary import summarise as project_summary
from leaklint.model.findings import Finding, assign_occurrences
from leaklint.model.project import FileSummary, Suppressed
from leaklint.model.results import FileError, FileResult, display_path
from leaklint.model.settings import Settings
from leaklint.pipeline import parallel
from leaklint.pipeline.cache import ResultCache, cache_directory, content_hash
from leaklint.pipeline.project.link import (
    ProjectRun,
    attach_notes,
    drop_answered_unused_directives,
    inputs_unchanged,
    link_key,
    project_files,
    project_findings,
)
from leaklint.pipeline.selection import selected_rules
from leaklint.pipeline.suppressions import finalize_findings, find_directives
from leaklint.rules import Rule
from leaklint.semantic.context import FileContext
from leaklint.syntax.parsing import parse
from leaklint.syntax.source import SourceFile, package_type, real_directory

if TYPE_CHECKING:
    from leaklint.model.results import BaselineStatus

# Larger files are generated bundles or data; they are skipped with a note rather than parsed.
MAX_FILE_BYTES = 32 * 1024 * 1024


@dataclass
class RunResult:
    findings: list[Finding] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    files_checked: int = 0
    rules: list[type[Rule]] = field(default_factory=list)
    baseline: BaselineStatus | None = None  # set by the CLI when --baseline is used
    # Wall seconds of the project step (other files' summaries, the link, its findings),
    # which bench/link_share.py reports as a share of the run.
    link_seconds: float = 0.0


def rules_for(settings: Settings) -> list[type[Rule]]:
    return selected_rules(
        settings.select, settings.extend_select, settings.ignore, preview=settings.preview
    )


def check_source(
    source: SourceFile, settings: Settings, rules: Iterable[type[Rule]]
) -> list[Finding]:
    """All findings of ``rules`` in one file."""
    return check_and_summarise(source, settings, rules, summarise=False)[0]


def check_and_summarise(
    source: SourceFile, settings: Settings, rules: Iterable[type[Rule]], *, summarise: bool
) -> tuple[list[Finding], FileSummary | None]:
    """All findings of ``rules`` in one file and, with ``summarise``, the file's project
    summary — from the same parse and the same query pass."""
    rules = tuple(rules)  # iterated twice: to run, then to tell which rules ran
    tree = parse(source.data, source.language)
    ctx = FileContext(source=source, tree=tree, settings=settings)
    applicable = [rule for rule in rules if rule.applies_to(source.data, settings)]
    summarise = summarise and may_link(source.data)
    ctx.plan_queries([*applicable, _SummaryQueries] if summarise else applicable)
    for rule in applicable:
        rule().check(ctx)
    summary = _summary(ctx) if summarise else None
    # Per-file ignores and directive comments; sorts the findings.
    findings = finalize_findings(ctx, rules)
    # The context's caches refer back to it (lazy analyses close over ctx), so only the cycle
    # collector would free it — and the tree-sitter tree it keeps alive, whose memory Python
    # cannot see. Dropping the caches now frees the tree by reference counting.
    ctx.__dict__.clear()
    return findings, summary


def _summary(ctx: FileContext) -> FileSummary | None:
    """The file's project summary with its directive comments (so that findings the link
    makes later honour them); None when the summary cannot be made — the file's own
    findings still count, it just tells the rest of the project nothing."""
    try:
        summary = project_summary(ctx)
    except Exception:  # the file's own findings still count; it just tells the project nothing
        return None
    directives = tuple(
        Suppressed(
            d.codes, d.line, d.justification, ctx.source.position(d.node.start_byte).line, d.kind
        )
        for d in find_directives(ctx)
    )
    return replace(summary, directives=directives) if directives else summary


class _SummaryQueries:
    """The summary's patterns, planned into the file's one query pass like a rule's."""

    code = "summary"
    query = ""
    analyses = SUMMARY_ANALYSES


def check_path(
    path: Path, settings: Settings, rules: list[type[Rule]], *, summarise: bool = True
) -> FileResult:
    shown = display_path(path)
    try:
        stat = path.stat()
        if stat.st_size > MAX_FILE_BYTES:
            message = f"skipped: {stat.st_size // (1024 * 1024)} MB is over the 32 MB limit"
            return FileResult(shown, error=FileError(shown, message), checked=False)
        raw = path.read_bytes()
    except OSError as error:
        message = f"cannot read: {error.strerror or error}"
        return FileResult(shown, error=FileError(shown, message), checked=False)
    result = _check_bytes(path, shown, raw, settings, rules, summarise)
    result.mtime_ns, result.size, result.digest = stat.st_mtime_ns, stat.st_size, content_hash(raw)
    return result


def _check_bytes(
    path: Path,
    shown: str,
    raw: bytes,
    settings: Settings,
    rules: list[type[Rule]],
    summarise: bool,
) -> FileResult:
    source = SourceFile.from_bytes(path, raw, shown)
    if source.is_binary():
        return FileResult(shown, error=FileError(shown, "skipped: binary file"), checked=False)
    try:
        findings, summary = check_and_summarise(source, settings, rules, summarise=summarise)
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
    kept = summary.to_dict() if summary is not None and not summary.is_empty else None
    return FileResult(shown, findings=findings, summary=kept)


ProgressCallback = Callable[[int, int], None]


def run(
    paths: list[Path],
    settings: Settings,
    *,
    jobs: int | None = None,
    use_cache: bool = True,
    progress: ProgressCallback | None = None,
    whole_project: bool = False,
) -> RunResult:
    """Check ``paths``; results come back in the order of ``paths`` whatever the parallelism.

    ``whole_project``: ``paths`` are every file of the project root (the CLI was given the
    root), so the project step need not list the repository's other files."""
    # package.json files and symlinks may have changed since the last run in this process.
    package_type.cache_clear()
    real_directory.cache_clear()
    rules = rules_for(settings)
    result = RunResult(rules=rules)
    cache = _open_cache(settings, rules) if use_cache else None
    summaries: dict[Path, dict] = {}
    digests: dict[Path, str] = {}
    with _fewer_garbage_collections():
        for path, file_result in zip(
            paths, _results(paths, settings, rules, cache, jobs, progress), strict=True
        ):
            if file_result.checked:
                result.files_checked += 1
            result.findings.extend(file_result.findings)
            if file_result.error is not None:
                result.errors.append(file_result.error)
            _keep_summary(path, file_result, summaries, digests)
        started = time.perf_counter()
        if paths:
            others = [] if whole_project else project_files(paths, settings)
            _project_step(paths, others, settings, rules, cache, jobs, summaries, digests, result)
        result.link_seconds = time.perf_counter() - started
    if cache is not None:
        cache.save()
    result.findings.sort(key=lambda f: f.sort_key)
    assign_occurrences(result.findings)
    return result


def _keep_summary(
    path: Path, file_result: FileResult, summaries: dict[Path, dict], digests: dict[Path, str]
) -> None:
    if file_result.summary is not None:
        summaries[path] = file_result.summary
    digests[path] = file_result.digest


def _project_step(
    paths: list[Path],
    others: list[Path],
    settings: Settings,
    rules: list[type[Rule]],
    cache: ResultCache | None,
    jobs: int | None,
    summaries: dict[Path, dict],
    digests: dict[Path, str],
    result: RunResult,
) -> None:
    """The rest of the repository's summaries when only some of its files were asked for (a
    pre-commit run passes the staged ones), mostly from the cache; then the link's findings —
    from the cache too when no file and no configuration file it read has changed."""
    for path, file_result in zip(
        others, _results(others, settings, rules, cache, jobs, None), strict=True
    ):
        _keep_summary(path, file_result, summaries, digests)
    key = link_key(paths, digests)
    linked = cache.project(key) if cache is not None else None
    if linked is None or not inputs_unchanged(linked):
        linked = project_findings(paths, summaries, settings, rules)
        if cache is not None:
            cache.store_project(key, linked.to_cache())
    else:
        linked = ProjectRun.from_cache(linked)
    result.findings.extend(linked.findings)
    attach_notes(result.findings, linked.notes)
    drop_answered_unused_directives(result.findings, linked.answered)


@contextlib.contextmanager
def _fewer_garbage_collections() -> Iterator[None]:
    """Checking a file makes hundreds of thousands of short-lived objects (nodes, captures,
    bindings); at Python's default threshold of 700 allocations the cycle collector runs very
    often (measured: ~3 % of a cold CLI run, 9 % in an in-process harness that kept every
    file's source alive). A file's analysis leaves no cycles behind (the
    engine drops its caches), so collecting ~15 times less often only delays, never leaks.
    Workers are forked inside, so they inherit the setting."""
    previous = gc.get_threshold()
    gc.set_threshold(10_000, *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def _open_cache(settings: Settings, rules: list[type[Rule]]) -> ResultCache:
    key = "|".join((settings.cache_key(), ",".join(r.code for r in rules), _code_signature()))
    return ResultCache(cache_directory(settings.root), key)


@functools.cache
def _code_signature() -> str:
    """Size and mtime of leaklint's own modules and data: a rule edited in a source checkout
    must not be answered from results its previous version computed (the version number
    alone only changes on release)."""
    package = Path(__file__).resolve().parent
    parts = []
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".json"):
            stat = path.stat()
            parts.append(f"{path.relative_to(package)}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _results(
    paths: list[Path],
    settings: Settings,
    rules: list[type[Rule]],
    cache: ResultCache | None,
    jobs: int | None,
    progress: ProgressCallback | None,
) -> Iterator[FileResult]:
    hits = [cache.lookup(path) if cache is not None else None for path in paths]
    misses = [path for path, hit in zip(paths, hits, strict=True) if hit is None]
    fresh = _check_many(misses, settings, rules, jobs)
    for done, (path, hit) in enumerate(zip(paths, hits, strict=True), start=1):
        if hit is not None:
            file_result = FileResult.from_cache(hit)
            file_result.digest = cache.digest(path) if cache is not None else ""
        else:
            file_result = next(fresh)
            if cache is not None and file_result.digest:
                cache.store(
                    path,
                    file_result.mtime_ns,
                    file_result.size,
                    file_result.digest,
                    file_result.to_cache(),
                )
        if progress is not None:
            progress(done, len(paths))
        yield file_result


def _check_many(
    paths: list[Path], settings: Settings, rules: list[type[Rule]], jobs: int | None
) -> Iterator[FileResult]:
    workers = effective_jobs(jobs)
    if workers <= 1 or len(paths) < _MIN_FILES_PER_WORKER * 2:
        for path in paths:
            yield check_path(path, settings, rules)
        return
    yield from parallel.check_in_pool(
        paths, settings, [r.code for r in rules], workers, check=check_path
    )


# Below this many files per worker, starting processes costs more than it saves.
_MIN_FILES_PER_WORKER = 8


def effective_jobs(jobs: int | None) -> int:
    if jobs is not None and jobs > 0:
        return jobs
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)
