"""The ``leaklint`` command line. Options are parsed here; the work happens in the engine."""

from __future__ import annotations

import contextlib
import io
import json
import os
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
import pathspec

from leaklint import __version__, progress
from leaklint.config import ConfigError, HierarchicalSettings, Settings
from leaklint.display import html_safe, json_safe, quote_path
from leaklint.fsutil import atomic_write_text
from leaklint.model.findings import Finding, Severity
from leaklint.model.results import display_path
from leaklint.pipeline.discovery import DiscoveryError, discover
from leaklint.pipeline.selection import parse_code_list
from leaklint.pipeline.suppressions import UNUSED_DIRECTIVE_CODE
from leaklint.reporters import REPORTERS, ReportOptions

if TYPE_CHECKING:
    from leaklint.pipeline.engine import RunResult

# The engine (rules, parsing, the worker pool), the baseline, the reporters and the audit are
# imported where they are used: `leaklint --version`, `--help` and a run that needs none of
# them should not pay for their imports (start-up is what a pre-commit hook pays per commit).

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
PARSE_ERROR_CODE = "LL000"
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for a process stopped by Ctrl-C
ISSUES_URL = "https://github.com/leaklint/leaklint/issues"
# source_links.LinkStyle's values, spelled out so that start-up does not import that module.
SOURCE_LINK_STYLES = ("auto", "github", "vscode", "file", "none")


class UserError(click.ClickException):
    """A mistake in options, configuration or paths: a message and exit code 2, no traceback.

    Click's own default is 1, which leaklint reserves for "findings".
    """

    exit_code = EXIT_ERROR


def _codes(option: str, value: str | None) -> tuple[str, ...] | None:
    try:
        return parse_code_list(value)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint=option) from None


def _use_color(output: str | None, fmt: str) -> bool:
    """Colour for text on a terminal. NO_COLOR (https://no-color.org) and TERM=dumb turn it
    off; FORCE_COLOR turns it on where stdout is not a terminal (CI logs that render ANSI),
    as Node's tools read it: FORCE_COLOR=0 or false means off."""
    if fmt != "text" or output is not None:
        return False
    force = os.environ.get("FORCE_COLOR")
    if force is not None and force.lower() not in ("0", "false"):
        return True
    if os.environ.get("NO_COLOR") or force is not None or os.environ.get("TERM") == "dumb":
        return False
    return sys.stdout.isatty()


# Options that `check` and `audit` share, defined once so they read and behave the same.
ignore_option = click.option("--ignore", help="Comma list of rule codes or names not to run.")
config_option = click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Use this config file for every path, instead of each file's nearest one.",
)
jobs_option = click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (default: one per CPU core).",
)
no_cache_option = click.option(
    "--no-cache",
    is_flag=True,
    help="Neither read nor write the result cache (.leaklint_cache or $LEAKLINT_CACHE_DIR).",
)
baseline_option = click.option(
    "--baseline",
    "baseline_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Report only findings that are not recorded in this baseline file.",
)
# As ruff's: --exclude replaces the exclude list (built-in defaults included), --extend-exclude
# adds to it. Gitignore-style patterns, as in the configuration's `exclude`.
exclude_option = click.option(
    "--exclude",
    multiple=True,
    metavar="PATTERNS",
    help="Comma list of gitignore-style patterns to skip, replacing the configured and "
    "built-in ones (node_modules/, dist/, ...).",
)
extend_exclude_option = click.option(
    "--extend-exclude",
    multiple=True,
    metavar="PATTERNS",
    help="Comma list of gitignore-style patterns to skip, in addition to the configured and "
    "built-in ones.",
)


def _silence_stdout() -> None:
    """After EPIPE: point stdout at /dev/null so the interpreter's final flush cannot fail
    again and print "Exception ignored … BrokenPipeError"."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass  # not a real file descriptor (a test runner's buffer): nothing to flush later


class _LeaklintGroup(click.Group):
    """Maps what escapes a command to leaklint's exit codes before click sees it: click would
    print "Aborted!" and exit 1 for Ctrl-C, and 1 for a broken pipe or a crash, which is the
    code for "findings" — so a crash would pass a CI step that tolerates findings."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("leaklint: interrupted", err=True)
            _exit(EXIT_INTERRUPTED)
        except BrokenPipeError:
            # `leaklint rules | head`: the reader has all it wanted; stop quietly.
            _silence_stdout()
            _exit(EXIT_CLEAN)
        except Exception as error:
            _report_internal_error(error)
            sys.exit(EXIT_ERROR)


