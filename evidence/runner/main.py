"""evidence/run: run every flagged/fixed pair against real Node.js, Redis and PostgreSQL."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from runner import lint
from runner.cases import CASES, Case, Measurement, select_cases
from runner.report import Outcome, result_line, write_results
from runner.servers import PostgresServer, RedisServer, ServerError, postgres_server, redis_server

EVIDENCE_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = EVIDENCE_DIR.parent
CASES_DIR = EVIDENCE_DIR / "cases"
# A case that runs longer than this is killed; the programs' own watchdog fires first.
CASE_TIMEOUT_S = 90
NPM_TIMEOUT_S = 600
# Node's MaxListenersExceededWarning is evidence too (LL007): we record that it fired.
LISTENER_WARNING = "MaxListenersExceededWarning"
MIN_NODE_MAJOR = 18


class CaseError(RuntimeError):
    """A case program failed, hung or printed no measurement."""


@dataclass
class Servers:
    redis: RedisServer | None = None
    postgres: PostgresServer | None = None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="evidence/run",
        description="Run each rule's flagged program and its fixed twin and compare what leaks.",
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="RULE",
        help="only these rules or case ids (repeatable or comma-separated), e.g. LL003",
    )
    parser.add_argument("--n", type=int, help="calls/requests per program (default: per case)")
    parser.add_argument("--m", type=int, help="records archived by LL004 (default: 1500)")
    parser.add_argument(
        "--require-lint",
        nargs="?",
        const="all",
        choices=("all", "implemented"),
        help="make a leaklint mismatch fatal: 'all' (default) requires every rule to detect its "
        "case; 'implemented' only the rules leaklint already has",
    )
    parser.add_argument("--no-lint", action="store_true", help="skip the leaklint cross-check")
    parser.add_argument(
        "--results",
        type=Path,
        help="write the Markdown table here (default: evidence/RESULTS.md, full runs only)",
    )
    args = parser.parse_args(argv)
    for name in ("n", "m"):
        value = getattr(args, name)
        if value is not None and not 2 <= value <= 100_000:
            parser.error(f"--{name} must be between 2 and 100000")
    if args.require_lint and args.no_lint:
        parser.error("--require-lint and --no-lint exclude each other")
    return args


def node_problem() -> str | None:
    """Why the installed Node.js cannot run the cases, if it cannot."""
    if shutil.which("node") is None:
        return "node not found"
    version = subprocess.run(
        ["node", "-p", "process.versions.node"], capture_output=True, text=True, timeout=30
    ).stdout.strip()
    major = version.split(".")[0]
    # Global fetch, AbortSignal.timeout and process.getActiveResourcesInfo need 18+.
    if not major.isdigit() or int(major) < MIN_NODE_MAJOR:
        return f"Node.js {version or '?'} is older than {MIN_NODE_MAJOR}"
    return None


def ensure_node_modules() -> None:
    """npm ci from the committed lockfile when node_modules is missing or stale."""
    modules = EVIDENCE_DIR / "node_modules"
    marker = modules / ".package-lock.json"  # npm writes this on every install
    lockfile = EVIDENCE_DIR / "package-lock.json"
    if marker.exists() and marker.stat().st_mtime >= lockfile.stat().st_mtime:
        return
    npm = shutil.which("npm")
    if npm is None:
        raise CaseError("npm not found (run evidence/setup.sh)")
    print("evidence: npm ci", file=sys.stderr, flush=True)
    subprocess.run(
        [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=EVIDENCE_DIR,
        check=True,
        timeout=NPM_TIMEOUT_S,
        stdin=subprocess.DEVNULL,
        # Our stdout is the result lines; npm's chatter goes with the diagnostics.
        stdout=sys.stderr,
    )


def case_env(case: Case, servers: Servers, size: int, tmp: Path) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(tmp)),
        "NODE_PATH": "",
        case.size_env: str(size),
        "EVIDENCE_TMP": str(tmp),
        # The programs' own watchdog: well inside our timeout, so they report why they stopped.
        "EVIDENCE_DEADLINE_MS": str((CASE_TIMEOUT_S - 15) * 1000),
    }
    if servers.redis is not None:
        port = str(servers.redis.port)
        env |= {
            "REDIS_DEFAULT_HOST": "127.0.0.1",
            "REDIS_DEFAULT_PORT": port,
            "REDIS_URL": f"redis://127.0.0.1:{port}",
        }
    if servers.postgres is not None:
        env |= {
            "PGHOST": "127.0.0.1",
            "PGPORT": str(servers.postgres.port),
            "PGUSER": servers.postgres.user,
            "PGDATABASE": servers.postgres.database,
        }
    return env


def run_program(path: Path, env: dict[str, str]) -> tuple[Measurement, str]:
    """Run one case program; return its measurement and its stderr."""
    command = ["node", "--expose-gc", str(path)]
    where = f"{path.parent.name}/{path.name}"
    try:
        result = subprocess.run(
            command,
            env=env,
            cwd=path.parent,
            capture_output=True,
            text=True,
            timeout=CASE_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise CaseError(f"{where} timed out after {CASE_TIMEOUT_S}s") from None
    if result.returncode != 0:
        tail = result.stderr.strip().splitlines()[-3:]
        raise CaseError(f"{where} exited {result.returncode}: {' | '.join(tail)}")
    for line in reversed(result.stdout.splitlines()):
        if line.startswith("{"):
            try:
                return Measurement.from_json(json.loads(line)), result.stderr
            except (ValueError, KeyError) as error:
                raise CaseError(f"{where} printed a bad measurement: {error}") from None
    raise CaseError(f"{where} printed no measurement")


def run_case(case: Case, servers: Servers, size: int) -> Outcome:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"leaklint-{case.case_id}-") as tmp:
        env = case_env(case, servers, size, Path(tmp))
        try:
            flagged, flagged_err = run_program(CASES_DIR / case.case_id / "flagged.js", env)
            fixed, fixed_err = run_program(CASES_DIR / case.case_id / "fixed.js", env)
        except CaseError as error:
            return Outcome(case, None, None, [str(error)], time.monotonic() - started)
    problems = case.check(flagged, fixed)
    # Both programs must measure in the same unit over the same N, or nothing is compared.
    if (flagged.unit, flagged.n) != (fixed.unit, fixed.n):
        problems.append(f"flagged/fixed disagree on unit or n: {flagged} vs {fixed}")
    notes = []
    if LISTENER_WARNING in flagged_err:
        notes.append(f"Node warned {LISTENER_WARNING} for flagged")
    if LISTENER_WARNING in fixed_err:
        notes.append(f"Node warned {LISTENER_WARNING} for fixed")
    return Outcome(case, flagged, fixed, problems, time.monotonic() - started, notes)


def size_for(case: Case, args: argparse.Namespace) -> int:
    override = args.m if case.size_env == "EVIDENCE_M" else args.n
    return override or case.default_size


def run_all(cases: list[Case], args: argparse.Namespace) -> list[Outcome]:
    needed = {server for case in cases for server in case.servers}
    outcomes = []
    # ExitStack stops whatever did start, in reverse order, whatever happens below.
    with contextlib.ExitStack() as stack:
        servers = Servers()
        if "redis" in needed:
            servers.redis = stack.enter_context(redis_server())
        if "postgres" in needed:
            servers.postgres = stack.enter_context(postgres_server())
        for case in cases:
            outcome = run_case(case, servers, size_for(case, args))
            print(result_line(outcome), flush=True)
            outcomes.append(outcome)
    return outcomes


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    # Turn SIGTERM into SystemExit so that the servers' finally blocks run.
    sys.exit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        cases = select_cases(args.only)
    except ValueError as error:
        print(f"evidence: {error}", file=sys.stderr)
        return 2
    problem = node_problem()
    if problem:
        print(f"evidence: {problem} (run evidence/setup.sh)", file=sys.stderr)
        return 2
    try:
        ensure_node_modules()
        outcomes = run_all(cases, args)
    except (ServerError, CaseError, subprocess.SubprocessError) as error:
        print(f"evidence: {error}", file=sys.stderr)
        return 2
    report = None
    if not args.no_lint:
        report = lint.cross_check(cases, CASES_DIR, REPO_DIR)
        print(f"leaklint: {report.note}")
        for case in cases:
            print(f"leaklint: {case.case_id} {report.statuses[case.case_id]}")
    results = args.results
    if results is None and len(cases) == len(CASES) and args.n is None and args.m is None:
        results = EVIDENCE_DIR / "RESULTS.md"
    if results is not None:
        write_results(results, outcomes, report)
        print(f"evidence: wrote {results}")
    return exit_code(cases, outcomes, report, args.require_lint)


def exit_code(
    cases: list[Case], outcomes: list[Outcome], report: lint.LintReport | None, mode: str | None
) -> int:
    failed = [o.case.case_id for o in outcomes if not o.ok]
    lint_failed = lint.lint_failures(cases, report, mode) if report else []
    if failed:
        print(f"evidence: FAILED {', '.join(failed)}", file=sys.stderr)
    if lint_failed:
        print(f"evidence: leaklint mismatch on {', '.join(lint_failed)}", file=sys.stderr)
    return 1 if failed or lint_failed else 0
