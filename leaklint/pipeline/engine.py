"""Run the selected rules over files and collect what they find.

The per-file step (``check_source``) is a pure function of the file's bytes and the settings,
which is what lets the cache and the worker pool wrap it without anything else knowing.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import json
import os
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leaklint import budget
from leaklint.fsutil import FileTooLargeError, NotRegularFileError, read_regular_file
from leaklint.model.findings import Finding, assign_occurrences
from leaklint.model.project import FileSummary, Suppressed
from leaklint.model.results import FileError, FileResult, display_path
from leaklint.model.settings import Settings, SettingsResolver, as_resolver
from leaklint.pipeline.cache import ResultCache, cache_directory, content_hash
from leaklint.pipeline.project.incremental import (
    LinkState,
    components,
    file_order,
    link_all,
    relink,
)
from leaklint.pipeline.project.link import (
    ProjectRun,
    apply_verdicts,
    attach_notes,
    drop_answered_unused_directives,
    inputs_unchanged,
    link_key,
    project_files,
)
from leaklint.pipeline.selection import selected_codes, selected_rules
from leaklint.rules import Rule, RuleSet, load_rules
from leaklint.syntax.source import (
    SourceFile,
    file_environment,
    meteor_package,
    package_type,
    real_directory,
)

if TYPE_CHECKING:
    from tree_sitter import Tree

    from leaklint.model.results import BaselineStatus
    from leaklint.semantic.context import FileContext

# Larger files are generated bundles or data; they are skipped with a note rather than parsed.
MAX_FILE_BYTES = 32 * 1024 * 1024


@dataclass
class RunResult:
    findings: list[Finding] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    files_checked: int = 0
    # Files passed over on purpose (generated or minified), as (path, reason).
    skipped: list[FileError] = field(default_factory=list)
    # (path, seconds) of every file checked in this run, not answered from the cache.
    timings: list[tuple[str, float]] = field(default_factory=list)
    # A RuleSet when a run made it: the classes are imported only if a reporter reads them.
    rules: Sequence[type[Rule]] = field(default_factory=list)
    baseline: BaselineStatus | None = None  # set by the CLI when --baseline is used
    # Wall seconds of the project step (other files' summaries, the link, its findings),
    # which bench/link_share.py reports as a share of the run.
    link_seconds: float = 0.0


def rules_for(settings: Settings) -> list[type[Rule]]:
    return selected_rules(
        settings.select, settings.extend_select, settings.ignore, preview=settings.preview
    )


def rule_codes_for(settings: Settings) -> list[str]:
    """The codes of ``rules_for(settings)``, without importing a rule module."""
    return selected_codes(
        settings.select, settings.extend_select, settings.ignore, preview=settings.preview
    )


# Called with the rule and the exception when one rule fails on a file.
RuleErrorHandler = Callable[[type[Rule], Exception], None]


def check_source(
    source: SourceFile,
    settings: Settings,
    rules: Iterable[type[Rule]],
    *,
    tree: Tree | None = None,
    on_rule_error: RuleErrorHandler | None = None,
    summary_into: list[FileSummary | None] | None = None,
) -> list[Finding]:
    """All findings of ``rules`` in one file.

    ``tree``: the file already parsed (the language server re-parses incrementally).
    ``on_rule_error``: when given, a rule that raises loses its own findings, the handler is
    told, and the other rules still report; without it the exception propagates.
    ``summary_into``: when given, the file's project summary (or None) is appended to it —
    made from the same parse and the same query pass as the findings.
    """
    findings, summary = check_and_summarise(
        source,
        settings,
        rules,
        summarise=summary_into is not None,
        tree=tree,
        on_rule_error=on_rule_error,
    )
    if summary_into is not None:
        summary_into.append(summary)
    return findings


def check_and_summarise(
    source: SourceFile,
    settings: Settings,
    rules: Iterable[type[Rule]],
    *,
    summarise: bool,
    tree: Tree | None = None,
    on_rule_error: RuleErrorHandler | None = None,
) -> tuple[list[Finding], FileSummary | None]:
    """All findings of ``rules`` in one file (see ``check_source``) and, with ``summarise``,
    the file's project summary — from the same parse and the same query pass."""
    # Imported here, not at the top: the parser, the semantic model and the analyses are
    # ~0.1 s of start-up that a run answered from the cache never needs.
    from leaklint.analysis.summary import may_link
    from leaklint.pipeline.suppressions import finalize_findings
    from leaklint.semantic.context import FileContext
    from leaklint.syntax.parsing import parse

    rules = tuple(rules)  # iterated twice: to run, then to tell which rules ran
    with budget.limited(settings.file_time_budget, len(source.data)):
        if tree is None:
            tree = parse(source.data, source.language)
        ctx = FileContext(source=source, tree=tree, settings=settings)
        applicable = [rule for rule in rules if rule.applies_to(source.data, settings)]
        summarise = summarise and may_link(source.data)
        ctx.plan_queries([*applicable, _summary_queries()] if summarise else applicable)
        try:
            for rule in applicable:
                budget.check_now()
                _run_rule(rule, ctx, on_rule_error)
            summary = _summary(ctx) if summarise else None
            # Per-file ignores and directive comments; sorts the findings.
            findings = finalize_findings(ctx, rules)
        except budget.AnalysisStopped:
            ctx.__dict__.clear()  # free the tree now, as below
            raise
    # The context's caches refer back to it (lazy analyses close over ctx), so only the cycle
    # collector would free it — and the tree-sitter tree it keeps alive, whose memory Python
    # cannot see. Dropping the caches now frees the tree by reference counting.
    ctx.__dict__.clear()
    return findings, summary