def _exit(code: int) -> None:
    """``sys.exit(code)``; at once, past the interpreter's exit hooks, when worker processes
    were stopped in flight (``parallel.must_exit_at_once``: those hooks could wait for ever)."""
    parallel = sys.modules.get("leaklint.pipeline.parallel")  # imported only if a pool ran
    if parallel is not None and parallel.must_exit_at_once():
        for stream in (sys.stdout, sys.stderr):
            # A closed or broken stream: nothing more can be said on it.
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(code)
    sys.exit(code)


def _report_internal_error(error: Exception) -> None:
    if os.environ.get("LEAKLINT_TRACEBACK"):
        import traceback

        traceback.print_exception(error)
    click.echo(f"leaklint: internal error: {type(error).__name__}: {error}", err=True)
    click.echo(
        f"This is a bug in leaklint: please report it at {ISSUES_URL} with the command line "
        "(LEAKLINT_TRACEBACK=1 prints the traceback).",
        err=True,
    )


@click.group(cls=_LeaklintGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="leaklint")
def cli() -> None:
    """Find memory and resource leak patterns in Node.js code (JS, TS, JSX, TSX)."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(REPORTERS)),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to FILE (atomically) instead of standard output.",
)
@click.option(
    "--select", help="Comma list of rule codes, prefixes or names to run (ALL for every rule)."
)
@click.option("--extend-select", help="Rules to run in addition to the selection.")
@ignore_option
@config_option
@click.option("--preview", is_flag=True, default=None, help="Enable preview rules.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option(
    "--fail-level",
    "--exit-non-zero-on",
    "fail_level",
    type=click.Choice(["error", "warning", "note"]),
    default="warning",
    show_default=True,
    help="Exit 1 only for findings of this severity or above. LL000 (a file that did not "
    "parse completely) fails the run only with 'note'.",
)
@click.option(
    "--force-exclude",
    is_flag=True,
    help="Filter files named on the command line as a directory walk would (excludes, "
    ".gitignore, generated files): for pre-commit.",
)
@click.option(
    "--statistics",
    is_flag=True,
    help="Print the number of findings per rule and the slowest files (on stderr for "
    "machine formats).",
)
@exclude_option
@extend_exclude_option
@click.option("--no-source", is_flag=True, help="Do not print code frames in text output.")
@click.option(
    "--show-timings", is_flag=True, help="Print the slowest files and their time (stderr)."
)
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="List the files skipped as generated or minified, and why (stderr).",
)
@click.option(
    "--stdin-filename",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With PATH '-' (read the code from standard input, for editors): the file's name, "
    "whose configuration, excludes and language apply.",
)
@jobs_option
@no_cache_option
@click.option(
    "--report-unused-disables",
    is_flag=True,
    help="Report leaklint-disable comments that suppress nothing (rule LL100).",
)
@baseline_option
@click.option(
    "--write-baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Record the current findings in FILE, so that later runs with --baseline FILE "
    "report only new ones.",
)
@click.option(
    "--sarif-include-suppressed",
    is_flag=True,
    help="SARIF: keep suppressed and baselined findings, marked with `suppressions` (GitHub "
    "code scanning does not read those and would open an alert for each).",
)
@click.option(
    "--category",
    help="SARIF: the code scanning category (automationDetails.id), e.g. leaklint/frontend/, "
    "so that runs over different parts of a repository do not replace each other's alerts.",
)
@click.option(
    "--fix", "apply_fixes", is_flag=True, help="Apply the safe fixes, then report what is left."
)
@click.option(
    "--project/--no-project",
    default=None,
    help="Follow clients, pools, emitters and stores across modules (project-wide analysis; "
    "default: the `project` setting, off).",
)
@click.option(
    "--file-time-budget",
    type=click.FloatRange(min=0),
    default=None,
    metavar="SECONDS",
    help="CPU seconds one file may take; a file over it is noted and skipped "
    "(default 20, 0: no limit).",
)
def check(
    paths: tuple[Path, ...],
    fmt: str,
    output: Path | None,
    select: str | None,
    extend_select: str | None,
    ignore: str | None,
    config_file: Path | None,
    preview: bool | None,
    exit_zero: bool,
    fail_level: str,
    force_exclude: bool,
    exclude: tuple[str, ...],
    extend_exclude: tuple[str, ...],
    statistics: bool,
    no_source: bool,
    show_timings: bool,
    verbose: bool,
    stdin_filename: Path | None,
    jobs: int | None,
    no_cache: bool,
    report_unused_disables: bool,
    baseline_file: Path | None,
    write_baseline: Path | None,
    apply_fixes: bool,
    sarif_include_suppressed: bool,
    category: str | None,
    project: bool | None,
    file_time_budget: float | None,
) -> None:
    """Check PATHS (files or directories, default: the current directory) for leaks."""
    _require_working_directory()
    if category is not None and not category.strip("/ "):
        raise click.BadParameter(
            "must name a category, e.g. leaklint/frontend/", param_hint="--category"
        )
    settings = _settings(
        config_file,
        select,
        extend_select,
        ignore,
        preview,
        report_unused_disables=report_unused_disables,
        exclude=exclude,
        extend_exclude=extend_exclude,
        file_time_budget=file_time_budget,
        project=project,
    )
    if stdin_filename is not None and not paths:
        paths = (Path("-"),)  # --stdin-filename alone means: read the buffer from stdin
    if stdin_filename is not None and Path("-") not in paths:
        raise UserError("--stdin-filename needs '-' (standard input) as the path")
    if Path("-") in paths:
        if len(paths) > 1:
            raise UserError("'-' (standard input) cannot be combined with other paths")
        if apply_fixes:
            raise UserError("--fix cannot change standard input: name the file instead")
        files: list[Path] = []
        _refuse_overwriting_inputs("-o", output, [*([config_file] if config_file else [])])
        result = _check_stdin(stdin_filename, settings, force_exclude)
        no_source = True  # a code frame would show the file on disk, not the text checked
    else:
        _refuse_special_files(paths)
        named: set[Path] = set()
        stats: dict[str, os.stat_result] = {}  # the walk's, by file: one stat per file
        files = _discover(list(paths) or [Path(".")], settings, force_exclude, named, stats)
        sources = [*paths, *files, *([config_file] if config_file else [])]
        # --write-baseline FILE --baseline FILE updates the baseline in place: that may match.
        _refuse_overwriting_inputs("--write-baseline", write_baseline, sources, stats)
        baselines = [path for path in (baseline_file, write_baseline) if path is not None]
        _refuse_overwriting_inputs("-o", output, [*sources, *baselines], stats)
        whole = _covers_root(list(paths) or [Path(".")], settings)
        result = _run(
            files,
            settings,
            fmt,
            jobs=jobs,
            use_cache=not no_cache,
            named=named,
            whole=whole,
            stats=stats,
        )
        if apply_fixes and _fixed_some(result, files):
            # Without the walk's stats: the fixes changed files since.
            result = _run(
                files, settings, fmt, jobs=jobs, use_cache=not no_cache, named=named, whole=whole
            )
    _use_baseline(result, files, baseline_file, write_baseline, fmt)
    options = ReportOptions(
        color=_use_color(output and str(output), fmt),
        show_source=not no_source,
        statistics=statistics,
        sarif_include_suppressed=sarif_include_suppressed,
        category=category,
    )
    failing = _failing_findings(result.findings, Severity(fail_level))
    status = EXIT_FINDINGS if failing and not exit_zero else EXIT_CLEAN
    if _internal_errors(result) or _incomplete(result):
        status = EXIT_ERROR  # findings may be missing in those files: never "clean"
    # --write-baseline's own line says what happened; a text report would only add "All
    # clear" about findings that were just recorded, not fixed.
    quiet = write_baseline is not None and fmt == "text" and output is None
    try:
        if not quiet:
            _emit(result, fmt, output, options)
        else:  # files that could not be checked still need saying: their findings are missing
            for error in result.errors:
                click.echo(f"{error.path}: {error.message}", err=True)
    except BrokenPipeError:
        # `leaklint check | head`: stop quietly, but still say whether there were findings.
        _silence_stdout()
    _diagnostics(result, fmt, statistics=statistics, timings=show_timings, verbose=verbose)
    _warn_if_nothing_checked(result, files, stdin=not files and Path("-") in paths)
    _report_file_bugs(result)
    sys.exit(status)


def _internal_errors(result: RunResult) -> list[str]:
    """Files on which leaklint itself failed (an exception, a crashed parser): a bug, not a
    property of the file, and their findings are missing."""
    bugs = ("internal error", "skipped: crashed the parser")
    return [error.path for error in result.errors if error.message.startswith(bugs)]


def _incomplete(result: RunResult) -> list[str]:
    """Files whose analysis a limit stopped (the per-file time or memory budget, nesting too
    deep): their findings may be missing, so the run is not clean (exit 2), though it is not
    leaklint's bug either."""
    limits = ("analysis stopped", "skipped: nesting too deep")
    return [error.path for error in result.errors if error.message.startswith(limits)]


