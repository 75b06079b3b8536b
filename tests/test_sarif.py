"""``--format sarif``: valid against the OASIS schema and shaped the way code scanning reads it."""

from __future__ import annotations

import gzip
import io
import json
import os
import random
import re
import sys
from array import array
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from leaklint.model.findings import Finding, Related, Severity, Span
from leaklint.pipeline.engine import FileError, RunResult
from leaklint.pipeline.selection import selected_rules
from leaklint.reporters import sarif as sarif_module
from leaklint.reporters.line_hash import line_hashes
from leaklint.reporters.sarif import (
    build_log,
    compact_json,
    escape_message,
    fit_github_limits,
    read_regular_file,
    repository_root,
    rule_descriptor,
    shorten,
    to_json,
)
from leaklint.rules import ALL_RULES, ImplicitGlobal, Rule
from leaklint.syntax.source import SourceFile
from tests.cli_helpers import check_json, invoke, write

# The OASIS schema (errata 01), vendored so that these tests run in any checkout.
SCHEMA = Path(__file__).resolve().parent / "data" / "sarif-schema-2.1.0.json"
VALIDATOR = jsonschema.Draft4Validator(
    json.loads(SCHEMA.read_text(encoding="utf-8")), format_checker=jsonschema.FormatChecker()
)


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    return VALIDATOR


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
    """``leaklint check --format sarif ARGS`` in ``cwd``; every log is checked by the schema."""
    result = invoke(cwd, "--format", "sarif", *args)
    assert result.exit_code in (0, 1), result.output
    document = json.loads(result.stdout)
    assert_valid(VALIDATOR, document)
    return document


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    write(tmp_path, {"src/app.js": APP, "src/blob.js": "\x00\x01binary"})
    return tmp_path


def test_vendored_schema_is_the_oasis_sarif_2_1_0_schema() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["id"].endswith("/sarif-2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json") or (
        "v2.1.0" in schema["id"] and schema["id"].endswith("sarif-schema-2.1.0.json")
    )
    assert schema["properties"]["version"]["enum"] == ["2.1.0"]
    # The validator really rejects a bad log (a schema that accepts anything would pass all).
    assert list(VALIDATOR.iter_errors({"version": "2.1.0", "runs": [{"tool": {}}]}))


def test_cli_output_is_valid_sarif(project: Path, validator: jsonschema.Draft4Validator) -> None:
    assert_valid(validator, sarif(project, "--report-unused-disables"))
    assert_valid(
        validator, sarif(project, "--report-unused-disables", "--sarif-include-suppressed")
    )


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
    assert ll001["help"]["text"] == ImplicitGlobal.documentation()
    assert ll001["helpUri"].startswith("https://")
    assert ll001["defaultConfiguration"]["level"] == "error"
    assert ll001["properties"] == {
        "tags": list(ImplicitGlobal.tags),
        "precision": "very-high",
        "problem.severity": "error",
    }


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.code)
def test_full_description_fits_githubs_limit_and_help_has_everything(rule: type[Rule]) -> None:
    """GitHub accepts at most 1,024 characters of fullDescription (most rules' "What it does"
    section is longer): the first paragraph goes there, the whole documentation in help."""
    descriptor = to_json(rule_descriptor(rule))
    text = descriptor["fullDescription"]["text"]
    assert 0 < len(text) <= 1024
    what_it_does = " ".join(rule.documentation().split("## What it does", 1)[1].split())
    assert what_it_does.startswith(text.rstrip("…"))
    assert descriptor["help"]["text"] == descriptor["help"]["markdown"] == rule.documentation()
    assert len(descriptor["properties"]["tags"]) <= 20  # GitHub reads at most 20 tags a rule


def test_shorten_cuts_after_the_last_whole_sentence() -> None:
    text = "One sentence. " * 100
    short = shorten(text.strip(), 1024)
    assert len(short) <= 1024 and short.endswith("sentence.…")
    assert shorten("short.", 1024) == "short."
    assert len(shorten("x" * 3000, 1024)) == 1024


