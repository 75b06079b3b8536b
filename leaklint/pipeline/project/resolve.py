"""Where an import specifier leads, the way Node and TypeScript resolve it.

Only files of the repository count: a specifier that leads nowhere inside it (a package in
``node_modules``, a Node built-in, a typo) is *external* and resolves to None. Nothing of the
project is executed or required; configuration is read as data (``package.json``,
``tsconfig.json`` / ``jsconfig.json`` with comments and trailing commas,
``pnpm-workspace.yaml``), and ``node_modules`` only for a ``tsconfig`` that ``extends`` a
package's.

Order, as in TypeScript's ``bundler``/``node16`` modes:

1. relative (``./x``, ``../x``) and absolute paths: the file, the file with an extension
   (``.ts .tsx .mts .cts .js .jsx .mjs .cjs``), a ``.js`` written for its ``.ts`` source
   (``./x.js`` → ``x.ts``), a directory's ``package.json`` ``main`` and then ``index.*``;
2. ``#alias``: the nearest ``package.json`` ``imports``;
3. ``tsconfig``/``jsconfig`` ``paths`` (``*`` patterns, the longest prefix wins), then
   ``baseUrl``, both following ``extends``;
4. a workspace package by name (npm/yarn ``workspaces``, pnpm ``pnpm-workspace.yaml``), through
   its ``exports`` / ``main`` — or its sources when those point at an unbuilt ``dist/``.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SOURCE_EXTENSIONS = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")
# What a compiled extension written in an import stands for in TypeScript sources.
_SOURCE_FOR_OUTPUT = {
    ".js": (".ts", ".tsx", ".js", ".jsx"),
    ".jsx": (".tsx", ".jsx"),
    ".mjs": (".mts", ".mjs"),
    ".cjs": (".cts", ".cjs"),
}
# Conditions of `exports`/`imports` tried in order: sources first when a package offers them.
_CONDITIONS = ("source", "typescript", "types", "import", "require", "node", "module", "default")
# Output directories that a workspace package's `main` points into before it is built.
_OUTPUT_DIRS = ("dist", "lib", "build", "out")
_CONFIG_NAMES = ("tsconfig.json", "jsconfig.json")
_CONFIGURATION_FILES = frozenset({"package.json", "pnpm-workspace.yaml", *_CONFIG_NAMES})
_MAX_EXTENDS = 8  # a cycle of `extends` is a broken config, not a reason to hang


@dataclass(frozen=True)
class PathAliases:
    """A tsconfig's effective ``baseUrl`` and ``paths`` (after ``extends``)."""

    base_url: Path | None
    paths_base: Path | None  # where `paths` targets are relative to
    paths: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass
