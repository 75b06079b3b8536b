#!/usr/bin/env python3
"""Parse-only floor: read and tree-sitter-parse every JS/TS source under ROOT.

This is the least work any tree-sitter based tool must do on a corpus, so
bench/run.py expresses every other tool's time as a multiple of it. It runs
as its own process so its wall time and peak memory are measured the same
way as every other tool's. Prints one JSON object with counts and timings.

Usage: python bench/floor.py ROOT [ROOT...]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import tree_sitter_javascript as tsjs
import tree_sitter_typescript as tsts
from corpus_files import is_source, iter_sources
from tree_sitter import Language, Parser


def make_parsers() -> dict[str, Parser]:
    """One parser per grammar, reused across files as a real tool would."""
    js = Parser(Language(tsjs.language()))
    ts = Parser(Language(tsts.language_typescript()))
    tsx = Parser(Language(tsts.language_tsx()))
    # The JS grammar parses JSX, so .jsx needs no grammar of its own.
    return {".tsx": tsx, ".ts": ts, ".mts": ts, ".cts": ts, "": js}


def pick(parsers: dict[str, Parser], path: Path) -> Parser:
    return parsers.get(path.suffix, parsers[""])


def expand(roots: list[Path]) -> list[Path]:
    """A root may be a directory (walked) or a single file (taken as is)."""
    files: list[Path] = []
    for root in roots:
        if root.is_file():
            files.extend([root] if is_source(root.name) else [])
        else:
            files.extend(iter_sources(root))
    return files


def main() -> None:
    start = time.perf_counter()
    parsers = make_parsers()
    files = expand([Path(arg) for arg in sys.argv[1:]])
    total_bytes = 0
    with_errors = 0
    for path in files:
        source = path.read_bytes()
        total_bytes += len(source)
        tree = pick(parsers, path).parse(source)
        with_errors += tree.root_node.has_error
    result = {
        "files": len(files),
        "bytes": total_bytes,
        "files_with_parse_errors": with_errors,
        "seconds_in_process": round(time.perf_counter() - start, 3),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