def test_results_locations_and_columns(project: Path) -> None:
    run = sarif(project)["runs"][0]
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == project.resolve().as_uri() + "/"
    assert run["invocations"][0]["workingDirectory"]["uri"] == project.resolve().as_uri() + "/"
    assert "automationDetails" not in run  # no --category: the upload chooses one
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
    assert set(result["partialFingerprints"]) == {"leaklint/v1", "primaryLocationLineHash"}


def test_primary_location_line_hash_is_the_upload_actions_value(project: Path) -> None:
    [result] = sarif(project)["runs"][0]["results"]
    expected = line_hashes((project / "src" / "app.js").read_bytes())[2]
    assert result["partialFingerprints"]["primaryLocationLineHash"] == expected
    assert re.fullmatch(r"[0-9a-f]{1,16}:1", expected)


def test_suppressed_findings_are_left_out_by_default(project: Path) -> None:
    """GitHub ignores `suppressions`: a suppressed result would be an open alert."""
    results = sarif(project)["runs"][0]["results"]
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results] == [2]
    assert not any("suppressions" in r for r in results)


def test_include_suppressed_keeps_them_with_a_suppression(project: Path) -> None:
    results = sarif(project, "--sarif-include-suppressed")["runs"][0]["results"]
    suppressed = [r for r in results if "suppressions" in r]
    assert len(results) == 2 and len(suppressed) == 1
    assert suppressed[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 4
    assert suppressed[0]["suppressions"] == [
        {"kind": "inSource", "justification": "process-wide on purpose"}
    ]


def test_baselined_findings_are_left_out_by_default(tmp_path: Path) -> None:
    write(tmp_path, {"a.js": "old = 1;\n"})
    assert invoke(tmp_path, "--write-baseline", "baseline.json").exit_code == 0
    write(tmp_path, {"a.js": "old = 1;\nnewer = 2;\n"})
    [new] = sarif(tmp_path, "--baseline", "baseline.json")["runs"][0]["results"]
    assert "'newer'" in new["message"]["text"] and new["baselineState"] == "new"
    kept = sarif(tmp_path, "--baseline", "baseline.json", "--sarif-include-suppressed")
    old = [r for r in kept["runs"][0]["results"] if "suppressions" in r]
    assert [(r["baselineState"], r["suppressions"]) for r in old] == [
        ("unchanged", [{"kind": "external", "justification": "recorded in baseline baseline.json"}])
    ]


def test_unreadable_files_become_tool_notifications(project: Path) -> None:
    invocation = sarif(project)["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is True
    [note] = invocation["toolExecutionNotifications"]
    assert note["message"]["text"] == "src/blob.js: skipped: binary file"
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/blob.js"


def fingerprints(document: dict[str, Any]) -> list[dict[str, str]]:
    return [r["partialFingerprints"] for r in document["runs"][0]["results"]]


def test_both_fingerprints_survive_lines_added_above(tmp_path: Path) -> None:
    write(tmp_path, {"app.js": APP})
    before = sarif(tmp_path, "--sarif-include-suppressed")
    write(tmp_path, {"app.js": "// a new header\n'use strict';\n\n" + APP})
    after = sarif(tmp_path, "--sarif-include-suppressed")
    results = after["runs"][0]["results"]
    lines = [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results]
    assert lines == [5, 7]  # strict mode changed the message, not the identity
    assert fingerprints(after) == fingerprints(before)
    assert all(
        set(keys) == {"leaklint/v1", "primaryLocationLineHash"} for keys in fingerprints(after)
    )


def test_line_hash_tells_identical_lines_apart_and_follows_an_edit(tmp_path: Path) -> None:
    twice = "function a() {\n  leak = 1;\n}\nfunction b() {\n  leak = 1;\n}\n"
    write(tmp_path, {"app.js": twice})
    hashes = [f["primaryLocationLineHash"] for f in fingerprints(sarif(tmp_path))]
    # Lines 2 and 5 start the same 100 characters ("leak=1;}functionb(){leak=1;}" + end of
    # file), so they differ only by the occurrence count.
    assert len(hashes) == 2 and hashes[0] != hashes[1]
    write(
        tmp_path, {"app.js": twice.replace("leak = 1;\n}\nfunction b", "leak = 2;\n}\nfunction b")}
    )
    edited = [f["primaryLocationLineHash"] for f in fingerprints(sarif(tmp_path))]
    assert edited[0] != hashes[0] and edited[1] == hashes[1].replace(":2", ":1")


def test_downgraded_level_is_written_even_when_it_is_the_default(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"leaklint.toml": '[severity]\nLL001 = "warning"\n', "a.js": "leak = 1;\n"},
    )
    run = sarif(tmp_path)["runs"][0]
    assert run["results"][0]["level"] == "warning"
    rule = run["tool"]["driver"]["rules"][run["results"][0]["ruleIndex"]]
    assert rule["defaultConfiguration"]["level"] == "error"


def hand_made_result(path: str = "dir with space/ü.js", **extra: Any) -> RunResult:
    span = Span(3, 7, 3, 30)
    finding = Finding(
        rule="LL001",
        name="implicit-global",
        path=path,
        span=span,
        message="growth in cache[key]",
        severity=Severity.WARNING,
        snippet="x",
        related=(Related(Span(9, 5, 9, 20), "grows [here]"), Related(Span(12, 1, 12, 4), "and")),
        **extra,
    )
    return RunResult(
        findings=[finding],
        errors=[FileError("broken.js", "internal error: ValueError: boom")],
        files_checked=1,
        rules=[ImplicitGlobal],
    )


def test_related_locations_are_linked_from_the_message(
    validator: jsonschema.Draft4Validator, tmp_path: Path
) -> None:
    document = to_json(build_log(hand_made_result(), cwd=tmp_path))
    assert_valid(validator, document)
    result = document["runs"][0]["results"][0]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "dir%20with%20space/%C3%BC.js"
    related = result["relatedLocations"]
    assert [r["id"] for r in related] == [1, 2]
    # Brackets of the text itself are escaped, so only the links are links (SARIF 2.1.0
    # "Messages with embedded links"; CodeQL escapes them outside links too).
    assert result["message"]["text"] == (
        r"growth in cache\[key\] Related: [grows \[here\]](1); [and](2)."
    )
    assert related[0]["message"]["text"] == r"grows \[here\]"
    assert related[0]["physicalLocation"]["region"]["startLine"] == 9
    # The file is not there to hash: the upload action computes the line hash itself then.
    assert set(result["partialFingerprints"]) == {"leaklint/v1"}
    [note] = document["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert note["level"] == "error"


def test_text_and_json_messages_do_not_change(tmp_path: Path) -> None:
    write(tmp_path, {"a.js": "function tick() {\n  setInterval(() => {}, 10);\n}\n"})
    [json_finding] = check_json(tmp_path)["findings"]
    [result] = sarif(tmp_path)["runs"][0]["results"]
    assert "Related:" not in json_finding["message"]
    assert result["message"]["text"].startswith(escape_message(json_finding["message"]))
    text = invoke(tmp_path, "--no-source").stdout
    assert json_finding["message"] in text and "](1)" not in text


def test_escape_message_escapes_brackets_and_backslashes() -> None:
    assert escape_message(r"a[i](x) \d") == r"a\[i\](x) \\d"
    assert escape_message("plain") == "plain"


def test_uris_are_relative_to_the_repository_root_from_a_subdirectory(tmp_path: Path) -> None:
    """GitHub resolves relative URIs against the repository root, wherever leaklint ran."""
    (tmp_path / ".git").mkdir()
    write(tmp_path, {"packages/web/src/app.js": "leak = 1;\n", "packages/web/other.js": "x = 1;\n"})
    web = tmp_path / "packages" / "web"
    run = sarif(web, "src", "../web/other.js")["runs"][0]
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"]]
    assert uris == [
        {"uri": "packages/web/other.js", "uriBaseId": "%SRCROOT%"},
        {"uri": "packages/web/src/app.js", "uriBaseId": "%SRCROOT%"},
    ]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.resolve().as_uri() + "/"
    assert run["invocations"][0]["workingDirectory"]["uri"] == web.resolve().as_uri() + "/"
    # The line hash is read from the right file whatever the current directory.
    expected = line_hashes(b"leak = 1;\n")[1]
    assert run["results"][1]["partialFingerprints"]["primaryLocationLineHash"] == expected


def test_a_git_file_marks_the_root_too(tmp_path: Path) -> None:
    (tmp_path / ".git").write_text("gitdir: ../elsewhere\n")  # a worktree or a submodule
    (tmp_path / "sub").mkdir()
    assert repository_root(tmp_path / "sub") == tmp_path


def test_without_a_repository_the_current_directory_is_the_root(tmp_path: Path) -> None:
    if any((parent / ".git").exists() for parent in tmp_path.parents):
        pytest.skip("the temporary directory is inside a git repository")
    write(tmp_path, {"src/a.js": "leak = 1;\n"})
    run = sarif(tmp_path / "src")["runs"][0]
    assert (
        run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == (tmp_path / "src").resolve().as_uri() + "/"
    )
    assert run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "a.js"
    )


def test_a_file_outside_the_repository_gets_a_file_uri(tmp_path: Path) -> None:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    write(tmp_path, {"elsewhere/x.js": "leak = 1;\n"})
    run = sarif(tmp_path / "repo", "../elsewhere/x.js")["runs"][0]
    location = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": (tmp_path / "elsewhere" / "x.js").resolve().as_uri()}


@pytest.mark.skipif(os.name == "nt" or sys.platform == "darwin", reason="POSIX byte file names")
def test_a_file_name_that_is_not_utf8_is_percent_encoded(tmp_path: Path) -> None:
    """Paths are bytes on POSIX: the URI keeps the exact bytes, fingerprints do not crash."""
    name = os.fsdecode(b"bad\xff.js")
    (tmp_path / name).write_bytes(b"function f(){ area = 1 }\n")
    for args in ((), (name,), ("-o", "out.sarif")):
        result = invoke(tmp_path, "--format", "sarif", "--no-cache", *args)
        assert result.exit_code == 1, result.output
        text = (tmp_path / "out.sarif").read_text("utf-8") if args[:1] == ("-o",) else result.stdout
        document = json.loads(text)
        assert_valid(VALIDATOR, document)
        [finding] = document["runs"][0]["results"]
        location = finding["locations"][0]["physicalLocation"]["artifactLocation"]
        assert location == {"uri": "bad%FF.js", "uriBaseId": "%SRCROOT%"}
        expected = line_hashes(b"function f(){ area = 1 }\n")[1]
        assert finding["partialFingerprints"]["primaryLocationLineHash"] == expected
        assert finding["partialFingerprints"]["leaklint/v1"]


def test_a_surrogate_escaped_name_in_a_message_is_printable(tmp_path: Path) -> None:
    result = hand_made_result(os.fsdecode(b"bad\xff.js"))
    result.errors = [FileError(os.fsdecode(b"worse\xfe.js"), "skipped: binary file")]
    document = to_json(build_log(result, cwd=tmp_path))
    out = io.StringIO()
    json.dump(document, out, ensure_ascii=False)
    out.getvalue().encode("utf-8")  # no lone surrogate left anywhere
    [note] = document["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert note["message"]["text"] == r"worse\\xfe.js: skipped: binary file"
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "worse%FE.js"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_in_place_of_a_file_is_not_read_for_the_line_hash(tmp_path: Path) -> None:
    """Hashing reads the files again: a FIFO swapped in since must not block the report."""
    os.mkfifo(tmp_path / "dir with space")
    result = hand_made_result("dir with space")
    [finding] = to_json(build_log(result, cwd=tmp_path))["runs"][0]["results"]
    assert set(finding["partialFingerprints"]) == {"leaklint/v1"}
    assert read_regular_file(str(tmp_path / "dir with space")) is None
    assert read_regular_file("/dev/zero") is None


def test_category_becomes_automation_details(tmp_path: Path) -> None:
    write(tmp_path, {"a.js": "leak = 1;\n"})
    run = sarif(tmp_path, "--category", "leaklint/frontend/")["runs"][0]
    assert run["automationDetails"] == {"id": "leaklint/frontend/"}
    # Like upload-sarif's `category`, a category without the final slash gets one.
    assert sarif(tmp_path, "--category", "frontend")["runs"][0]["automationDetails"] == {
        "id": "frontend/"
    }
    empty = invoke(tmp_path, "--format", "sarif", "--category", "")
    assert empty.exit_code == 2 and "--category" in empty.output


def many_findings(errors: int, warnings: int, notes: int) -> RunResult:
    findings = []
    kinds = [Severity.NOTE] * notes + [Severity.WARNING] * warnings + [Severity.ERROR] * errors
    for number, severity in enumerate(kinds):
        findings.append(
            Finding(
                rule="LL001",
                name="implicit-global",
                path=f"f{number % 97}.js",
                span=Span(number + 1, 1, number + 1, 5),
                message=f"finding {number}",
                severity=severity,
                snippet=str(number),
            )
        )
    findings.sort(key=lambda f: f.sort_key)
    return RunResult(findings=findings, files_checked=97, rules=[ImplicitGlobal])


def test_githubs_limits() -> None:
    assert sarif_module.MAX_RESULTS == 25_000  # results per run
    assert sarif_module.MAX_GZIPPED_BYTES <= 10 * 1024 * 1024  # a gzipped upload
    assert sarif_module.MAX_FULL_DESCRIPTION == 1024


def minimal_log(levels: list[str]) -> dict[str, Any]:
    results = [
        {
            "ruleId": "LL001",
            "level": level,
            "message": {"text": f"finding {number}"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": "a.js"},
                        "region": {"startLine": number + 1},
                    }
                }
            ],
        }
        for number, level in enumerate(levels)
    ]
    return {"runs": [{"results": results, "invocations": [{"executionSuccessful": True}]}]}


