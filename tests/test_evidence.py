"""The runtime evidence suite (evidence/): its expectations can fail, and a full run passes.

The end-to-end test starts real Redis and PostgreSQL servers and runs every flagged/fixed
pair under Node.js; it is skipped only on a developer machine without those tools, never
under CI.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EVIDENCE = Path(__file__).resolve().parent.parent / "evidence"
sys.path.insert(0, str(EVIDENCE))

from runner import lint  # noqa: E402
from runner.cases import CASES, Measurement, select_cases  # noqa: E402
from runner.servers import find_binary  # noqa: E402

# A whole run takes well under a minute on 2 cores; this bound only stops a hang.
RUN_TIMEOUT_S = 600

# Representative (flagged, fixed) values and details per case, as a real run measures them.
TYPICAL: dict[str, tuple[float, float, dict[str, object]]] = {
    "LL001": (1, 0, {}),
    "LL002": (200, 0, {"heap_mb": 12.7}),
    "LL003": (50, 0, {"failed": 50, "calls": 100}),
    "LL003-pg": (50, 0, {"failed": 50, "calls": 100}),
    "LL003-node-redis": (50, 0, {"failed": 50, "calls": 100}),
    "LL003-factory": (100, 0, {"calls": 100, "clients": 100}),
    "LL003-redis-module": (100, 0, {"calls": 100, "clients": 100}),
    "LL003-pg-module": (100, 1, {"calls": 100}),
    "LL004": (508, 195, {"record_bytes": 100_000}),
    "LL005": (19.9, 1.8, {"page_kb": 100}),
    "LL006": (50, 1, {"failed": 50, "calls": 100}),
    "LL006-pg-module": (100, 1, {"calls": 100}),
    "LL006-callback": (100, 1, {"calls": 100}),
    "LL006-callback-error": (50, 1, {"failed": 50, "calls": 100}),
    "LL007": (200, 0, {"heap_mb": 10.5}),
    "LL007-process": (200, 0, {"heap_mb": 10.6}),
    "LL007-abort": (200, 0, {"heap_mb": 12.8}),
    "LL008": (100, 0, {}),
    "LL009": (200, 0, {"fds": 400}),
    # "watchers" follows each program's own value (see _pair): both leak together.
    "LL010": (20, 0, {"failed": 20, "calls": 40, "watchers": None}),
    "LL011": (200, 0, {"heap_mb": 12.8}),
    "LL012": (192.5, 108.0, {"row_bytes": 2048, "rows": 40_000, "rss_before_mb": 62.1}),
}
SIZES = {
    "LL001": 100,
    "LL003": 100,
    "LL003-pg": 100,
    "LL003-node-redis": 100,
    "LL003-factory": 100,
    "LL003-redis-module": 100,
    "LL003-pg-module": 100,
    "LL006": 100,
    "LL006-pg-module": 100,
    "LL006-callback": 100,
    "LL006-callback-error": 100,
    "LL008": 100,
    "LL012": 40_000,
    "LL010": 40,
}


def _pair(case_id: str, flagged: float, fixed: float) -> tuple[Measurement, Measurement]:
    n = 1500 if case_id == "LL004" else SIZES.get(case_id, 200)
    details = TYPICAL[case_id][2]
    fixed_details = {k: 0.1 if k == "heap_mb" else v for k, v in details.items()}
    flagged_details = dict(details)
    if "watchers" in details:  # LL010: the watchers leak with the threads
        flagged_details["watchers"], fixed_details["watchers"] = flagged, fixed
    return (
        Measurement(flagged, "u", n, flagged_details),
        Measurement(fixed, "u", n, fixed_details),
    )


def test_every_case_has_its_two_programs_and_nothing_else() -> None:
    on_disk = {p.name for p in (EVIDENCE / "cases").iterdir() if p.is_dir()}
    assert on_disk == {case.case_id for case in CASES}
    for case in CASES:
        assert (EVIDENCE / "cases" / case.case_id / "flagged.js").is_file()
        assert (EVIDENCE / "cases" / case.case_id / "fixed.js").is_file()
    assert {case.rule for case in CASES} == {f"LL0{i:02}" for i in range(1, 13)}


def test_results_name_every_rule_with_evidence_as_the_registry_does() -> None:
    """RESULTS.md's rule column comes from the runner's own table (the runner does not import
    leaklint, so it can run where leaklint is not installed); it must not drift."""
    from runner.cases import RULE_NAMES

    from leaklint.rules import RULES_BY_CODE

    for case in CASES:
        assert RULE_NAMES.get(case.rule) == RULES_BY_CODE[case.rule].name, case.rule


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.case_id)
def test_check_accepts_a_real_leak_and_rejects_the_opposite(case) -> None:
    flagged_value, fixed_value, _ = TYPICAL[case.case_id]
    assert case.check(*_pair(case.case_id, flagged_value, fixed_value)) == []
    # A fixed program that leaks like the flagged one must fail the pair...
    assert case.check(*_pair(case.case_id, flagged_value, flagged_value))
    # ...and so must a flagged program that does not leak.
    assert case.check(*_pair(case.case_id, fixed_value, fixed_value))


def test_connection_cases_require_that_half_the_calls_really_threw() -> None:
    case = next(c for c in CASES if c.case_id == "LL003")
    flagged = Measurement(50, "connections", 100, {"failed": 0})
    fixed = Measurement(0, "connections", 100, {"failed": 0})
    assert any("failed calls" in problem for problem in case.check(flagged, fixed))


def test_select_cases_by_rule_or_case_id() -> None:
    assert [c.case_id for c in select_cases(["LL003"])] == [
        "LL003",
        "LL003-pg",
        "LL003-node-redis",
        "LL003-factory",
        "LL003-redis-module",
        "LL003-pg-module",
    ]
    assert [c.case_id for c in select_cases(["ll001,LL007-process"])] == ["LL001", "LL007-process"]
    assert len(select_cases(None)) == len(CASES)
    with pytest.raises(ValueError, match="LL999"):
        select_cases(["LL999"])


def test_lint_status_tells_not_yet_from_missed_and_false_positive(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.case_id == "LL003")
    flagged = (tmp_path / "LL003" / "flagged.js").resolve()
    fixed = (tmp_path / "LL003" / "fixed.js").resolve()
    other = (tmp_path / "LL001" / "flagged.js").resolve()

    def status(reported: set[tuple[str, Path]], implemented: set[str] | None) -> str:
        return lint.case_status(case, tmp_path, reported, implemented)

    assert status({("LL003", flagged)}, {"LL003"}) == lint.DETECTED
    assert status({("LL003", flagged), ("LL003", fixed)}, {"LL003"}) == lint.FALSE_POSITIVE
    assert status({("LL001", other)}, {"LL001", "LL003"}) == lint.MISSED
    assert status({("LL001", other)}, {"LL001"}) == lint.NOT_YET
    # Without the rule registry, a rule that reports nothing anywhere is "not yet".
    assert status(set(), None) == lint.NOT_YET
    assert status({("LL003", other)}, None) == lint.MISSED


def test_require_lint_modes() -> None:
    cases = select_cases(["LL003"])
    report = lint.LintReport(
        {
            "LL003": lint.DETECTED,
            "LL003-pg": lint.NOT_YET,
            "LL003-node-redis": lint.MISSED,
            "LL003-factory": lint.DETECTED,
            "LL003-redis-module": lint.DETECTED,
            "LL003-pg-module": lint.DETECTED,
        },
        "",
    )
    assert lint.lint_failures(cases, report, None) == []
    assert lint.lint_failures(cases, report, "implemented") == ["LL003-node-redis"]
    assert lint.lint_failures(cases, report, "all") == ["LL003-pg", "LL003-node-redis"]


def test_leaklint_reports_the_layered_cases_across_modules_and_not_their_twins() -> None:
    # Needs no server: the cross-check alone, over every case, as evidence/run makes it. The
    # layered cases' leaks are in the using module, their causes in another one (a factory,
    # a per-call `connect()`), so only project-wide analysis sees them.
    layered = select_cases(["LL003-redis-module", "LL003-pg-module", "LL006-pg-module"])
    report = lint.cross_check(layered, EVIDENCE / "cases", EVIDENCE.parent)
    assert report.statuses == {case.case_id: lint.DETECTED for case in layered}, report.note
    assert "--project" in report.note


def _missing_tools() -> list[str]:
    tools = {
        "node": shutil.which("node"),
        "npm": shutil.which("npm"),
        "redis-server": find_binary("redis-server"),
        "initdb": find_binary("initdb"),
        "postgres": find_binary("postgres"),
    }
    return [name for name, path in tools.items() if path is None]


LINE = re.compile(
    r"^(?P<case>\S+) flagged=(?P<flagged>[\d.]+) fixed=(?P<fixed>[\d.]+) "
    r"unit=(?P<unit>\S+) n=(?P<n>\d+) (?P<verdict>.*)$"
)


def test_full_run_shows_every_flagged_program_leaking_and_every_fix_not(tmp_path: Path) -> None:
    missing = _missing_tools()
    if missing and not os.environ.get("CI"):
        pytest.skip(f"evidence needs {', '.join(missing)} (evidence/setup.sh installs them)")
    results = tmp_path / "RESULTS.md"
    # Every rule exists now: leaklint must report exactly the flagged program of each case.
    command = [sys.executable, str(EVIDENCE / "run"), "--results", str(results)]
    completed = subprocess.run(
        [*command, "--require-lint"],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output

    lines = {m["case"]: m for m in map(LINE.match, completed.stdout.splitlines()) if m}
    assert set(lines) == {case.case_id for case in CASES}, output
    for case in CASES:
        line = lines[case.case_id]
        assert line["verdict"] == "ok", output
        assert float(line["flagged"]) > float(line["fixed"]), output
        status = f"leaklint: {case.case_id} "
        assert f"{status}detected" in completed.stdout.splitlines(), output

    table = results.read_text(encoding="utf-8")
    for case in CASES:
        assert f"| {case.case_id} |" in table
    assert "**FAIL**" not in table
