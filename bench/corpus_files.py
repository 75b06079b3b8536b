"""Which files of the benchmark corpus count as JS/TS sources.

Shared by build_corpus.py (to report the corpus size) and run.py (to feed the
parse-only floor), so both always talk about the same set of files.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

SOURCE_SUFFIXES = (".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx")
# Declaration files hold no runtime code, so no leak can live there; the
# reference numbers of issue 5 exclude them too.
DECLARATION_SUFFIXES = (".d.ts", ".d.mts", ".d.cts")


def is_source(name: str) -> bool:
    """True for a JS/TS file name that is not a type declaration file."""
    return name.endswith(SOURCE_SUFFIXES) and not name.endswith(DECLARATION_SUFFIXES)


def iter_sources(root: Path) -> Iterator[Path]:
    """Yield every JS/TS source under root, in a stable order.

    Symlinks are skipped (npm's .bin links would otherwise count files twice).
    """
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            if not is_source(name):
                continue
            path = Path(dirpath, name)
            if not path.is_symlink() and path.is_file():
                yield path


def corpus_stats(root: Path) -> tuple[int, int]:
    """Return (number of source files, total bytes) under root."""
    count = 0
    size = 0
    for path in iter_sources(root):
        count += 1
        size += path.stat().st_size
    return count, size
