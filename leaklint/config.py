"""Configuration: ``[tool.leaklint]`` in pyproject.toml, or leaklint.toml / .leaklint.toml.

For each file, the nearest configuration file at or above its directory applies (a
pyproject.toml without a ``[tool.leaklint]`` table is passed over, as ruff does); see
``SettingsResolver``. Everything is validated once into a
frozen ``Settings``; an unknown key or a bad value is a ``ConfigError`` that names the key
and the file, which the CLI turns into exit code 2.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from leaklint.budget import DEFAULT_SECONDS as DEFAULT_FILE_TIME_BUDGET
from leaklint.fsutil import read_regular_text
from leaklint.model.findings import Severity
from leaklint.model.settings import ResourceSpec, Settings, SettingsResolver

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

CONFIG_NAMES = ("leaklint.toml", ".leaklint.toml", "pyproject.toml")


class ConfigError(Exception):
    """A user mistake in configuration or options: reported, never a traceback."""


def find_config_file(start: Path) -> Path | None:
    directory = start.resolve()
    while True:
        found = config_file_in(directory)
        if found is not None:
            return found
        if directory.parent == directory:
            return None
        directory = directory.parent


def config_file_in(directory: Path) -> Path | None:
    """The configuration file of ``directory`` itself, if it has one."""
    for name in CONFIG_NAMES:
        candidate = directory / name
        if candidate.is_file() and (name != "pyproject.toml" or _has_tool_table(candidate)):
            return candidate
    return None


class HierarchicalSettings(SettingsResolver):
    """The settings that apply to each file, as ruff's hierarchical configuration: the nearest
    configuration file at or above the file's directory, whatever directory leaklint runs
    from; a file with none above it gets the defaults (rooted at the current directory).
    ``--config FILE`` (``explicit``) applies to every file instead. Command-line options are
    applied on top of each file's settings by ``adjust``.

    Each configuration file is parsed once and yields one ``Settings`` object, so files that
    share a configuration share the object: the engine groups files by it.
    """

    def __init__(
        self,
        explicit: Path | None = None,
        adjust: Callable[[Settings], Settings] | None = None,
        *,
        cwd: Path | None = None,
    ) -> None:
        self._adjust = adjust or (lambda settings: settings)
        self._cwd = (cwd or Path.cwd()).resolve()
        self._by_file: dict[Path | None, Settings] = {}
        self._by_directory: dict[Path, Settings] = {}
        self._fixed: Settings | None = None
        if explicit is not None:
            if not explicit.is_file():
                raise ConfigError(f"config file not found: {explicit}")
            self._fixed = self._adjust(parse_config(explicit))
        # The settings of the current directory: where the cache lives when no file is known,
        # and what a run over no files at all reports.
        super().__init__(self.for_directory(self._cwd))

    def for_file(self, path: Path) -> Settings:
        # `--config` (the benchmark, CI): every file gets the same object, so the per-file
        # absolute path and its parent are not worth making (8,272 files: ~0.05 s).
        if self._fixed is not None:
            return self._fixed
        return super().for_file(path)

    def for_directory(self, directory: Path) -> Settings:
        if self._fixed is not None:
            return self._fixed
        directory = Path(os.path.abspath(directory))
        pending: list[Path] = []
        found = self._by_directory.get(directory)
        while found is None:
            pending.append(directory)
            config = config_file_in(directory)
            if config is not None:
                found = self._settings_of(config)
            elif directory.parent == directory:
                found = self._settings_of(None)
            else:
                directory = directory.parent
                found = self._by_directory.get(directory)
        for visited in pending:  # every directory on the way shares the answer
            self._by_directory[visited] = found
        return found

    def _settings_of(self, config: Path | None) -> Settings:
        if config not in self._by_file:
            settings = parse_config(config) if config is not None else Settings(root=self._cwd)
            self._by_file[config] = self._adjust(settings)
        return self._by_file[config]


def _has_tool_table(pyproject: Path) -> bool:
    # A pyproject.toml that cannot be read is an error, not "no configuration here": it may
    # well hold a [tool.leaklint] table, and silently running with defaults instead would
    # report (or hide) findings the project configured otherwise. ruff stops on it too.
    tool = _read_toml(pyproject).get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{pyproject}: 'tool' must be a table")
    return "leaklint" in tool


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(read_regular_text(path))
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read config: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    except RecursionError:
        # tomllib parses nested arrays and inline tables recursively.
        raise ConfigError(f"{path}: invalid TOML: nested too deeply") from None


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
    data = _read_toml(path)
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        if not isinstance(tool, dict):
            raise ConfigError(f"{path}: 'tool' must be a table")
        table = tool.get("leaklint", {})
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
    "check-generated",
    "project",
    "file-time-budget",
}


def _validate(table: dict[str, Any], path: Path, prefix: str) -> Settings:
    from leaklint.pipeline.selection import validate_codes
    from leaklint.semantic.scope import available_envs

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
        settings["exclude"] = _patterns(strings("exclude"), where("exclude"))
    settings["extend_exclude"] = _patterns(strings("extend-exclude"), where("extend-exclude"))
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
    settings["check_generated"] = boolean("check-generated", False)
    settings["project"] = boolean("project", False)
    settings["file_time_budget"] = _seconds(table.get("file-time-budget"), where)
    return Settings(**settings)


def _seconds(value: Any, where: Any) -> float:
    if value is None:
        return DEFAULT_FILE_TIME_BUDGET
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ConfigError(f"{where('file-time-budget')} must be a number of seconds (0: none)")
    return float(value)


def _per_file_ignores(value: Any, where: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    from leaklint.pipeline.selection import validate_codes

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
        _patterns((glob,), where("per-file-ignores"))
        result.append((glob, tuple(codes)))
    return tuple(result)


def _patterns(patterns: tuple[str, ...], where: str) -> tuple[str, ...]:
    """Gitignore-style patterns, each checked to compile now: a pattern that cannot (``!``,
    a lone ``\\``) would otherwise fail later, in discovery or once per file."""
    import pathspec

    for pattern in patterns:
        try:
            pathspec.GitIgnoreSpec.from_lines([pattern])
        except ValueError as error:
            raise ConfigError(f"{where}: invalid pattern '{pattern}': {error}") from None
    return patterns


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
