"""Configuration per package: the nearest configuration above each file applies."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_helpers import check_json, invoke, write

LEAKY = "function f() { leaked = 1; }\n"
OTHER = "function f() { other = 1; }\n"  # not declared by the api package's `globals`


def monorepo(root: Path) -> None:
    write(
        root,
        {
            "pyproject.toml": "[tool.leaklint]\nextend-exclude = ['generated/']\n",
            "packages/api/leaklint.toml": "globals = ['leaked']\nextend-exclude = ['fixtures/']\n",
            "packages/api/src/a.js": LEAKY,
            "packages/api/fixtures/f.js": OTHER,
            "packages/api/generated/g.js": OTHER,  # the root's exclude does not apply here
            "packages/web/src/b.js": LEAKY,
            "packages/web/generated/g.js": LEAKY,
            "packages/web/fixtures/f.js": LEAKY,
        },
    )


def flagged(document: dict) -> list[str]:
    return sorted(f["path"] for f in document["findings"])


def test_each_file_gets_its_nearest_configuration(tmp_path: Path) -> None:
    monorepo(tmp_path)
    document = check_json(tmp_path, "--no-cache")
    assert flagged(document) == [
        "packages/api/generated/g.js",
        "packages/web/fixtures/f.js",
        "packages/web/src/b.js",
    ]


def test_whatever_directory_leaklint_runs_from(tmp_path: Path) -> None:
    monorepo(tmp_path)
    from_package = check_json(tmp_path / "packages/web", "--no-cache", "../api", ".")
    assert flagged(from_package) == [
        "../api/generated/g.js",
        "fixtures/f.js",
        "src/b.js",
    ]
    # A file named explicitly gets its own package's settings too.
    named = check_json(tmp_path / "packages/web", "--no-cache", "../api/src/a.js")
    assert named["findings"] == []
    assert named["files_checked"] == 1


def test_explicit_config_applies_to_every_file(tmp_path: Path) -> None:
    monorepo(tmp_path)
    write(tmp_path, {"custom.toml": "ignore = ['LL001']\n"})
    document = check_json(tmp_path, "--no-cache", "--config", "custom.toml")
    assert document["findings"] == []
    # ...and its excludes replace every package's.
    assert document["files_checked"] == 6


def test_explicit_config_is_given_to_each_file_without_path_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``--config`` every file gets the one settings object; nothing about the file's
    own path (its absolute form, its directory) is worked out for it."""
    from leaklint import config

    write(tmp_path, {"custom.toml": "ignore = ['LL001']\n"})
    resolver = config.HierarchicalSettings(tmp_path / "custom.toml", cwd=tmp_path)

    def no_path_work(_path: object) -> str:
        raise AssertionError("for_file worked out a path")

    monkeypatch.setattr(config.os.path, "abspath", no_path_work)
    fixed = resolver.for_file(tmp_path / "a" / "b.js")
    assert fixed is resolver.for_file(tmp_path / "c.js")
    assert fixed.ignore == ("LL001",)


def test_options_apply_on_top_of_every_configuration(tmp_path: Path) -> None:
    monorepo(tmp_path)
    document = check_json(tmp_path, "--no-cache", "--ignore", "LL001")
    assert document["findings"] == []


def test_the_cache_keeps_each_packages_settings(tmp_path: Path) -> None:
    monorepo(tmp_path)
    cold = check_json(tmp_path)
    warm = check_json(tmp_path)
    assert flagged(warm) == flagged(cold)
    # Changing one package's configuration changes only what that configuration governs.
    write(tmp_path, {"packages/api/leaklint.toml": "extend-exclude = ['fixtures/']\n"})
    changed = check_json(tmp_path)
    assert "packages/api/src/a.js" in flagged(changed)


def test_a_broken_configuration_below_the_current_directory_exits_two(tmp_path: Path) -> None:
    monorepo(tmp_path)
    write(tmp_path, {"packages/web/leaklint.toml": "bogus = 1\n"})
    result = invoke(tmp_path)
    assert result.exit_code == 2
    assert "packages/web/leaklint.toml: unknown key 'bogus'" in result.output


def test_parallel_workers_use_each_files_settings(tmp_path: Path) -> None:
    monorepo(tmp_path)
    for index in range(20):  # enough files for the worker pool
        write(tmp_path, {f"packages/api/src/m{index}.js": LEAKY})
        write(tmp_path, {f"packages/web/src/m{index}.js": LEAKY})
    serial = check_json(tmp_path, "--no-cache", "-j1")
    parallel = check_json(tmp_path, "--no-cache", "-j2")
    assert flagged(parallel) == flagged(serial)
    assert not any(path.startswith("packages/api/src") for path in flagged(parallel))