def test_at_most_25000_results_keeping_the_most_severe() -> None:
    levels = ["note"] * 20 + ["warning"] * 24_995 + ["error"] * 10
    document = minimal_log(levels)
    message = fit_github_limits(document)
    run = document["runs"][0]
    assert len(run["results"]) == 25_000
    assert Counter(r["level"] for r in run["results"]) == {"error": 10, "warning": 24_990}
    # Still in file order, not in severity order; of the warnings, the last 5 were left out.
    lines = [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in run["results"]]
    assert lines == sorted(lines)
    assert (lines[0], lines[-11], lines[-10]) == (21, 20 + 24_990, 20 + 24_995 + 1)
    [note] = run["invocations"][0]["toolExecutionNotifications"]
    assert note == {"level": "warning", "message": {"text": message}}
    assert message is not None and "at most 25,000 results per run" in message
    assert "the 25,000 most severe of 25,025 results" in message
    assert "leaves out 25 (5 warning, 20 note)" in message


def test_the_cli_says_on_stderr_what_it_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sarif_module, "MAX_RESULTS", 2)
    write(tmp_path, {"a.js": "a = 1;\nb = 2;\nc = 3;\n"})
    result = invoke(tmp_path, "--format", "sarif")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert_valid(VALIDATOR, document)
    run = document["runs"][0]
    assert len(run["results"]) == 2
    [note] = run["invocations"][0]["toolExecutionNotifications"]
    assert "the 2 most severe of 3 results" in note["message"]["text"]
    assert f"leaklint: {note['message']['text']}" in result.stderr


