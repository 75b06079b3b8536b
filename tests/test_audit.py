"""`leaklint audit`, `rule`, `rules` and `check --statistics`: numbers a newcomer can trust.

The HTML is checked here as text (self-contained, escaped, data round-trips); what a person
sees in a browser is checked in test_html_chromium.py.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections import Counter
from pathlib import Path

import pytest

from leaklint.audit import excerpt_window
from leaklint.model.findings import Finding, Severity, Span
from leaklint.pipeline.discovery import _checkable
from leaklint.reporters.html import inline, rule_docs_html, sections, to_html
from leaklint.rules import ALL_RULES
from tests.conftest import write
from tests.fixture_harness import FIXTURES

SEED_CANDIDATES = (
    Path(__file__).resolve().parents[2] / "shared" / "seed" / "examples",
    Path("/work/shared/seed/examples"),
)


def seed_examples() -> Path | None:
    return next((p for p in SEED_CANDIDATES if p.is_dir()), None)


@pytest.fixture
def legacy(project: Path) -> Path:
    """A project holding every fixture (and the talk's examples when shared/ is there)."""
    shutil.copytree(FIXTURES, project / "fixtures")
    seed = seed_examples()
    if seed is not None:
        shutil.copytree(seed, project / "seed")
    return project


def make_synthetic(root: Path, files: int = 100, per_file: int = 100) -> int:
    """A legacy-looking tree of sloppy scripts, each top-level line an implicit global (LL001).

    Returns the number of findings it must produce. Ten directories, so the hotspot chart has
    something to rank, and uneven sizes so the ranking is not a tie.
    """
    total = 0
    for index in range(files):
        lines = per_file + (5 if index % 2 else -5) if per_file > 10 else per_file
        body = "".join(f"leak_{index}_{n} = {n};\n" for n in range(lines))
        write(root / f"legacy/module{index % 10}/file{index}.js", body)
        total += lines
    return total


def audit_json(run_cli, *args: str) -> dict:
    result = run_cli("audit", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


# --- honest numbers ---------------------------------------------------------------------------


def test_audit_counts_equal_check_select_all_preview(legacy: Path, run_cli) -> None:
    audit = audit_json(run_cli, ".")
    check = run_cli("check", "--select", "ALL", "--preview", "--format", "json", ".")
    assert check.exit_code == 1
    checked = json.loads(check.output)
    per_rule = Counter(f["rule"] for f in checked["findings"])
    assert {r["code"]: r["count"] for r in audit["rules"] if r["count"]} == dict(per_rule)
    assert audit["findings"] == len(checked["findings"])
    assert audit["files_checked"] == checked["files_checked"]
    per_file = Counter(f["path"] for f in checked["findings"])
    assert {f["path"]: f["count"] for f in audit["files"]} == dict(per_file)
    # A directory counts the findings of its whole subtree.
    for directory in audit["directories"]:
        below = [f for f in checked["findings"] if f["path"].startswith(directory["path"] + "/")]
        assert directory["count"] == len(below), directory["path"]


def test_audit_runs_every_rule_including_preview(legacy: Path, run_cli) -> None:
    audit = audit_json(run_cli, ".")
    assert {r["code"] for r in audit["rules"]} == {rule.code for rule in ALL_RULES}


def test_audit_select_and_ignore_narrow_the_run(legacy: Path, run_cli) -> None:
    audit = audit_json(run_cli, "--ignore", "LL000", ".")
    assert "LL000" not in {r["code"] for r in audit["rules"]}
    assert all(u["line"] == 0 for u in audit["unparsed"])  # no syntax-error entries left


def test_audit_terminal_summary(legacy: Path, run_cli) -> None:
    result = run_cli("audit", "fixtures")
    assert result.exit_code == 0, result.output  # an audit informs; it does not gate
    out = result.output
    # Source files only: the project fixtures hold package.json / tsconfig.json too.
    files = len([p for p in (legacy / "fixtures").rglob("*") if p.is_file() and _checkable(p.name)])
    assert re.search(rf"^Audited {files} files in \d+\.\d\ds: \d+ findings", out, re.M)
    assert "Findings per rule" in out
    assert re.search(r"^  LL001  implicit-global +\d+ +\d+  error +very-high$", out, re.M)
    # fixtures/LL000/flagged_syntax.js, the two LL001 fixtures with Flow syntax and the two
    # with a TypeScript parameter property named `as`
    assert re.search(r"^  LL000  parse-error +5 +5  warning +very-high$", out, re.M)
    assert "Top directories" in out
    # fixtures/LL001 also holds four files that do not parse, hence its LL000 entries.
    assert re.search(r"^ +\d+  fixtures/LL001  \[LL001 \d+, LL000 4\]$", out, re.M)
    assert "Top files (top 10 of" in out
    assert "Files that could not be parsed (5)" in out
    assert "  fixtures/LL000/flagged_syntax.js:4: Cannot parse this" in out
    assert "  fixtures/LL001/clean_flow_syntax.js:3: Cannot parse this" in out


def test_audit_lists_skipped_files_as_unparsed(project: Path, run_cli) -> None:
    write(project / "ok.js", "function f() { leaked = 1; }\n")
    (project / "blob.js").write_bytes(b"\x00\x01binary")
    audit = audit_json(run_cli, ".")
    assert audit["unparsed"] == [{"path": "blob.js", "line": 0, "message": "skipped: binary file"}]
    assert audit["files_checked"] == 1


def test_audit_of_a_clean_tree(project: Path, run_cli) -> None:
    write(project / "a.js", "const x = 1;\n")
    result = run_cli("audit", "--html", "r.html", ".")
    assert result.exit_code == 0
    assert "0 findings" in result.output
    assert "Every file was parsed." in result.output
    page = (project / "r.html").read_text(encoding="utf-8")
    assert "No leak patterns found." in page


def test_html_when_only_parse_errors(project: Path, run_cli) -> None:
    write(project / "a.js", "function broken( {\n")
    run_cli("audit", "--html", "r.html", ".")
    page = (project / "r.html").read_text(encoding="utf-8")
    assert "No leak patterns found." in page
    assert '<a href="#unparsed">1 file</a> could not be fully parsed' in page


def test_audit_missing_path_is_a_usage_error(project: Path, run_cli) -> None:
    result = run_cli("audit", "nope")
    assert result.exit_code == 2
    assert "path does not exist: nope" in result.output


def test_audit_hotspot_order(project: Path, run_cli) -> None:
    total = make_synthetic(project, files=20, per_file=20)
    audit = audit_json(run_cli, "--top", "3", ".")
    counts = [d["count"] for d in audit["directories"]]
    assert counts == sorted(counts, reverse=True)
    # legacy/ holds every module directory, so it rolls them all up and comes first.
    assert (audit["directories"][0]["path"], audit["directories"][0]["count"]) == ("legacy", total)
    assert all(d["path"].startswith("legacy/module") for d in audit["directories"][1:])
    text = run_cli("audit", "--top", "3", ".").output
    assert "Top directories (top 3 of 11)" in text


def _leaks(prefix: str, count: int) -> str:
    return "".join(f"function f{prefix}{n}() {{ leak_{prefix}{n} = {n}; }}\n" for n in range(count))


def test_hotspots_roll_subdirectories_up_into_their_parents(project: Path, run_cli) -> None:
    write(project / "app/jobs/poll/a.js", _leaks("a", 3))
    write(project / "app/jobs/b.js", _leaks("b", 2))
    write(project / "app/c.js", _leaks("c", 1))
    write(project / "lib/d.js", _leaks("d", 1))
    write(project / "deep/only/child/e.js", _leaks("e", 4))  # one chain: shown once, deepest
    audit = audit_json(run_cli, ".")
    assert [(d["path"], d["count"]) for d in audit["directories"]] == [
        ("app", 6),
        ("app/jobs", 5),
        ("deep/only/child", 4),
        ("app/jobs/poll", 3),
        ("lib", 1),
    ]
    # Files are still counted one by one.
    assert [(f["path"], f["count"]) for f in audit["files"]][:2] == [
        ("deep/only/child/e.js", 4),
        ("app/jobs/poll/a.js", 3),
    ]


def test_findings_only_at_the_top_level_make_one_hotspot(project: Path, run_cli) -> None:
    write(project / "a.js", _leaks("a", 2))
    audit = audit_json(run_cli, ".")
    assert [(d["path"], d["count"]) for d in audit["directories"]] == [(".", 2)]


LEGACY_SERVER = """const express = require('express');
function startPolling(job) {
  setInterval(() => job.poll(), 1000);
}
module.exports = { startPolling };
"""


@pytest.fixture
def legacy_app(project: Path) -> Path:
    """A legacy app as audits find them: most findings in a vendored library and in tests,
    the ones that matter in a little server code."""
    write(project / "public/js/jquery-1.12.4.js", _leaks("jq", 30))
    write(project / "public/js/menu.js", _leaks("menu", 3))
    write(project / "test/helpers.js", _leaks("t", 8))
    write(project / "static/prd/main.3f2a9c1b.js", _leaks("bundle", 5))
    write(project / "src/jobs/poller.js", LEGACY_SERVER)
    write(project / "src/jobs/cleanup.js", LEGACY_SERVER + _leaks("srv", 1))
    write(project / "src/app.js", "module.exports = {};\n")
    return project


def test_audit_classifies_every_file(legacy_app: Path, run_cli) -> None:
    audit = audit_json(run_cli, ".")
    kinds = {k["kind"]: k for k in audit["kinds"]}
    assert list(kinds) == ["server", "browser", "test", "generated", "vendored"]
    assert (kinds["server"]["files"], kinds["server"]["files_with_findings"]) == (3, 2)
    assert kinds["server"]["findings"] == 3  # two uncleared intervals and one global
    assert kinds["vendored"]["findings"] == 30
    assert kinds["vendored"]["reasons"] == {"file name of jQuery": 1}
    assert kinds["generated"]["reasons"] == {"content-hashed bundle name": 1}
    assert kinds["test"]["reasons"] == {"under test/": 1}
    assert kinds["browser"]["reasons"] == {"under public/, which servers hand to browsers": 1}
    assert kinds["server"]["reasons"] == {
        "Node code: uses require, exports or process": 3  # src/app.js has module.exports
    }
    by_path = {f["path"]: f["by_kind"] for f in audit["files"]}
    assert by_path["public/js/jquery-1.12.4.js"] == {"vendored": 30}
    assert by_path["src/jobs/cleanup.js"] == {"server": 2}
    public = next(d for d in audit["directories"] if d["path"] == "public/js")
    assert public["by_kind"] == {"browser": 3, "vendored": 30}


def test_where_to_start_is_server_code(legacy_app: Path, run_cli) -> None:
    """The advice counts within server code: 1 LL001 finding in 1 file, not the 30 of the
    vendored jQuery; the other kinds follow, vendored code last."""
    audit = audit_json(run_cli, ".")
    assert audit["start_here"] == {
        "kind": "server",
        "rule": "LL001",
        "rule_findings": 1,
        "rule_files": 1,
        "file": "src/jobs/cleanup.js",
        "file_findings": 2,
        "directory": "src/jobs",
        "directory_findings": 3,
        "later": ["browser", "test", "generated", "vendored"],
    }
    text = run_cli("audit", ".").output
    assert "Where to start: server code (3 findings in 2 files)" in text
    assert "  1. Fix LL001 implicit-global first: 1 finding in 1 server file, error" in text
    assert (
        "  2. The server file with most findings is src/jobs/cleanup.js (2); "
        "the server directory is src/jobs/ (3)." in text
    )
    assert "  3. Then browser code: 3 findings in 1 file; a leak there lasts" in text
    assert "  6. Then vendored code: 30 findings in 1 file; upgrade the library" in text
    assert text.index("Where to start") < text.index("Findings per rule")


def test_where_to_start_picks_the_rule_within_server_code(project: Path, run_cli) -> None:
    # LL001: error, very-high precision. (Not under vendor/: check and audit skip vendor/
    # by default now; a copied library elsewhere is still told apart by its name.)
    write(project / "lib/jquery-1.12.4.js", _leaks("v", 20))
    write(project / "src/poller.js", LEGACY_SERVER)  # LL002: warning, high precision
    audit = audit_json(run_cli, ".")
    assert audit["rules"][0]["code"] == "LL001"
    assert (audit["start_here"]["kind"], audit["start_here"]["rule"]) == ("server", "LL002")


def test_where_to_start_names_the_most_specific_directory_with_half_the_findings(
    project: Path, run_cli
) -> None:
    """Rolled up, src/ has every finding; src/jobs/ has most of them and says more."""
    write(project / "src/jobs/poll/a.js", _leaks("a", 4))
    write(project / "src/jobs/b.js", _leaks("b", 2))
    write(project / "src/web/c.js", _leaks("c", 3))
    write(project / "src/d.js", _leaks("d", 1))
    audit = audit_json(run_cli, ".")
    assert audit["directories"][0] == {
        "path": "src",
        "count": 10,
        "by_rule": {"LL001": 10},
        "by_kind": {"server": 10},
    }
    start = audit["start_here"]
    assert (start["directory"], start["directory_findings"]) == ("src/jobs", 6)


def test_where_to_start_without_server_findings(project: Path, run_cli) -> None:
    write(project / "public/app.js", _leaks("p", 2))
    write(project / "test/a.test.js", _leaks("t", 5))
    write(project / "src/server.js", "module.exports = {};\n")
    text = run_cli("audit", ".").output
    assert "Where to start: browser code (2 findings in 1 file; no server code has findings)" in (
        text
    )
    assert "Then test code: 5 findings in 1 file" in text


def test_terminal_and_html_show_the_same_hotspots(legacy_app: Path, run_cli) -> None:
    for top in ("3", "10"):
        text = run_cli("audit", "--top", top, "--html", "r.html", ".").output
        page = (legacy_app / "r.html").read_text(encoding="utf-8")
        directories = _listed(text, "Top directories")
        files = _listed(text, "Top files")
        assert directories and files
        assert re.findall(r'<g class="bar" data-dir="([^"]+)"', page) == directories
        top_files = page[page.index("<h2>Top files</h2>") :]
        linked = re.findall(r'<td><a class="path" href="#findings" data-path="([^"]+)"', top_files)
        assert linked == files


def _listed(text: str, title: str) -> list[str]:
    """The paths a terminal summary lists under ``title``."""
    block = text[text.index(title) :].split("\n\n", 1)[0].splitlines()[1:]
    return [line.split()[1] for line in block]


def test_start_here_in_html_matches_the_terminal(legacy_app: Path, run_cli) -> None:
    run_cli("audit", "--html", "r.html", ".")
    page = (legacy_app / "r.html").read_text(encoding="utf-8")
    callout = page[page.index('<section class="callout">') :]
    callout = callout[: callout.index("</section>")]
    assert "Where to start: server code (3 findings in 2 files)" in callout
    assert "LL001 implicit-global</strong></a> first: 1 finding in 1 server file" in callout
    assert 'data-path="src/jobs/cleanup.js"' in callout and 'data-dir="src/jobs"' in callout
    later = re.findall(r'data-kind="(\w+)">\w+ code</a>', callout)
    assert later == ["browser", "test", "generated", "vendored"]
    data = embedded_data(page)
    kinds = {p: data["kinds"][k] for p, k in zip(data["paths"], data["path_kinds"], strict=True)}
    assert kinds["public/js/jquery-1.12.4.js"] == "vendored"
    assert kinds["src/jobs/cleanup.js"] == "server"


# --- HTML -------------------------------------------------------------------------------------


def embedded_data(page: str) -> dict:
    match = re.search(r'<script type="application/json" id="leaklint-data">(.*?)</script>', page)
    assert match, "no data element"
    return json.loads(match.group(1))


def test_html_report_is_self_contained(legacy: Path, run_cli) -> None:
    result = run_cli("audit", "--html", "out/report.html", ".")
    assert result.exit_code == 0, result.output
    assert "HTML report: out/report.html" in result.output
    page = (legacy / "out/report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    # Nothing to fetch: no external resources of any kind.
    for needle in (" src=", "<link", "@import", "url(", "http://", "@font-face"):
        assert needle not in page, needle
    assert "https://" not in page.replace('href="https://', "")  # only doc links, if any


def test_html_report_contents(legacy: Path, run_cli) -> None:
    run_cli("audit", "--html", "report.html", ".")
    page = (legacy / "report.html").read_text(encoding="utf-8")
    audit = audit_json(run_cli, ".")
    data = embedded_data(page)
    assert len(data["rows"]) == audit["findings"]
    assert [r["code"] for r in data["rules"]] == [r["code"] for r in audit["rules"]]
    # One chart bar per rule, with its count; one section per rule with the two key texts.
    for rule in audit["rules"]:
        assert f'data-rule="{rule["code"]}"' in page
        assert f'id="rule-{rule["code"]}"' in page
    assert page.count('<g class="bar" data-rule=') == len(audit["rules"])
    assert "Why it leaks" in page and "How to fix" in page
    assert "Files that could not be parsed" in page and "flagged_syntax.js:4" in page
    # The excerpt of a finding is its source line, with the flagged range marked.
    rows = [r for r in data["rows"] if data["paths"][r[1]] == "fixtures/LL001/flagged_strict.js"]
    (row,) = rows
    assert row[7][row[8] : row[9]] == "area"
    assert row[7].startswith("area = width * height;")


def test_html_escapes_hostile_paths_and_code(project: Path, run_cli) -> None:
    hostile = 'x = "</script><img src=x onerror=alert(1)>\u2028";\n'
    write(project / "we<b>ird&dir/a</script>.js", hostile)  # a directory "a<" on POSIX
    write(project / "plain.js", "y = '<!--';\n")
    result = run_cli("audit", "--html", "r.html", ".")
    assert result.exit_code == 0, result.output
    page = (project / "r.html").read_text(encoding="utf-8")
    assert "<img" not in page
    assert "<b>ird" not in page
    assert page.count("</script>") == 2  # the data element's and the script's own
    assert "<!--" not in page
    data = embedded_data(page)
    assert 'x = "</script><img src=x onerror=alert(1)>\u2028";' in [r[7] for r in data["rows"]]
    assert "we<b>ird&dir/a</script>.js" in data["paths"]
    assert "we&lt;b&gt;ird&amp;dir" in page  # the hotspot chart's label, escaped


def test_html_stays_small_with_ten_thousand_findings(project: Path, run_cli) -> None:
    expected = make_synthetic(project)
    assert expected == 10_000
    started = time.perf_counter()
    result = run_cli("audit", "--html", "big.html", "legacy")
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0
    page = (project / "big.html").read_text(encoding="utf-8")
    assert len(embedded_data(page)["rows"]) == 10_000
    # About 60 bytes a finding: messages and paths are stored once, rows as index arrays.
    assert len(page.encode()) < 1_500_000, len(page.encode())
    assert page.count("<tr") < 50  # rows are drawn by the script, one page at a time
    assert elapsed < 60


# --- pieces -----------------------------------------------------------------------------------


def _finding(line: int, column: int, end_column: int) -> Finding:
    return Finding("LL001", "implicit-global", "a.js", Span(line, column, line, end_column), "m",
                   Severity.ERROR)  # fmt: skip


def test_excerpt_drops_indentation_and_marks_range() -> None:
    excerpt = excerpt_window("    area = w * h;", _finding(1, 5, 9))
    assert (excerpt.text, excerpt.text[excerpt.start : excerpt.end]) == ("area = w * h;", "area")


def test_excerpt_windows_long_lines() -> None:
    line = "a" * 5000 + "LEAK" + "b" * 5000
    excerpt = excerpt_window(line, _finding(1, 5001, 5005))
    assert excerpt.text.startswith("…") and excerpt.text.endswith("…")
    assert len(excerpt.text) <= 162
    assert excerpt.text[excerpt.start : excerpt.end] == "LEAK"


def test_markdown_is_escaped_and_small() -> None:
    html = to_html(
        "## Title\nSome `<b>` and **bold** text\nwrapped.\n\n- one\n- two `x`\n\n"
        "```js\nif (a < b) {}\n</script>\n```\n[bad](javascript:void0) [ok](https://e.org/x)\n"
        "<img src=x>",
        heading_offset=1,
    )
    assert "<h3>Title</h3>" in html
    assert "<p>Some <code>&lt;b&gt;</code> and <strong>bold</strong> text wrapped.</p>" in html
    assert "<ul><li>one</li><li>two <code>x</code></li></ul>" in html
    assert '<pre><code class="language-js">if (a &lt; b) {}\n&lt;/script&gt;</code></pre>' in html
    assert "javascript:" not in html and "<p>bad <a" in html  # the unsafe link is plain text
    assert '<a href="https://e.org/x" rel="noopener noreferrer">ok</a>' in html
    assert "<img" not in html and "&lt;img src=x&gt;" in html
    assert inline("a < b") == "a &lt; b"


def test_every_rule_doc_renders_why_and_fix() -> None:
    for rule in ALL_RULES:
        titles = [title for title, _ in sections(rule.documentation())]
        assert titles[:2] == ["What it does", "Why is this bad?"], rule.code
        html = rule_docs_html(rule.documentation())
        assert "<h4>Why it leaks</h4>" in html, rule.code
        assert "<h4>How to fix</h4>" in html or "Use instead" not in titles, rule.code


# --- rule, rules, --statistics ----------------------------------------------------------------


@pytest.mark.parametrize("key", ["LL001", "ll001", "implicit-global"])
def test_rule_prints_documentation(run_cli, key: str) -> None:
    result = run_cli("rule", key)
    assert result.exit_code == 0
    assert result.output.startswith("# implicit-global (LL001)\n")
    assert "Severity: error. Precision: very-high. Default: on." in result.output
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
        assert heading in result.output


def test_rule_json(run_cli) -> None:
    data = json.loads(run_cli("rule", "LL000", "--format", "json").output)
    assert data["code"] == "LL000" and data["name"] == "parse-error"
    assert data["documentation"].startswith("## What it does")


def test_unknown_rule_exits_2_and_lists_rules(run_cli) -> None:
    result = run_cli("rule", "LL999")
    assert result.exit_code == 2
    assert "unknown rule 'LL999'" in result.output
    for rule in ALL_RULES:
        assert f"{rule.code}  {rule.name}" in result.output


def test_rules_lists_every_rule(run_cli) -> None:
    result = run_cli("rules")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["CODE", "NAME", "SEVERITY", "PRECISION", "DEFAULT"]
    assert len(lines) == len(ALL_RULES) + 1
    assert re.search(r"^LL001 +implicit-global +error +very-high +on$", result.output, re.M)
    data = json.loads(run_cli("rules", "--format", "json").output)
    assert [r["code"] for r in data] == [r.code for r in ALL_RULES]
    assert set(data[0]) == {"code", "name", "summary", "severity", "precision",
                            "default_enabled", "preview", "tags"}  # fmt: skip


def test_check_statistics_has_ruffs_shape(project: Path, run_cli) -> None:
    write(project / "a.js", "".join(f"g{i} = {i};\n" for i in range(12)))
    write(project / "b.js", "function broken( {\n")
    result = run_cli("check", "--statistics", ".")
    assert result.exit_code == 1
    # count<TAB>code<TAB>name, the count right-aligned, most findings first; no listing.
    # (The slowest files follow on stderr.)
    assert result.stdout.splitlines() == [
        "12\tLL001\timplicit-global",
        " 1\tLL000\tparse-error",
        "Found 13 problems (12 errors, 1 warning) in 2 files.",
    ]


def test_check_statistics_when_clean(project: Path, run_cli) -> None:
    write(project / "a.js", "const a = 1;\n")
    result = run_cli("check", "--statistics", ".")
    assert result.stdout == "All clear: no leaks found in 1 file.\n"
    assert "slowest 1 file:" in result.stderr


# --- --baseline and --exclude, as in check ----------------------------------------------------


def _check_json(run_cli, *args: str) -> dict:
    result = run_cli("check", "--select", "ALL", "--preview", "--format", "json", *args)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)


def test_audit_baseline_hides_what_check_hides(project: Path, run_cli) -> None:
    write(project / "src/old.js", _leaks("old", 3))
    assert run_cli("check", "--write-baseline", "base.json", ".").exit_code == 0
    write(project / "src/new.js", _leaks("new", 2))
    audit = audit_json(run_cli, "--baseline", "base.json", ".")
    check = _check_json(run_cli, "--baseline", "base.json", ".")
    shown = [f for f in check["findings"] if f.get("suppression") is None]
    assert audit["findings"] == len(shown) == 2
    assert [f["path"] for f in audit["files"]] == ["src/new.js"]
    assert (audit["suppressed"], audit["baselined"]) == (3, 3)
    assert audit["baseline"] == check["baseline"] == {"path": "base.json", "matched": 3, "stale": 0}
    text = run_cli("audit", "--baseline", "base.json", "--html", "r.html", ".").output
    assert "2 findings" in text and "3 suppressed, 3 by the baseline." in text
    page = (project / "r.html").read_text(encoding="utf-8")
    assert len(embedded_data(page)["rows"]) == 2
    assert "3 by the baseline; not counted above" in page


def test_audit_baseline_errors_and_stale_entries_as_check(project: Path, run_cli) -> None:
    write(project / "a.js", _leaks("a", 2))
    missing = run_cli("audit", "--baseline", "nope.json", ".")
    assert missing.exit_code == 2
    assert "baseline file not found: nope.json" in missing.output
    run_cli("check", "--write-baseline", "base.json", ".")
    write(project / "a.js", _leaks("a", 1))
    stale = run_cli("audit", "--baseline", "base.json", ".")
    assert stale.exit_code == 0
    assert "1 recorded finding in base.json no longer occurs" in stale.output  # stderr


def test_audit_extend_exclude_as_check(project: Path, run_cli) -> None:
    write(project / "src/a.js", _leaks("a", 2))
    write(project / "public/vendor/lib.js", _leaks("v", 5))
    write(project / "legacy/old.js", _leaks("o", 1))
    args = ("--extend-exclude", "public/vendor/", "--extend-exclude", "legacy/,x.js", ".")
    audit = audit_json(run_cli, *args)
    check = _check_json(run_cli, *args)
    assert audit["files_checked"] == check["files_checked"] == 1
    assert audit["findings"] == len(check["findings"]) == 2


def test_exclude_replaces_the_built_in_excludes_as_in_ruff(project: Path, run_cli) -> None:
    write(project / "src/a.js", _leaks("a", 1))
    write(project / "node_modules/dep/index.js", _leaks("d", 2))
    assert audit_json(run_cli, ".")["files_checked"] == 1
    audit = audit_json(run_cli, "--exclude", "src/", ".")
    check = _check_json(run_cli, "--exclude", "src/", ".")
    assert audit["files_checked"] == check["files_checked"] == 1
    assert [f["path"] for f in audit["files"]] == ["node_modules/dep/index.js"]
    kinds = {k["kind"]: k["findings"] for k in audit["kinds"]}
    assert kinds == {"vendored": 2}


@pytest.mark.parametrize("command", ["check", "audit"])
def test_an_invalid_exclude_pattern_is_a_usage_error(project: Path, run_cli, command: str) -> None:
    write(project / "a.js", "x;\n")
    result = run_cli(command, "--extend-exclude", "!", ".")
    assert result.exit_code == 2
    assert "--extend-exclude: invalid pattern '!'" in result.output
