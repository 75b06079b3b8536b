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

from leaklint.fsutil import read_regular_file
from leaklint.model.settings import DEFAULT_EXCLUDE, Settings

_MAX_GITIGNORE_BYTES = 16 * 1024 * 1024


class DiscoveryError(Exception):
    """A path the user named does not exist."""


@dataclass(frozen=True)
class Candidate:
    path: Path
    explicit: bool


def _spec(patterns: tuple[str, ...]) -> pathspec.PathSpec:
    return pathspec.GitIgnoreSpec.from_lines(patterns)


def _gitignore_spec(lines: list[str]) -> pathspec.PathSpec:
    """A .gitignore file's patterns, without the lines git itself cannot use.

    Git silently skips a pattern it cannot compile (a lone `!`, a trailing backslash) and
    keeps the rest of the file; pathspec raises instead, which aborted the whole run.
    """
    try:
        return _spec(tuple(lines))
    except ValueError:  # pathspec's GitIgnorePatternError
        return _spec(tuple(line for line in lines if _usable_gitignore_line(line)))


def _usable_gitignore_line(line: str) -> bool:
    try:
        _spec((line,))
    except ValueError:
        return False
    return True


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
                    data = read_regular_file(ignore_file, _MAX_GITIGNORE_BYTES).data
                    lines = data.decode("utf-8", errors="replace").splitlines()
                    spec = _gitignore_spec(lines)
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


_DEFAULTS = set(DEFAULT_EXCLUDE)  # not Settings(): its root is os.getcwd(), at import time


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


# One open directory of the walk: its remaining entries and the .gitignore specs in force.
_Level = tuple[Iterator[os.DirEntry[str]], list[tuple[str, pathspec.PathSpec]]]


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

    def opened(directory: str, active: list[tuple[str, pathspec.PathSpec]]) -> _Level:
        """A directory's entries in name order, with the .gitignore files that apply in it."""
        if settings.respect_gitignore:
            spec = ignores.spec_for(Path(directory))
            if spec is not None:
                active = [*active, (directory + os.sep, spec)]
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            entries = []
        return iter(entries), active

    # Depth first with a stack of open directories, not recursion: a tree 1,000 directories
    # deep exceeded Python's recursion limit and aborted the run.
    stack = [opened(str(top), active_start)]
    while stack:
        entries, active = stack[-1]
        entry = next(entries, None)
        if entry is None:
            stack.pop()
            continue
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
            is_file = not is_dir and entry.is_file() and _stays_inside(entry, top_prefix)
        except OSError:
            continue
        if is_dir:
            if not ignored(entry.path, True, active):
                stack.append(opened(entry.path, active))
        elif is_file and _checkable(entry.name) and not ignored(entry.path, False, active):
            yield Path(entry.path)


def _stays_inside(entry: os.DirEntry[str], top_prefix: str) -> bool:
    """A walk follows a symlink only to a file inside the walked tree: a committed
    ``config.js -> ../secret/.env`` must not be read, let alone shown in a code frame.
    (Symlinked directories are never entered.) Naming the link on the command line still
    checks it."""
    return not entry.is_symlink() or os.path.realpath(entry.path).startswith(top_prefix)


_EXTENSIONS = (".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx")
_DECLARATIONS = (".d.ts", ".d.mts", ".d.cts")


def _checkable(name: str) -> bool:
    lower = name.lower()
    return lower.endswith(_EXTENSIONS) and not lower.endswith(_DECLARATIONS)