def test_at_most_10_mb_gzipped_keeping_the_most_severe(tmp_path: Path) -> None:
    document = to_json(build_log(many_findings(errors=50, warnings=300, notes=300), cwd=tmp_path))
    full = len(gzip.compress(compact_json(document)))
    limit = full // 3
    message = fit_github_limits(document, max_gzipped_bytes=limit)
    assert message is not None and "gzipped SARIF per upload" in message
    assert len(gzip.compress(compact_json(document))) <= limit
    kept = document["runs"][0]["results"]
    levels = Counter(r["level"] for r in kept)
    assert levels["error"] == 50 and levels["note"] == 0 and 0 < levels["warning"] < 300
    # The estimate is close: the file uses most of the room it has.
    assert len(gzip.compress(compact_json(document))) > 0.8 * limit


def test_within_the_limits_nothing_is_dropped(tmp_path: Path) -> None:
    document = to_json(build_log(many_findings(errors=3, warnings=3, notes=3), cwd=tmp_path))
    assert fit_github_limits(document) is None
    assert len(document["runs"][0]["results"]) == 9
    assert "toolExecutionNotifications" not in document["runs"][0]["invocations"][0]


def test_empty_run_is_valid(tmp_path: Path, validator: jsonschema.Draft4Validator) -> None:
    write(tmp_path, {"ok.js": "const a = 1;\n"})
    document = sarif(tmp_path)
    assert_valid(validator, document)
    assert document["runs"][0]["results"] == []


