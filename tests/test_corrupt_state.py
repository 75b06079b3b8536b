"""Hostile or corrupt state a run meets (issue 17): never a traceback, a hang or a lost finding.

Covers the cache directory and file, .gitignore files, baselines, package.json files, deep
directory trees and deeply nested code, and directive comments naming unknown rules.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import Result
from tree_sitter import Node

import leaklint
from leaklint.model.settings import Settings
from leaklint.pipeline.cache import ResultCache
from leaklint.pipeline.discovery import discover
from leaklint.pipeline.engine import RunResult, check_path, rules_for, run
from leaklint.rules.ll000_parse_error import first_named_node_beyond
from leaklint.syntax.parsing import parse
from leaklint.syntax.source import Language
from tests.cli_helpers import chdir, invoke
from tests.conftest import write

LEAK = "function f() { area = 1; }\n"


def rules_of(result: RunResult) -> list[str]:
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
    assert "1 recorded finding in baseline.json no longer occurs" in result.stderr
    assert invoke(tmp_path, "--no-cache", "--write-baseline", "baseline.json").exit_code == 0


# --- code nested deeper than tree-sitter's queries reach (point 9) --------------------------


def max_named_depth(root: Node) -> int:
    deepest, stack = 0, [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if node.is_named:
            deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node.children)
    return deepest


@pytest.mark.parametrize(
    "code",
    ["a = a = a = 1;", "x = [1, 2, [3, [4]], 5];", "f(g(h(x)));\ny = 1;", "class A { m() {} }"],
)
def test_the_depth_search_is_exact(code: str) -> None:
    root = parse(code.encode(), Language.JAVASCRIPT).root_node
    deepest = max_named_depth(root)
    for limit in range(deepest + 2):
        found = first_named_node_beyond(root, limit)
        assert (found is not None) == (deepest > limit), (limit, deepest)
        assert found is None or found[1].parent == root


DEEP_LEAK = "var a; " + "a = " * 65_600 + "zz = 1;"  # zz = 1: an implicit global, deep down


def test_code_the_queries_cannot_reach_is_never_reported_as_clean(tmp_path: Path) -> None:
    # tree-sitter's query cursor does not visit nodes over 65,535 levels deep: this file said
    # "All clear" and exited 0. Either the leak is found or the file is marked as only partly
    # analysed (LL000), whichever the query runner achieves.
    write(tmp_path / "deep.js", DEEP_LEAK)
    # One 262 KB line looks minified, and generated files are skipped by default: this test
    # is about what the analysis reaches, so it asks for the file to be checked anyway.
    write(tmp_path / "leaklint.toml", "check-generated = true\n")
    result = invoke(tmp_path, "--no-cache", "--format", "json")
    findings = {(f["rule"], f["line"], f["column"]): f["message"] for f in result_findings(result)}
    if ("LL001", 1, 262_408) in findings:
        assert result.exit_code == 1
    else:  # whether LL000 alone fails the run is the CLI's exit policy
        assert "only partly analysed" in findings.get(("LL000", 1, 8), ""), findings


def result_findings(result: Result) -> list[dict]:
    return json.loads(result.stdout)["findings"]


def test_the_partly_analysed_notice_follows_what_the_queries_reach(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The query runner reaches code nested past tree-sitter's 65,535-level cursor limit
    # (syntax.parsing.run_query), so the deep leak is found and no notice is due; should a
    # query miss the deep code again, the file is marked as only partly analysed.
    import leaklint.rules.ll000_parse_error as ll000

    write(tmp_path / "deep.js", DEEP_LEAK)
    settings = Settings(root=tmp_path, check_generated=True)  # one long line: "minified"
    files = discover([tmp_path], settings)
    reached = rules_of(run(files, settings, jobs=1, use_cache=False))
    assert "LL001" in reached and "LL000" not in reached

    def a_query_that_misses_deep_code(language: Language, source: str, root: Node) -> dict:
        return {"node": []}

    monkeypatch.setattr(ll000, "captures", a_query_that_misses_deep_code)
    assert "LL000" in rules_of(run(files, settings, jobs=1, use_cache=False))


# --- the cache never writes through a symlink or outside its directory (point 3) -----------


@pytest.fixture
def default_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache in its default place, ``<project>/.leaklint_cache``."""
    monkeypatch.delenv("LEAKLINT_CACHE_DIR", raising=False)


def cache_version_dir(cache: Path) -> Path:
    return cache / f"v{leaklint.__version__}"


