"""The ``leaklint`` command line. Options are parsed here; the work happens in the engine."""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path

import click
import pathspec

from leaklint import __version__, baseline, progress
from leaklint.config import ConfigError, Settings, load_settings
from leaklint.fsutil import atomic_write_text
from leaklint.pipeline.discovery import DiscoveryError, discover
from leaklint.pipeline.engine import RunResult, display_path, run
from leaklint.pipeline.selection import parse_code_list
from leaklint.pipeline.suppressions import UNUSED_DIRECTIVE_CODE
from leaklint.reporters import REPORTERS, ReportOptions

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
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
    if fmt != "text" or output is not None or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty()


# Options that `check` and `audit` share, defined once so they read and behave the same.
ignore_option = click.option("--ignore", help="Comma list of rule codes or names not to run.")
config_option = click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Use this config file instead of searching for one.",
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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
    "--force-exclude",
    is_flag=True,
    help="Apply exclude patterns to files named on the command line too (for pre-commit).",
)
@exclude_option
@extend_exclude_option
@click.option("--statistics", is_flag=True, help="Print the number of findings per rule.")
@click.option("--no-source", is_flag=True, help="Do not print code frames in text output.")
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
    force_exclude: bool,
    exclude: tuple[str, ...],
    extend_exclude: tuple[str, ...],
    statistics: bool,
    no_source: bool,
    jobs: int | None,
    no_cache: bool,
    report_unused_disables: bool,
    baseline_file: Path | None,
    write_baseline: Path | None,
    sarif_include_suppressed: bool,
    category: str | None,
) -> None:
    """Check PATHS (files or directories, default: the current directory) for leaks."""
    if category is not None and not category.strip("/ "):
        raise click.BadParameter(
            "must name a category, e.g. leaklint/frontend/", param_hint="--category"
        )
    settings = _settings(config_file, select, extend_select, ignore, preview)
    settings = _with_excludes(settings, exclude, extend_exclude)
    if report_unused_disables:
        settings = settings.with_overrides(
            extend_select=(*settings.extend_select, UNUSED_DIRECTIVE_CODE)
        )
    try:
        files = discover(list(paths) or [Path(".")], settings, force_exclude=force_exclude)
    except DiscoveryError as error:
        raise click.UsageError(str(error)) from None
    bar = progress.ProgressBar() if progress.wanted(fmt) else None
    try:
        result = run(
            files,
            settings,
            jobs=jobs,
            use_cache=not no_cache,
            progress=bar,
            whole_project=_covers_root(list(paths) or [Path(".")], settings),
        )
    finally:
        if bar is not None:
            bar.close()
    _use_baseline(result, files, baseline_file, write_baseline, fmt)
    options = ReportOptions(
        color=_use_color(output and str(output), fmt),
        show_source=not no_source,
        statistics=statistics,
        sarif_include_suppressed=sarif_include_suppressed,
        category=category,
    )
    _emit(result, fmt, output, options)
    unsuppressed = [f for f in result.findings if f.suppression is None]
    sys.exit(EXIT_FINDINGS if unsuppressed and not exit_zero else EXIT_CLEAN)


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
    checked = _checked_paths(files, result)
    if write_baseline is not None:
        _write_baseline(write_baseline, result, checked)
    try:
        entries = baseline.load(source)
    except baseline.BaselineError as error:
        raise UsageProblem(str(error)) from None
    result.baseline = baseline.apply(entries, result.findings, checked, display_path(source))
    if result.baseline.stale and fmt != "json":  # JSON carries it in the document instead
        click.echo(
            f"leaklint: {result.baseline.stale} baseline entries no longer occur; "
            "run --write-baseline to prune",
            err=True,
        )


def _write_baseline(path: Path, result: RunResult, checked: set[str]) -> None:
    try:
        count = baseline.write(path, result.findings, checked)
    except OSError as error:
        raise UsageProblem(f"cannot write {path}: {error.strerror or error}") from None
    click.echo(f"leaklint: wrote {count} baseline entries to {path}", err=True)