def _report_file_bugs(result: RunResult) -> None:
    stopped = _incomplete(result)
    if stopped:
        click.echo(
            f"leaklint: {_plural(len(stopped), 'file')} only partly analysed (listed above): "
            "findings may be missing there, so this run does not count as clean (exit 2).",
            err=True,
        )
    failed = _internal_errors(result)
    if failed:
        click.echo(
            f"leaklint: internal error on {_plural(len(failed), 'file')} (listed above), so "
            f"findings may be missing there. This is a bug in leaklint: please report it at "
            f"{ISSUES_URL} with the file if you can share it.",
            err=True,
        )


def _refuse_special_files(paths: tuple[Path, ...]) -> None:
    """A FIFO, socket or device named on the command line would block or never end (a
    symlink to /dev/zero reads forever): only regular files and directories are checked."""
    for path in paths:
        try:
            mode = path.stat().st_mode
        except OSError:
            continue  # missing: discovery names it
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            kind = _special_kind(mode)
            raise UserError(f"{path} is {kind}, not a file or directory: it cannot be checked")


def _special_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def _discover(
    paths: list[Path],
    settings: HierarchicalSettings,
    force_exclude: bool,
    named: set[Path],
    stats: dict[str, os.stat_result] | None = None,
) -> list[Path]:
    try:
        return discover(paths, settings, force_exclude=force_exclude, named=named, stats=stats)
    except DiscoveryError as error:
        raise click.UsageError(str(error)) from None
    except ConfigError as error:  # a configuration found below the current directory
        raise UserError(str(error)) from None


