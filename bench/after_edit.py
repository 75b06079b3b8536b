#!/usr/bin/env python3
"""The re-run after an edit with project-wide analysis (issue 13), as a user runs it.

On a copy of the corpus (the edits never touch the original), with a fresh cache directory,
one `leaklint check --project` process each: cold (filling the cache), warm, after appending
a comment to one file (its summary stays as it was: the link is reused), and after
prepending a line to it (every span of its summary moves: the link is recomputed for its
part of the project). Prints CPU seconds (user + system) of each, and of the parse floor
(bench/floor.py) measured the same way, as a ratio: the issue asks for <= 0.1 x floor warm
and <= 0.15 x floor after an edit. Not a test: it reports.

Usage: python bench/after_edit.py [CORPUS] [--file RELATIVE] [--leaklint PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import measure  # noqa: E402

DEFAULT_CORPUS = Path.home() / ".cache" / "leaklint-bench" / "corpus" / "nm_pkgs"
DEFAULT_FILE = "lodash/fp/isObject.js"  # in the corpus's largest import component


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--file", default=DEFAULT_FILE, help="the file edited, in the corpus")
    parser.add_argument("--leaklint", default=shutil.which("leaklint") or "leaklint")
    args = parser.parse_args()
    # Installed packages have their bytecode compiled (pip does it at install time); with
    # PYTHONDONTWRITEBYTECODE set (this project's sandboxes) every leaklint process would
    # compile the package from source, ~0.25 s of CPU that no user pays (bench/startup.py
    # drops it too). The cold run writes the bytecode of an editable install.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory(prefix="after-edit-") as tmp:
        corpus = Path(tmp, "corpus")
        shutil.copytree(args.corpus, corpus, symlinks=True)
        edited = corpus / args.file
        original = edited.read_bytes()
        floor = measure.run([sys.executable, str(HERE / "floor.py"), str(corpus)])
        env = {"LEAKLINT_CACHE_DIR": str(Path(tmp, "cache"))}
        command = [
            args.leaklint,
            "check",
            "--config",
            str(HERE / "leaklint-bench.toml"),
            "-j1",
            "--exit-zero",
            "--project",
            "--format",
            "json",
            "-o",
            str(Path(tmp, "report.json")),
            str(corpus),
        ]
        rows = [("floor: read + parse", floor, None)]
        for label, content in (
            ("cold (fills the cache)", None),
            ("warm", None),
            ("after a comment (summary unchanged)", original + b"\n// a comment\n"),
            ("after a moved summary (link recomputed)", b"\n" + original + b"\n// a comment\n"),
        ):
            if content is not None:
                edited.write_bytes(content)
            result = measure.run(command, env=env)
            findings = len(json.loads(Path(tmp, "report.json").read_text())["findings"])
            rows.append((label, result, findings))
    print(f"| run | CPU s | x floor | wall s | peak MB | findings |  (edited: {args.file})")
    print("|---|--:|--:|--:|--:|--:|")
    for label, result, findings in rows:
        ratio = result.cpu_seconds / floor.cpu_seconds
        count = "" if findings is None else findings
        print(
            f"| {label} | {result.cpu_seconds:.2f} | {ratio:.3f} | {result.seconds:.2f}"
            f" | {result.peak_mb:.0f} | {count} |"
        )


if __name__ == "__main__":
    main()
