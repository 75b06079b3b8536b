"""`leaklint check --fix`: apply the safe fixes findings carry, one atomic write per file.

The one place leaklint changes a user's source, and only when asked. Fixes whose edits overlap
one already taken are left for the next run, as ruff does; a file that is not valid UTF-8 is
left alone (its findings' offsets refer to a repaired copy of its bytes).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from leaklint.fsutil import atomic_write_bytes
from leaklint.model.findings import Edit, Finding, Fix

_BOM = b"\xef\xbb\xbf"


@dataclass
class FixSummary:
    fixed: int = 0  # findings whose fix was applied
    files: int = 0  # files rewritten
    skipped: int = 0  # safe fixes not applied (overlap, unreadable or not UTF-8)


def apply_safe_fixes(findings: Iterable[Finding], paths: dict[str, Path]) -> FixSummary:
    """Apply every safe fix of unsuppressed ``findings``; ``paths`` maps the findings' display
    paths to the files they came from."""
    by_path: dict[str, list[Fix]] = defaultdict(list)
    for finding in findings:
        if finding.fix is not None and finding.fix.safe and finding.suppression is None:
            by_path[finding.path].append(finding.fix)
    summary = FixSummary()
    for shown, fixes in by_path.items():
        path = paths.get(shown, Path(shown))
        applied = _fix_file(path, fixes)
        summary.fixed += applied
        summary.skipped += len(fixes) - applied
        summary.files += 1 if applied else 0
    return summary


def _fix_file(path: Path, fixes: list[Fix]) -> int:
    try:
        raw = path.read_bytes()
    except OSError:
        return 0
    bom = _BOM if raw.startswith(_BOM) else b""
    data = raw[len(bom) :]
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return 0  # offsets were computed on a repaired copy of the bytes, not on these
    chosen = non_overlapping(fixes, len(data))
    if not chosen:
        return 0
    edits = sorted((edit for fix in chosen for edit in fix.edits), key=lambda e: e.start)
    atomic_write_bytes(path, bom + apply_edits(data, edits))
    return len(chosen)


def non_overlapping(fixes: list[Fix], size: int) -> list[Fix]:
    """Fixes in file order, each kept only if none of its edits touches a kept one's."""
    taken: list[tuple[int, int]] = []
    chosen = []
    for fix in sorted(fixes, key=lambda f: min(e.start for e in f.edits)):
        ranges = [(e.start, e.end) for e in fix.edits]
        if any(end > size or start > end for start, end in ranges):
            continue  # the file is shorter than when it was checked
        if any(_touch(a, b) for a in ranges for b in taken):
            continue
        taken.extend(ranges)
        chosen.append(fix)
    return chosen


def _touch(a: tuple[int, int], b: tuple[int, int]) -> bool:
    # Two insertions at one offset conflict too: their order would be a guess.
    return a[0] <= b[1] and b[0] <= a[1]


def apply_edits(data: bytes, edits: list[Edit]) -> bytes:
    """``data`` with non-overlapping ``edits`` (sorted by start) applied."""
    out = bytearray()
    position = 0
    for edit in edits:
        out += data[position : edit.start]
        out += edit.text.encode("utf-8")
        position = edit.end
    out += data[position:]
    return bytes(out)