def _run(
    files: list[Path],
    settings: HierarchicalSettings,
    fmt: str,
    *,
    jobs: int | None,
    use_cache: bool,
    named: set[Path],
    whole: bool = False,
    stats: dict[str, os.stat_result] | None = None,
) -> RunResult:
    """``whole``: ``files`` are every file of the project root (see ``_covers_root``);
    ``stats``: discovery's ``stat`` of them, fresh (see ``engine.run``)."""
    from leaklint.pipeline.engine import run

    bar = progress.ProgressBar() if progress.wanted(fmt) else None
    try:
        return run(
            files,
            settings,
            jobs=jobs,
            use_cache=use_cache,
            progress=bar,
            named=named,
            whole_project=whole,
            stats=stats,
        )
    finally:
        if bar is not None:
            bar.close()


def _covers_root(paths: list[Path], settings: HierarchicalSettings) -> bool:
    """The run was asked for the project root itself: its files are the whole project, and
    the engine need not walk the repository again to link them."""
    root = settings.base.root.resolve()
    return any(path.resolve() == root for path in paths)


def _check_stdin(
    stdin_filename: Path | None, settings: HierarchicalSettings, force_exclude: bool
) -> RunResult:
    """Check what an editor sends on stdin as the content of ``--stdin-filename``."""
    from leaklint.pipeline.discovery import excluded_when_named
    from leaklint.pipeline.engine import RunResult, check_text_of

    path = stdin_filename or Path("-")
    excluded = force_exclude and excluded_when_named(path, settings.for_file(path))
    if stdin_filename is not None and excluded:
        return RunResult()  # as ruff: an excluded file's buffer is not checked
    return check_text_of(path, sys.stdin.buffer.read(), settings)


