"""A source file as leaklint sees it: bytes, text, language, module mode and a line index.

Positions inside leaklint are byte offsets into ``SourceFile.data`` (what tree-sitter reports).
They become user-facing 1-based lines and *character* columns only here, because editors,
ESLint and SARIF's ``unicodeCodePoints`` column kind all count characters, and the code this
tool is for often has Cyrillic strings before a finding.
"""

from __future__ import annotations

import bisect
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from functools import cached_property
from pathlib import Path
from typing import Generic, TypeVar

from leaklint.fsutil import read_regular_file

# CRLF, LF and a lone CR each end a line, as in editors and ESLint (and unlike tree-sitter,
# whose rows only count LF). U+2028/U+2029 are left out on purpose: ECMAScript (and so ESLint
# and V8) count them as line terminators, but editors and GitHub's file view do not, and a
# finding must land on the line a person sees. In a file containing them leaklint's line
# numbers therefore differ from ESLint's after them (measured in docs/benchmark.md).
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")

# The engine's limit for a source file (it skips larger ones) and a package.json's: everything
# leaklint reads has a cap on what it reads.
MAX_SOURCE_BYTES = 32 * 1024 * 1024
MAX_MANIFEST_BYTES = 16 * 1024 * 1024


class Language(str, Enum):
    JAVASCRIPT = "javascript"
    TYPESCRIPT = "typescript"
    TSX = "tsx"


class ModuleKind(str, Enum):
    ESM = "esm"
    COMMONJS = "commonjs"


EXTENSION_LANGUAGE: dict[str, Language] = {
    ".js": Language.JAVASCRIPT,
    ".mjs": Language.JAVASCRIPT,
    ".cjs": Language.JAVASCRIPT,
    ".jsx": Language.JAVASCRIPT,
    ".ts": Language.TYPESCRIPT,
    ".mts": Language.TYPESCRIPT,
    ".cts": Language.TYPESCRIPT,
    ".tsx": Language.TSX,
}


def language_for(path: Path) -> Language | None:
    """The grammar for a path, or None when leaklint does not check files of that kind."""
    name = path.name.lower()
    if name.endswith((".d.ts", ".d.mts", ".d.cts")):
        return None  # declaration files hold types only: nothing runs, nothing leaks
    return EXTENSION_LANGUAGE.get(path.suffix.lower())


