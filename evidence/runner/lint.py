"""The leaklint cross-check: every flagged.js is reported for its rule, no fixed.js is.

leaklint is built in parallel with this suite, so a rule may not exist yet. That is a status
of its own ("not detected yet"), distinct from a rule that exists and gets the case wrong.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from runner.cases import Case

LINT_TIMEOUT_S = 120

DETECTED = "detected"
NOT_YET = "not detected yet"
MISSED = "MISSED: flagged.js not reported"
FALSE_POSITIVE = "FALSE POSITIVE: fixed.js reported"
UNAVAILABLE = "leaklint unavailable"

# Run in leaklint's interpreter: the rule codes it has, so "not implemented" can be told
# apart from "implemented but silent on this case".
_RULES_PROBE = (
    "import json\n"
    "from leaklint.rules import RULES_BY_CODE\n"
    "print(json.dumps(sorted(RULES_BY_CODE)))\n"
)
_CLI = "import sys\nfrom leaklint.cli import main\nsys.argv[0] = 'leaklint'\nsys.exit(main())\n"


@dataclass(frozen=True)
class LintReport:
    statuses: dict[str, str]  # case_id -> status
    note: str  # how leaklint was run, or why it could not be


def _env_with(repo: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(repo), env.get("PYTHONPATH")]))
    return env


def _interpreters(repo: Path) -> Iterable[str]:
    """Pythons that may have leaklint's dependencies: ours, the repo's venv, the CLI's own."""
    yield sys.executable
    yield str(repo / ".venv" / "bin" / "python")
    script = shutil.which("leaklint")
    if script:
        try:
            first = Path(script).read_text(errors="replace").splitlines()[0]
        except (OSError, IndexError):
            return
        if first.startswith("#!"):
            yield first[2:].strip().split()[0]


def _find_python(repo: Path) -> str | None:
    """The first interpreter that can import the in-tree leaklint CLI (the code under test)."""
    for python in _interpreters(repo):
        if not Path(python).exists():
            continue
        probe = subprocess.run(
            [python, "-c", "import leaklint.cli"],
            env=_env_with(repo),
            capture_output=True,
            timeout=60,
            check=False,
        )
        if probe.returncode == 0:
            return python
    return None


def _implemented_rules(python: str, repo: Path) -> set[str] | None:
    result = subprocess.run(
        [python, "-c", _RULES_PROBE],
        env=_env_with(repo),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        return None
    try:
        return set(json.loads(result.stdout))
    except json.JSONDecodeError:
        return None


def _findings(python: str, repo: Path, cases_dir: Path) -> list[dict[str, object]]:
    result = subprocess.run(
        [
            python,
            "-c",
            _CLI,
            "check",
            "--format",
            "json",
            "--select",
            "ALL",
            "--preview",
            # Project-wide analysis: the layered cases' leaks cross module boundaries.
            "--project",
            str(cases_dir),
        ],
        env=_env_with(repo),
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=LINT_TIMEOUT_S,
        check=False,
    )
    # 0: no findings, 1: findings; anything else is leaklint failing.
    if result.returncode not in (0, 1):
        raise RuntimeError(f"leaklint exited {result.returncode}: {result.stderr.strip()[-500:]}")
    findings = json.loads(result.stdout)["findings"]
    return list(findings)


def _reported(findings: list[dict[str, object]], repo: Path) -> set[tuple[str, Path]]:
    """(rule, absolute path) of every finding; leaklint may print paths relative to cwd."""
    out = set()
    for finding in findings:
        path = Path(str(finding["path"]))
        out.add((str(finding["rule"]), (path if path.is_absolute() else repo / path).resolve()))
    return out


def case_status(
    case: Case, cases_dir: Path, reported: set[tuple[str, Path]], implemented: set[str] | None
) -> str:
    flagged = (cases_dir / case.case_id / "flagged.js").resolve()
    fixed = (cases_dir / case.case_id / "fixed.js").resolve()
    if (case.rule, fixed) in reported:
        return FALSE_POSITIVE
    if (case.rule, flagged) in reported:
        return DETECTED
    # Without the registry, a rule that reports nothing anywhere counts as not there yet.
    exists = (
        case.rule in implemented
        if implemented is not None
        else any(rule == case.rule for rule, _ in reported)
    )
    return MISSED if exists else NOT_YET


def cross_check(cases: list[Case], cases_dir: Path, repo: Path) -> LintReport:
    python = _find_python(repo)
    if python is None:
        return LintReport({c.case_id: UNAVAILABLE for c in cases}, "leaklint not importable")
    try:
        reported = _reported(_findings(python, repo, cases_dir), repo)
    except (RuntimeError, json.JSONDecodeError, KeyError, subprocess.TimeoutExpired) as error:
        return LintReport({c.case_id: UNAVAILABLE for c in cases}, f"leaklint failed: {error}")
    implemented = _implemented_rules(python, repo)
    statuses = {c.case_id: case_status(c, cases_dir, reported, implemented) for c in cases}
    shown = cases_dir.relative_to(repo) if cases_dir.is_relative_to(repo) else cases_dir
    return LintReport(statuses, f"ran leaklint check --format json --project {shown} with {python}")


def lint_failures(cases: list[Case], report: LintReport, mode: str | None) -> list[str]:
    """Case ids whose status --require-lint `mode` does not accept.

    mode "all": every case must be detected. mode "implemented": only rules that
    leaklint already has must be right; "not detected yet" passes. None: nothing is fatal.
    """
    if mode is None:
        return []
    accepted = {DETECTED} if mode == "all" else {DETECTED, NOT_YET}
    return [c.case_id for c in cases if report.statuses.get(c.case_id) not in accepted]