_SLOWEST = 10


def _diagnostics(
    result: RunResult, fmt: str, *, statistics: bool, timings: bool, verbose: bool
) -> None:
    """What goes to stderr after the report: statistics for machine formats (the text
    reporter prints its own), the slowest files, the files skipped as generated."""
    if statistics and fmt != "text":
        from leaklint.reporters.text import write_statistics

        write_statistics([f for f in result.findings if f.suppression is None], sys.stderr)
    if (statistics or timings) and result.timings:
        slowest = sorted(result.timings, key=lambda item: -item[1])[:_SLOWEST]
        click.echo(f"leaklint: slowest {_plural(len(slowest), 'file')}:", err=True)
        for path, seconds in slowest:
            click.echo(f"  {seconds:7.3f} s  {path}", err=True)
    elif timings and result.files_checked:
        click.echo(
            "leaklint: no timings: every file was answered from the cache (--no-cache times "
            "them all)",
            err=True,
        )
    if result.skipped:
        if verbose:
            for skipped in result.skipped:
                click.echo(f"leaklint: skipped {skipped.path}: {skipped.message}", err=True)
        else:
            count = len(result.skipped)
            click.echo(
                f"leaklint: skipped {_plural(count, 'file')} that "
                f"{'looks' if count == 1 else 'look'} generated or minified (--verbose lists "
                "them; check-generated = true checks them)",
                err=True,
            )


def _warn_if_nothing_checked(result: RunResult, files: list[Path], *, stdin: bool) -> None:
    """Nothing checked is not "all clear". Still exit 0, as ruff does: a pre-commit batch of
    only excluded files (a vendored library updated) must not fail the commit."""
    if result.files_checked or (stdin and not result.errors):
        return
    if not files and not stdin:
        click.echo("leaklint: warning: no JavaScript or TypeScript files found", err=True)
    else:
        found = len(files) or 1
        click.echo(
            f"leaklint: warning: none of the {_plural(found, 'file')} found could be checked "
            "(skipped or unreadable, see above)",
            err=True,
        )


def _failing_findings(findings: list[Finding], fail_level: Severity) -> list[Finding]:
    """The shown findings that make the run fail. Notes are hints and LL000 says a file was
    only partly understood, not that it leaks: neither should block a commit by default."""
    return [
        f
        for f in findings
        if f.suppression is None
        and f.severity.rank >= fail_level.rank
        and (f.rule != PARSE_ERROR_CODE or fail_level is Severity.NOTE)
    ]


def _require_working_directory() -> None:
    """Paths are shown relative to the current directory: without one (deleted under the
    shell) there is nothing to run in, and os.getcwd() would raise deep inside."""
    try:
        os.getcwd()
    except FileNotFoundError:
        raise UserError(
            "the current directory no longer exists (deleted?); "
            "cd into an existing directory and run leaklint again"
        ) from None


def _refuse_overwriting_inputs(
    option: str,
    target: Path | None,
    inputs: list[Path],
    stats: dict[str, os.stat_result] | None = None,
) -> None:
    """``-o a.js a.js`` would replace the checked source with the report: refuse an output
    that is (or, not yet existing, resolves to) a file this run reads. ``stats``: the
    inputs' ``stat`` that discovery took, by ``str(path)``."""
    if target is None:
        return
    clash = _same_file_as(target, inputs, stats or {})
    if clash is not None:
        raise UserError(
            f"refusing to write {option} {quote_path(str(target))}: it is "
            f"{quote_path(display_path(clash))}, which this run reads; choose another path"
        )


def _same_file_as(
    target: Path, inputs: list[Path], stats: dict[str, os.stat_result]
) -> Path | None:
    real = os.path.realpath(target)
    try:
        info = os.stat(target)
    except OSError:
        info = None  # missing (or unreachable): only its resolved path can name an input
    if info is not None and not stat.S_ISREG(info.st_mode):
        return None  # a device or FIFO is written through; it is never a checked source
    if info is None:
        return next((path for path in inputs if os.path.abspath(path) == real), None)
    # The same inode catches a symlink or a hard link to the source under another name.
    return next((path for path in inputs if _same_inode(path, info, stats)), None)


