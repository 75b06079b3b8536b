"""Settings: everything that decides what a run checks and how, once configuration is read.

Defined here, in the model layer, so that every layer can take a ``Settings`` without importing
the configuration loader (``leaklint.config``), which sits above the rules and the pipeline.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from leaklint.budget import DEFAULT_SECONDS as DEFAULT_FILE_TIME_BUDGET
from leaklint.model.findings import Severity

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
    "vendor/",  # third-party code copied into the repository (Rails, PHP and Go layouts)
    # The install folders of Bower and jspm, node_modules' older siblings, often committed
    # under a public/ folder (3,400 of discord-js-bot's 3,457 files were bower_components).
    "bower_components/",
    "jspm_packages/",
    "*.min.js",
    "*.min.mjs",
    "*.min.cjs",
)


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
    check_generated: bool = False  # also check files that look generated or minified
    # Project-wide analysis (summaries linked across modules): opt-in while its cost on a cold
    # run (+50 % CPU, docs/benchmark.md) and its precision on real code are not yet measured
    # down to the rest of the rules'.
    project: bool = False

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
            self.check_generated,
            self.project,
        ]
        return repr(parts)


class SettingsResolver:
    """The settings of each file. This one gives every file the same ``Settings`` (the
    library API, tests, ``--config``); ``leaklint.config.HierarchicalSettings`` gives each
    file its nearest configuration. Defined here so that the pipeline can take either without
    importing the configuration loader above it."""

    def __init__(self, settings: Settings) -> None:
        self.base = settings  # the settings of the current directory

    def for_file(self, path: Path) -> Settings:
        return self.for_directory(Path(os.path.abspath(path)).parent)

    def for_directory(self, directory: Path) -> Settings:
        return self.base


def as_resolver(settings: Settings | SettingsResolver) -> SettingsResolver:
    return settings if isinstance(settings, SettingsResolver) else SettingsResolver(settings)
