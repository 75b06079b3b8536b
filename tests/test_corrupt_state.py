"""Hostile or corrupt state a run meets (issue 17): never a traceback, a hang or a lost finding.

Covers the cache directory and file, .gitignore files, baselines, package.json files, deep
directory trees and deeply nested code, and directive comments naming unknown rules.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from tree_sitter import Node

from leaklint.config import Settings
from leaklint.discovery import discover
from leaklint.engine import run
from leaklint.parsing import parse
from leaklint.rules.ll000_parse_error import statement_beyond_query_depth
from leaklint.source import Language
from tests.cli_helpers import invoke
from tests.conftest import write

LEAK = "function f() { area = 1; }\n"


def rules_of(result) -> list[str]:
    return [finding.rule for finding in result.findings]


# --- .gitignore lines git cannot use (point 7) ----------------------------------------------


def test_unusable_gitignore_lines_are_skipped_not_fatal(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    write(tmp_path / ".gitignore", "!\ngenerated/\nx\\\n\\\n")
    write(tmp_path / "sub" / ".gitignore", "!\n")
    write(tmp_path / "a.js", LEAK)
    write(tmp_path / "sub" / "b.js", LEAK)
    write(tmp_path / "generated" / "c.js", LEAK)
    result = invoke(tmp_path, "--no-cache", "--no-source")
    assert result.exit_code == 1, result.output
    # The usable line of the same file still applies: generated/ stays ignored.
    assert "a.js:1:16" in result.stdout and "sub/b.js:1:16" in result.stdout
    assert "generated" not in result.stdout


# --- deep directory trees (point 9) ----------------------------------------------------------


def deep_directory(root: Path, levels: int) -> Path:
    """``root/d/d/…/d``. Each mkdir is relative to an open parent: by full path (and
    mkdir(parents=True) recurses) the kernel walks every level again, which costs depth²."""
    fd = os.open(root, os.O_RDONLY)
    try:
        for _ in range(levels):
            os.mkdir("d", dir_fd=fd)
            child = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = child
    finally:
        os.close(fd)
    return root.joinpath(*(["d"] * levels))


@pytest.fixture
def deep_root(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "deep"
    root.mkdir()
    try:
        yield root
    finally:
        # shutil.rmtree, and so pytest's clean-up of old temporary directories, recurses once
        # per level and fails on these trees; rm(1) does not.
        subprocess.run(["rm", "-rf", str(root)], check=True)


def test_files_500_and_1000_directories_deep_are_found_and_analysed(deep_root: Path) -> None:
    # ~500 levels exhausted the recursive package.json lookup (every file "nesting too deep"),
    # 1,000 the recursive directory walk (RecursionError, no report at all).
    middle = deep_directory(deep_root, 500)
    bottom = deep_directory(middle, 500)
    write(middle / "middle.js", LEAK)
    write(bottom / "bottom.js", LEAK)
    settings = Settings(root=deep_root)
    assert discover([deep_root], settings) == [bottom / "bottom.js", middle / "middle.js"]
    result = invoke(deep_root, "--no-cache", "--format", "json")
    document = json.loads(result.stdout)
    assert document["errors"] == []
    assert [f["rule"] for f in document["findings"]] == ["LL001", "LL001"]
    assert result.exit_code == 1


def test_a_package_json_nested_too_deeply_does_not_decide_the_module_kind(tmp_path: Path) -> None:
    write(tmp_path / "package.json", "[" * 5000)
    write(tmp_path / "src" / "a.js", LEAK)
    settings = Settings(root=tmp_path)
    result = run(discover([tmp_path], settings), settings, jobs=1, use_cache=False)
    assert result.errors == []
    assert rules_of(result) == ["LL001"]  # a script, as without a "type"


# --- directives naming only unknown codes (point 11) ---------------------------------------


def test_a_directive_naming_only_an_unknown_code_suppresses_nothing(tmp_path: Path) -> None:
    write(
        tmp_path / "a.js",
        "function f() {\n"
        "  // leaklint-disable-next-line LL0001\n"
        "  area = 1;\n"
        "  other = 2; // leaklint-disable-line LL0001, LL001\n"
        "}\n",
    )
    plain = invoke(tmp_path, "--no-cache", "--no-source")
    assert plain.exit_code == 1
    assert "a.js:3:3: LL001" in plain.stdout  # the typo hides nothing
    assert "a.js:4:" not in plain.stdout  # the known code next to it still works
    reported = invoke(tmp_path, "--no-cache", "--no-source", "--report-unused-disables")
    unknown = [line for line in reported.stdout.splitlines() if "LL100" in line]
    assert unknown == [
        "a.js:2:3: LL100 Unknown rule code 'LL0001' in leaklint-disable-next-line directive: "
        "it suppresses nothing.",
        "a.js:4:14: LL100 Unknown rule code 'LL0001' in leaklint-disable-line directive: "
        "it suppresses nothing.",
    ]


# --- baselines of the wrong shape (point 8) ------------------------------------------------

BAD_BASELINES = {
    "deep": "[" * 2000,
    "not-an-object": '"abc"',
    "entries-not-a-list": '{"version": 1, "entries": {}}',
    "version-true": '{"version": true, "entries": []}',
    "entry-not-an-object": '{"version": 1, "entries": [1]}',
    "fingerprint-not-a-string": (
        '{"version": 1, "entries": [{"fingerprint": 5, "rule": "LL001", "path": "a.js",'
        ' "message": "m"}]}'
    ),
    "count-a-string": (
        '{"version": 1, "entries": [{"fingerprint": "ab", "rule": "LL001", "path": "a.js",'
        ' "message": "m", "count": "2"}]}'
    ),
    "lone-surrogate": (
        '{"version": 1, "entries": [{"fingerprint": "ab", "rule": "LL001", "path": "a.js",'
        ' "message": "\\ud800"}]}'
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_BASELINES))
def test_a_baseline_of_the_wrong_shape_is_a_clear_error(tmp_path: Path, name: str) -> None:
    write(tmp_path / "a.js", LEAK)
    write(tmp_path / "baseline.json", BAD_BASELINES[name])
    result = invoke(tmp_path, "--no-cache", "--baseline", "baseline.json")
    assert result.exit_code == 2
    assert "baseline.json is not a valid leaklint baseline" in result.output


def test_write_baseline_replaces_a_file_nested_too_deeply(tmp_path: Path) -> None:
    write(tmp_path / "a.js", LEAK)
    write(tmp_path / "baseline.json", "[" * 2000)
    result = invoke(tmp_path, "--no-cache", "--write-baseline", "baseline.json")
    assert result.exit_code == 0, result.output
    entries = json.loads((tmp_path / "baseline.json").read_text())["entries"]
    assert [entry["path"] for entry in entries] == ["a.js"]


def test_a_baseline_entry_for_a_path_no_file_system_holds_is_stale(tmp_path: Path) -> None:
    write(tmp_path / "a.js", LEAK)
    impossible = {"fingerprint": "ab", "rule": "LL001", "path": "x" * 300, "message": "m"}
    document = {"version": 1, "entries": [impossible]}
    write(tmp_path / "baseline.json", json.dumps(document))
    result = invoke(tmp_path, "--no-cache", "--baseline", "baseline.json")
    assert result.exit_code == 1  # a.js's finding is new; the run goes on
    assert "1 baseline entries no longer occur" in result.stderr
    assert invoke(tmp_path, "--no-cache", "--write-baseline", "baseline.json").exit_code == 0


# --- code nested deeper than tree-sitter's queries reach (point 9) --------------------------


def max_depth(root: Node) -> int:
    deepest, stack = 0, [(root, 0)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node.children)
    return deepest


@pytest.mark.parametrize(
    "code",
    ["a = a = a = 1;", "x = [1, 2, [3, [4]], 5];", "f(g(h(x)));\ny = 1;", "class A { m() {} }"],
)
def test_the_depth_check_is_exact(code: str) -> None:
    root = parse(code.encode(), Language.JAVASCRIPT).root_node
    deepest = max_depth(root)
    for limit in range(deepest + 2):
        found = statement_beyond_query_depth(root, limit)
        assert (found is not None) == (deepest > limit), (limit, deepest)
        assert found is None or found.parent == root


def test_code_nested_past_the_query_limit_is_reported_as_partly_analysed(tmp_path: Path) -> None:
    # zz = 1 is an implicit global 65,600 levels down, where no query reaches: the run used
    # to say "All clear" and exit 0. (Code just within the limit is analysed, but reporting a
    # finding that deep still costs depth² in Ancestry, so the boundary is tested above.)
    write(tmp_path / "deep.js", "var a; " + "a = " * 65_600 + "zz = 1;")
    result = invoke(tmp_path, "--no-cache", "--format", "json")
    assert result.exit_code == 1
    findings = json.loads(result.stdout)["findings"]
    assert [(f["rule"], f["line"], f["column"]) for f in findings] == [("LL000", 1, 8)]
    assert "only partly analysed" in findings[0]["message"]
