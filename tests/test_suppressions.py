"""Directive comments, per-file ignores and severity overrides, through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leaklint.pipeline.suppressions import comment_body, parse_directive
from tests.cli_helpers import check_json, invoke, rules_and_lines, write

LEAKY = """\
function handler() {
  total = 1;
  // leaklint-disable-next-line LL001 -- cache is intentionally process-wide
  cache = {};
  seen = []; // leaklint-disable-line implicit-global
  const text = "// leaklint-disable-line LL001"; count = 0;
}
"""


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    write(tmp_path, {"app.js": LEAKY})
    return tmp_path


def test_line_directives_suppress_only_their_line(project: Path) -> None:
    document = check_json(project)
    # Line 2 has no directive; line 6's "directive" is inside a string and does not count.
    assert rules_and_lines(document) == [("LL001", 2), ("LL001", 6)]


def test_suppressed_findings_are_counted_in_the_text_summary(project: Path) -> None:
    result = invoke(project, "--no-source")
    assert result.exit_code == 1
    assert "2 suppressed" in result.stdout.splitlines()[-1]
    assert ":4:" not in result.stdout and ":5:" not in result.stdout


def test_all_clear_summary_still_mentions_suppressed(tmp_path: Path) -> None:
    write(tmp_path, {"a.js": "x = 1; // leaklint-disable-line\n"})
    result = invoke(tmp_path)
    assert result.exit_code == 0
    assert "1 suppressed" in result.stdout


def test_file_directive_covers_the_whole_file_and_lists_codes(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a.js": "a = 1;\nb = 2;\n/* leaklint-disable LL000, LL001 -- generated code */\n",
            "b.js": "a = 1;\n/* leaklint-disable LL000 */\n",
        },
    )
    document = check_json(tmp_path)
    assert [(f["path"], f["line"]) for f in document["findings"]] == [("b.js", 1)]


def test_next_line_after_a_multiline_block_comment(tmp_path: Path) -> None:
    write(tmp_path, {"a.js": "/*\n * leaklint-disable-next-line\n */\nleak = 1;\nother = 2;\n"})
    assert rules_and_lines(check_json(tmp_path)) == [("LL001", 5)]


def test_jsx_comment_directive(tmp_path: Path) -> None:
    source = """\
    export const View = () => (
      <div>
        {/* leaklint-disable-next-line LL001 */}
        {(leak = 1)}
        {(other = 2)}
      </div>
    );
    """
    write(tmp_path, {"view.jsx": source})
    assert rules_and_lines(check_json(tmp_path)) == [("LL001", 5)]


def test_unused_directives_fail_the_run_only_when_asked(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a.js": """\
            const fine = 1; // leaklint-disable-line
            leak = 1; // leaklint-disable-line LL001
            // leaklint-disable-next-line LL001, LL000 -- LL000 is not needed
            other = 2;
            """
        },
    )
    assert invoke(tmp_path).exit_code == 0
    result = invoke(tmp_path, "--report-unused-disables", "--no-source")
    assert result.exit_code == 1
    lines = [line for line in result.stdout.splitlines() if "LL100" in line]
    assert lines == [
        "a.js:1:17: LL100 Unused leaklint-disable-line directive (no problems were reported).",
        "a.js:3:1: LL100 Unused leaklint-disable-next-line directive "
        "(no problems were reported from LL000).",
    ]


def test_unused_codes_of_rules_that_did_not_run_are_not_reported(tmp_path: Path) -> None:
    write(tmp_path, {"a.js": "leak = 1; // leaklint-disable-line LL001\n"})
    result = invoke(tmp_path, "--report-unused-disables", "--select", "LL000")
    assert result.exit_code == 0, result.stdout


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("// leaklint-disable-line", ("disable-line", (), (), "")),
        ("//leaklint-disable-line LL001,LL000", ("disable-line", ("LL001", "LL000"), (), "")),
        (
            "// leaklint-disable-next-line implicit-global -- a reason -- with dashes",
            ("disable-next-line", ("LL001",), (), "a reason -- with dashes"),
        ),
        ("/** leaklint-disable LL9 */", ("disable", (), ("LL9",), "")),
        ("// see leaklint-disable-line", None),
        ("// leaklint-disable-lines", None),
    ],
)
def test_parse_directive(comment: str, expected: object) -> None:
    assert parse_directive(comment) == expected


def test_comment_body_strips_delimiters() -> None:
    assert comment_body("/* a */") == "a"
    assert comment_body("//  b") == "b"


# --- configuration -------------------------------------------------------------------------

CONFIG_LEGACY = """\
[tool.leaklint.per-file-ignores]
"legacy/**" = ["LL001"]
"*.test.js" = ["implicit-global"]
"scripts/" = ["ALL"]
"""


def test_per_file_ignores_are_gitignore_style_and_relative_to_the_config(tmp_path: Path) -> None:
    leak = "leak = 1;\n"
    write(
        tmp_path,
        {
            "pyproject.toml": CONFIG_LEGACY,
            "legacy/old.js": leak,
            "src/legacy/kept.js": leak,  # "legacy/**" is anchored at the config's directory
            "src/a.test.js": leak,  # a pattern without a slash matches at any depth
            "scripts/deploy.js": leak,
            "src/app.js": leak,
        },
    )
    expected = ["src/legacy/kept.js", "src/app.js"]
    assert sorted(f["path"] for f in check_json(tmp_path)["findings"]) == sorted(expected)
    # From a subdirectory the globs still mean the same files.
    document = check_json(tmp_path / "src")
    assert sorted(f["path"] for f in document["findings"]) == ["app.js", "legacy/kept.js"]


def test_per_file_ignores_apply_to_files_named_explicitly(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": CONFIG_LEGACY, "legacy/old.js": "leak = 1;\n"})
    assert invoke(tmp_path, "legacy/old.js").exit_code == 0


def test_severity_overrides_change_every_output(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": '[tool.leaklint.severity]\nimplicit-global = "note"\n',
            "a.js": "leak = 1;\n",
        },
    )
    assert [f["severity"] for f in check_json(tmp_path)["findings"]] == ["note"]
    github = invoke(tmp_path, "--format", "github")
    assert github.stdout.startswith("::notice file=a.js,line=1,")


def test_same_results_in_worker_processes_and_from_the_cache(tmp_path: Path) -> None:
    files = {"pyproject.toml": CONFIG_LEGACY}
    for number in range(24):
        files[f"src/m{number}.js"] = (
            f"leak{number} = 1; // leaklint-disable-line LL001 -- reason {number}\n"
            "other = 2;\n"
            "const fine = 3; // leaklint-disable-line\n"
        )
        files[f"legacy/m{number}.js"] = "old = 1;\n"
    write(tmp_path, files)
    args = ("--report-unused-disables", "--format", "sarif", "--sarif-include-suppressed")
    serial = invoke(tmp_path, *args, "--jobs", "1", "--no-cache").stdout
    parallel = invoke(tmp_path, *args, "--jobs", "2", "--no-cache").stdout
    first = invoke(tmp_path, *args).stdout  # fills the cache
    cached = invoke(tmp_path, *args).stdout
    assert serial == parallel == first == cached
    results = json.loads(cached)["runs"][0]["results"]
    assert len(results) == 24 * 3
    assert sum("suppressions" in r for r in results) == 24
    assert {r["ruleId"] for r in results} == {"LL001", "LL100"}