def _settings(
    config_file: Path | None,
    select: str | None,
    extend_select: str | None,
    ignore: str | None,
    preview: bool | None,
) -> Settings:
    try:
        settings = load_settings(config_file)
    except ConfigError as error:
        raise UserError(str(error)) from None
    ignore_codes = _codes("--ignore", ignore)
    return settings.with_overrides(
        select=_codes("--select", select),
        extend_select=_codes("--extend-select", extend_select),
        ignore=settings.ignore + ignore_codes if ignore_codes else None,
        preview=preview,
    )


def _patterns(values: tuple[str, ...]) -> tuple[str, ...]:
    """``--exclude a,b --exclude c`` → ("a", "b", "c")."""
    return tuple(p.strip() for value in values for p in value.split(",") if p.strip())


def _with_excludes(
    settings: Settings, exclude: tuple[str, ...], extend_exclude: tuple[str, ...]
) -> Settings:
    for option, values in (("--exclude", exclude), ("--extend-exclude", extend_exclude)):
        for pattern in _patterns(values):
            try:
                pathspec.GitIgnoreSpec.from_lines([pattern])
            except (ValueError, TypeError) as error:  # GitIgnorePatternError is a ValueError
                raise UserError(f"{option}: invalid pattern {pattern!r}: {error}") from None
    return settings.with_overrides(
        exclude=_patterns(exclude) if exclude else None,
        extend_exclude=settings.extend_exclude + _patterns(extend_exclude) or None,
    )


def _emit(result, fmt: str, output: Path | None, options: ReportOptions) -> None:
    reporter = REPORTERS[fmt]
    if output is None:
        reporter(result, sys.stdout, options)
        sys.stdout.flush()
        return
    buffer = io.StringIO()
    reporter(result, buffer, options)
    try:
        atomic_write_text(output, buffer.getvalue())
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

    Counts equal those of `leaklint check --select ALL --preview` with the same options.
    Exits 0 whatever it finds: an audit informs, it does not gate.
    """
    import time

    from leaklint.audit import build_report, write_summary
    from leaklint.pipeline.source_links import LinkStyle
    from leaklint.pipeline.source_links import source_links as links_for

    settings = _settings(config_file, select, None, ignore, True)
    settings = _with_excludes(settings, exclude, extend_exclude)
    roots = list(paths) or [Path(".")]
    started = time.perf_counter()
    try:
        files = discover(roots, settings)
    except DiscoveryError as error:
        raise click.UsageError(str(error)) from None
    bar = progress.ProgressBar() if progress.wanted(fmt) else None
    try:
        result = run(
            files,
            settings,
            jobs=jobs,
            use_cache=not no_cache,
            progress=bar,
            whole_project=_covers_root(list(paths) or [Path(".")], settings),
        )
    finally:
        if bar is not None:
            bar.close()
    _use_baseline(result, files, baseline_file, None, fmt)
    report = build_report(
        result,
        time.perf_counter() - started,
        [p.as_posix() for p in roots],
        files=files,
        project_root=settings.root,
        with_excerpts=bool(html_file),
        top=top,
        links=links_for(LinkStyle(source_links), roots[0]) if html_file else None,
    )
    if html_file is not None:
        # Written before the summary, so `leaklint audit --html r.html | head` still writes it.
        from leaklint.reporters.html import render

        try:
            atomic_write_text(html_file, render(report))
        except OSError as error:
            raise UserError(f"cannot write {html_file}: {error.strerror or error}") from None
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        return
    write_summary(report, sys.stdout, color=_use_color(None, "text"), top=top)
    if html_file is not None:
        click.echo(f"\nHTML report: {html_file}")


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
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        # `leaklint check | head`: stop quietly, as Unix tools do.
        sys.stderr.close()
        sys.exit(EXIT_CLEAN)


if __name__ == "__main__":
    main()


def _covers_root(paths: list[Path], settings: Settings) -> bool:
    """The run was asked for the project root itself: its files are the whole project, and
    the engine need not walk the repository again to link them."""
    root = settings.root.resolve()
    return any(path.resolve() == root for path in paths)