# --- the line hash, against github/codeql-action ---------------------------------------------

# Expected values from github/codeql-action, src/fingerprints.test.ts.
UPSTREAM_WITH_END_OF_FILE_LINE = [
    "e9496ae3ebfced30:1",
    "fb7c023a8b9ccb3f:1",
    "ce8ba1a563dcdaca:1",
    "e20e36e16fcb0cc8:1",
    "b3edc88f2938467e:1",
    "c8e28b0b4002a3a0:1",
    "c129715d7a2bc9a3:1",
]
UPSTREAM = [
    ("", ["c129715d7a2bc9a3:1"]),
    (
        " a\nb\n  \t\tc\n d",
        ["271789c17abda88f:1", "54703d4cd895b18:1", "180aee12dab6264:1", "a23a3dc5e078b07b:1"],
    ),
    (
        " hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End",
        [
            "8b7cf3e952e7aeb2:1",
            "b1ae1287ec4718d9:1",
            "bff680108adb0fcc:1",
            "c6805c5e1288b612:1",
            "b86d3392aea1be30:1",
            "e6ceba753e1a442:1",
        ],
    ),
    (" hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End\n", UPSTREAM_WITH_END_OF_FILE_LINE),
    (" hello; \t\nworld!!!\r\r\r  \t\tGreetings\r End\r", UPSTREAM_WITH_END_OF_FILE_LINE),
    (
        " hello; \t\r\nworld!!!\r\n\r\n\r\n  \t\tGreetings\r\n End\r\n",
        UPSTREAM_WITH_END_OF_FILE_LINE,
    ),
    (" hello; \t\nworld!!!\r\n\n\r  \t\tGreetings\r End\r\n", UPSTREAM_WITH_END_OF_FILE_LINE),
    (
        "Lorem ipsum dolor sit amet.\n" * 10,
        [
            *(f"a7f2ff13bc495cf2:{n}" for n in range(1, 7)),
            "a7f2ff1481e87703:1",
            "a9cf91f7bbf1862b:1",
            "55ec222b86bcae53:1",
            "cc97dc7b1d7d8f7b:1",
            "c129715d7a2bc9a3:1",
        ],
    ),
]


