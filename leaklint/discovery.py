"""Which files to check: walk directories, honour excludes and .gitignore.

Files named explicitly (pre-commit passes staged file names) are always checked, whatever the
default excludes or .gitignore say; with ``force_exclude`` the user's own ``exclude`` and
``extend-exclude`` patterns still apply to them, as in ruff.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pathspec

from leaklint.config import Settings
from leaklint.source import language_for


class DiscoveryError(Exception):
    """A path the user named does not exist."""


@dataclass(frozen=True)
class Candidate:
    path: Path
    explicit: bool


def _spec(patterns: tuple[str, ...]) -> pathspec.PathSpec:
    return pathspec.GitIgnoreSpec.from_lines(patterns)


class _Ignores:
    """The .gitignore files that apply in a directory, innermost last."""

    def __init__(self) -> None:
        self._cache: dict[Path, pathspec.PathSpec | None] = {}

    def spec_for(self, directory: Path) -> pathspec.PathSpec | None:
        if directory not in self._cache:
            ignore_file = directory / ".gitignore"
            spec = None
            if ignore_file.is_file():
                try:
                    lines = ignore_file.read_text(encoding="utf-8", errors="replace").splitlines()
                    spec = _spec(tuple(lines))
                except OSError:
                    spec = None
            self._cache[directory] = spec
        return self._cache[directory]


def _git_root(start: Path) -> Path | None:
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return None


def discover(paths: list[Path], settings: Settings, *, force_exclude: bool = False) -> list[Path]:
    """Files to check, in a stable (sorted) order, without duplicates."""
    default_and_user = _spec(settings.exclude + settings.extend_exclude)
    user_only = _spec(
        tuple(p for p in settings.exclude if p not in _DEFAULTS) + settings.extend_exclude
    )
    ignores = _Ignores()
    seen: set[Path] = set()
    result: list[Path] = []
    for raw in paths:
        if not raw.exists():
            raise DiscoveryError(f"path does not exist: {raw}")
        if raw.is_dir():
            files = _walk(raw, settings, default_and_user, ignores)
        else:
            files = (
                iter(())
                if _explicit_skipped(raw, settings, user_only, force_exclude)
                else iter((raw,))
            )
        for file in files:
            key = file.resolve()
            if key not in seen:
                seen.add(key)
                result.append(file)
    return sorted(result, key=lambda p: p.as_posix())


_DEFAULTS = set(Settings().exclude)


def _relative_to_root(path: Path, root: Path) -> str | None:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return None


def _explicit_skipped(
    path: Path, settings: Settings, user_only: pathspec.PathSpec, force_exclude: bool
) -> bool:
    name = path.name.lower()
    if name.endswith((".d.ts", ".d.mts", ".d.cts")):
        return True
    if not force_exclude:
        return False
    relative = _relative_to_root(path, settings.root)
    return relative is not None and user_only.match_file(relative)


def _walk(
    top: Path, settings: Settings, excludes: pathspec.PathSpec, ignores: _Ignores
) -> Iterator[Path]:
    top_resolved = top.resolve()
    git_root = _git_root(top_resolved) if settings.respect_gitignore else None
    # .gitignore files above the walked directory (up to the repository root) apply too.
    inherited: list[tuple[Path, pathspec.PathSpec]] = []
    if git_root is not None:
        for directory in reversed((top_resolved, *top_resolved.parents)):
            if directory == top_resolved or not str(top_resolved).startswith(str(git_root)):
                continue
            if len(directory.parts) < len(git_root.parts):
                continue
            spec = ignores.spec_for(directory)
            if spec is not None:
                inherited.append((directory, spec))

    def ignored(path: Path, is_dir: bool, active: list[tuple[Path, pathspec.PathSpec]]) -> bool:
        relative = _relative_to_root(path, settings.root)
        probe = relative if relative is not None else path.relative_to(top_resolved).as_posix()
        if is_dir:
            probe += "/"
        if excludes.match_file(probe):
            return True
        for base, spec in active:
            rel = path.relative_to(base).as_posix() + ("/" if is_dir else "")
            if spec.match_file(rel):
                return True
        return False

    def walk(directory: Path, active: list[tuple[Path, pathspec.PathSpec]]) -> Iterator[Path]:
        if settings.respect_gitignore:
            spec = ignores.spec_for(directory)
            if spec is not None:
                active = [*active, (directory, spec)]
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            return
        for entry in entries:
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                is_file = entry.is_file()
            except OSError:
                continue
            if is_dir:
                if not ignored(path, True, active):
                    yield from walk(path, active)
            elif is_file and language_for(path) is not None and not ignored(path, False, active):
                yield path

    yield from walk(top_resolved, inherited)