def _same_inode(path: Path, info: os.stat_result, stats: dict[str, os.stat_result]) -> bool:
    other = stats.get(str(path))
    if other is None:
        try:
            other = os.stat(path)
        except OSError:
            return False
    return (other.st_dev, other.st_ino) == (info.st_dev, info.st_ino)


def _fixed_some(result: RunResult, files: list[Path]) -> bool:
    from leaklint.pipeline.fixes import apply_safe_fixes

    summary = apply_safe_fixes(result.findings, {display_path(f): f for f in files})
    if summary.fixed:
        click.echo(f"leaklint: fixed {summary.fixed} findings in {summary.files} files", err=True)
    return summary.fixed > 0


class UsageProblem(click.ClickException):
    """A user error that must exit 2 even when ``main()`` is bypassed (as in CliRunner)."""

    exit_code = EXIT_ERROR


def _checked_paths(files: list[Path], result: RunResult) -> set[str]:
    """Display paths of the files this run actually analysed."""

    failed = {error.path for error in result.errors}
    return {shown for shown in map(display_path, files) if shown not in failed}


def _use_baseline(
    result: RunResult,
    files: list[Path],
    baseline_file: Path | None,
    write_baseline: Path | None,
    fmt: str,
) -> None:
    """--write-baseline records the findings; --baseline (or the file just written) hides them."""
    source = write_baseline or baseline_file
    if source is None:
        return
    from leaklint import baseline

    checked = _checked_paths(files, result)
    if not baseline.anchored_here(source):
        click.echo(
            f"leaklint: warning: paths in {source} are relative to its directory; run from "
            "there, or findings and entries will not match",
            err=True,
        )
    if write_baseline is not None:
        _write_baseline(write_baseline, result, checked)
    try:
        entries = baseline.load(source)
    except baseline.BaselineError as error:
        raise UsageProblem(str(error)) from None
    result.baseline = baseline.apply(
        entries, result.findings, checked, display_path(source), baseline.anchored_here(source)
    )
    stale = result.baseline.stale
    if stale and fmt != "json" and write_baseline is None:  # JSON has it in the document
        click.echo(
            f"leaklint: {_plural(stale, 'recorded finding')} in {display_path(source)} "
            f"no longer {'occurs' if stale == 1 else 'occur'}; run --write-baseline to prune",
            err=True,
        )


def _write_baseline(path: Path, result: RunResult, checked: set[str]) -> None:
    from leaklint import baseline

    try:
        entries, findings = baseline.write(path, result.findings, checked)
    except OSError as error:
        raise UsageProblem(f"cannot write {path}: {error.strerror or error}") from None
    recorded = f" ({_plural(findings, 'finding')})" if findings != entries else ""
    click.echo(f"leaklint: wrote {_plural(entries, 'entry')}{recorded} to {path}", err=True)


def _plural(count: int, noun: str) -> str:
    if count == 1:
        return f"1 {noun}"
    return f"{count} {noun[:-1] + 'ies' if noun.endswith('y') else noun + 's'}"


def _settings(
    config_file: Path | None,
    select: str | None,
    extend_select: str | None,
    ignore: str | None,
    preview: bool | None,
    *,
    report_unused_disables: bool = False,
    exclude: tuple[str, ...] = (),
    extend_exclude: tuple[str, ...] = (),
    check_generated: bool | None = None,
    file_time_budget: float | None = None,
    project: bool | None = None,
) -> HierarchicalSettings:
    """Each file's settings: its nearest configuration (or --config), then the options."""
    select_codes = _codes("--select", select)
    extend_codes = _codes("--extend-select", extend_select)
    ignore_codes = _codes("--ignore", ignore)
    _check_patterns(exclude, extend_exclude)

    def adjust(settings: Settings) -> Settings:
        settings = settings.with_overrides(
            select=select_codes,
            extend_select=extend_codes,
            ignore=settings.ignore + ignore_codes if ignore_codes else None,
            preview=preview,
        )
        if report_unused_disables:
            extra = (*settings.extend_select, UNUSED_DIRECTIVE_CODE)
            settings = settings.with_overrides(extend_select=extra)
        settings = settings.with_overrides(
            check_generated=check_generated, file_time_budget=file_time_budget, project=project
        )
        return _with_excludes(settings, exclude, extend_exclude)

    try:
        return HierarchicalSettings(config_file, adjust)
    except ConfigError as error:
        raise UserError(str(error)) from None