def tree_of(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*"))


def assert_cache_refused_once(result: Result, victim: Path, before: list[str]) -> None:
    assert result.exit_code == 1, result.output  # the run itself goes on, uncached
    assert "a.js:1:16" in result.stdout
    assert result.stderr.count("not using the result cache") == 1, result.stderr
    assert tree_of(victim) == before


def test_a_symlinked_cache_directory_is_not_written_through(
    tmp_path: Path, default_cache: None
) -> None:
    project, victim = tmp_path / "project", tmp_path / "victim"
    victim.mkdir()
    write(project / "a.js", LEAK)
    (project / ".leaklint_cache").symlink_to("../victim")
    for _ in range(2):
        result = invoke(project, "--no-source")
        assert_cache_refused_once(result, victim, [])
    assert "is a symbolic link" in result.stderr


@pytest.mark.parametrize("inside", [".gitignore", "CACHEDIR.TAG", "version-dir", "cache-file"])
def test_a_symlink_inside_the_cache_directory_is_not_followed(
    tmp_path: Path, default_cache: None, inside: str
) -> None:
    project, victim = tmp_path / "project", tmp_path / "victim"
    write(victim / "precious.txt", "keep me\n")
    write(project / "a.js", LEAK)
    assert invoke(project, "--no-source").exit_code == 1  # creates the cache
    cache = project / ".leaklint_cache"
    [cache_file] = cache_version_dir(cache).glob("*.json")
    target = {
        ".gitignore": cache / ".gitignore",
        "CACHEDIR.TAG": cache / "CACHEDIR.TAG",
        "version-dir": cache_version_dir(cache),
        "cache-file": cache_file,
    }[inside]
    if target.is_dir():
        for child in target.iterdir():
            child.unlink()
        target.rmdir()
        target.symlink_to(victim)
    else:
        target.unlink()
        target.symlink_to(victim / "precious.txt")
    write(project / "a.js", LEAK + "// changed\n")  # something new to store
    result = invoke(project, "--no-source")
    assert_cache_refused_once(result, victim, ["precious.txt"])
    assert (victim / "precious.txt").read_text() == "keep me\n"


def test_an_explicit_cache_directory_must_be_new_empty_or_ours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    write(project / "a.js", LEAK)
    home = tmp_path / "home"
    write(home / "notes.txt", "mine\n")
    monkeypatch.setenv("LEAKLINT_CACHE_DIR", str(home))
    result = invoke(project, "--no-source")
    assert_cache_refused_once(result, home, ["notes.txt"])
    assert "neither empty nor a leaklint cache" in result.stderr
    for directory in (tmp_path / "new" / "cache", tmp_path / "empty"):
        if directory.name == "empty":
            directory.mkdir()
        monkeypatch.setenv("LEAKLINT_CACHE_DIR", str(directory))
        for _ in range(2):  # created (or taken) by the first run, recognised as ours after
            result = invoke(project, "--no-source")
            assert result.exit_code == 1 and result.stderr == "", result.stderr
        assert (directory / "CACHEDIR.TAG").read_text().startswith("Signature: ")
        assert list(cache_version_dir(directory).glob("*.json"))


# --- a corrupt cache is a miss, rebuilt; a FIFO is never opened; gone files are pruned (6) --


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("LEAKLINT_CACHE_DIR", str(directory))
    return directory


def cache_document(cache: Path) -> tuple[Path, dict]:
    [cache_file] = cache_version_dir(cache).glob("*.json")
    return cache_file, json.loads(cache_file.read_text())


def first_finding(result: dict) -> dict:
    return result["findings"][0]


# Each takes the cached result of a.js (one LL001 finding) and breaks it in one way.
CORRUPTIONS = {
    "finding-empty": lambda r: r.update(findings=[{}]),
    "finding-a-number": lambda r: r.update(findings=[1]),
    "findings-a-string": lambda r: r.update(findings="abc"),
    "bad-severity": lambda r: first_finding(r).update(severity="fatal"),
    "span-key-missing": lambda r: first_finding(r)["span"].pop("end_column"),
    "span-key-extra": lambda r: first_finding(r)["span"].update(extra=1),
    "bad-related": lambda r: first_finding(r).update(related=[{"span": 1, "message": "m"}]),
    "bad-suppression": lambda r: first_finding(r).update(suppression={"kind": 5}),
    "path-a-number": lambda r: first_finding(r).update(path=5),
    "bad-error": lambda r: r.update(error={"path": "a.js"}),
    "line-a-string": lambda r: first_finding(r)["span"].update(line="x"),
    "checked-a-string": lambda r: r.update(checked="yes"),
    "extra-key": lambda r: r.update(surprise=True),
}


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_a_cached_result_of_the_wrong_shape_is_a_miss_and_rewritten(
    tmp_path: Path, cache_dir: Path, corruption: str
) -> None:
    project = tmp_path / "project"
    write(project / "a.js", LEAK)
    fresh = invoke(project, "--format", "json")
    cache_file, document = cache_document(cache_dir)
    [(key, entry)] = document["entries"].items()
    CORRUPTIONS[corruption](entry[3])
    cache_file.write_text(json.dumps(document))
    again = invoke(project, "--format", "json")
    assert again.exit_code == fresh.exit_code == 1
    assert again.stdout == fresh.stdout  # the file was checked again, not served broken
    _, rewritten = cache_document(cache_dir)
    assert rewritten["entries"][key][3] == json.loads(json.dumps(fresh_cached_result(project)))


def fresh_cached_result(project: Path) -> dict:
    """What a fresh check of a.js caches."""
    settings = Settings(root=project)
    with chdir(project):
        return check_path(project / "a.js", settings, rules_for(settings)).to_cache()


def test_an_entry_of_the_wrong_shape_is_a_miss(tmp_path: Path, cache_dir: Path) -> None:
    project = tmp_path / "project"
    write(project / "a.js", LEAK)
    invoke(project)
    cache_file, document = cache_document(cache_dir)
    for key in document["entries"]:
        document["entries"][key] = [True, "12", None, {}]
    cache_file.write_text(json.dumps(document))
    assert "a.js:1:16" in invoke(project, "--no-source").stdout


def test_a_cache_nested_100000_levels_deep_is_rebuilt(tmp_path: Path, cache_dir: Path) -> None:
    project = tmp_path / "project"
    write(project / "a.js", LEAK)
    invoke(project)
    cache_file, _ = cache_document(cache_dir)
    cache_file.write_text("[" * 100_000)
    result = invoke(project, "--no-source")
    assert result.exit_code == 1 and "a.js:1:16" in result.stdout
    assert len(cache_document(cache_dir)[1]["entries"]) == 1


@contextmanager
def fails_instead_of_hanging(seconds: int) -> Iterator[None]:
    def hung(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_fifo_at_the_cache_path_is_never_opened(tmp_path: Path, cache_dir: Path) -> None:
    project = tmp_path / "project"
    write(project / "a.js", LEAK)
    invoke(project)
    cache_file, _ = cache_document(cache_dir)
    cache_file.unlink()
    os.mkfifo(cache_file)
    with fails_instead_of_hanging(30):
        result = invoke(project, "--no-source")
    assert result.exit_code == 1 and "a.js:1:16" in result.stdout
    assert "is not a regular file" in result.stderr
    assert stat.S_ISFIFO(os.lstat(cache_file).st_mode)  # left as it was


def test_entries_of_files_that_are_gone_are_pruned(tmp_path: Path, cache_dir: Path) -> None:
    project = tmp_path / "project"
    for index in range(5):
        write(project / f"a{index}.js", LEAK)
    invoke(project)
    for run_number in range(3):  # rename every file, as a refactoring or a branch switch does
        for path in sorted(project.glob("*.js")):
            path.rename(path.with_name(f"r{run_number}-{path.name}"))
        invoke(project)
        entries = cache_document(cache_dir)[1]["entries"]
        assert sorted(Path(key).name for key in entries) == sorted(
            p.name for p in project.glob("*.js")
        )


def test_a_source_file_swapped_for_a_fifo_is_a_miss_without_reading_it(tmp_path: Path) -> None:
    source = write(tmp_path / "a.js", "")
    cache = ResultCache(tmp_path / "cache", "k")
    cache.store(source, 1, 0, "digest", {"findings": []})  # empty, like a FIFO's st_size
    source.unlink()
    os.mkfifo(source)  # same size, another mtime: the content hash used to read it, forever
    with fails_instead_of_hanging(10):
        assert cache.lookup(source) is None


def test_a_cache_file_over_the_size_cap_is_not_read(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import leaklint.pipeline.cache as cache_module

    project = tmp_path / "project"
    write(project / "a.js", LEAK)
    invoke(project)
    cache_file, document = cache_document(cache_dir)
    [entry] = document["entries"].values()
    entry[3]["findings"][0]["message"] = "served from the cache"
    cache_file.write_text(json.dumps(document))
    assert "served from the cache" in invoke(project, "--no-source").stdout  # a valid hit
    monkeypatch.setattr(cache_module, "_MAX_CACHE_BYTES", cache_file.stat().st_size - 1)
    assert "served from the cache" not in invoke(project, "--no-source").stdout


NESTED_LEAK = "function f(){" * 3000 + "leak = 1;" + "}" * 3000


@pytest.mark.parametrize(
    "code",
    [
        NESTED_LEAK,
        "f = " + "() => " * 3000 + "{ leak = 1; };",
        "'use strict';\nclass A { m() {" + NESTED_LEAK + "} }",
    ],
    ids=["functions", "arrows", "strict-class"],
)
def test_code_inside_3000_nested_functions_is_analysed(tmp_path: Path, code: str) -> None:
    # Strictness and the fingerprint's context name recursed once per enclosing function:
    # the file was "skipped: nesting too deep to analyse" and its leak lost.
    write(tmp_path / "deep.js", code)
    write(tmp_path / "leaklint.toml", "check-generated = true\n")  # one long line: "minified"
    document = json.loads(invoke(tmp_path, "--no-cache", "--format", "json").stdout)
    assert document["errors"] == []
    [leak] = [f for f in document["findings"] if "'leak'" in f["message"]]
    assert leak["rule"] == "LL001"
