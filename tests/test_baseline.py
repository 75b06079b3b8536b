"""Adopting leaklint in a legacy repository: --write-baseline today, --baseline from then on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from leaklint import baseline
from tests.cli_helpers import check_json, invoke, write

LEGACY = """\
function load(items) {
  cache = {};
  items.forEach(() => { seen = 1; });
  items.forEach(() => { seen = 2; });
}
"""


@pytest.fixture()
def legacy(tmp_path: Path) -> Path:
    write(tmp_path, {"src/legacy.js": LEGACY, "src/other.js": "other = 1;\n"})
    result = invoke(tmp_path, "--write-baseline", "leaklint-baseline.json")
    assert result.exit_code == 0, result.output
    assert "wrote 4 baseline entries" in result.stderr
    return tmp_path


def entries(root: Path) -> list[dict]:
    return json.loads((root / "leaklint-baseline.json").read_text())["entries"]


def test_baseline_file_format(legacy: Path) -> None:
    document = json.loads((legacy / "leaklint-baseline.json").read_text())
    assert document["version"] == 1 and document["leaklint_version"]
    # The two `seen` writes share a fingerprint (same rule, file, function, code): one entry.
    assert sorted((e["path"], e["count"]) for e in document["entries"]) == [
        ("src/legacy.js", 1),
        ("src/legacy.js", 2),
        ("src/other.js", 1),
    ]
    keys = {"fingerprint", "rule", "path", "message", "count"}
    assert all(set(e) == keys for e in entries(legacy))


def test_only_new_findings_are_reported(legacy: Path) -> None:
    result = invoke(legacy, "--baseline", "leaklint-baseline.json")
    assert result.exit_code == 0, result.stdout
    assert "4 in baseline" in result.stdout
    # New code above the old findings: they keep their identity; only the new leak shows.
    source = "let ok = 1;\nfresh = 2;\n\n" + LEGACY + "function more() { seen = 3; }\n"
    write(legacy, {"src/legacy.js": source})
    document = check_json(legacy, "--baseline", "leaklint-baseline.json")
    assert [(f["line"], f["message"].split("'")[1]) for f in document["findings"]] == [
        (2, "fresh"),
        (9, "seen"),  # a different function: a different fingerprint
    ]
    assert document["baseline"] == {"path": "leaklint-baseline.json", "matched": 4, "stale": 0}


def test_a_repeat_beyond_the_recorded_count_is_new(legacy: Path) -> None:
    third = "  items.forEach(() => { seen = 3; });\n}\n"
    write(legacy, {"src/legacy.js": LEGACY.replace("}\n", third, 1)})
    document = check_json(legacy, "--baseline", "leaklint-baseline.json")
    # Three identical findings, two recorded: the last one in file order is the new one.
    assert [f["line"] for f in document["findings"]] == [5]


def test_gone_findings_are_counted_for_pruning(legacy: Path) -> None:
    write(legacy, {"src/legacy.js": LEGACY.replace("  cache = {};\n", "")})
    result = invoke(legacy, "--baseline", "leaklint-baseline.json")
    assert result.exit_code == 0
    assert "1 baseline entries no longer occur; run --write-baseline to prune" in result.stderr
    document = check_json(legacy, "--baseline", "leaklint-baseline.json")
    assert document["baseline"]["stale"] == 1
    # Pruning rewrites the file without the gone entry.
    invoke(legacy, "--write-baseline", "leaklint-baseline.json")
    assert sum(e["count"] for e in entries(legacy)) == 3


def test_runs_on_a_subset_neither_forget_nor_misreport_other_files(legacy: Path) -> None:
    result = invoke(legacy, "--baseline", "leaklint-baseline.json", "src/other.js")
    assert result.exit_code == 0 and "no longer occur" not in result.stderr
    write(legacy, {"src/other.js": "const other = 1;\n"})
    invoke(legacy, "--write-baseline", "leaklint-baseline.json", "src/other.js")
    assert {e["path"] for e in entries(legacy)} == {"src/legacy.js"}
    # A file that was deleted is pruned even when it was not named.
    (legacy / "src/legacy.js").unlink()
    invoke(legacy, "--write-baseline", "leaklint-baseline.json", "src/other.js")
    assert entries(legacy) == []


def test_findings_suppressed_in_source_are_not_recorded(tmp_path: Path) -> None:
    write(tmp_path, {"a.js": "a = 1; // leaklint-disable-line\nb = 2;\n"})
    invoke(tmp_path, "--write-baseline", "leaklint-baseline.json")
    assert [e["message"].split("'")[1] for e in entries(tmp_path)] == ["b"]


def test_sarif_marks_baseline_state(legacy: Path) -> None:
    write(legacy, {"src/other.js": "other = 1;\nnewer = 2;\n"})
    # Baselined results are in SARIF only on request (GitHub would open an alert for each).
    result = invoke(
        legacy,
        "--format",
        "sarif",
        "--baseline",
        "leaklint-baseline.json",
        "--sarif-include-suppressed",
    )
    results = json.loads(result.stdout)["runs"][0]["results"]
    states = {r["baselineState"] for r in results if "suppressions" in r}
    assert states == {"unchanged"}
    [new] = [r for r in results if "suppressions" not in r]
    assert new["baselineState"] == "new"
    assert results[0]["suppressions"][0]["kind"] == "external"


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "[]",
        '{"version": 99, "entries": []}',
        '{"version": 1, "entries": [{"fingerprint": "x", "rule": "LL001"}]}',
        '{"version": 1, "entries": [{"fingerprint": "x", "rule": "LL001", "path": "a.js", '
        '"message": "m", "count": 0}]}',
    ],
)
def test_corrupt_baseline_is_a_clear_error(tmp_path: Path, content: str) -> None:
    write(tmp_path, {"a.js": "a = 1;\n", "bad.json": content})
    result = invoke(tmp_path, "--baseline", "bad.json")
    assert result.exit_code == 2
    assert "bad.json is not a valid leaklint baseline" in result.stderr


def test_corrupt_baseline_from_the_installed_command(tmp_path: Path) -> None:
    write(tmp_path, {"a.js": "a = 1;\n", "bad.json": "\x00garbage"})
    leaklint = Path(sys.executable).with_name("leaklint")
    command = [str(leaklint)] if leaklint.exists() else [sys.executable, "-m", "leaklint.cli"]
    done = subprocess.run(
        [*command, "check", "--baseline", "bad.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "not a valid leaklint baseline" in done.stderr
    missing = subprocess.run(
        [*command, "check", "--baseline", "missing.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 2 and "--write-baseline missing.json" in missing.stderr


def test_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "leaklint-baseline.json"
    target.write_text(baseline.dumps({}), encoding="utf-8")
    before = target.read_bytes()

    def crash(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    write(tmp_path, {"a.js": "a = 1;\n"})
    result = invoke(tmp_path, "--write-baseline", "leaklint-baseline.json")
    assert result.exit_code == 2 and "disk full" in result.stderr
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []


def test_duplicate_entries_add_up() -> None:
    item = {"fingerprint": "abc", "rule": "LL001", "path": "a.js", "message": "m", "count": 1}
    parsed = baseline.parse({"version": 1, "entries": [item, {**item, "count": 2}]})
    assert parsed["abc"].count == 3
