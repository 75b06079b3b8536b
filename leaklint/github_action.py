"""Helpers for the composite GitHub Action (``action.yml``), run with the action's Python.

``python -m leaklint.github_action paths``
    Reads the ``paths`` input from ``$INPUT_PATHS``: one path or glob pattern per line, so a
    path may contain spaces. Each line that names an existing file or directory is taken as it
    is (``pages/[id].js`` is a file, not a pattern); any other line is a glob (``*``, ``?``,
    ``[...]``, ``**`` for any depth), expanded in sorted order. Writes the arguments that end
    the ``leaklint check`` command line, NUL-separated: ``-- PATH...``, preceded by
    ``--force-exclude`` when a pattern was expanded, so that the configured excludes apply to
    the files a pattern matched as they do in a directory walk. A line that is neither a path
    nor a pattern matching anything is an error (exit 2): a typo must not turn into a green
    check over nothing.

``python -m leaklint.github_action findings FILE``
    Exit 0 when the SARIF report FILE holds at least one result that is not suppressed, else 1.
    leaklint exits 1 for "findings"; the action uses this to tell that from a crash that exits
    1 without having written any.

Shell quoting is the wrong tool for both: word splitting breaks paths with spaces, bash's
``globstar`` is missing from the bash 3.2 of macOS runners, and Python runs the same on Linux,
macOS and Windows.
"""

from __future__ import annotations

import glob
import json
import os
import sys
from pathlib import Path

_GLOB_CHARACTERS = frozenset("*?[")


class PathsError(Exception):
    """A ``paths`` line that names nothing."""


def expand_paths(text: str, cwd: Path) -> tuple[list[str], bool]:
    """The paths the input names, and whether any came from a glob pattern."""
    paths: list[str] = []
    expanded = False
    for line in text.splitlines():
        entry = line.strip()
        if not entry:
            continue
        if (cwd / entry).exists() or not _GLOB_CHARACTERS & set(entry):
            paths.append(entry)  # leaklint itself reports a path that does not exist
            continue
        matches = sorted(glob.glob(entry, root_dir=cwd, recursive=True))
        if not matches:
            raise PathsError(f"paths: '{entry}' matches no file or directory")
        paths.extend(matches)
        expanded = True
    return paths or ["."], expanded


def has_findings(sarif_file: Path) -> bool:
    """Whether a SARIF report holds a result that is not suppressed; False when unreadable."""
    try:
        document = json.loads(sarif_file.read_text(encoding="utf-8"))
        runs = document["runs"]
        return any(
            not result.get("suppressions") for run in runs for result in run.get("results") or ()
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def main(argv: list[str]) -> int:
    if argv[:1] == ["paths"] and len(argv) == 1:
        try:
            paths, expanded = expand_paths(os.environ.get("INPUT_PATHS", ""), Path.cwd())
        except PathsError as error:
            print(f"::error title=leaklint::{error}", file=sys.stderr)
            return 2
        arguments = ["--force-exclude"] if expanded else []
        # Bytes, as the file system gave them: a name need not be UTF-8.
        sys.stdout.buffer.write(
            b"".join(os.fsencode(item) + b"\0" for item in [*arguments, "--", *paths])
        )
        return 0
    if argv[:1] == ["findings"] and len(argv) == 2:
        return 0 if has_findings(Path(argv[1])) else 1
    print("usage: python -m leaklint.github_action paths | findings FILE", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