@pytest.mark.parametrize(("text", "expected"), UPSTREAM)
def test_line_hashes_match_the_upload_actions_test_vectors(text: str, expected: list[str]) -> None:
    assert list(line_hashes(text.encode("utf-8")).values()) == expected
    assert list(line_hashes(text.encode("utf-8"))) == list(range(1, len(expected) + 1))
    for line, value in enumerate(expected, start=1):  # one line alone, as the reporter asks
        assert line_hashes(text.encode("utf-8"), [line]) == {line: value}


def rolling_hashes(data: bytes) -> list[str]:
    """A line-by-line port of the upload action's rolling hash (fingerprints.ts ``hash``):
    one character at a time, a 100-unit window, 64-bit wrap-around. The reporter computes the
    same numbers another way; this is the oracle it is checked against."""
    block, mask, modulus = 100, (1 << 64) - 1, 37
    first_mod = pow(modulus, block, 1 << 64)
    window, line_numbers = [0] * block, [-1] * block
    state = {"hash": 0, "index": 0, "line": 0, "line_start": True, "prev_cr": False}
    counts: dict[str, int] = {}
    out: list[str] = []

    def output() -> None:
        value = format(state["hash"], "x")
        counts[value] = counts.get(value, 0) + 1
        assert line_numbers[state["index"]] == len(out) + 1
        out.append(f"{value}:{counts[value]}")
        line_numbers[state["index"]] = -1

    def update(current: int) -> None:
        begin = window[state["index"]]
        window[state["index"]] = current
        state["hash"] = (modulus * state["hash"] + current - first_mod * begin) & mask
        state["index"] = (state["index"] + 1) % block

    def process(current: int) -> None:
        if current in (0x20, 0x09) or (state["prev_cr"] and current == 0x0A):
            state["prev_cr"] = False
            return
        if current == 0x0D:
            current, state["prev_cr"] = 0x0A, True
        else:
            state["prev_cr"] = False
        if line_numbers[state["index"]] != -1:
            output()
        if state["line_start"]:
            state["line_start"] = False
            state["line"] += 1
            line_numbers[state["index"]] = state["line"]
        if current == 0x0A:
            state["line_start"] = True
        update(current)

    text = data.decode("utf-8", "replace")
    for unit in array("H", text.encode("utf-16-le", "surrogatepass")):
        process(unit)
    process(0xFFFF)
    for _ in range(block):
        if line_numbers[state["index"]] != -1:
            output()
        update(0)
    return out


