"""Fixes as data on findings, the mechanical fixes of LL001/LL003/LL006/LL007, and --fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leaklint.config import Settings
from leaklint.model.findings import Finding
from leaklint.pipeline.engine import check_source
from leaklint.pipeline.fixes import apply_edits
from leaklint.rules import Rule, get_rule
from leaklint.semantic.context import FileContext
from leaklint.syntax.source import SourceFile
from tests.conftest import write
from tests.rule_helpers import run_rule


def fixed(source: str, finding: Finding) -> str:
    assert finding.fix is not None
    edits = sorted(finding.fix.edits, key=lambda e: e.start)
    return apply_edits(source.encode(), edits).decode()


# --- LL001 -------------------------------------------------------------------------------


def test_ll001_declares_a_variable_used_only_in_its_function() -> None:
    source = "function f(a) {\n  total = a * 2;\n  return total;\n}\n"
    (finding,) = run_rule("LL001", source)
    assert finding.fix is not None and finding.fix.safe
    after = fixed(source, finding)
    assert after == "function f(a) {\n  let total = a * 2;\n  return total;\n}\n"
    assert run_rule("LL001", after) == []


def test_ll001_fix_is_unsafe_when_a_nested_function_uses_the_name() -> None:
    source = "function f() {\n  n = 1;\n  return () => n;\n}\n"
    (finding,) = run_rule("LL001", source)
    assert finding.fix is not None and not finding.fix.safe


@pytest.mark.parametrize(
    "source",
    [
        "function f() { if (a) { n = 1; } return n; }\n",  # not in the function's own body
        "function f() { n = 1; }\nfunction g() { return n; }\n",  # used by another function
        "function f() { log(n); n = 1; }\n",  # read before it is written
        "function f() { n = 1, m = 2; }\n",  # `let` would declare m too
        "n = 1;\n",  # module level: not one function's variable
    ],
)
def test_ll001_offers_no_fix_when_let_could_change_the_program(source: str) -> None:
    findings = run_rule("LL001", source)
    assert findings and all(f.fix is None for f in findings if "'n'" in f.message)


# --- LL007 -------------------------------------------------------------------------------


def test_ll007_once_for_an_event_that_fires_once_is_safe() -> None:
    source = "app.get('/a', (req, res) => {\n  process.on('exit', () => res.end());\n});\n"
    (finding,) = run_rule("LL007", source)
    assert finding.fix is not None and finding.fix.safe
    after = fixed(source, finding)
    assert "process.once('exit'" in after
    assert run_rule("LL007", after) == []


def test_ll007_once_for_a_repeating_event_is_offered_as_unsafe() -> None:
    source = "app.get('/a', (req, res) => {\n  process.on('SIGTERM', () => res.end());\n});\n"
    (finding,) = run_rule("LL007", source)
    assert finding.fix is not None and not finding.fix.safe


def test_ll007_add_event_listener_gets_the_once_option() -> None:
    source = (
        "app.get('/a', (req, res) => {\n"
        "  window.addEventListener('message', () => res.end());\n"
        "});\n"
    )
    (finding,) = run_rule("LL007", source)
    after = fixed(source, finding)
    assert "() => res.end(), { once: true })" in after
    assert run_rule("LL007", after) == []


# --- LL003 / LL006: into finally -----------------------------------------------------------

POOL = "const { Pool } = require('pg');\nconst pool = new Pool();\n"


def test_release_at_the_end_of_the_block_moves_into_finally() -> None:
    source = POOL + (
        "async function run() {\n"
        "    const client = await pool.connect();\n"
        "    await client.query('BEGIN');\n"
        "\n"
        "    await client.query('COMMIT');\n"
        "    client.release();\n"
        "}\n"
    )
    (finding,) = run_rule("LL006", source)
    assert finding.fix is not None and finding.fix.safe
    after = fixed(source, finding)
    assert after == POOL + (
        "async function run() {\n"
        "    const client = await pool.connect();\n"
        "    try {\n"
        "        await client.query('BEGIN');\n"
        "\n"
        "        await client.query('COMMIT');\n"
        "    } finally {\n"
        "        client.release();\n"
        "    }\n"
        "}\n"
    )
    assert run_rule("LL006", after) == []


@pytest.mark.parametrize(
    "body",
    [
        # the release is not the block's last statement
        "  const { rows } = await client.query('q');\n  client.release();\n  return rows;\n",
        # the body already has a try
        "  try { await client.query('q'); } catch (e) {}\n  await x();\n  client.release();\n",
        # the release's argument may be a variable of the body
        "  const err = await client.query('q');\n  client.release(err);\n",
        # re-indenting would change a multi-line template
        "  await client.query(`SELECT\n1`);\n  client.release();\n",
        # a hoisted declaration would be hidden inside the try
        "  await client.query('q');\n  function helper() {}\n  client.release();\n",
        # the release and the body share a line
        "  await client.query('q'); client.release();\n",
    ],
)
def test_no_finally_fix_for_other_shapes(body: str) -> None:
    head = "async function run() {\n  const client = await pool.connect();\n"
    source = POOL + head + body + "}\n"
    findings = run_rule("LL006", source)
    assert findings and all(f.fix is None for f in findings)


def test_fixes_survive_the_cache_and_reach_json(project: Path, run_cli) -> None:
    write(project / "a.js", "function f() {\n  total = 1;\n  return total;\n}\n")
    for _ in range(2):  # the second run is answered from the cache
        result = run_cli("check", "--format", "json", ".")
        (finding,) = json.loads(result.output)["findings"]
        assert finding["fix"] == {
            "description": "Declare 'total' with let",
            "safe": True,
            "edits": [
                {
                    "start_byte": 17,
                    "end_byte": 17,
                    "line": 2,
                    "column": 3,
                    "end_line": 2,
                    "end_column": 3,
                    "text": "let ",
                }
            ],
        }


# --- check --fix -------------------------------------------------------------------------


def test_check_fix_applies_only_safe_fixes_and_reports_the_rest(project: Path, run_cli) -> None:
    source = (
        "\ufefffunction f() {\n  total = 1;\n  return total;\n}\n"
        "app.get('/a', (req, res) => {\n  process.on('SIGTERM', () => res.end());\n});\n"
    )
    path = write(project / "a.js", source)
    result = run_cli("check", "--fix", "--no-cache", "--format", "json", ".")
    after = path.read_text(encoding="utf-8")
    assert after.startswith("\ufefffunction f() {\n  let total = 1;")
    assert "process.on('SIGTERM'" in after  # unsafe: left for a person
    findings = json.loads(result.stdout)["findings"]
    assert [f["rule"] for f in findings] == ["LL007"]
    assert result.exit_code == 1
    assert "fixed 1 findings in 1 files" in result.stderr


def test_check_without_fix_never_writes(project: Path, run_cli) -> None:
    source = "function f() {\n  total = 1;\n  return total;\n}\n"
    path = write(project / "a.js", source)
    run_cli("check", ".")
    assert path.read_text(encoding="utf-8") == source


def test_suppressed_findings_are_not_fixed(project: Path, run_cli) -> None:
    source = (
        "function f() {\n  // leaklint-disable-next-line LL001 -- on purpose\n"
        "  total = 1;\n  return total;\n}\n"
    )
    path = write(project / "a.js", source)
    run_cli("check", "--fix", ".")
    assert path.read_text(encoding="utf-8") == source


# --- one failing rule --------------------------------------------------------------------


class _Exploding(Rule):
    code = "LL901"
    name = "exploding"
    summary = "Fails on every file."
    messages = {"half-done": "half-done"}

    def check(self, ctx: FileContext) -> None:
        ctx.report(self, ctx.tree.root_node, self.msg("half-done"))
        raise ValueError("boom")


def test_a_failing_rule_loses_its_findings_and_the_others_still_report() -> None:
    source = SourceFile.from_bytes(Path("a.js"), b"function f() { leaked = 1; }\n")
    failures: list[tuple[str, str]] = []
    rules = [_Exploding, get_rule("LL001")]
    findings = check_source(
        source, Settings(), rules, on_rule_error=lambda r, e: failures.append((r.code, str(e)))
    )
    assert [f.rule for f in findings] == ["LL001"]
    assert failures == [("LL901", "boom")]
    with pytest.raises(ValueError):  # without a handler the caller decides, as before
        check_source(source, Settings(), rules)


def test_check_reports_a_failing_rule_and_the_other_rules_findings(
    project: Path, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from leaklint.rules.ll002_uncleared_interval import UnclearedInterval

    def boom(self: object, ctx: FileContext) -> None:
        raise RuntimeError("deliberate")

    monkeypatch.setattr(UnclearedInterval, "check", boom)
    write(project / "a.js", "app.get('/', (req, res) => { setInterval(f, 1); leaked = 1; });\n")
    result = run_cli("check", "--no-cache", "--format", "json", "a.js")
    document = json.loads(result.stdout)
    assert [f["rule"] for f in document["findings"]] == ["LL001"]
    assert document["errors"] == [
        {"path": "a.js", "message": "internal error in rule LL002: RuntimeError: deliberate"}
    ]


def test_the_run_after_fix_sees_the_fixed_files_through_the_cache(
    project: Path, run_cli, monkeypatch
) -> None:
    # The first run's cache holds the unfixed file's findings; the re-run after the fixes
    # must stat the files again, not reuse the directory walk's stat from before them.
    monkeypatch.setenv("LEAKLINT_CACHE_DIR", str(project.parent / "cache"))
    path = write(project / "a.js", "function f() {\n  total = 1;\n  return total;\n}\n")
    run_cli("check", "--exit-zero", ".")  # fills the cache with the unfixed result
    result = run_cli("check", "--fix", "--format", "json", ".")
    assert "let total = 1;" in path.read_text(encoding="utf-8")
    assert json.loads(result.stdout)["findings"] == []
    assert result.exit_code == 0