def _run_rule(rule: type[Rule], ctx: FileContext, on_error: RuleErrorHandler | None) -> None:
    if on_error is None:
        rule().check(ctx)
        return
    reported = len(ctx.findings)
    try:
        rule().check(ctx)
    except (RecursionError, budget.AnalysisStopped):
        raise  # the file is too deep (or too slow) for every rule alike: the caller skips it
    except Exception as error:
        # Findings made before the failure may rest on a half-done analysis: drop them.
        del ctx.findings[reported:]
        on_error(rule, error)


def _summary(ctx: FileContext) -> FileSummary | None:
    """The file's project summary with its directive comments (so that findings the link
    makes later honour them); None when the summary cannot be made — the file's own
    findings still count, it just tells the rest of the project nothing."""
    from leaklint.analysis.callers import once_verdicts, stored_handles
    from leaklint.analysis.summary import summarise as project_summary
    from leaklint.pipeline.suppressions import find_directives

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
    # What the rules' per-call findings become if the link finds their callers run once.
    conditional = once_verdicts(ctx)
    # LL002's handles stored on an object whose other methods may live in other files.
    handles = stored_handles(ctx)
    if directives or conditional or handles:
        return replace(summary, directives=directives, conditional=conditional, handles=handles)
    return summary


@functools.cache
def _summary_queries() -> type:
    """The summary's patterns, planned into the file's one query pass like a rule's (made on
    first use: the analyses they come from are imported only when a file is checked)."""
    from leaklint.analysis.summary import SUMMARY_ANALYSES

    attributes = {"code": "summary", "query": "", "analyses": SUMMARY_ANALYSES}
    return type("_SummaryQueries", (), attributes)


def check_path(
    path: Path, settings: Settings, rules: list[type[Rule]], *, summarise: bool | None = None
) -> FileResult:
    """One file's result; with project-wide analysis on (``settings.project``, or
    ``summarise``), also its summary for the link."""
    if summarise is None:
        summarise = settings.project
    shown = display_path(path)
    try:
        stat = path.stat()
        if stat.st_size > MAX_FILE_BYTES:
            return _too_large(shown, stat.st_size)
        # The stat above only saves opening files that are plainly too large: what is read
        # (the type of the open file, the bytes) is checked again on the open descriptor.
        raw, stat = read_regular_file(path, MAX_FILE_BYTES)
    except FileTooLargeError:
        return _too_large(shown, None)  # it grew past the limit after the stat
    except NotRegularFileError as error:
        return FileResult(shown, error=FileError(shown, f"skipped: {error}"), checked=False)
    except OSError as error:
        message = f"cannot read: {error.strerror or error}"
        return FileResult(shown, error=FileError(shown, message), checked=False)
    if not settings.check_generated:
        from leaklint.syntax.generated import generated_reason

        reason = generated_reason(raw, path.name)
        if reason is not None:  # not cached: telling costs a few kilobytes of reading
            return FileResult(shown, checked=False, skipped=reason)
    started = time.perf_counter()
    result = _check_bytes(path, shown, raw, settings, rules, summarise)
    result.seconds = time.perf_counter() - started
    result.mtime_ns, result.size, result.digest = stat.st_mtime_ns, stat.st_size, content_hash(raw)
    return result


