"""Plain-text snapshots: what users read, pinned in files reviewed like code.

A snapshot is a ``.snap`` file under ``tests/snapshots/``. A test compares what it renders with
the stored text and fails with a unified diff; run pytest with ``--snapshot-update`` (or with
``LEAKLINT_UPDATE_SNAPSHOTS=1`` in the environment) to write the new text instead, then review
the change in ``git diff`` like any other.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
UPDATE_OPTION = "--snapshot-update"
UPDATE_VARIABLE = "LEAKLINT_UPDATE_SNAPSHOTS"


def update_requested(option: bool) -> bool:
    """The command-line flag, or the environment variable for runners that hide pytest's CLI."""
    return option or os.environ.get(UPDATE_VARIABLE, "") not in ("", "0")


class SnapshotMismatch(AssertionError):
    """The rendered text differs from the stored snapshot (or no snapshot exists yet)."""


def snapshot_diff(stored: str, actual: str, name: str) -> str:
    """A unified diff from the stored text to the new one, as ``git diff`` would show it."""
    lines = difflib.unified_diff(
        stored.splitlines(keepends=True),
        actual.splitlines(keepends=True),
        fromfile=f"{name} (stored)",
        tofile=f"{name} (now)",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def assert_snapshot(actual: str, snapshot: Path, *, update: bool) -> None:
    """Compare ``actual`` with the stored ``snapshot``, or store it when ``update`` is set."""
    name = _shown(snapshot)
    stored = snapshot.read_text(encoding="utf-8") if snapshot.is_file() else None
    if stored == actual:
        return
    if update:
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        snapshot.write_text(actual, encoding="utf-8")
        return
    hint = f"if the change is intended, run pytest with {UPDATE_OPTION} (or {UPDATE_VARIABLE}=1)"
    if stored is None:
        raise SnapshotMismatch(f"no snapshot {name} yet; {hint} and review the new file")
    raise SnapshotMismatch(
        f"{name} differs from what leaklint reports now ({hint}):\n"
        + snapshot_diff(stored, actual, name)
    )


def _shown(path: Path) -> str:
    try:
        return path.relative_to(SNAPSHOTS.parent.parent).as_posix()
    except ValueError:
        return str(path)