@dataclass(frozen=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based, in characters


@dataclass
class SourceFile:
    """One file's content. ``data`` is what is parsed; ``text`` is its decoded form."""

    path: Path
    display_path: str
    data: bytes
    language: Language
    decode_errors: bool = False

    @classmethod
    def from_bytes(cls, path: Path, raw: bytes, display_path: str | None = None) -> SourceFile:
        language = language_for(path) or Language.JAVASCRIPT
        if raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]  # a BOM is not code; dropping it keeps column 1 where editors put it
        decode_errors = False
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            # Keep going with replacement characters: the rest of the file still deserves
            # checking, and offsets stay consistent because we parse the re-encoded text.
            raw = raw.decode("utf-8", errors="replace").encode("utf-8")
            decode_errors = True
        return cls(
            path=path,
            display_path=display_path if display_path is not None else str(path),
            data=raw,
            language=language,
            decode_errors=decode_errors,
        )

    @classmethod
    def read(cls, path: Path, display_path: str | None = None) -> SourceFile:
        # Capped like the engine's reads: a symlink to /dev/zero must not read until MemoryError.
        raw = read_regular_file(path, MAX_SOURCE_BYTES).data
        return cls.from_bytes(path, raw, display_path)

    # The line index is built on first use: only files with something to report need one,
    # and scanning every file's line breaks up front cost ~10 % of a cold run.
    @cached_property
    def _line_starts(self) -> list[int]:
        return [0] + [m.end() for m in _LINE_BREAK.finditer(self.data)]

    @cached_property
    def _ascii(self) -> bool:
        return self.data.isascii()

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")

    @property
    def line_count(self) -> int:
        return len(self._line_starts)

    def position(self, offset: int) -> Position:
        """1-based line and character column of a byte offset."""
        index = bisect.bisect_right(self._line_starts, offset) - 1
        start = self._line_starts[index]
        if self._ascii:
            column = offset - start
        else:
            column = len(self.data[start:offset].decode("utf-8", errors="replace"))
        return Position(index + 1, column + 1)

    @property
    def is_ascii(self) -> bool:
        """All ASCII: a character column is then a byte, UTF-8 and UTF-16 column too."""
        return self._ascii

    def line_offset(self, line: int) -> int:
        """The byte offset where a 1-based line starts (the end of the data past the last)."""
        if not 1 <= line <= len(self._line_starts):
            return len(self.data)
        return self._line_starts[line - 1]

    def line_text(self, line: int) -> str:
        """The text of a 1-based line without its line break."""
        if not 1 <= line <= len(self._line_starts):
            return ""
        start = self._line_starts[line - 1]
        end = self._line_starts[line] if line < len(self._line_starts) else len(self.data)
        return self.data[start:end].decode("utf-8", errors="replace").rstrip("\r\n")

    def is_binary(self) -> bool:
        """NUL bytes in the first 8 KB, as git judges, unless they are rare in a file that is
        valid UTF-8: a test's `'null\\x00byte.txt'` written with a raw NUL is still code."""
        sample = self.data[:8192]
        nuls = sample.count(b"\x00")
        if not nuls:
            return False
        # UTF-16 text, images and archives have many NULs, other control bytes, or are not
        # UTF-8 at all; source code has none of those.
        return (
            self.decode_errors
            or nuls > max(1, len(sample) // 100)
            or _CONTROL_BYTE.search(sample) is not None
        )


# C0 control bytes other than NUL and whitespace (\t \n \v \f \r) and ESC.
_CONTROL_BYTE = re.compile(rb"[\x01-\x08\x0e-\x1a\x1c-\x1f]")


# --- module mode -------------------------------------------------------------------------


_T = TypeVar("_T")


class _NearestAnswer(Generic[_T]):
    """``self(directory)``: what ``decide`` says of the nearest directory at or above
    ``directory`` that it answers for (``decide`` returns None to look further up), or
    ``default`` when none does.

    Walks up iteratively, remembering the answer for every directory it passes: the recursive
    version ran out of Python's recursion limit ~500 directories deep, and every file below
    was then skipped as "nesting too deep". Directories are handled as strings: building a
    ``Path`` for each parent and each manifest name was most of a warm run's environments.
    """

    def __init__(self, decide: Callable[[str], _T | None], default: _T) -> None:
        self._decide = decide
        self._default = default
        self._known: dict[str, _T] = {}

    def __call__(self, directory: Path | str) -> _T:
        passed: list[str] = []
        current: str | None = os.fspath(directory)
        while current is not None and current not in self._known:
            passed.append(current)
            found = self._decide(current)
            if found is not None:
                break
            parent = os.path.dirname(current)
            current = None if parent == current else parent
        else:  # reached the root, or a directory answered before
            found = self._default if current is None else self._known[current]
        for visited in passed:
            self._known[visited] = found
        return found

    def cache_clear(self) -> None:
        self._known.clear()


# ``package_type(directory)``: the ``type`` field of the nearest package.json at or above
# ``directory`` (None when there is none).
package_type: _NearestAnswer[str | None] = _NearestAnswer(
    lambda directory: _manifest_type(os.path.join(directory, "package.json")), None
)


def _manifest_type(manifest: str) -> str | None:
    """What one package.json says: its ``type``, or "commonjs" when it says nothing usable;
    None when there is no package.json.

    A manifest that is broken (invalid JSON, nested too deeply for the parser, not an object)
    decides nothing special: Node treats it as an error, so the file's syntax decides as for a
    file without a ``type`` (``declared_module_kind`` reads "commonjs" as "not declared").
    """
    if not os.path.isfile(manifest):
        return None
    try:
        text = read_regular_file(manifest, MAX_MANIFEST_BYTES).data.decode("utf-8")
        value = json.loads(text).get("type")
    except (OSError, ValueError, AttributeError, RecursionError):
        value = None
    return value if isinstance(value, str) else "commonjs"


def _meteor_package_here(directory: str) -> bool | None:
    """Whether ``directory`` holds a Meteor package's ``package.js``; None when it holds no
    ``package.js`` and no ``package.json`` (the answer is further up)."""
    script = os.path.join(directory, "package.js")
    if os.path.isfile(script):
        return _describes_a_package(script)
    return False if os.path.isfile(os.path.join(directory, "package.json")) else None


# ``meteor_package(directory)``: whether ``directory`` lies in a Meteor package — the nearest
# directory at or above it with a ``package.js`` or a ``package.json`` has a ``package.js``
# that calls ``Package.describe``. Meteor's linker declares every name a package file assigns
# without a declaration as a variable of the package (the documented way to share and, with
# ``api.export``, export one), so such a write makes no global.
meteor_package: _NearestAnswer[bool] = _NearestAnswer(_meteor_package_here, False)


def _describes_a_package(script: str) -> bool:
    try:
        return b"Package.describe(" in read_regular_file(script, MAX_MANIFEST_BYTES).data
    except OSError:
        return False


def declared_module_kind(path: Path) -> ModuleKind | None:
    """What the file's extension or package.json says, before looking at the code."""
    suffix = path.suffix.lower()
    if suffix in (".mjs", ".mts"):
        return ModuleKind.ESM
    if suffix in (".cjs", ".cts"):
        return ModuleKind.COMMONJS
    if suffix in (".js", ".jsx") and package_type(real_directory(str(path.parent))) == "module":
        return ModuleKind.ESM
    return None


def file_environment(path: Path) -> str:
    """What lies outside ``path`` but decides how it is analysed, as a short string a result
    cache compares: the module kind its package.json declares (a ``.js`` file under
    ``"type": "module"`` is strict) and whether it lies in a Meteor package (whose undeclared
    writes are package variables, not globals)."""
    kind = declared_module_kind(path)
    meteor = meteor_package(real_directory(str(path.parent)))
    return f"{kind.value if kind is not None else ''}{'+meteor' if meteor else ''}"


class _RealDirectories:
    """``self(directory)``: ``Path(directory).resolve()``, remembered.

    Node looks for package.json from the file's real path (symlinks resolved). Resolving
    each file's path cost more than the rest of module detection; files share directories.
    A directory is resolved through its parent's answer: one ``lstat`` (is it a link?) per
    directory instead of one per component of its path, which ``resolve`` makes.
    """

    # More directories than a large repository has; beyond, the memory is given back.
    _LIMIT = 65536

    def __init__(self) -> None:
        self._known: dict[str, Path] = {}

    def __call__(self, directory: str) -> Path:
        known = self._known.get(directory)
        if known is not None:
            return known
        if len(self._known) > self._LIMIT:
            self._known.clear()
        below: list[tuple[str, str]] = []  # (directory, its name), innermost first
        current = directory
        while True:
            base = self._known.get(current)
            if base is not None:
                break
            parent, name = os.path.split(current)
            if not _plain_directory(current, parent, name) or os.path.islink(current):
                base = self._known[current] = Path(current).resolve()
                break
            below.append((current, name))
            current = parent
        for path, name in reversed(below):
            base = self._known[path] = base / name
        return self._known[directory]

    def cache_clear(self) -> None:
        self._known.clear()


def _plain_directory(path: str, parent: str, name: str) -> bool:
    """Whether ``path`` is absolute and normal, with a name of its own under ``parent``: its
    real path is then its real parent's plus its name, unless it is a link itself."""
    return (
        name not in ("", ".", "..")
        and parent != path
        and os.path.isabs(path)
        and os.path.normpath(path) == path
    )


real_directory = _RealDirectories()


def real_path(path: Path) -> Path:
    """``path.resolve()`` through the directories resolved before (``real_directory``): a
    file that is not itself a link resolves to its real directory and its own name. Resolving
    each file's whole path (a system call per directory) cost ~0.1 s a corpus run."""
    if path.name in ("", ".", "..") or path.is_symlink():
        return path.resolve()
    return real_directory(str(path.parent)) / path.name


# -- browser and test code ------------------------------------------------------------------

# Where Express apps keep the files they serve to browsers (`express.static('public')`), and
# where other stacks keep theirs: LL001's wording and the audit's classifier both read it.
BROWSER_ASSET_DIRECTORIES = frozenset({"public", "static", "assets", "wwwroot", "htdocs"})

_TEST_DIRECTORIES = frozenset({"test", "tests", "__tests__", "spec", "specs", "e2e", "__mocks__"})
_TEST_SUFFIXES = (".test", ".spec", ".e2e-spec", ".e2e", ".e2e-test")
_TEST_SETUP_NAMES = frozenset({"setuptests", "test-setup", "globalsetup", "globalteardown"})


# Where projects keep one-off programs: maintenance and migration scripts, build tools, CLIs.
_SCRIPT_DIRECTORIES = frozenset({"scripts", "script", "bin"})
# Build configuration, which a build tool loads for one build: `vite.config.ts`,
# `webpack.config.js`, a VitePress or Storybook site's `.vitepress/config.js`.
_BUILD_CONFIG_DIRECTORIES = frozenset({".vitepress", ".storybook"})
_BUILD_CONFIG_EXTENSIONS = frozenset({".js", ".cjs", ".mjs", ".ts", ".cts", ".mts"})


def is_script_file(path: Path) -> bool:
    """Whether ``path`` (relative to the project) is a one-off program by where projects keep
    them (`scripts/`, `script/`, `bin/`) or a build tool's configuration (`*.config.js`,
    `.vitepress/`): it runs, does its job and exits, so what it leaves open per call dies with
    its process instead of piling up in a server. (`bin/www`, an Express server's launcher,
    is start-up code, which runs once anyway.)"""
    directories = path.parts[:-1]
    if any(
        part in _SCRIPT_DIRECTORIES or part in _BUILD_CONFIG_DIRECTORIES for part in directories
    ):
        return True
    return path.suffix in _BUILD_CONFIG_EXTENSIONS and path.stem.endswith(".config")


def is_test_file(path: Path) -> bool:
    """Whether ``path`` (relative to the project) is test code, by the names test runners use.

    Rules judge test code by what matters there: a resource released only on the passing path
    is fine (a failed test's process or pool is torn down), a module-level array a test run
    fills is a recorder, not a leak. A resource a test never releases is still reported.
    """
    if any(part in _TEST_DIRECTORIES for part in path.parts[:-1]):
        return True
    segments = path.name.lower().split(".")
    if any(f".{segment}" in _TEST_SUFFIXES for segment in segments[1:-1]):
        return True
    first = segments[0]
    return (
        first.startswith(("test-", "test_"))
        or first.endswith(("-test", "_test", "-tests", "_tests"))
        or first in _TEST_SETUP_NAMES
        or (len(segments) > 2 and first in ("jest", "vitest", "mocha"))
    )
