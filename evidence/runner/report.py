"""What evidence/run prints (one line per case) and the Markdown table it writes."""

from __future__ import annotations

import json
import platform
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from runner.cases import RULE_NAMES, Case, Measurement
from runner.lint import LintReport
from runner.servers import find_binary

EVIDENCE_DIR = Path(__file__).resolve().parent.parent
LIBRARIES = ("ioredis", "redis", "pg", "knex", "adm-zip", "archiver")


@dataclass
class Outcome:
    case: Case
    flagged: Measurement | None
    fixed: Measurement | None
    problems: list[str]
    seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.flagged is not None and self.fixed is not None and not self.problems


def _number(value: float) -> str:
    return f"{value:g}"


def result_line(outcome: Outcome) -> str:
    """`LL003 flagged=50 fixed=0 unit=connections n=100 ok` (or FAIL and the reasons)."""
    case = outcome.case
    if outcome.flagged is None or outcome.fixed is None:
        return f"{case.case_id} flagged=? fixed=? unit=? FAIL: {'; '.join(outcome.problems)}"
    verdict = "ok" if outcome.ok else f"FAIL: {'; '.join(outcome.problems)}"
    return (
        f"{case.case_id} flagged={_number(outcome.flagged.value)} "
        f"fixed={_number(outcome.fixed.value)} unit={outcome.flagged.unit} "
        f"n={outcome.flagged.n} {verdict}"
    )


def _version(command: list[str]) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return "?"
    # "v20.1.0", "Redis server v=7.0.15 ...", "postgres (PostgreSQL) 15.18 (Debian ...)"
    for word in (result.stdout or result.stderr).split():
        version = word.removeprefix("v=").removeprefix("v")
        if version[:1].isdigit():
            return version
    return "?"


def _library_versions() -> str:
    versions = []
    for name in LIBRARIES:
        manifest = EVIDENCE_DIR / "node_modules" / name / "package.json"
        try:
            versions.append(f"{name} {json.loads(manifest.read_text())['version']}")
        except (OSError, ValueError, KeyError):
            versions.append(f"{name} ?")
    return ", ".join(versions)


def _environment() -> str:
    postgres = find_binary("postgres")
    redis = find_binary("redis-server")
    return (
        f"Node.js {_version(['node', '--version'])}, "
        f"Redis {_version([redis, '--version']) if redis else '?'}, "
        f"PostgreSQL {_version([postgres, '--version']) if postgres else '?'}; "
        f"{_library_versions()}; {platform.system()} {platform.machine()}"
    )


def _row(outcome: Outcome, report: LintReport | None) -> str:
    case = outcome.case
    rule = f"{case.rule} {RULE_NAMES.get(case.rule, '')}".strip()
    flagged, fixed = outcome.flagged, outcome.fixed
    lint_status = report.statuses.get(case.case_id, "") if report else "not run"
    if flagged is None or fixed is None:
        cells = [rule, case.case_id, case.measures, "?", "?", "", "", "error", lint_status, ""]
    else:
        also = "; ".join(
            filter(None, [f"flagged: {case.secondary(flagged)}", f"fixed: {case.secondary(fixed)}"])
        )
        verdict = "flagged leaks, fixed does not" if outcome.ok else "**FAIL**"
        cells = [
            rule,
            case.case_id,
            case.measures,
            _number(flagged.value),
            _number(fixed.value),
            flagged.unit,
            str(flagged.n),
            verdict,
            lint_status,
            also,
        ]
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def write_results(path: Path, outcomes: list[Outcome], report: LintReport | None) -> None:
    lines = [
        "# Runtime evidence",
        "",
        "Written by `evidence/run` (see `evidence/README.md` for the method). Each row runs the",
        "rule's flagged program and its fixed twin under real Node.js against real servers and",
        "compares one measurement; N is the number of calls or requests (records for LL004).",
        "",
        f"Environment: {_environment()}.",
        "",
        "| Rule | Case | What is measured | Flagged | Fixed | Unit | N | Result | leaklint "
        "| Also measured |",
        "| --- | --- | --- | ---: | ---: | --- | ---: | --- | --- | --- |",
        *(_row(outcome, report) for outcome in outcomes),
        "",
    ]
    failures = [o for o in outcomes if not o.ok]
    for outcome in failures:
        lines.append(f"- {outcome.case.case_id} failed: {'; '.join(outcome.problems)}")
    notes = [f"- {o.case.case_id}: {note}" for o in outcomes for note in o.notes]
    if notes:
        lines += ["Notes:", "", *notes, ""]
    path.write_text("\n".join(lines).rstrip("\n") + "\n", encoding="utf-8")
