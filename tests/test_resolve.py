"""Module resolution as Node and TypeScript do it, on real-shaped project layouts."""

from __future__ import annotations

from pathlib import Path

import pytest

from leaklint.pipeline.project.resolve import Resolver
from tests.fixture_harness import PROJECTS


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def resolved(root: Path, importer: str, specifier: str) -> str | None:
    found = Resolver(root).resolve(root / importer, specifier)
    return found.relative_to(root.resolve()).as_posix() if found is not None else None


@pytest.mark.parametrize(
    ("case", "importer", "specifier", "expected"),
    [
        ("redis-factory", "services/users.js", "../lib/redis", "lib/redis.js"),
        ("esm-reexports", "src/api/orders.ts", "../db/index.js", "src/db/index.ts"),
        ("esm-reexports", "src/db/index.ts", "./pg.js", "src/db/pg.ts"),
        ("esm-reexports", "src/api/orders.ts", "#db/pg", "src/db/pg.ts"),
        ("tsconfig-paths", "src/routes/sessions.ts", "@lib/redis", "src/lib/redis.ts"),
        ("tsconfig-paths", "src/lib/redis.ts", "@config", "src/config/index.ts"),
        ("tsconfig-paths", "src/routes/sessions.ts", "@lib/nowhere", None),
        ("tsconfig-paths-singleton", "src/routes/sessions.ts", "~/lib/redis", "src/lib/redis.ts"),
        ("tsconfig-paths-singleton", "src/routes/sessions.ts", "lib/redis", "src/lib/redis.ts"),
        ("workspace", "apps/api/src/server.ts", "@acme/cache", "packages/cache/src/index.ts"),
        ("workspace-pnpm", "apps/api/src/server.ts", "@acme/cache", "packages/cache/src/index.ts"),
        (
            "workspace-pnpm",
            "apps/api/src/server.ts",
            "@acme/cache/evict",
            "packages/cache/src/evict.ts",
        ),
        ("workspace", "apps/api/src/server.ts", "express", None),
        ("redis-factory", "lib/redis.js", "ioredis", None),
        ("redis-factory", "lib/redis.js", "node:events", None),
    ],
)
def test_fixture_projects(case: str, importer: str, specifier: str, expected: str | None) -> None:
    assert resolved(PROJECTS / case, importer, specifier) == expected


def test_extensions_index_files_and_module_kinds(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a.mjs": "",
            "b.cts": "",
            "dir/index.tsx": "",
            "pkg/package.json": '{"main": "./main.cjs"}',
            "pkg/main.cjs": "",
            "c.js": "",
            "c.ts": "",
            "out.mjs": "",
            "src/m.mts": "",
        },
    )
    assert resolved(tmp_path, "x.js", "./a.mjs") == "a.mjs"
    assert resolved(tmp_path, "x.js", "./a") == "a.mjs"
    assert resolved(tmp_path, "x.ts", "./b.cjs") == "b.cts"  # `.cjs` written for a `.cts`
    assert resolved(tmp_path, "x.ts", "./dir") == "dir/index.tsx"
    assert resolved(tmp_path, "x.js", "./pkg") == "pkg/main.cjs"
    assert resolved(tmp_path, "x.ts", "./c.js") == "c.ts"  # the TypeScript source wins
    assert resolved(tmp_path, "src/x.ts", "./m.mjs") == "src/m.mts"
    assert resolved(tmp_path, "x.js", "./missing") is None
    assert resolved(tmp_path, "x.js", "../../etc/passwd") is None  # outside the repository


def test_node_modules_is_external_even_when_a_path_leads_there(tmp_path: Path) -> None:
    write(
        tmp_path, {"node_modules/ioredis/index.js": "", "node_modules/ioredis/package.json": "{}"}
    )
    assert resolved(tmp_path, "x.js", "./node_modules/ioredis") is None
    assert resolved(tmp_path, "x.js", "ioredis") is None


def test_tsconfig_extends_a_package_and_nearer_settings_win(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "node_modules/@acme/tsconfig/base.json": (
                '{"compilerOptions": {"baseUrl": "../../..", "paths": {"@x/*": ["wrong/*"]}}}'
            ),
            "tsconfig.json": (
                '{"extends": "@acme/tsconfig/base.json",'
                ' "compilerOptions": {"paths": {"@x/*": ["src/x/*"]}}}'
            ),
            "src/x/y.ts": "",
            "wrong/y.ts": "",
        },
    )
    assert resolved(tmp_path, "src/a.ts", "@x/y") == "src/x/y.ts"


def test_paths_without_base_url_are_relative_to_their_config(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "configs/tsconfig.base.json": (
                '{"compilerOptions": {"paths": {"$db": ["../db/main.ts"]}}}'
            ),
            "app/tsconfig.json": '{"extends": "../configs/tsconfig.base"}',
            "db/main.ts": "",
        },
    )
    assert resolved(tmp_path, "app/x.ts", "$db") == "db/main.ts"


@pytest.mark.parametrize(
    "config",
    ["{", '{"extends": "./tsconfig.json"}', "[1, 2]", '{"compilerOptions": {"paths": 3}}'],
)
def test_broken_or_cyclic_configs_resolve_nothing_and_never_raise(
    tmp_path: Path, config: str
) -> None:
    write(tmp_path, {"tsconfig.json": config, "package.json": "not json", "a.ts": ""})
    assert resolved(tmp_path, "b.ts", "@x/a") is None
    assert resolved(tmp_path, "b.ts", "#a") is None
    assert resolved(tmp_path, "b.ts", "./a") == "a.ts"


def test_yarn_classic_workspaces_and_exports_patterns(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "package.json": '{"workspaces": {"packages": ["libs/*"], "nohoist": []}}',
            "libs/db/package.json": (
                '{"name": "db", "exports":'
                ' {"./*": {"require": "./src/*.js"}, ".": "./src/index.js"}}'
            ),
            "libs/db/src/index.js": "",
            "libs/db/src/pool.js": "",
        },
    )
    assert resolved(tmp_path, "app.js", "db") == "libs/db/src/index.js"
    assert resolved(tmp_path, "app.js", "db/pool") == "libs/db/src/pool.js"
    assert resolved(tmp_path, "app.js", "dbx") is None
