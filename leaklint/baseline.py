"""A baseline: today's findings, recorded so that only new leaks are reported from now on.

``leaklint check --write-baseline leaklint-baseline.json`` records every finding by its
fingerprint (rule, path, enclosing function, normalised code: never the line), so moving code
around does not turn recorded findings into new ones. ``--baseline FILE`` then marks findings
that are in the file as suppressed (``Suppression("external")``) and counts the entries that no
longer occur, so the file can be pruned.

Identical findings in one function share a fingerprint, so an entry has a ``count``: with
``count: 2`` the first two such findings (in file order) are known and a third is new.

Runs on a subset of files (pre-commit passes only the staged ones) must not forget or
misreport the rest: entries for files that were not checked in this run are kept when the file
is rewritten and are neither matched nor counted as gone, unless the file no longer exists.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from leaklint import __version__
from leaklint.fsutil import atomic_write_text
from leaklint.model.findings import Finding, Suppression
from leaklint.model.results import BaselineStatus

FORMAT_VERSION = 1


class BaselineError(Exception):
    """A baseline file that cannot be used: reported as a usage error, never a traceback."""


@dataclass(frozen=True)
class Entry:
    fingerprint: str  # Finding.fingerprint without the ":N" occurrence suffix
    rule: str
    path: str
    message: str
    count: int = 1


def base_fingerprint(fingerprint: str) -> str:
    return fingerprint.split(":", 1)[0]


def entries_from_findings(findings: Iterable[Finding]) -> dict[str, Entry]:
    """One entry per fingerprint, counting repeats; findings suppressed in source are left out."""
    counts: Counter[str] = Counter()
    first: dict[str, Finding] = {}
    for finding in findings:
        if finding.suppression is not None:
            continue
        key = base_fingerprint(finding.fingerprint)
        counts[key] += 1
        first.setdefault(key, finding)
    return {
        key: Entry(key, first[key].rule, first[key].path, first[key].message, counts[key])
        for key in counts
    }


def load(path: Path) -> dict[str, Entry]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BaselineError(
            f"baseline file not found: {path} (create it with --write-baseline {path})"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise BaselineError(f"cannot read baseline {path}: {error}") from None
    try:
        return parse(json.loads(text))
    except (ValueError, KeyError, TypeError) as error:
        raise BaselineError(
            f"{path} is not a valid leaklint baseline ({error}); "
            "fix it or write a new one with --write-baseline"
        ) from None


def parse(document: Any) -> dict[str, Entry]:
    """Validated entries of a baseline document; ValueError on anything unexpected."""
    if not isinstance(document, dict) or not isinstance(document.get("entries"), list):
        raise ValueError("expected an object with an 'entries' list")
    version = document.get("version")
    if version != FORMAT_VERSION:
        raise ValueError(f"unsupported baseline version {version!r}")
    entries: dict[str, Entry] = {}
    for index, item in enumerate(document["entries"]):
        if not isinstance(item, dict):
            raise ValueError(f"entry {index} is not an object")
        strings = [item.get(k) for k in ("fingerprint", "rule", "path", "message")]
        count = item.get("count", 1)
        if not all(isinstance(s, str) for s in strings) or not item["fingerprint"]:
            raise ValueError(f"entry {index} needs string fingerprint, rule, path and message")
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise ValueError(f"entry {index} has an invalid count {count!r}")
        key = base_fingerprint(item["fingerprint"])
        previous = entries.get(key)
        # The same fingerprint twice (e.g. after a hand-resolved merge conflict) adds up.
        total = count + (previous.count if previous else 0)
        entries[key] = Entry(key, item["rule"], item["path"], item["message"], total)
    return entries


def dumps(entries: dict[str, Entry]) -> str:
    ordered = sorted(entries.values(), key=lambda e: (e.path, e.rule, e.fingerprint))
    document = {
        "version": FORMAT_VERSION,
        "leaklint_version": __version__,
        "entries": [asdict(entry) for entry in ordered],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _still_relevant(entry: Entry, checked: set[str]) -> bool:
    """An entry this run says nothing about: its file exists but was not checked."""
    return entry.path not in checked and Path(entry.path).exists()


def write(path: Path, findings: Iterable[Finding], checked: set[str]) -> int:
    """Record ``findings``, keeping entries for files this run did not check. Returns the count.

    Written atomically: an interrupted run leaves the previous file whole.
    """
    entries = entries_from_findings(findings)
    try:
        previous = load(path) if path.exists() else {}
    except BaselineError:
        previous = {}  # being replaced on purpose; nothing in it can be trusted anyway
    for key, entry in previous.items():
        if key not in entries and _still_relevant(entry, checked):
            entries[key] = entry
    atomic_write_text(path, dumps(entries))
    return sum(entry.count for entry in entries.values())


def apply(
    entries: dict[str, Entry], findings: Iterable[Finding], checked: set[str], label: str
) -> BaselineStatus:
    """Mark findings recorded in the baseline as suppressed; count entries that are gone."""
    used: Counter[str] = Counter()
    status = BaselineStatus(path=label)
    for finding in findings:  # in file order, so "the first N" is well defined
        if finding.suppression is not None:
            continue
        key = base_fingerprint(finding.fingerprint)
        entry = entries.get(key)
        if entry is None or used[key] >= entry.count:
            continue
        used[key] += 1
        status.matched += 1
        finding.suppression = Suppression("external", f"recorded in baseline {label}")
    status.stale = sum(
        entry.count - used[key]
        for key, entry in entries.items()
        if not _still_relevant(entry, checked)
    )
    return status
