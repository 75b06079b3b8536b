"""Which files to check: walk directories, honour excludes and .gitignore.

Files named explicitly (pre-commit passes staged file names) are always checked, whatever the
default excludes or .gitignore say; with ``force_exclude`` the user's own ``exclude`` and
``extend-exclude`` patterns still apply to them, as in ruff.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pathspec

from leaklint.model.settings import Settings


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
    seen: set[str] = set()
    result: list[Path] = []
    for raw in paths:
        if not raw.exists():
            raise DiscoveryError(f"path does not exist: {raw}")
        if raw.is_dir():
            files: Iterator[Path] = _walk(raw, settings, default_and_user, ignores)
        elif _explicit_skipped(raw, settings, user_only, force_exclude):
            continue
        else:
            files = iter((raw.resolve(),))
        for file in files:
            key = str(file)
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


def _inherited_gitignores(top: Path, ignores: _Ignores) -> list[tuple[str, pathspec.PathSpec]]:
    """.gitignore files above the walked directory, up to the repository root, apply too."""
    git_root = _git_root(top)
    if git_root is None:
        return []
    inherited = []
    for directory in reversed(top.parents):
        if len(directory.parts) < len(git_root.parts):
            continue
        spec = ignores.spec_for(directory)
        if spec is not None:
            inherited.append((str(directory) + os.sep, spec))
    return inherited


def _walk(
    top: Path, settings: Settings, excludes: pathspec.PathSpec, ignores: _Ignores
) -> Iterator[Path]:
    # Paths are handled as strings below: resolving or building Path objects per file costs
    # more than everything else discovery does.
    top = top.resolve()
    root_prefix = str(settings.root) + os.sep
    top_prefix = str(top) + os.sep
    # A directory named explicitly is checked even if an exclude pattern covers it (say
    # `leaklint check node_modules/pkg`); patterns then apply below it, relative to it.
    top_relative = _relative_to_root(top, settings.root)
    top_excluded = top_relative not in (None, ".") and excludes.match_file(top_relative + "/")
    exclude_prefix = (
        top_prefix if top_excluded or not top_prefix.startswith(root_prefix) else (root_prefix)
    )
    active_start = _inherited_gitignores(top, ignores) if settings.respect_gitignore else []

    def ignored(path: str, is_dir: bool, active: list[tuple[str, pathspec.PathSpec]]) -> bool:
        suffix = "/" if is_dir else ""
        probe = path[len(exclude_prefix) :].replace(os.sep, "/") + suffix
        if excludes.match_file(probe):
            return True
        return any(
            spec.match_file(path[len(base) :].replace(os.sep, "/") + suffix)
            for base, spec in active
        )

    def walk(directory: str, active: list[tuple[str, pathspec.PathSpec]]) -> Iterator[Path]:
        if settings.respect_gitignore:
            spec = ignores.spec_for(Path(directory))
            if spec is not None:
                active = [*active, (directory + os.sep, spec)]
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            return
        for entry in entries:
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                is_file = not is_dir and entry.is_file()
            except OSError:
                continue
            if is_dir:
                if not ignored(entry.path, True, active):
                    yield from walk(entry.path, active)
            elif is_file and _checkable(entry.name) and not ignored(entry.path, False, active):
                yield Path(entry.path)

    yield from walk(str(top), active_start)


_EXTENSIONS = (".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx")
_DECLARATIONS = (".d.ts", ".d.mts", ".d.cts")


def _checkable(name: str) -> bool:
    lower = name.lower()
    return lower.endswith(_EXTENSIONS) and not lower.endswith(_DECLARATIONS)


# The .gitignore files read so far, by directory: a caller that asks about many paths (the
# language server, one open document at a time) keeps one and drops it when files change.
IgnoreCache = _Ignores


def is_excluded(path: Path, settings: Settings, ignores: IgnoreCache | None = None) -> bool:
    """Whether walking the project would skip ``path``: for the exclude patterns (default and
    configured, relative to the config's directory; a path outside it is never excluded by
    them) or, with ``respect-gitignore``, for a .gitignore between the repository root and it.

    The language server asks this of each open document: an editor opens files one by one,
    and an excluded one must get no diagnostics, as `leaklint check` gives none."""
    relative = _relative_to_root(path, settings.root.resolve())
    excludes = _cached_spec(settings.exclude + settings.extend_exclude)
    if relative is not None and excludes.match_file(relative):
        return True
    return settings.respect_gitignore and _gitignored(path, ignores or _Ignores())


def _gitignored(path: Path, ignores: _Ignores) -> bool:
    git_root = _git_root(path.parent)
    if git_root is None:
        return False
    directories = [d for d in path.parents if len(d.parts) >= len(git_root.parts)]
    for directory in reversed(directories):  # the repository root first, as git reads them
        spec = ignores.spec_for(directory)
        if spec is not None and spec.match_file(path.relative_to(directory).as_posix()):
            return True
    return False


@functools.lru_cache(maxsize=16)
def _cached_spec(patterns: tuple[str, ...]) -> pathspec.PathSpec:
    return _spec(patterns)