class Resolver:
    """Resolves specifiers of the project under ``root``; every answer is memoised."""

    root: Path
    _json: dict[Path, Any] = field(default_factory=dict)
    _files: dict[str, bool] = field(default_factory=dict)
    _aliases: dict[Path, PathAliases | None] = field(default_factory=dict)
    _workspaces: dict[str, Path] | None = None
    _answers: dict[tuple[str, str], Path | None] = field(default_factory=dict)
    _directories: dict[Path | str, str] = field(default_factory=dict)
    # An earlier run's answers, by (directory, specifier): a target's path, or None.
    _remembered: dict[tuple[str, str], str | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.root = Path(os.path.abspath(self.root))
        self._root_prefix = str(self.root).rstrip(os.sep) + os.sep

    def resolve(self, importer: Path, specifier: str) -> Path | None:
        """The repository file ``specifier`` names when imported from ``importer``."""
        directory = self._directories.get(importer)
        if directory is None:  # abspath per use was a tenth of relinking after an edit
            directory = self._directories[importer] = os.path.dirname(os.path.abspath(importer))
        key = (directory, specifier)
        if key not in self._answers:
            if key in self._remembered:
                remembered = self._remembered[key]
                self._answers[key] = None if remembered is None else Path(remembered)
            else:
                self._answers[key] = self._resolve(directory, specifier)
        return self._answers[key]

    def remember(self, answers: dict[tuple[str, str], str | None]) -> None:
        """Take an earlier run's answers (by importer directory and specifier) instead of
        resolving again: valid while the project's files and every configuration file that
        run read are as they were (the caller checks). A Path is made only for what is
        asked: relinking after an edit asks about one corner of the project."""
        self._remembered = answers

    # -- the steps -------------------------------------------------------------------------

    def _resolve(self, directory: str, specifier: str) -> Path | None:
        # Strings rather than Paths on this path: a warm run resolves every import of the
        # project, and pathlib's parsing cost more than the file-system checks.
        if not specifier or specifier.startswith("node:"):
            return None
        if specifier.startswith((".", "/")):
            target = os.path.normpath(os.path.join(directory, specifier))
            return self._inside(self._file_or_directory(target))
        if specifier.startswith("#"):
            return self._inside(self._package_import(Path(directory), specifier))
        aliased = self._tsconfig_alias(Path(directory), specifier)
        if aliased is not None:
            return self._inside(aliased)
        return self._inside(self._workspace_package(specifier))

    def _inside(self, path: Path | str | None) -> Path | None:
        """Repository sources only: never a file under node_modules or outside the root."""
        if path is None:
            return None
        absolute = os.path.abspath(path)
        if not absolute.startswith(self._root_prefix):
            return None
        if f"{os.sep}node_modules{os.sep}" in absolute[len(self._root_prefix) - 1 :]:
            return None
        return Path(absolute)

    def _file_or_directory(self, target: Path | str) -> str | None:
        name = str(target)
        found = self._file(name)
        if found is not None:
            return found
        if self._is_dir(name):
            manifest = self._read_json(Path(name, "package.json"))
            main = manifest.get("main") if isinstance(manifest, dict) else None
            if isinstance(main, str) and main:
                found = self._file(os.path.normpath(os.path.join(name, main)))
                if found is not None:
                    return found
            for extension in SOURCE_EXTENSIONS:
                candidate = os.path.join(name, f"index{extension}")
                if self._is_file(candidate):
                    return candidate
        return None

    def _file(self, name: str) -> str | None:
        """``name`` as written, with an extension added, or its TypeScript source."""
        stem, extension = os.path.splitext(name)
        for replacement in _SOURCE_FOR_OUTPUT.get(extension, ()):
            if self._is_file(stem + replacement):
                return stem + replacement
        if extension in SOURCE_EXTENSIONS and self._is_file(name):
            return name
        for added in SOURCE_EXTENSIONS:
            if self._is_file(name + added):
                return name + added
        return None

    def _package_import(self, directory: Path, specifier: str) -> str | None:
        """``#db`` through the nearest package.json's ``imports``."""
        for folder in self._up_to_root(directory):
            if not self._is_file(folder / "package.json"):
                continue
            manifest = self._read_json(folder / "package.json")
            if not isinstance(manifest, dict):
                return None
            imports = manifest.get("imports")
            target = _match_map(imports, specifier) if isinstance(imports, dict) else None
            return self._package_target(folder, target) if target else None
        return None

    def _tsconfig_alias(self, directory: Path, specifier: str) -> str | None:
        aliases = self._nearest_aliases(directory)
        if aliases is None:
            return None
        for pattern, targets in _by_specificity(aliases.paths):
            star = _pattern_match(pattern, specifier)
            if star is None:
                continue
            for target in targets:
                base = aliases.paths_base or aliases.base_url
                if base is None:
                    continue
                found = self._file_or_directory(base / target.replace("*", star, 1))
                if found is not None:
                    return found
        if aliases.base_url is not None:
            return self._file_or_directory(aliases.base_url / specifier)
        return None

    def _workspace_package(self, specifier: str) -> str | None:
        packages = self._workspace_packages()
        name, subpath = _split_package(specifier)
        folder = packages.get(name)
        if folder is None:
            return None
        manifest = self._read_json(folder / "package.json")
        manifest = manifest if isinstance(manifest, dict) else {}
        exports = manifest.get("exports")
        wanted = "." + subpath if subpath else "."
        if exports is not None:
            target = _match_exports(exports, wanted)
            if target:
                return self._package_target(folder, target)
        if subpath:
            return self._source_of(folder, folder / subpath.lstrip("/"))
        for key in ("source", "module", "main"):
            main = manifest.get(key)
            if isinstance(main, str) and main:
                found = self._source_of(folder, folder / main)
                if found is not None:
                    return found
        return self._file_or_directory(folder / "src" / "index") or self._file_or_directory(folder)

    def _package_target(self, folder: Path, target: str) -> str | None:
        if not target.startswith("./"):
            return self._workspace_package(target)  # `imports` may name a package
        return self._source_of(folder, folder / target)

    def _source_of(self, folder: Path, target: Path) -> str | None:
        """``target``, or — when it lies in an output directory that is not built — the source
        file it is compiled from (``dist/db.js`` → ``src/db.ts``)."""
        found = self._file_or_directory(target)
        if found is not None:
            return found
        try:
            relative = target.relative_to(folder)
        except ValueError:
            return None
        if relative.parts and relative.parts[0] in _OUTPUT_DIRS:
            rest = Path(*relative.parts[1:]) if len(relative.parts) > 1 else Path("index")
            if rest.name.endswith(".d.ts"):
                rest = rest.with_name(rest.name[: -len(".d.ts")] + ".js")
            return self._file_or_directory(folder / "src" / rest)
        return None

    # -- configuration -----------------------------------------------------------------------

    def _nearest_aliases(self, directory: Path) -> PathAliases | None:
        for folder in self._up_to_root(directory):
            if folder in self._aliases:
                return self._aliases[folder]
            for name in _CONFIG_NAMES:
                config = folder / name
                if self._is_file(config):
                    self._aliases[folder] = self._load_aliases(config)
                    return self._aliases[folder]
        return None

    def _load_aliases(self, config: Path) -> PathAliases | None:
        base_url: Path | None = None
        paths_base: Path | None = None
        paths: dict[str, tuple[str, ...]] | None = None
        for current in self._extends_chain(config):
            options = self._read_json(current).get("compilerOptions")
            if not isinstance(options, dict):
                continue
            if base_url is None and isinstance(options.get("baseUrl"), str):
                base_url = current.parent / options["baseUrl"]
            if paths is None and isinstance(options.get("paths"), dict):
                paths = {
                    key: tuple(t for t in targets if isinstance(t, str))
                    for key, targets in options["paths"].items()
                    if isinstance(key, str) and isinstance(targets, list)
                }
                paths_base = current.parent  # without baseUrl, TS 4.1+ resolves from here
        if base_url is None and paths is None:
            return None
        if base_url is not None:
            paths_base = base_url
        return PathAliases(base_url, paths_base, tuple((paths or {}).items()))

    def _extends_chain(self, config: Path) -> list[Path]:
        """The config, then what it extends, nearest first (nearer settings win)."""
        chain: list[Path] = []
        current: Path | None = config
        while current is not None and len(chain) < _MAX_EXTENDS and current not in chain:
            document = self._read_json(current)
            if not isinstance(document, dict):
                break
            chain.append(current)
            parent = document.get("extends")
            if isinstance(parent, list):  # TS 5: several; the last one wins, so try it first
                parent = parent[-1] if parent else None
            current = self._extended_config(current.parent, parent) if parent else None
        return chain

    def _extended_config(self, folder: Path, name: object) -> Path | None:
        if not isinstance(name, str):
            return None
        if name.startswith("."):
            target = folder / name
            candidates = [target, Path(str(target) + ".json"), target / "tsconfig.json"]
        else:
            candidates = []
            for up in self._up_to_root(folder):
                package = up / "node_modules" / name
                candidates += [package, Path(str(package) + ".json"), package / "tsconfig.json"]
        return next((c for c in candidates if self._is_file(c)), None)

    def _workspace_packages(self) -> dict[str, Path]:
        """Package name → folder, for every workspace package under the root."""
        if self._workspaces is not None:
            return self._workspaces
        patterns = _workspace_patterns(self._read_json(self.root / "package.json"))
        pnpm = self.root / "pnpm-workspace.yaml"
        self._is_file(pnpm)  # recorded: creating it changes every answer
        patterns += _pnpm_patterns(pnpm)
        found: dict[str, Path] = {}
        for pattern in patterns:
            for folder in self._expand(pattern):
                manifest = self._read_json(folder / "package.json")
                name = manifest.get("name") if isinstance(manifest, dict) else None
                if isinstance(name, str) and name and name not in found:
                    found[name] = folder
        self._workspaces = found
        return found

    def _expand(self, pattern: str) -> list[Path]:
        """Folders matching a workspace glob (``packages/*``, ``apps/**``), never in
        node_modules; a negated pattern (``!**/test``) is ignored."""
        pattern = pattern.strip().rstrip("/")
        if not pattern or pattern.startswith("!"):
            return []
        if "*" not in pattern:
            folder = self.root / pattern
            return [folder] if self._is_dir(folder) else []
        fixed = pattern.partition("*")[0]
        start = self.root / fixed.rstrip("/") if fixed.strip("/") else self.root
        deep = "**" in pattern
        matches: list[Path] = []
        for current, directories, _files in os.walk(start):
            directories[:] = sorted(d for d in directories if d not in ("node_modules", ".git"))
            relative = os.path.relpath(current, self.root).replace(os.sep, "/")
            if current != str(start) and fnmatch.fnmatch(relative, pattern.replace("**", "*")):
                matches.append(Path(current))
            if not deep and current != str(start):
                directories[:] = []
        return [m for m in matches if self._is_file(m / "package.json")]

    def _up_to_root(self, directory: Path) -> list[Path]:
        folders = []
        for folder in (directory, *directory.parents):
            folders.append(folder)
            if folder == self.root:
                break
        else:
            return []  # outside the repository: none of its configuration applies
        return folders

    def configuration_read(self) -> list[str]:
        """Every configuration file this resolver read or looked for: what its answers depend
        on besides the list of source files (a link cached from them stays valid while these
        are unchanged)."""
        probed = [name for name in self._files if os.path.basename(name) in _CONFIGURATION_FILES]
        return sorted({*probed, *(str(path) for path in self._json)})

    # -- the file system, read once ----------------------------------------------------------

    def _read_json(self, path: Path) -> Any:
        if path not in self._json:
            self._json[path] = _load_jsonc(path)
        return self._json[path]

    def _is_file(self, path: Path | str) -> bool:
        key = path if isinstance(path, str) else str(path)
        found = self._files.get(key)
        if found is None:
            found = self._files[key] = os.path.isfile(key)
        return found

    def _is_dir(self, path: Path | str) -> bool:
        return os.path.isdir(path)


# -- pure helpers ------------------------------------------------------------------------------

_COMMENT_OR_STRING = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/', re.DOTALL)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


def _load_jsonc(path: Path) -> Any:
    """A JSON file that may hold comments and trailing commas, as tsconfig does; {} when it
    is missing or broken (a broken config resolves nothing rather than stopping the run)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return {}
    try:
        return json.loads(text)
    except ValueError:
        pass
    stripped = _COMMENT_OR_STRING.sub(lambda m: m.group(0) if m.group(0)[0] == '"' else "", text)
    try:
        return json.loads(_TRAILING_COMMA.sub(r"\1", stripped))
    except ValueError:
        return {}


def _pattern_match(pattern: str, specifier: str) -> str | None:
    """What ``*`` stands for when ``specifier`` matches ``pattern`` ('' for an exact match)."""
    if "*" not in pattern:
        return "" if pattern == specifier else None
    prefix, _, suffix = pattern.partition("*")
    if (
        specifier.startswith(prefix)
        and specifier.endswith(suffix)
        and len(specifier) >= len(prefix) + len(suffix)
    ):
        return specifier[len(prefix) : len(specifier) - len(suffix)]
    return None


def _by_specificity(
    entries: tuple[tuple[str, tuple[str, ...]], ...],
) -> list[tuple[str, tuple[str, ...]]]:
    """Exact patterns first, then the longest prefix before ``*`` (TypeScript's order)."""
    return sorted(entries, key=lambda e: ("*" in e[0], -len(e[0].partition("*")[0])))


def _condition_target(value: Any) -> str | None:
    """The first usable string of a conditional target (``{"import": …, "require": …}``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return next((t for t in map(_condition_target, value) if t), None)
    if isinstance(value, dict):
        for condition in _CONDITIONS:
            if condition in value:
                target = _condition_target(value[condition])
                if target:
                    return target
    return None


def _match_map(mapping: dict[str, Any], wanted: str) -> str | None:
    """``exports``/``imports`` subpath matching, with one ``*`` per key."""
    if wanted in mapping:
        return _condition_target(mapping[wanted])
    keys = sorted((k for k in mapping if "*" in k), key=lambda k: -len(k.partition("*")[0]))
    for key in keys:
        star = _pattern_match(key, wanted)
        target = _condition_target(mapping[key]) if star is not None else None
        if target:
            return target.replace("*", star or "")
    return None


def _match_exports(exports: Any, wanted: str) -> str | None:
    if isinstance(exports, dict) and any(k.startswith(".") for k in exports):
        return _match_map(exports, wanted)
    return _condition_target(exports) if wanted == "." else None


def _split_package(specifier: str) -> tuple[str, str]:
    """``@scope/pkg/sub`` → (``@scope/pkg``, ``/sub``); ``pkg`` → (``pkg``, '')."""
    parts = specifier.split("/")
    count = 2 if specifier.startswith("@") else 1
    return "/".join(parts[:count]), ("/" + "/".join(parts[count:])) if parts[count:] else ""


def _workspace_patterns(manifest: Any) -> list[str]:
    if not isinstance(manifest, dict):
        return []
    workspaces = manifest.get("workspaces")
    if isinstance(workspaces, dict):  # yarn classic: {"packages": [...], "nohoist": [...]}
        workspaces = workspaces.get("packages")
    return [w for w in workspaces if isinstance(w, str)] if isinstance(workspaces, list) else []


_YAML_ITEM = re.compile(r"""^\s*-\s*['"]?([^'"#]+?)['"]?\s*(?:#.*)?$""")


def _pnpm_patterns(path: Path) -> list[str]:
    """The ``packages:`` list of pnpm-workspace.yaml (a flat list is all pnpm accepts)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    patterns: list[str] = []
    inside = False
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace() and not line.startswith("-"):
            inside = line.split(":")[0].strip() == "packages"
            continue
        match = _YAML_ITEM.match(line) if inside else None
        if match:
            patterns.append(match.group(1).strip())
    return patterns