def _too_large(shown: str, size: int | None) -> FileResult:
    amount = f"{size // (1024 * 1024)} MB" if size is not None else "more than 32 MB"
    message = f"skipped: {amount} is over the 32 MB limit"
    return FileResult(shown, error=FileError(shown, message), checked=False)


def check_text_of(path: Path, raw: bytes, settings: Settings | SettingsResolver) -> RunResult:
    """Check ``raw`` as the content of ``path`` (an editor's buffer sent on stdin): the
    settings and language of ``path`` apply, nothing is read from disk or cached."""
    file_settings = as_resolver(settings).for_file(path)
    rules = rules_for(file_settings)
    shown = "-" if path == Path("-") else display_path(path)
    file_result = _check_bytes(path, shown, raw, file_settings, rules, summarise=False)
    result = RunResult(rules=rules, files_checked=int(file_result.checked))
    result.findings = file_result.findings
    if file_result.error is not None:
        result.errors.append(file_result.error)
    assign_occurrences(result.findings)
    return result


def _check_bytes(
    path: Path,
    shown: str,
    raw: bytes,
    settings: Settings,
    rules: list[type[Rule]],
    summarise: bool = False,
) -> FileResult:
    source = SourceFile.from_bytes(path, raw, shown)
    if source.is_binary():
        return FileResult(shown, error=FileError(shown, "skipped: binary file"), checked=False)
    failures: list[str] = []

    def rule_failed(rule: type[Rule], error: Exception) -> None:
        failures.append(f"{rule.code}: {type(error).__name__}: {error}")

    try:
        # Through check_source (not check_and_summarise): what tests and tools patch.
        box: list[FileSummary | None] | None = [] if summarise else None
        findings = check_source(
            source, settings, rules, on_rule_error=rule_failed, summary_into=box
        )
        summary = box[0] if box else None
    except RecursionError:
        return FileResult(
            shown, error=FileError(shown, "skipped: nesting too deep to analyse"), checked=False
        )
    except budget.AnalysisStopped as stopped:
        # Remembered by the cache like any result: the same bytes are not tried again.
        return FileResult(shown, error=FileError(shown, str(stopped)), checked=False)
    except Exception as error:  # one broken file never stops the run
        return FileResult(
            shown,
            error=FileError(shown, f"internal error: {type(error).__name__}: {error}"),
            checked=False,
        )
    if summary is not None and summary.is_empty:
        summary = None
    kept = summary.to_dict() if summary is not None else None
    error = None
    if failures:
        # The other rules' findings stand; the error says which rule could not check the file.
        error = FileError(shown, "internal error in rule " + "; ".join(failures))
    return FileResult(
        shown,
        findings=findings,
        error=error,
        summary=kept,
        decoded_summary=summary,
        summary_digest=summary_digest(kept),
    )


def summary_digest(summary: dict[str, Any] | None) -> str:
    """What the link reads of a file, as a digest ("" for a file that tells it nothing)."""
    if summary is None:
        return ""
    return content_hash(json.dumps(summary, sort_keys=True).encode("ascii"))


ProgressCallback = Callable[[int, int], None]


