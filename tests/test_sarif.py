"""``--format sarif``: valid against the OASIS schema and shaped the way code scanning reads it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from leaklint.model.findings import Finding, Related, Severity, Span, Suppression
from leaklint.pipeline.engine import FileError, RunResult
from leaklint.pipeline.selection import selected_rules
from leaklint.reporters.sarif import build_log, to_json
from leaklint.rules import ImplicitGlobal
from tests.cli_helpers import invoke, write

REPO = Path(__file__).resolve().parents[1]


def schema_path() -> Path | None:
    """The official schema ships in shared/ beside the repository (../shared/schemas in CI)."""
    candidates = [REPO.parent / "shared", REPO.parent.parent / "shared"]
    if os.environ.get("LEAKLINT_SHARED"):
        candidates.insert(0, Path(os.environ["LEAKLINT_SHARED"]))
    for shared in candidates:
        path = shared / "schemas" / "sarif-schema-2.1.0.json"
        if path.is_file():
            return path
    return None


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    path = schema_path()
    if path is None:
        pytest.skip("official SARIF schema not found at ../shared/schemas/sarif-schema-2.1.0.json")
    schema = json.loads(path.read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def assert_valid(validator: jsonschema.Draft4Validator, document: dict[str, Any]) -> None:
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


APP = """\
function handler(req) {
  const greeting = "привет 😀"; leak = req.body;
  // leaklint-disable-next-line LL001 -- process-wide on purpose
  registry = new Map();
}
"""


def sarif(cwd: Path, *args: str) -> dict[str, Any]:
    result = invoke(cwd, "--format", "sarif", *args)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    write(tmp_path, {"src/app.js": APP, "src/blob.js": "\x00\x01binary"})
    return tmp_path


def test_cli_output_is_valid_sarif(project: Path, validator: jsonschema.Draft4Validator) -> None:
    assert_valid(validator, sarif(project, "--report-unused-disables"))


def test_driver_describes_every_rule_that_ran(project: Path) -> None:
    run = sarif(project)["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "leaklint"
    assert driver["version"] and driver["semanticVersion"] == driver["version"]
    assert driver["informationUri"].startswith("https://")
    rules = {rule["id"]: rule for rule in driver["rules"]}
    ran = {rule.code for rule in selected_rules((), (), ())}
    assert set(rules) == ran and "LL100" not in ran  # LL100 is off by default
    ll001 = rules["LL001"]
    assert ll001["name"] == "implicit-global"
    assert ll001["shortDescription"]["text"] == ImplicitGlobal.summary
    assert ll001["fullDescription"]["text"].startswith("Flags an assignment")
    assert ll001["help"]["markdown"] == ImplicitGlobal.documentation()
    assert ll001["help"]["text"]
    assert ll001["helpUri"].startswith("https://")
    assert ll001["defaultConfiguration"]["level"] == "error"
    assert ll001["properties"] == {
        "tags": list(ImplicitGlobal.tags),
        "precision": "very-high",
        "problem.severity": "error",
    }


def test_results_locations_and_columns(project: Path) -> None:
    run = sarif(project)["runs"][0]
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == project.resolve().as_uri() + "/"
    result = run["results"][0]
    rules = run["tool"]["driver"]["rules"]
    assert result["ruleId"] == "LL001"
    assert rules[result["ruleIndex"]]["id"] == "LL001"
    assert result["level"] == "error"
    assert "'leak'" in result["message"]["text"]
    physical = result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "src/app.js", "uriBaseId": "%SRCROOT%"}
    line = APP.splitlines()[1]
    column = line.index("leak") + 1  # code points, not UTF-16 units (😀 is two of those)
    assert physical["region"] == {
        "startLine": 2,
        "startColumn": column,
        "endLine": 2,
        "endColumn": column + len("leak"),
    }
    assert set(result["partialFingerprints"]) == {"leaklint/v1"}


def test_suppressed_findings_stay_with_a_suppression(project: Path) -> None:
    results = sarif(project)["runs"][0]["results"]
    suppressed = [r for r in results if "suppressions" in r]
    assert len(suppressed) == 1
    assert suppressed[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 4
    assert suppressed[0]["suppressions"] == [
        {"kind": "inSource", "justification": "process-wide on purpose"}
    ]


def test_unreadable_files_become_tool_notifications(project: Path) -> None:
    invocation = sarif(project)["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is True
    [note] = invocation["toolExecutionNotifications"]
    assert note["message"]["text"] == "src/blob.js: skipped: binary file"
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/blob.js"


def test_fingerprint_survives_lines_added_above(tmp_path: Path) -> None:
    write(tmp_path, {"app.js": APP})
    before = sarif(tmp_path)["runs"][0]["results"]
    write(tmp_path, {"app.js": "// a new header\n'use strict';\n\n" + APP})
    after = sarif(tmp_path)["runs"][0]["results"]
    lines = [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in after]
    assert lines == [5, 7]  # strict mode changed the message, not the identity
    assert [r["partialFingerprints"] for r in after] == [r["partialFingerprints"] for r in before]


def test_downgraded_level_is_written_even_when_it_is_the_default(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"leaklint.toml": '[severity]\nLL001 = "warning"\n', "a.js": "leak = 1;\n"},
    )
    run = sarif(tmp_path)["runs"][0]
    assert run["results"][0]["level"] == "warning"
    rule = run["tool"]["driver"]["rules"][run["results"][0]["ruleIndex"]]
    assert rule["defaultConfiguration"]["level"] == "error"


def hand_made_result() -> RunResult:
    span = Span(3, 7, 3, 30)
    finding = Finding(
        rule="LL001",
        name="implicit-global",
        path="dir with space/ü.js",
        span=span,
        message="growth",
        severity=Severity.WARNING,
        snippet="x",
        related=(Related(Span(9, 5, 9, 20), "grows here"), Related(Span(12, 1, 12, 4), "and")),
        suppression=Suppression("external", ""),
    )
    return RunResult(
        findings=[finding],
        errors=[FileError("broken.js", "internal error: ValueError: boom")],
        files_checked=1,
        rules=[ImplicitGlobal],
    )


def test_related_locations_and_escaped_uris(validator: jsonschema.Draft4Validator) -> None:
    document = to_json(build_log(hand_made_result(), Path("/")))
    assert_valid(validator, document)
    result = document["runs"][0]["results"][0]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "dir%20with%20space/%C3%BC.js"
    related = result["relatedLocations"]
    assert [r["id"] for r in related] == [1, 2]
    assert related[0]["message"]["text"] == "grows here"
    assert related[0]["physicalLocation"]["region"]["startLine"] == 9
    assert result["suppressions"] == [{"kind": "external"}]
    [note] = document["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert note["level"] == "error"


def test_empty_run_is_valid(tmp_path: Path, validator: jsonschema.Draft4Validator) -> None:
    write(tmp_path, {"ok.js": "const a = 1;\n"})
    document = sarif(tmp_path)
    assert_valid(validator, document)
    assert document["runs"][0]["results"] == []
