"""Parallelism and the cache wrap the per-file step without changing any result."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from leaklint.cache import ResultCache
from leaklint.config import Settings
from leaklint.discovery import discover
from leaklint.engine import run
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


def test_same_content_new_mtime_is_a_hit(project: Path, cache_dir: Path, monkeypatch) -> None:
    write(project / "a.js", "function f() { leaked = 1; }\n")
    settings = Settings(root=project)
    files = discover([project], settings)
    run(files, settings, jobs=1)
    os.utime(project / "a.js", ns=(5, 5))
    import leaklint.engine as engine

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


def test_big_files_are_checked_after_the_pool_in_order(
    project: Path, cache_dir, monkeypatch
) -> None:
    import leaklint.engine as engine

    make_files(project, 60)
    monkeypatch.setattr(engine, "BIG_FILE_BYTES", 20)  # every file with a finding is "big"
    files = discover([project], Settings(root=project))
    serial = run(files, Settings(root=project), jobs=1, use_cache=False)
    mixed = run(files, Settings(root=project), jobs=2, use_cache=False)
    assert summary(serial) == summary(mixed)
