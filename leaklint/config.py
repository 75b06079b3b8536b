"""Configuration: ``[tool.leaklint]`` in pyproject.toml, or leaklint.toml / .leaklint.toml.

The nearest file from the current directory upward wins (a pyproject.toml without a
``[tool.leaklint]`` table is passed over, as ruff does). Everything is validated once into a
frozen ``Settings``; an unknown key or a bad value is a ``ConfigError`` that names the key
and the file, which the CLI turns into exit code 2.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from leaklint.budget import DEFAULT_SECONDS as DEFAULT_FILE_TIME_BUDGET
from leaklint.findings import Severity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

CONFIG_NAMES = ("leaklint.toml", ".leaklint.toml", "pyproject.toml")

DEFAULT_EXCLUDE: tuple[str, ...] = (
    "node_modules/",
    ".git/",
    ".hg/",
    ".svn/",
    "dist/",
    "build/",
    "coverage/",
    ".next/",
    ".yarn/",  # Yarn's own release binary and plugins, committed by Yarn 2+ projects
    ".leaklint_cache/",
    "*.min.js",
    "*.min.mjs",
    "*.min.cjs",
)


class ConfigError(Exception):
    """A user mistake in configuration or options: reported, never a traceback."""


@dataclass(frozen=True)
class ResourceSpec:
    """A user-declared acquire/release pair (see resources.py)."""

    module: str
    acquire: str
    release: tuple[str, ...]
    kind: str = "client"  # "client" → LL003, "pool" → LL006


@dataclass(frozen=True)
class Settings:
    root: Path = field(default_factory=Path.cwd)
    config_file: Path | None = None
    select: tuple[str, ...] = ()  # empty: every rule that is on by default
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    globals: tuple[str, ...] = ()
    env: tuple[str, ...] = ("node",)
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    severity_overrides: Mapping[str, Severity] = field(default_factory=dict)
    resources: tuple[ResourceSpec, ...] = ()
    preview: bool = False
    respect_gitignore: bool = True
    # CPU seconds one file may take before its analysis is stopped with a notice (0: none).
    file_time_budget: float = DEFAULT_FILE_TIME_BUDGET

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def cache_key(self) -> str:
        """Everything that can change a file's findings, for the cache."""
        parts = [
            self.select,
            self.extend_select,
            self.ignore,
            self.globals,
            self.env,
            self.per_file_ignores,
            sorted((k, v.value) for k, v in self.severity_overrides.items()),
            self.resources,
            self.preview,
            self.file_time_budget,  # a file stopped under one budget may finish under another
        ]
        return repr(parts)


def find_config_file(start: Path) -> Path | None:
    directory = start.resolve()
    while True:
        for name in CONFIG_NAMES:
            candidate = directory / name
            if candidate.is_file() and (name != "pyproject.toml" or _has_tool_table(candidate)):
                return candidate
        if directory.parent == directory:
            return None
        directory = directory.parent


def _has_tool_table(pyproject: Path) -> bool:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False  # a broken pyproject that is not ours is not our business
    return isinstance(data.get("tool"), dict) and "leaklint" in data["tool"]


def load_settings(config_file: Path | None = None, start: Path | None = None) -> Settings:
    """Settings from an explicit file, or from the nearest config file, or defaults."""
    if config_file is None:
        config_file = find_config_file(start or Path.cwd())
        if config_file is None:
            return Settings(root=(start or Path.cwd()).resolve())
    elif not config_file.is_file():
        raise ConfigError(f"config file not found: {config_file}")
    return parse_config(config_file)


def parse_config(path: Path) -> Settings:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read config: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("leaklint", {})
        prefix = "tool.leaklint."
    else:
        table = data
        prefix = ""
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [{prefix.rstrip('.') or 'leaklint'}] must be a table")
    return _validate(table, path, prefix)


_KEYS = {
    "select",
    "extend-select",
    "ignore",
    "exclude",
    "extend-exclude",
    "globals",
    "env",
    "per-file-ignores",
    "severity",
    "resources",
    "preview",
    "respect-gitignore",
    "file-time-budget",
}


