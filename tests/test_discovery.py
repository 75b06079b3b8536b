"""Which files get checked."""

from __future__ import annotations

from pathlib import Path

from leaklint.config import Settings
from leaklint.pipeline.discovery import discover
from tests.conftest import write


def names(paths: list[Path], base: Path) -> list[str]:
    return sorted(p.resolve().relative_to(base.resolve()).as_posix() for p in paths)


def test_extensions_and_default_excludes(tmp_path: Path) -> None:
    for name in [
        "a.js",
        "b.mjs",
        "c.cjs",
        "d.jsx",
        "e.ts",
        "f.mts",
        "g.cts",
        "h.tsx",
        "types.d.ts",
        "readme.md",
        "app.min.js",
        "node_modules/x/index.js",
        "dist/out.js",
        "build/out.js",
        "coverage/lcov.js",
        ".git/hooks/x.js",
        "dashboard/public/bower_components/jquery/dist/jquery.js",
        "jspm_packages/npm/lodash/index.js",
        "src/deep/z.ts",
    ]:
        write(tmp_path / name, "")
    found = names(discover([tmp_path], Settings(root=tmp_path)), tmp_path)
    assert found == [
        "a.js",
        "b.mjs",
        "c.cjs",
        "d.jsx",
        "e.ts",
        "f.mts",
        "g.cts",
        "h.tsx",
        "src/deep/z.ts",
    ]


def test_gitignore_is_respected(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    write(tmp_path / ".gitignore", "generated/\n*.gen.js\n")
    write(tmp_path / "src/.gitignore", "local.js\n")
    for name in ["generated/a.js", "src/x.gen.js", "src/local.js", "src/keep.js", "keep.js"]:
        write(tmp_path / name, "")
    found = names(discover([tmp_path], Settings(root=tmp_path)), tmp_path)
    assert found == ["keep.js", "src/keep.js"]
    # A .gitignore above the walked directory applies too (inside the same repository).
    assert names(discover([tmp_path / "src"], Settings(root=tmp_path)), tmp_path) == ["src/keep.js"]


def test_extend_exclude_and_exclude(tmp_path: Path) -> None:
    for name in ["legacy/a.js", "src/a.js", "node_modules/m/a.js"]:
        write(tmp_path / name, "")
    settings = Settings(root=tmp_path, extend_exclude=("legacy/",))
    assert names(discover([tmp_path], settings), tmp_path) == ["src/a.js"]
    # `exclude` replaces the defaults: node_modules is read again.
    settings = Settings(root=tmp_path, exclude=("legacy/",))
    assert names(discover([tmp_path], settings), tmp_path) == ["node_modules/m/a.js", "src/a.js"]


def test_explicit_files_are_always_checked(tmp_path: Path) -> None:
    write(tmp_path / "node_modules/m/a.js", "")
    write(tmp_path / "bin/server", "#!/usr/bin/env node\n")
    write(tmp_path / "legacy/x.js", "")
    settings = Settings(root=tmp_path, extend_exclude=("legacy/",))
    explicit = [tmp_path / "node_modules/m/a.js", tmp_path / "bin/server", tmp_path / "legacy/x.js"]
    assert len(discover(explicit, settings)) == 3
    # --force-exclude filters named files as a walk would, default excludes included
    # (pre-commit mode: `pre-commit run --all-files` must check what `leaklint check .` does).
    kept = discover(explicit, settings, force_exclude=True)
    assert names(kept, tmp_path) == ["bin/server"]


def test_duplicates_are_checked_once(tmp_path: Path) -> None:
    write(tmp_path / "a.js", "")
    assert len(discover([tmp_path, tmp_path / "a.js"], Settings(root=tmp_path))) == 1


def test_explicit_excluded_directory_is_walked(tmp_path: Path) -> None:
    write(tmp_path / "node_modules/pkg/index.js", "")
    write(tmp_path / "node_modules/pkg/node_modules/dep/index.js", "")
    write(tmp_path / "node_modules/pkg/dist/bundle.js", "")
    found = discover([tmp_path / "node_modules/pkg"], Settings(root=tmp_path))
    assert names(found, tmp_path) == ["node_modules/pkg/index.js"]


def test_force_exclude_checks_what_a_walk_checks(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    write(tmp_path / ".gitignore", "out/\n")
    for name in [
        "src/a.js",
        "vendor/jquery.js",
        "web/vendor/lib.js",
        "static/prd/app.js",
        "static/main.3f2a9b1c.js",
        "static/chunk-0a1b2c3d4e.chunk.js",
        "out/x.js",
        "dist/y.js",
        "lib.min.js",
        "migrations/1614000000000-init.js",
        "backup.20231201.js",
    ]:
        write(tmp_path / name, "")
    settings = Settings(root=tmp_path)
    walked = names(discover([tmp_path], settings), tmp_path)
    every_file = sorted(p for p in tmp_path.rglob("*.js"))
    named = names(discover(every_file, settings, force_exclude=True), tmp_path)
    # Hashed bundle names and static/prd/ are left to the engine's generated-file test
    # (tests/test_cli_manners.py), which reports why it skips them.
    assert (
        walked
        == named
        == [
            "backup.20231201.js",
            "migrations/1614000000000-init.js",
            "src/a.js",
            "static/chunk-0a1b2c3d4e.chunk.js",
            "static/main.3f2a9b1c.js",
            "static/prd/app.js",
        ]
    )


def test_is_excluded_agrees_with_the_walk(tmp_path: Path) -> None:
    from leaklint.pipeline.discovery import is_excluded

    (tmp_path / ".git").mkdir()
    write(tmp_path / ".gitignore", "generated/\n")
    write(tmp_path / "src" / ".gitignore", "local.js\n")
    for name in ("src/app.js", "src/local.js", "generated/a.js", "vendor/b.js", "x.min.js"):
        write(tmp_path / name, "let a = 1;\n")
    settings = Settings(root=tmp_path, extend_exclude=("vendor/",))
    walked = {p.relative_to(tmp_path).as_posix() for p in discover([tmp_path], settings)}
    assert walked == {"src/app.js"}
    for name in ("src/app.js", "src/local.js", "generated/a.js", "vendor/b.js", "x.min.js"):
        assert is_excluded(tmp_path / name, settings) == (name not in walked), name
    ignoring = Settings(root=tmp_path, respect_gitignore=False)
    assert not is_excluded(tmp_path / "generated" / "a.js", ignoring)