def run(
    paths: list[Path],
    settings: Settings | SettingsResolver,
    *,
    jobs: int | None = None,
    use_cache: bool = True,
    progress: ProgressCallback | None = None,
    named: Collection[Path] = (),
    whole_project: bool = False,
    stats: dict[str, os.stat_result] | None = None,
) -> RunResult:
    """Check ``paths``; results come back in the order of ``paths`` whatever the parallelism.

    Each file is checked with its own settings (``SettingsResolver``): files that share a
    configuration form a profile with its rules and its cache. Files in ``named`` were named
    on the command line: they are checked even when they look generated.

    ``whole_project``: ``paths`` are every file of the project root (the CLI was given the
    root), so the project step need not list the repository's other files.

    ``stats``: the ``stat`` of files by ``str(path)`` (discovery's), for the cache lookups,
    which take them out of it; they must be as fresh as a ``stat`` here would be (not from
    before a ``--fix``)."""
    # package.json files and symlinks may have changed since the last run in this process.
    package_type.cache_clear()
    meteor_package.cache_clear()
    real_directory.cache_clear()
    resolver = as_resolver(settings)
    started = time.perf_counter()
    project = resolver.base.project  # project-wide analysis: opt-in (Settings.project)
    listed = whole_project or not paths or not project
    others = [] if listed else project_files(paths, resolver.base)
    listing_seconds = time.perf_counter() - started
    profiles, profile_of = _profiles([*paths, *others], resolver, use_cache, set(named))
    asked = profile_of[: len(paths)]
    result = RunResult(
        rules=_all_rules([profiles[i] for i in sorted(set(asked))] if asked else profiles)
    )
    summaries: dict[Path, FileSummary | StoredSummary] = {}
    digests: dict[Path, str] = {}
    with _fewer_garbage_collections():
        for path, file_result in zip(
            paths, _results(paths, profiles, asked, jobs, progress, stats), strict=True
        ):
            if file_result.checked:
                result.files_checked += 1
            result.findings.extend(file_result.findings)
            if file_result.error is not None:
                result.errors.append(file_result.error)
            if file_result.skipped is not None:
                result.skipped.append(FileError(file_result.path, file_result.skipped))
            if file_result.seconds:
                result.timings.append((file_result.path, file_result.seconds))
            _keep_summary(path, file_result, summaries, digests)
        started = time.perf_counter()
        if paths and project:
            _project_step(
                paths, others, resolver.base, profiles, profile_of, jobs, summaries, digests, result
            )
        result.link_seconds = listing_seconds + time.perf_counter() - started
    for profile in profiles:
        if profile.cache is not None:
            profile.cache.save()
    result.findings.sort(key=lambda f: f.sort_key)
    assign_occurrences(result.findings)
    return result


@dataclass
class Profile:
    """The files of one configuration: its settings, the codes of the rules they select,
    their cache. ``rules``, the classes, are imported when a file of it is checked."""

    settings: Settings
    codes: list[str]
    cache: ResultCache | None

    @functools.cached_property
    def rules(self) -> list[type[Rule]]:
        return load_rules(self.codes)


def _profiles(
    paths: list[Path], resolver: SettingsResolver, use_cache: bool, named: set[Path]
) -> tuple[list[Profile], list[int]]:
    """Distinct settings among ``paths`` (by identity: the resolver makes one object per
    configuration file) and the index of each path's profile."""
    index_of: dict[int, int] = {}
    profiles: list[Profile] = []
    profile_of: list[int] = []
    checking_generated: dict[int, Settings] = {}
    for path in paths:
        settings = resolver.for_file(path)
        if path in named and not settings.check_generated:
            # One derived object per configuration, so that the identity grouping holds.
            if id(settings) not in checking_generated:
                derived = settings.with_overrides(check_generated=True)
                checking_generated[id(settings)] = derived
            settings = checking_generated[id(settings)]
        if id(settings) not in index_of:
            index_of[id(settings)] = len(profiles)
            codes = rule_codes_for(settings)
            cache = _open_cache(settings, codes) if use_cache else None
            profiles.append(Profile(settings, codes, cache))
        profile_of.append(index_of[id(settings)])
    if not profiles:  # nothing to check: the rules of the current directory's settings
        profiles.append(Profile(resolver.base, rule_codes_for(resolver.base), None))
    return profiles, profile_of


