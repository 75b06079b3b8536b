"""The project summaries of a result cache, kept out of its results document.

A warm ``--project`` run, and a run after an edit that leaves every summary as it was, need
only each file's *summary digest* (the results document keeps it): the link's cached result
is keyed by those. The summaries themselves are read only when the link is recomputed, and
then only those of the import-graph components relinked. So they live beside the results
document, in **shards**: files ``<results stem>.<hash>.summaries`` in the same version
directory, each a JSON object of summaries by digest, holding whole components of the link's
edge graph (small components packed together, ~``_SHARD_SIZE`` summaries a shard). The
results document holds the index: each shard's name and the digests it holds, one string
of fixed-width digests per shard (~250 KB for 8,000 files, parsed in a few milliseconds).

Shards are content-addressed and never rewritten in place: a run writes a new shard for the
summaries it made that no shard holds (after a one-file edit: one small shard), and removes
the shards no live digest points to any more. When a component's summaries are spread over
more than ``_MAX_SHARDS_PER_COMPONENT`` shards and the run has read them all (it relinked
that component), it writes them together as one new shard, so an edited component does not
fragment forever.

The safety rules are the results cache's: a shard is read without following a symlink and
decoded strictly; one that is missing, damaged, of another format or not this cache's is
ignored with one note on standard error, and the files whose summaries it held are checked
again (so a finding is never lost, only recomputed). A shard is written atomically through
``fsutil`` and only over a regular file or nothing. Concurrent runs: the shards a run
writes are in place before its results document names them; a shard another run removed
meanwhile is a missing shard (its files are checked again), never a wrong answer, since a
shard's name says what it holds.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from leaklint.fsutil import atomic_write_text, read_regular_file

_SUFFIX = ".summaries"
# Digests are blake2b-128 hex (``cache.content_hash``): the index concatenates them.
_DIGEST_WIDTH = 32
# Small components are packed into shards of about this many summaries (~1.5 KB each): a
# relink of a small component reads one such shard, not a file per component.
_SHARD_SIZE = 256
_MAX_SHARDS_PER_COMPONENT = 4
# A shard of ours that no index names (a concurrent run lost the race to write the results
# document, or was killed between the two writes) is removed once it is this old: younger,
# it may belong to a run still writing its document.
_ORPHAN_AFTER_SECONDS = 3600
_MAX_SHARD_BYTES = 64 * 1024 * 1024

# Digests of the summaries of each component of the link's edge graph, when it is known.
Groups = Callable[[], Iterable[list[str]]]


class SummaryStore:
    """Summaries by digest for one results document (``stem``: its file name without
    ``.json``) in ``directory``; ``index``: what that document recorded (shard name ->
    concatenated digests), checked here."""

    def __init__(self, directory: Path, stem: str, index: Any, format_version: int) -> None:
        self.directory = directory
        self.stem = stem
        self._format = format_version
        self._index: dict[str, str] = _valid_index(index, stem)
        self._shard_of: dict[str, str] | None = None  # digest -> shard, built when first asked
        self._loaded: dict[str, dict[str, Any]] = {}  # shard -> its summaries, as read
        # Made this run, as JSON text; written at ``save`` if no shard holds them by then (one
        # that held them may turn out to be damaged when a relink reads it). Text, not the
        # dicts: a cold run keeps every file's summary until the save, and its peak while
        # writing the cache was over 400 MB with the dicts (the text is what a shard is).
        self._pending: dict[str, str] = {}
        self._groups: Groups | None = None
        self._named_at_start = set(self._index)
        self.changed = False

    def index(self) -> dict[str, str]:
        """What the results document records of this store."""
        return self._index

    def get(self, digest: str) -> dict[str, Any] | None:
        """The summary stored under ``digest``, or None (no shard holds it, or its shard is
        missing or damaged: the caller checks its file again)."""
        pending = self._pending.get(digest)
        if pending is not None:
            found = json.loads(pending)
            return found if isinstance(found, dict) else None
        shard = self._shards_by_digest().get(digest)
        if shard is None:
            return None
        summaries = self._loaded.get(shard)
        if summaries is None:
            summaries = self._load(shard)
        found = summaries.get(digest)
        return found if isinstance(found, dict) else None

    def add(self, digest: str, summary: dict[str, Any] | None) -> None:
        """Remember a summary made this run (written at ``save`` unless a shard holds it)."""
        if digest and summary is not None:
            self._pending[digest] = _text(summary)

    def discard(self, digest: str) -> None:
        """Forget a stored summary that did not decode: the one made again is written anew."""
        shard = self._shards_by_digest().pop(digest, None)
        if shard is None:
            return
        kept = [d for d in _split(self._index[shard]) if d != digest]
        if kept:
            self._index[shard] = "".join(kept)
        else:
            del self._index[shard]
        self.changed = True

    def has_pending(self) -> bool:
        """Whether this run made summaries (``save`` then has to see if a shard holds them)."""
        return bool(self._pending) or self.changed

    def place_by(self, groups: Groups) -> None:
        """How to group what is written at ``save``: the link's components, by digest."""
        self._groups = groups

    def save(self, live: set[str]) -> Callable[[], None]:
        """Write the shards this run's summaries need and update the index to hold exactly
        the ``live`` digests (those some results entry names). Returns what to do once the
        results document is written: remove the shards it no longer names."""
        self._index = self._live_index(live)
        self._shard_of = None
        held = self._shards_by_digest()
        pending = {d: s for d, s in self._pending.items() if d in live and d not in held}
        if pending:
            for batch in self._batches(pending):
                self._write_shard(batch)
        self._pending.clear()
        self._shard_of = None
        return self._remove_unnamed_shards

    # --- reading --------------------------------------------------------------------------

    def _shards_by_digest(self) -> dict[str, str]:
        if self._shard_of is None:
            self._shard_of = {
                digest: shard
                for shard, digests in self._index.items()
                for digest in _split(digests)
            }
        return self._shard_of

    def _load(self, shard: str) -> dict[str, Any]:
        path = self.directory / shard
        try:
            document = json.loads(
                read_regular_file(path, _MAX_SHARD_BYTES, follow_symlinks=False).data
            )
            summaries = self._checked(document)
        except FileNotFoundError:
            summaries, problem = {}, "it is missing"
        except (OSError, ValueError, RecursionError) as error:
            summaries, problem = {}, _problem(error)
        else:
            problem = None
        if problem is not None:
            print(
                f"leaklint: ignoring the cached project summaries in {path}: {problem};"
                " the files they belong to are summarised again",
                file=sys.stderr,
            )
            self._drop(shard)
        self._loaded[shard] = summaries
        return summaries

    def _checked(self, document: Any) -> dict[str, Any]:
        if not isinstance(document, dict):
            raise ValueError("not a summary shard")
        if document.get("format") != self._format:
            raise ValueError(f"of another cache format ({document.get('format')!r})")
        if document.get("of") != self.stem:
            raise ValueError("it belongs to another cache")
        summaries = document.get("summaries")
        if not isinstance(summaries, dict):
            raise ValueError("not a summary shard")
        return summaries

    def _drop(self, shard: str) -> None:
        """Forget a shard that cannot be read: its digests are held by nothing now, so the
        summaries made again for them are written to a new shard."""
        self._index.pop(shard, None)
        self._shard_of = None
        self.changed = True

    # --- writing --------------------------------------------------------------------------

    def _live_index(self, live: set[str]) -> dict[str, str]:
        index: dict[str, str] = {}
        for shard, digests in self._index.items():
            kept = [d for d in _split(digests) if d in live]
            if kept:
                index[shard] = "".join(kept)
        if index != self._index:
            self.changed = True
        return index

    def _batches(self, pending: dict[str, str]) -> list[dict[str, str]]:
        """The summaries to write, whole components together, packed to ~``_SHARD_SIZE``."""
        batches: list[dict[str, str]] = []
        batch: dict[str, str] = {}
        placed: set[str] = set()
        for group in self._groups() if self._groups is not None else ():
            chosen = self._to_write(group, pending)
            placed.update(group)
            if not chosen:
                continue
            batch.update(chosen)
            if len(batch) >= _SHARD_SIZE:
                batches.append(batch)
                batch = {}
        batch.update((d, s) for d, s in pending.items() if d not in placed)
        if batch:
            batches.append(batch)
        return batches

    def _to_write(self, group: list[str], pending: dict[str, str]) -> dict[str, str]:
        """A component's new summaries; all of its summaries when they are spread over too
        many shards and this run read every one of them (it relinked the component)."""
        new = {d: pending[d] for d in group if d in pending}
        if not new:
            return new
        shard_of = self._shards_by_digest()
        shards = {shard_of[d] for d in group if d in shard_of}
        if len(shards) + 1 <= _MAX_SHARDS_PER_COMPONENT or not shards <= self._loaded.keys():
            return new
        for digest in group:
            if digest in new or digest not in shard_of:
                continue
            summary = self._loaded[shard_of[digest]].get(digest)
            if isinstance(summary, dict):
                new[digest] = _text(summary)
        return new

    def _write_shard(self, summaries: dict[str, str]) -> None:
        digests = sorted(summaries)
        # Put together from each summary's text (digests are hex: no escaping needed).
        head = json.dumps({"format": self._format, "of": self.stem}, separators=(",", ":"))
        body = ",".join(f'"{d}":{summaries[d]}' for d in digests)
        text = f'{head[:-1]},"summaries":{{{body}}}}}'

        name = f"{self.stem}.{hashlib.blake2b(text.encode(), digest_size=10).hexdigest()}{_SUFFIX}"
        path = self.directory / name
        if not _regular_or_missing(path):
            return  # never written through a symlink or over what leaklint did not put there
        try:
            atomic_write_text(path, text)
        except OSError:
            return  # a read-only cache directory: the summaries are made again next time
        # A digest moved here (a component gathered) leaves the shard it came from.
        moved = set(digests)
        for shard, held in list(self._index.items()):
            kept = [d for d in _split(held) if d not in moved]
            if kept:
                self._index[shard] = "".join(kept)
            else:
                del self._index[shard]
        self._index[name] = "".join(digests)
        self.changed = True

    def _remove_unnamed_shards(self) -> None:
        """Remove this cache's shards the index does not name: those it stopped naming now,
        others (a concurrent run's leftovers) once they are old."""
        try:
            with os.scandir(self.directory) as entries:
                names = [e.name for e in entries if _is_ours(e.name, self.stem)]
        except OSError:
            return
        now = time.time()
        for name in names:
            if name in self._index:
                continue
            path = self.directory / name
            try:
                info = os.lstat(path)
                if name in self._named_at_start or now - info.st_mtime > _ORPHAN_AFTER_SECONDS:
                    os.unlink(path)  # unlink removes a symlink itself, never its target
            except OSError:
                continue


def _valid_index(index: Any, stem: str) -> dict[str, str]:
    """The index as the document recorded it, if it has the right shape; else empty (every
    summary is then made again when the link needs it)."""
    if not isinstance(index, dict):
        return {}
    valid: dict[str, str] = {}
    for shard, digests in index.items():
        if (
            isinstance(shard, str)
            and _is_ours(shard, stem)
            and "/" not in shard
            and isinstance(digests, str)
            and len(digests) % _DIGEST_WIDTH == 0
        ):
            valid[shard] = digests
    return valid


def _text(summary: dict[str, Any]) -> str:
    return json.dumps(summary, separators=(",", ":"))


def _split(digests: str) -> list[str]:
    return [digests[i : i + _DIGEST_WIDTH] for i in range(0, len(digests), _DIGEST_WIDTH)]


def _is_ours(name: str, stem: str) -> bool:
    return name.startswith(stem + ".") and name.endswith(_SUFFIX)


def _regular_or_missing(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except FileNotFoundError:
        return True
    except OSError:
        return False


def _problem(error: BaseException) -> str:
    if isinstance(error, OSError):
        return error.strerror or str(error)
    return str(error) or type(error).__name__