def _patterns(values: tuple[str, ...]) -> tuple[str, ...]:
    """``--exclude a,b --exclude c`` → ("a", "b", "c")."""
    return tuple(p.strip() for value in values for p in value.split(",") if p.strip())


def _check_patterns(exclude: tuple[str, ...], extend_exclude: tuple[str, ...]) -> None:
    for option, values in (("--exclude", exclude), ("--extend-exclude", extend_exclude)):
        for pattern in _patterns(values):
            try:
                pathspec.GitIgnoreSpec.from_lines([pattern])
            except (ValueError, TypeError) as error:  # GitIgnorePatternError is a ValueError
                raise UserError(f"{option}: invalid pattern {pattern!r}: {error}") from None


def _with_excludes(
    settings: Settings, exclude: tuple[str, ...], extend_exclude: tuple[str, ...]
) -> Settings:
    return settings.with_overrides(
        exclude=_patterns(exclude) if exclude else None,
        extend_exclude=settings.extend_exclude + _patterns(extend_exclude) or None,
    )


# Formats whose output is one JSON document: a non-UTF-8 file name in it is written escaped.
_JSON_FORMATS = frozenset({"json", "sarif"})


def _emit(result, fmt: str, output: Path | None, options: ReportOptions) -> None:
    buffer = io.StringIO()
    REPORTERS[fmt](result, buffer, options)
    text = json_safe(buffer.getvalue()) if fmt in _JSON_FORMATS else buffer.getvalue()
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        atomic_write_text(output, text)
    except OSError as error:
        raise UserError(f"cannot write {output}: {error.strerror or error}") from None


# --- audit, rule, rules -----------------------------------------------------------------------


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write a self-contained HTML report to FILE.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Terminal summary format.",
)
@click.option(
    "--select",
    default="ALL",
    show_default=True,
    help="Comma list of rule codes, prefixes or names to run.",
)
@ignore_option
@config_option
@exclude_option
@extend_exclude_option
@baseline_option
@click.option(
    "--top",
    type=click.IntRange(1),
    default=10,
    show_default=True,
    help="Hotspots to list, in the summary and in the HTML report.",
)
@click.option(
    "--source-links",
    type=click.Choice(SOURCE_LINK_STYLES),
    default="auto",
    show_default=True,
    help="Where the HTML report's findings link to: GitHub (when the checkout has a GitHub "
    "origin), VS Code, file://, or nowhere; auto is GitHub, else VS Code.",
)
@jobs_option
@no_cache_option
def audit(
    paths: tuple[Path, ...],
    html_file: Path | None,
    fmt: str,
    select: str,
    ignore: str | None,
    config_file: Path | None,
    exclude: tuple[str, ...],
    extend_exclude: tuple[str, ...],
    baseline_file: Path | None,
    top: int,
    source_links: str,
    jobs: int | None,
    no_cache: bool,
) -> None:
    """Audit PATHS with every rule (preview included): a summary of where the leaks are.

    Counts equal those of `leaklint check --select ALL --preview` with the same options and
    check-generated = true (the audit classifies generated files instead of skipping them).
    Exits 0 whatever it finds: an audit informs, it does not gate.
    """
    import time

    from leaklint.audit import build_report, write_summary
    from leaklint.pipeline.source_links import LinkStyle
    from leaklint.pipeline.source_links import source_links as links_for

    _require_working_directory()
    # The audit checks generated and minified files too: it classifies them as such and
    # puts them last in its advice, rather than leaving them out as check does.
    settings = _settings(
        config_file,
        select,
        None,
        ignore,
        True,
        exclude=exclude,
        extend_exclude=extend_exclude,
        check_generated=True,
    )
    roots = list(paths) or [Path(".")]
    started = time.perf_counter()
    _refuse_special_files(tuple(roots))
    named: set[Path] = set()  # as in check: files named explicitly are checked as named
    files = _discover(roots, settings, False, named)
    _refuse_overwriting_inputs("--html", html_file, [*paths, *files])
    whole = _covers_root(roots, settings)
    result = _run(files, settings, fmt, jobs=jobs, use_cache=not no_cache, named=named, whole=whole)
    _use_baseline(result, files, baseline_file, None, fmt)
    report = build_report(
        result,
        time.perf_counter() - started,
        [p.as_posix() for p in roots],
        files=files,
        project_root=settings.base.root,
        with_excerpts=bool(html_file),
        top=top,
        links=links_for(LinkStyle(source_links), roots[0]) if html_file else None,
    )
    if html_file is not None:
        # Written before the summary, so `leaklint audit --html r.html | head` still writes it.
        from leaklint.reporters.html import render

        try:
            atomic_write_text(html_file, html_safe(render(report)))
        except OSError as error:
            raise UserError(f"cannot write {html_file}: {error.strerror or error}") from None
    if fmt == "json":
        click.echo(json_safe(json.dumps(report.to_dict(), indent=2, ensure_ascii=False)))
        return
    write_summary(report, sys.stdout, color=_use_color(None, "text"), top=top)
    if html_file is not None:
        click.echo(f"\nHTML report: {quote_path(str(html_file))}")