def _all_rules(profiles: list[Profile]) -> RuleSet:
    """Every rule any profile runs, in code order (what SARIF lists as the tool's rules),
    imported only if a reporter reads them."""
    return RuleSet(sorted({code for profile in profiles for code in profile.codes}))


@dataclass(frozen=True)
class StoredSummary:
    """A cached file's summary, known by its digest only: read from the cache's summary
    store (and decoded) only if the link must be recomputed for its part of the project."""

    digest: str


def _keep_summary(
    path: Path,
    file_result: FileResult,
    summaries: dict[Path, FileSummary | StoredSummary],
    digests: dict[Path, str],
) -> None:
    """The file's summary for the link: decoded when this run made it, else its digest
    (``_decoded_summaries`` reads those only if the link must be recomputed)."""
    if file_result.decoded_summary is not None:
        summaries[path] = file_result.decoded_summary
    elif file_result.summary is not None:
        summaries[path] = FileSummary.from_dict(file_result.summary)
    elif file_result.summary_digest:
        summaries[path] = StoredSummary(file_result.summary_digest)
    # The link is a function of the summaries (and of which files exist), not of the bytes.
    digests[path] = file_result.summary_digest or summary_digest(file_result.summary)


def _project_step(
    paths: list[Path],
    others: list[Path],
    root_settings: Settings,
    profiles: list[Profile],
    profile_of: list[int],
    jobs: int | None,
    summaries: dict[Path, FileSummary | StoredSummary],
    digests: dict[Path, str],
    result: RunResult,
) -> None:
    """The rest of the repository's summaries when only some of its files were asked for (a
    pre-commit run passes the staged ones), mostly from the cache; then the link's findings —
    from the cache too when no summary and no configuration file it read has changed, and
    recomputed over only the changed files' part of the project when just summaries did
    (``incremental``). Each file
    the link reports in is judged with its own profile's settings and rules; the link's result
    is cached with the profile of the first file asked for, keyed by every profile in play."""
    asked = profile_of[: len(paths)]
    for path, file_result in zip(
        others, _results(others, profiles, profile_of[len(paths) :], jobs, None), strict=True
    ):
        _keep_summary(path, file_result, summaries, digests)
    used = sorted(set(asked))
    configuration = "\x1f".join(
        f"{profiles[i].settings.cache_key()}|{','.join(profiles[i].codes)}" for i in used
    )
    configured = hashlib.sha256(configuration.encode()).hexdigest()[:16]
    cache = profiles[asked[0]].cache
    absolute = {path: os.path.abspath(path) for path in digests}
    order = file_order(absolute)
    now = _in_order(order, digests, absolute)
    key = link_key(paths, order, absolute) + configured
    linked, stored_state = _cached_link(cache, key)
    state: LinkState | None = None
    if linked is None or not _same_digests(stored_state, now):
        if linked is not None:
            state = LinkState.from_cache(stored_state, len(order))
        profile_by_path = {
            path: profiles[index] for path, index in zip([*paths, *others], profile_of, strict=True)
        }
        linked, state = _linked_again(
            paths,
            summaries,
            digests,
            absolute,
            order,
            root_settings,
            profile_by_path,
            linked,
            state,
        )
        if cache is not None:
            cache.store_project(key, linked.to_cache(), state.to_cache())
    relinked = state

    def link_state() -> LinkState | None:
        return relinked or LinkState.from_cache(stored_state, len(order))

    _place_summaries(profiles, link_state)
    result.findings.extend(linked.findings)
    attach_notes(result.findings, linked.notes)
    apply_verdicts(result.findings, linked.verdicts)
    drop_answered_unused_directives(result.findings, linked.answered)


def _same_digests(stored_state: Any, now: list[str]) -> bool:
    """Whether the cached link was computed from these summaries: read from the stored
    state's digests alone, since its edges are needed only to relink (decoding them was a
    third of the warm run's link step)."""
    return isinstance(stored_state, dict) and stored_state.get("digests") == now