def _validate(table: dict[str, Any], path: Path, prefix: str) -> Settings:
    from leaklint.scope import available_envs
    from leaklint.selection import validate_codes

    def where(key: str) -> str:
        return f"{path}: '{prefix}{key}'"

    unknown = sorted(set(table) - _KEYS)
    if unknown:
        known = ", ".join(sorted(_KEYS))
        raise ConfigError(f"{path}: unknown key '{prefix}{unknown[0]}' (known keys: {known})")

    def strings(key: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ConfigError(f"{where(key)} must be a list of strings")
        return tuple(value)

    def boolean(key: str, default: bool) -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            raise ConfigError(f"{where(key)} must be true or false")
        return value

    settings: dict[str, Any] = {"root": path.parent.resolve(), "config_file": path}
    for key in ("select", "extend-select", "ignore"):
        codes = strings(key)
        try:
            validate_codes(codes)
        except ValueError as error:
            raise ConfigError(f"{where(key)}: {error}") from None
        settings[key.replace("-", "_")] = codes
    if "exclude" in table:
        settings["exclude"] = strings("exclude")
    settings["extend_exclude"] = strings("extend-exclude")
    settings["globals"] = strings("globals")
    if "env" in table:
        envs = strings("env")
        bad = [env for env in envs if env not in available_envs()]
        if bad:
            raise ConfigError(
                f"{where('env')}: unknown environment '{bad[0]}' "
                f"(known: {', '.join(available_envs())})"
            )
        settings["env"] = envs
    settings["per_file_ignores"] = _per_file_ignores(table.get("per-file-ignores", {}), where)
    settings["severity_overrides"] = _severities(table.get("severity", {}), where)
    settings["resources"] = _resources(table.get("resources", []), where)
    settings["preview"] = boolean("preview", False)
    settings["respect_gitignore"] = boolean("respect-gitignore", True)
    settings["file_time_budget"] = _seconds(table.get("file-time-budget"), where)
    return Settings(**settings)


def _seconds(value: Any, where: Any) -> float:
    if value is None:
        return DEFAULT_FILE_TIME_BUDGET
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ConfigError(f"{where('file-time-budget')} must be a number of seconds (0: none)")
    return float(value)


def _per_file_ignores(value: Any, where: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    from leaklint.selection import validate_codes

    if not isinstance(value, dict):
        raise ConfigError(f"{where('per-file-ignores')} must be a table of glob = [codes]")
    result = []
    for glob, codes in value.items():
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise ConfigError(f"{where('per-file-ignores')}: '{glob}' must map to a list of codes")
        try:
            validate_codes(codes)
        except ValueError as error:
            raise ConfigError(f"{where('per-file-ignores')}: '{glob}': {error}") from None
        result.append((glob, tuple(codes)))
    return tuple(result)


def _severities(value: Any, where: Any) -> dict[str, Severity]:
    from leaklint.rules import get_rule

    if not isinstance(value, dict):
        raise ConfigError(f'{where("severity")} must be a table of CODE = "error|warning|note"')
    result: dict[str, Severity] = {}
    for key, level in value.items():
        rule = get_rule(key)
        if rule is None:
            raise ConfigError(f"{where('severity')}: unknown rule '{key}'")
        try:
            result[rule.code] = Severity(level)
        except ValueError:
            raise ConfigError(
                f'{where("severity")}: \'{key}\' must be "error", "warning" or "note"'
            ) from None
    return result


def _resources(value: Any, where: Any) -> tuple[ResourceSpec, ...]:
    if not isinstance(value, list):
        raise ConfigError(
            f"{where('resources')} must be an array of tables ([[tool.leaklint.resources]])"
        )
    specs = []
    for index, item in enumerate(value):
        label = f"{where('resources')}[{index}]"
        if not isinstance(item, dict):
            raise ConfigError(f"{label} must be a table")
        unknown = sorted(set(item) - {"module", "acquire", "release", "kind"})
        if unknown:
            raise ConfigError(f"{label}: unknown key '{unknown[0]}'")
        module, acquire, release = item.get("module"), item.get("acquire"), item.get("release")
        if not isinstance(module, str) or not module:
            raise ConfigError(f"{label}: 'module' must be a package name")
        if not isinstance(acquire, str) or not acquire:
            raise ConfigError(f"{label}: 'acquire' must be a name such as \"connect\"")
        if isinstance(release, str):
            release = [release]
        if (
            not isinstance(release, list)
            or not release
            or not all(isinstance(r, str) for r in release)
        ):
            raise ConfigError(f"{label}: 'release' must be a list of method names")
        kind = item.get("kind", "client")
        if kind not in ("client", "pool"):
            raise ConfigError(f'{label}: \'kind\' must be "client" or "pool"')
        specs.append(ResourceSpec(module, acquire, tuple(release), kind))
    return tuple(specs)