@cli.command("server")
def server_command() -> None:
    """Run the language server over standard input and output (started by an editor)."""
    from leaklint.server import serve  # pygls costs start-up time `check` should not pay

    serve()


@cli.command("rule")
@click.argument("code_or_name")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def rule_command(code_or_name: str, fmt: str) -> None:
    """Print the documentation of one rule (by code, like LL001, or name)."""
    from leaklint.rules import ALL_RULES, get_rule

    rule = get_rule(code_or_name)
    if rule is None:
        known = "\n".join(f"  {r.code}  {r.name}" for r in ALL_RULES)
        raise UserError(f"unknown rule '{code_or_name}'. Rules:\n{known}")
    if fmt == "json":
        click.echo(json.dumps(_rule_dict(rule, docs=True), indent=2, ensure_ascii=False))
        return
    click.echo(f"# {rule.name} ({rule.code})\n")
    click.echo(f"{_rule_facts(rule)}\n")
    click.echo(rule.documentation())
    if rule.messages:
        click.echo("\n## Messages\n")
        for message_id, template in rule.messages.items():
            click.echo(f"- `{message_id}`: {template}")


@cli.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def rules_command(fmt: str) -> None:
    """List every rule: code, name, default severity, precision, whether it is on by default."""
    from leaklint.rules import ALL_RULES

    if fmt == "json":
        rows = [_rule_dict(rule, docs=False) for rule in ALL_RULES]
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    width = max(len(rule.name) for rule in ALL_RULES)
    click.echo(f"{'CODE':<6} {'NAME':<{width}}  {'SEVERITY':<8}  {'PRECISION':<9}  DEFAULT")
    for rule in ALL_RULES:
        click.echo(
            f"{rule.code:<6} {rule.name:<{width}}  {rule.severity.value:<8}  "
            f"{rule.precision:<9}  {_default_state(rule)}"
        )


def _default_state(rule) -> str:
    if rule.preview:
        return "preview"
    return "on" if rule.default_enabled else "off"


def _rule_facts(rule) -> str:
    return (
        f"Severity: {rule.severity.value}. Precision: {rule.precision}. "
        f"Default: {_default_state(rule)}."
        + (f" Tags: {', '.join(rule.tags)}." if rule.tags else "")
    )


def _rule_dict(rule, *, docs: bool) -> dict[str, object]:
    data: dict[str, object] = {
        "code": rule.code,
        "name": rule.name,
        "summary": rule.summary,
        "severity": rule.severity.value,
        "precision": rule.precision,
        "default_enabled": rule.default_enabled,
        "preview": rule.preview,
        "tags": list(rule.tags),
    }
    if docs:
        data["documentation"] = rule.documentation()
        data["messages"] = dict(rule.messages)
    return data


def main() -> None:
    try:
        cli.main(prog_name="leaklint")
    except KeyboardInterrupt:  # while parsing options or importing, outside any command
        click.echo("leaklint: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        _silence_stdout()
        sys.exit(EXIT_CLEAN)


if __name__ == "__main__":
    main()
