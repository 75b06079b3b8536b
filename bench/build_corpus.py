#!/usr/bin/env python3
"""Build the leaklint benchmark corpus from the npm registry.

Installs the packages pinned in bench/corpus/package-lock.json into a cache
directory (never into the repo), then renames every node_modules directory to
nm_pkgs: most linters skip node_modules by default, and the benchmark wants
every tool to read the same files. Re-running with the same lock is a no-op.

Usage: python bench/build_corpus.py [--dest DIR] [--force]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from corpus_files import corpus_stats

HERE = Path(__file__).resolve().parent
SPEC_DIR = HERE / "corpus"
SPEC_FILES = ("package.json", "package-lock.json")
DEFAULT_DEST = Path.home() / ".cache" / "leaklint-bench" / "corpus"
STAMP = ".leaklint-bench-stamp"
RENAMED = "nm_pkgs"


def lock_hash(spec_dir: Path) -> str:
    """Hash of the pinned spec: the corpus is rebuilt whenever it changes."""
    digest = hashlib.sha256()
    for name in SPEC_FILES:
        digest.update((spec_dir / name).read_bytes())
    return digest.hexdigest()


def is_built(dest: Path, wanted: str) -> bool:
    stamp = dest / STAMP
    return stamp.is_file() and stamp.read_text().strip() == wanted


def clear_dest(dest: Path) -> None:
    """Remove a previous build, refusing to wipe a directory we did not make."""
    if not dest.exists():
        return
    ours = (dest / STAMP).exists() or (dest / "package-lock.json").exists()
    if any(dest.iterdir()) and not ours:
        sys.exit(f"refusing to delete {dest}: it does not look like a corpus build")
    shutil.rmtree(dest)


def npm_install(spec_dir: Path, dest: Path) -> None:
    """npm ci from the committed lock; scripts off so nothing downloads binaries."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in SPEC_FILES:
        shutil.copyfile(spec_dir / name, dest / name)
    cmd = ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"]
    print("+", " ".join(cmd), f"(in {dest})", flush=True)
    subprocess.run(cmd, cwd=dest, check=True)


def rename_node_modules(root: Path) -> int:
    """Rename every node_modules dir below root to nm_pkgs; return how many.

    Deepest first, so renaming a parent never invalidates a path still queued.
    """
    found: list[Path] = []
    for dirpath, dirnames, _ in os.walk(root):
        found.extend(Path(dirpath, d) for d in dirnames if d == "node_modules")
    found.sort(key=lambda p: len(p.parts), reverse=True)
    for path in found:
        path.rename(path.with_name(RENAMED))
    return len(found)


def build(dest: Path, force: bool, spec_dir: Path = SPEC_DIR) -> None:
    """Install spec_dir's pinned packages into dest (a no-op if already there)."""
    wanted = lock_hash(spec_dir)
    if not force and is_built(dest, wanted):
        print(f"corpus already built at {dest} (lock {wanted[:12]})")
        return
    clear_dest(dest)
    npm_install(spec_dir, dest)
    renamed = rename_node_modules(dest)
    print(f"renamed {renamed} node_modules directories to {RENAMED}")
    # Written last: an interrupted build is never mistaken for a finished one.
    (dest / STAMP).write_text(wanted + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST, help=f"default {DEFAULT_DEST}")
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    args = parser.parse_args()
    dest = args.dest.expanduser().resolve()
    build(dest, args.force)
    files, size = corpus_stats(dest)
    print(f"corpus: {dest}")
    print(f"JS/TS files (no .d.ts): {files}, {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
