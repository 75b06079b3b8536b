"""Parallelism and the cache wrap the per-file step without changing any result."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from leaklint.config import Settings
from leaklint.pipeline.cache import ResultCache
from leaklint.pipeline.discovery import discover
from leaklint.pipeline.engine import run
from tests.conftest import write


def make_files(root: Path, count: int) -> None:
    for index in range(count):
        body = f"function f{index}() {{ leaked{index % 7} = {index}; }}\n" if index % 3 else "x;\n"
        write(root / f"pkg{index % 5}" / f"file{index}.js", body)
    write(root / "broken.js", "function (( {\n")


def summary(result) -> list[tuple]:
    return [
        (f.path, f.span.line, f.span.column, f.rule, f.message, f.fingerprint)
        for f in result.findings
    ]


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("LEAKLINT_CACHE_DIR", str(directory))
    return directory


def test_parallel_equals_serial_in_stable_order(project: Path, cache_dir: Path) -> None:
    make_files(project, 120)
    files = discover([project], Settings(root=project))
    serial = run(files, Settings(root=project), jobs=1, use_cache=False)
    parallel = run(files, Settings(root=project), jobs=2, use_cache=False)
    assert summary(serial) == summary(parallel)
    assert serial.files_checked == parallel.files_checked == 121
    assert len(serial.findings) > 50


def test_warm_run_uses_cache_and_sees_changes(project: Path, cache_dir: Path) -> None:
    make_files(project, 40)
    settings = Settings(root=project)
    files = discover([project], settings)
    cold = run(files, settings, jobs=1)
    assert list(cache_dir.rglob("*.json")), "cache file written"
    warm = run(files, settings, jobs=1)
    assert summary(cold) == summary(warm)
    # Change one file: its new content is checked, not served from the cache.
    target = project / "pkg1" / "file1.js"
    target.write_text("function f() { const ok = 1; return ok; }\n")
    os.utime(target, ns=(1, 1))
    changed = run(files, settings, jobs=1)
    assert not [f for f in changed.findings if f.path.endswith("pkg1/file1.js")]
    assert len(changed.findings) == len(cold.findings) - 1


def test_a_warm_run_given_the_walk_stats_takes_no_stat_of_its_own(
    project: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_files(project, 10)
    settings = Settings(root=project)
    stats: dict[str, os.stat_result] = {}
    files = discover([project], settings, stats=stats)
    assert stats == {str(path): os.stat(path) for path in files}  # every file, by its path
    cold = run(files, settings, jobs=1)

    real_stat = Path.stat

    def no_stat(self: Path, **kwargs: bool) -> os.stat_result:
        assert self not in files, f"a second stat of {self}"
        return real_stat(self, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(Path, "stat", no_stat)
        warm = run(files, settings, jobs=1, stats=stats)
    assert summary(warm) == summary(cold)
    assert stats == {}  # taken out as used: a cold run does not hold them to its peak
    # The stat handed over decides: one saying the file changed size is a miss, never a hit.
    real = os.stat(files[0])
    stats[str(files[0])] = SimpleNamespace(  # type: ignore[assignment]
        st_mode=real.st_mode, st_size=real.st_size + 1, st_mtime_ns=real.st_mtime_ns
    )
    import leaklint.pipeline.engine as engine

    checked: list[Path] = []
    real_check = engine.check_path

    def counted(path: Path, *args: object, **kwargs: object) -> object:
        checked.append(path)
        return real_check(path, *args, **kwargs)

    monkeypatch.setattr(engine, "check_path", counted)
    run(files, settings, jobs=1, stats=stats)
    assert checked == [files[0]]


def test_same_content_new_mtime_is_a_hit(project: Path, cache_dir: Path, monkeypatch) -> None:
    write(project / "a.js", "function f() { leaked = 1; }\n")
    settings = Settings(root=project)
    files = discover([project], settings)
    run(files, settings, jobs=1)
    os.utime(project / "a.js", ns=(5, 5))
    import leaklint.pipeline.engine as engine

    monkeypatch.setattr(engine, "check_path", lambda *a: pytest.fail("cache miss"))
    assert len(run(files, settings, jobs=1).findings) == 1


def test_corrupt_cache_is_ignored_and_rebuilt(project: Path, cache_dir: Path) -> None:
    write(project / "a.js", "function f() { leaked = 1; }\n")
    settings = Settings(root=project)
    files = discover([project], settings)
    run(files, settings, jobs=1)
    for cache_file in cache_dir.rglob("*.json"):
        cache_file.write_text("{not json")
    assert len(run(files, settings, jobs=1).findings) == 1
    for cache_file in cache_dir.rglob("*.json"):
        json.loads(cache_file.read_text())  # rewritten whole


def test_cache_depends_on_configuration(project: Path, cache_dir: Path) -> None:
    write(project / "a.js", "function f() { leaked = 1; }\n")
    files = discover([project], Settings(root=project))
    assert len(run(files, Settings(root=project), jobs=1).findings) == 1
    declared = Settings(root=project, globals=("leaked",))
    assert run(files, declared, jobs=1).findings == []


def test_a_changed_package_type_is_not_answered_from_the_cache(
    project: Path, cache_dir: Path
) -> None:
    # The file's bytes are the same, but package.json's "type" makes it an ES module: strict
    # code, where the undeclared write throws instead of making a global. The cached wording
    # of the CommonJS run must not survive the edit, nor the ESM one its revert.
    write(project / "package.json", '{"name": "app"}')
    write(project / "a.js", "function f() { leaked = 1; }\nf();\n")
    settings = Settings(root=project)
    files = discover([project], settings)
    assert "becomes a global" in run(files, settings, jobs=1).findings[0].message
    write(project / "package.json", '{"name": "app", "type": "module"}')
    assert "ReferenceError" in run(files, settings, jobs=1).findings[0].message
    write(project / "package.json", '{"name": "app"}')
    assert "becomes a global" in run(files, settings, jobs=1).findings[0].message


def test_environments_worked_out_per_directory_are_each_files_own(project: Path) -> None:
    """The warm run asks once per directory and kind of extension: ``.mjs``, ``.cjs`` and
    ``.js`` files side by side, under ``"type": "module"`` and without, still each get the
    environment asked for on their own."""
    from leaklint.pipeline.engine import _environments
    from leaklint.syntax.source import file_environment

    write(project / "esm" / "package.json", '{"name": "esm", "type": "module"}')
    write(project / "cjs" / "package.json", '{"name": "cjs"}')
    names = ["a.mjs", "b.js", "c.cjs", "d.JS", "e.ts", "f.js", ".g", "h."]
    paths = [project / folder / name for folder in ("esm", "cjs") for name in names]
    for path in paths:
        write(path, "x;\n")
    cache = object()
    expected = [file_environment(path) for path in paths]
    assert len(set(expected)) >= 3
    assert _environments(paths, [cache] * len(paths)) == expected  # type: ignore[list-item]
    assert _environments(paths[:2], [None, cache]) == ["", expected[1]]  # type: ignore[list-item]


def test_a_new_meteor_package_js_is_not_answered_from_the_cache(
    project: Path, cache_dir: Path
) -> None:
    # Meteor's linker makes a package file's undeclared top-level writes package variables.
    write(project / "pkg" / "package.json", '{"name": "pkg"}')
    write(project / "pkg" / "lib.js", "Helpers = {};\n")
    settings = Settings(root=project)
    files = discover([project], settings)
    assert len(run(files, settings, jobs=1).findings) == 1
    (project / "pkg" / "package.json").unlink()
    write(project / "pkg" / "package.js", "Package.describe({ name: 'pkg' });\n")
    files = discover([project], settings)
    assert [f.rule for f in run(files, settings, jobs=1).findings] == []


def test_cache_written_by_another_build_is_not_used(
    project: Path, cache_dir: Path, monkeypatch
) -> None:
    """The same version with other code (an editable install, a patched release) must not
    serve results its code did not compute: the build digest is part of the cache key."""
    import leaklint.pipeline.cache as cache_module
    import leaklint.pipeline.engine as engine

    write(project / "a.js", "function f() { leaked = 1; }\n")
    settings = Settings(root=project)
    files = discover([project], settings)
    run(files, settings, jobs=1)
    monkeypatch.setattr(cache_module, "build_digest", lambda: "another-build")
    calls: list[object] = []
    real_check = engine.check_path
    monkeypatch.setattr(engine, "check_path", lambda *a: calls.append(a) or real_check(*a))
    assert len(run(files, settings, jobs=1).findings) == 1
    assert calls, "the other build's cache served the result"


def test_tree_digest_changes_when_a_module_changes(tmp_path: Path) -> None:
    from leaklint.pipeline.cache import tree_digest

    write(tmp_path / "pkg" / "a.py", "x = 1\n")
    write(tmp_path / "pkg" / "sub" / "b.py", "y = 2\n")
    write(tmp_path / "pkg" / "notes.txt", "not code\n")
    before = tree_digest(str(tmp_path / "pkg"))
    assert tree_digest(str(tmp_path / "pkg")) == before
    (tmp_path / "pkg" / "notes.txt").write_text("other\n")
    assert tree_digest(str(tmp_path / "pkg")) == before  # only modules count
    os.utime(tmp_path / "pkg" / "sub" / "b.py", ns=(1, 1))
    assert tree_digest(str(tmp_path / "pkg")) != before


def test_cache_foreign_entries_are_ignored(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path, "k")
    cache._entries[str((tmp_path / "a.js").resolve())] = ["bad"]
    (tmp_path / "a.js").write_text("x")
    assert cache.lookup(tmp_path / "a.js") is None


def test_no_cache_flag_writes_nothing(project: Path, cache_dir: Path, run_cli) -> None:
    write(project / "a.js", "function f() { leaked = 1; }\n")
    assert run_cli("check", "--no-cache", "a.js").exit_code == 1
    assert not cache_dir.exists()
    assert run_cli("check", "-j", "2", "a.js").exit_code == 1
    assert cache_dir.exists()


def test_read_only_project_gets_no_cache(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("LEAKLINT_CACHE_DIR", raising=False)
    project = tmp_path / "ro"
    write(project / "a.js", "function f() { leaked = 1; }\n")
    project.chmod(0o555)
    try:
        settings = Settings(root=project)
        assert len(run(discover([project], settings), settings, jobs=1).findings) == 1
        assert not (project / ".leaklint_cache").exists()
    finally:
        project.chmod(0o755)


def test_big_files_one_at_a_time_first_results_in_order(
    project: Path, cache_dir, monkeypatch
) -> None:
    import leaklint.pipeline.parallel as parallel

    make_files(project, 60)
    monkeypatch.setattr(parallel, "BIG_FILE_BYTES", 20)  # every file with a finding is "big"
    monkeypatch.setattr(parallel, "SOLO_FILE_BYTES", 20)
    files = discover([project], Settings(root=project))
    serial = run(files, Settings(root=project), jobs=1, use_cache=False)
    mixed = run(files, Settings(root=project), jobs=2, use_cache=False)
    assert summary(serial) == summary(mixed)


def test_plan_starts_with_the_largest_files_and_chunks_the_rest(monkeypatch) -> None:
    import leaklint.pipeline.parallel as parallel

    monkeypatch.setattr(parallel, "CHUNK_FILES", 3)
    mb = 1024 * 1024
    sizes = [10, 3 * mb, 20, 300 * 1024, 9 * mb, 30, 40, 1 * mb]
    big, rest = parallel.plan_tasks(sizes)
    assert [t.indices for t in big] == [[4], [1]]
    assert [t.indices for t in rest] == [[7], [3], [0, 2, 5], [6]]


def test_at_most_one_big_file_is_in_flight() -> None:
    from collections import deque
    from concurrent.futures import Future

    import leaklint.pipeline.parallel as parallel

    class Pool:
        def submit(self, fn, paths):
            return Future()

    big = deque(parallel._Task([i], big=True) for i in range(3))
    rest = deque(parallel._Task([i]) for i in range(3, 9))
    running: dict = {}
    parallel._submit(Pool(), [Path(str(i)) for i in range(9)], big, rest, running, limit=4)
    assert sum(task.big for task in running.values()) == 1
    assert len(running) == 4 and len(big) == 2
    # The big one finishes: the next big file goes next, before more small ones.
    finished = next(f for f, task in running.items() if task.big)
    del running[finished]
    parallel._submit(Pool(), [Path(str(i)) for i in range(9)], big, rest, running, limit=4)
    assert sum(task.big for task in running.values()) == 1 and len(big) == 1


def test_a_file_that_kills_its_worker_is_reported_and_the_rest_checked(
    project: Path, cache_dir, monkeypatch
) -> None:
    import os

    import leaklint.pipeline.engine as engine

    make_files(project, 40)
    write(project / "crash.js", "leaked = 1;\n")
    original = engine.check_path

    def check_or_die(path, settings, rules):
        if path.name == "crash.js":
            os._exit(1)  # what a segfault in native code looks like to the pool
        return original(path, settings, rules)

    monkeypatch.setattr(engine, "check_path", check_or_die)  # inherited by forked workers
    files = discover([project], Settings(root=project))
    result = run(files, Settings(root=project), jobs=2, use_cache=False)
    assert [e.message for e in result.errors if e.path.endswith("crash.js")] == [
        "skipped: crashed the parser"
    ]
    serial = run(
        [f for f in files if f.name != "crash.js"], Settings(root=project), jobs=1, use_cache=False
    )
    assert summary(result) == summary(serial)


POOL_ON_THIS = """const { Pool } = require('pg');
class Repo {
  constructor() { this.pool = new Pool(); }
  async get() {
    const c = await this.pool.connect();
    const r = await c.query('select 1');
    c.release();
    return r;
  }
}
module.exports = Repo;
"""


@pytest.mark.parametrize("ignored", ["LL006", "LL003", "LL007", "LL003,LL006,LL007"])
def test_analyses_own_their_queries_whichever_rules_run(
    project: Path, run_cli, ignored: str
) -> None:
    # The origin of `this.pool` is found with the analysis' own `this.x = …` query; it used
    # to be LL006's, so `--ignore LL006` gave "internal error: KeyError: 'LL006 did not
    # register a query for this file'" and "All clear" with exit 0.
    write(project / "repo.js", POOL_ON_THIS)
    result = run_cli("check", "--no-cache", "--select", "ALL", "--ignore", ignored, "repo.js")
    assert "internal error" not in result.output
    expected = 0 if "LL006" in ignored else 1
    assert result.exit_code == expected, result.output


def test_origin_of_this_property_without_any_rule_planning_its_query() -> None:
    from leaklint.analysis.resource_origins import value_origin
    from leaklint.semantic.context import FileContext
    from leaklint.syntax.parsing import parse
    from leaklint.syntax.source import SourceFile

    source = SourceFile.from_bytes(Path("repo.js"), POOL_ON_THIS.encode())
    ctx = FileContext(source, parse(source.data, source.language), Settings(root=Path.cwd()))
    ctx.plan_queries([])  # no rule planned the analysis' query: it runs a pass of its own
    start = source.data.index(b"this.pool.connect")
    node = ctx.tree.root_node.named_descendant_for_byte_range(start, start + len(b"this.pool"))
    assert node is not None and node.type == "member_expression"
    origin = value_origin(ctx, node)
    assert origin is not None and origin.module == "pg"