def _place_summaries(profiles: list[Profile], state_of: Callable[[], LinkState | None]) -> None:
    """Tell each cache the link's components, so that the summaries it writes are stored
    by component and a later relink reads only its components' shards. ``state_of``: the
    link's state, decoded only if some cache has summaries to write."""

    def groups() -> Iterator[list[str]]:
        state = state_of()
        if state is None:
            return
        for members in components(state):
            yield [state.digests[i] for i in members if state.digests[i]]

    for profile in profiles:
        if profile.cache is not None:
            profile.cache.place_summaries(groups)


def _linked_again(
    paths: list[Path],
    summaries: dict[Path, FileSummary | StoredSummary],
    digests: dict[Path, str],
    absolute: dict[Path, str],
    order: list[str],
    root_settings: Settings,
    profile_by_path: dict[Path, Profile],
    previous: ProjectRun | None,
    state: LinkState | None,
) -> tuple[ProjectRun, LinkState]:
    """The link recomputed: over the part of the project the changed summaries touch when
    the previous link and its state are at hand (``incremental.relink``), else all of it."""

    def profile_for(path: Path) -> tuple[Settings, list[type[Rule]]]:
        profile = profile_by_path[path]
        return profile.settings, profile.rules

    def decode(some: dict[Path, Any]) -> dict[Path, FileSummary] | None:
        before = {path: digests[path] for path in some}
        decoded = _decoded_summaries(some, digests, profile_by_path)
        # A summary checked again (its cached form was damaged) must say what its digest
        # said, or the state that chose which files to relink no longer holds.
        return decoded if all(digests[p] == d for p, d in before.items()) else None

    if previous is not None and state is not None:
        now = _in_order(order, digests, absolute)
        outcome = relink(
            previous,
            state,
            paths,
            summaries,
            absolute,
            order,
            now,
            decode,
            root_settings,
            profile_for,
        )
        if outcome is not None:
            return outcome
    decoded = _decoded_summaries(summaries, digests, profile_by_path)
    # After decoding: a summary checked again has a new digest.
    now = _in_order(order, digests, absolute)
    return link_all(paths, decoded, absolute, order, now, root_settings, profile_for)


def _in_order(order: list[str], digests: dict[Path, str], absolute: dict[Path, str]) -> list[str]:
    by_name = {absolute[path]: digest for path, digest in digests.items()}
    return [by_name[name] for name in order]


def _cached_link(cache: ResultCache | None, key: str) -> tuple[ProjectRun | None, Any]:
    """The cached link for ``key`` and the state it was computed from (as stored: decoded
    by ``LinkState.from_cache`` when needed), when the configuration files it read are as
    they were; (None, None) otherwise."""
    cached = cache.project(key) if cache is not None else None
    linked = ProjectRun.from_cache(cached) if cached is not None else None
    if linked is None or cache is None or not inputs_unchanged(linked):
        return None, None
    return linked, cache.project_state(key)


def _decoded_summaries(
    summaries: dict[Path, FileSummary | StoredSummary],
    digests: dict[Path, str],
    profile_by_path: dict[Path, Profile],
) -> dict[Path, FileSummary]:
    """Every summary decoded, as strictly as the cache decodes results: a stored one that
    is missing or of the wrong shape is a miss — its file is checked again, and its cache
    entry and stored summary replaced."""
    decoded: dict[Path, FileSummary] = {}
    for path, summary in summaries.items():
        if isinstance(summary, FileSummary):
            decoded[path] = summary
            continue
        profile = profile_by_path[path]
        stored = profile.cache.summary(summary.digest) if profile.cache is not None else None
        try:
            if stored is None:
                raise KeyError(summary.digest)
            decoded[path] = FileSummary.from_dict(stored)
        except (KeyError, TypeError, ValueError, RecursionError):
            if stored is not None and profile.cache is not None:
                profile.cache.discard_summary(summary.digest)
            fresh = check_path(path, profile.settings, profile.rules, summarise=True)
            if profile.cache is not None and fresh.digest:
                _remember(profile.cache, path, fresh, file_environment(path))
            digests[path] = fresh.summary_digest
            if fresh.decoded_summary is not None:
                decoded[path] = fresh.decoded_summary
    return decoded