def test_rolling_port_reproduces_the_upstream_vectors() -> None:
    for text, expected in UPSTREAM:
        assert rolling_hashes(text.encode("utf-8")) == expected


def test_line_hashes_equal_the_rolling_hash_on_awkward_input() -> None:
    """CR/LF/space mixes, astral characters (two UTF-16 units), U+0A00 (whose UTF-16 bytes
    contain a line feed byte), invalid UTF-8, a BOM, long and repeated lines."""
    generator = random.Random(15)
    alphabet = ["a", " ", "\t", "\r", "\n", "\r\n", "😀", "\u0a00", "\u0a0a", "ü", "x" * 120, "}"]
    samples = [
        "\ufeffconst a = 1;\r\n",
        "\u0a00\u0a0a\n\u000a\u0a00",
        "x" * 250 + "\n" + "x" * 250,
    ]
    samples += [
        "".join(generator.choices(alphabet, k=generator.randint(0, 80))) for _ in range(300)
    ]
    for sample in samples:
        data = sample.encode("utf-8")
        expected = rolling_hashes(data)
        assert list(line_hashes(data).values()) == expected, repr(sample)
        # Hashing only some lines (what the reporter does) gives the same values.
        some = generator.sample(range(1, len(expected) + 3), k=min(3, len(expected)))
        chosen = {line: expected[line - 1] for line in some if line <= len(expected)}
        assert line_hashes(data, some) == chosen, repr(sample)
    broken = b"ok\n\xff\xfe bad \xc3\n\xe2\x82 end\n"
    assert list(line_hashes(broken).values()) == rolling_hashes(broken)


def test_line_count_matches_leaklints_lines() -> None:
    """Line n of the hash list is line n as leaklint reports it (CRLF, LF, lone CR)."""
    data = b"a\r\nb\rc\nd"
    assert len(line_hashes(data)) == SourceFile.from_bytes(Path("x.js"), data).line_count