def _remember(cache: ResultCache, path: Path, file_result: FileResult, environment: str) -> None:
    """A result checked this run into the cache: its entry, and its summary by digest."""
    cache.store(
        path,
        file_result.mtime_ns,
        file_result.size,
        file_result.digest,
        file_result.to_cache(),
        environment,
    )
    cache.store_summary(file_result.summary_digest, file_result.summary)


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


def _open_cache(settings: Settings, codes: list[str]) -> ResultCache[FileResult]:
    # A rule edited in a source checkout must not be answered from results its previous
    # version computed: the cache's identity includes ``build_digest`` (the size and mtime
    # of every module and data file of the package), found without importing any rule.
    key = "|".join((settings.cache_key(), ",".join(codes)))
    return ResultCache(cache_directory(settings.root), key, decode=FileResult.from_cache)


def _results(
    paths: list[Path],
    profiles: list[Profile],
    profile_of: list[int],
    jobs: int | None,
    progress: ProgressCallback | None,
    stats: dict[str, os.stat_result] | None = None,
) -> Iterator[FileResult]:
    caches = [profiles[index].cache for index in profile_of]
    environments = _environments(paths, caches)
    known = stats if stats is not None else {}
    hits = [
        # Taken out of ``stats``: 8,000 stat results are ~4 MB the rest of a cold run need
        # not hold (its peak is the link's, after the lookups).
        _lookup(cache, path, environment, known.pop(str(path), None))
        for path, cache, environment in zip(paths, caches, environments, strict=True)
    ]
    misses = [i for i, hit in enumerate(hits) if hit is None]
    fresh = _check_many([paths[i] for i in misses], profiles, [profile_of[i] for i in misses], jobs)
    for done, (path, hit, cache, environment) in enumerate(
        zip(paths, hits, caches, environments, strict=True), start=1
    ):
        if hit is not None:
            file_result, file_result.digest = hit
        else:
            file_result = next(fresh)
            if cache is not None and file_result.digest:
                _remember(cache, path, file_result, environment)
        if progress is not None:
            progress(done, len(paths))
        yield file_result


def _lookup(
    cache: ResultCache[FileResult] | None,
    path: Path,
    environment: str,
    info: os.stat_result | None,
) -> tuple[FileResult, str] | None:
    return cache.lookup_with_digest(path, environment, info) if cache is not None else None


def _environments(paths: list[Path], caches: list[ResultCache | None]) -> list[str]:
    """Each cached file's ``file_environment``, worked out once per directory and kind of
    extension: it depends on nothing else (the nearest package.json and package.js above
    the directory, and whether the extension is ``.mjs``, ``.cjs``, ``.js`` …), and asking
    for each of a warm run's 8,000 files cost more than its cache lookups."""
    known: dict[tuple[str, str], str] = {}
    environments = []
    for path, cache in zip(paths, caches, strict=True):
        if cache is None:
            environments.append("")
            continue
        directory, name = os.path.split(path)
        key = (directory, os.path.splitext(name)[1].lower())
        environment = known.get(key)
        if environment is None:
            environment = known[key] = file_environment(path)
        environments.append(environment)
    return environments


def _check_many(
    paths: list[Path], profiles: list[Profile], profile_of: list[int], jobs: int | None
) -> Iterator[FileResult]:
    workers = effective_jobs(jobs)
    if workers <= 1 or len(paths) < _MIN_FILES_PER_WORKER * 2:
        for path, index in zip(paths, profile_of, strict=True):
            yield check_path(path, profiles[index].settings, profiles[index].rules)
        return
    # Imported here: multiprocessing and concurrent.futures cost start-up time that a run
    # over a few files (a pre-commit hook's usual batch) never needs.
    from leaklint.pipeline import parallel

    specs = [(p.settings, list(p.codes)) for p in profiles]
    yield from parallel.check_in_pool(paths, specs, profile_of, workers, check=check_path)


# Below this many files per worker, starting processes costs more than it saves.
_MIN_FILES_PER_WORKER = 8


def effective_jobs(jobs: int | None) -> int:
    if jobs is not None and jobs > 0:
        return jobs
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)
