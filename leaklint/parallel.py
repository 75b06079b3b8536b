"""Checking files in worker processes, results in input order.

Only the per-file step runs in workers; the engine hands them paths and gets back
``FileResult``s. A worker that dies (a crash in native code on some pathological file) must
not take the run down: the files it had are retried one per task, and a file that kills its
worker again is reported as an error.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from leaklint.config import Settings
    from leaklint.engine import FileResult

_worker_settings: Settings | None = None
_worker_rules: list = []


def _init_worker(settings: Settings, codes: list[str]) -> None:
    global _worker_settings, _worker_rules
    from leaklint.rules import RULES_BY_CODE

    _worker_settings = settings
    _worker_rules = [RULES_BY_CODE[code] for code in codes]


def _check_one(path: Path) -> FileResult:
    from leaklint.engine import check_path

    assert _worker_settings is not None
    return check_path(path, _worker_settings, _worker_rules)


def _context() -> multiprocessing.context.BaseContext:
    # fork starts workers in milliseconds and shares the loaded grammars; elsewhere spawn.
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def check_in_pool(
    paths: list[Path], settings: Settings, codes: list[str], workers: int
) -> Iterator[FileResult]:
    # Small chunks keep the order-preserving stream flowing and balance large files.
    chunksize = max(1, min(32, len(paths) // (workers * 16) or 1))
    done = 0
    try:
        with ProcessPoolExecutor(
            workers, mp_context=_context(), initializer=_init_worker, initargs=(settings, codes)
        ) as pool:
            for result in pool.map(_check_one, paths, chunksize=chunksize):
                done += 1
                yield result
    except BrokenProcessPool:
        yield from _isolate(paths[done:], settings, codes, workers)


def _isolate(
    paths: list[Path], settings: Settings, codes: list[str], workers: int
) -> Iterator[FileResult]:
    """Retry after a worker died: one file per task, restarting the pool around a culprit."""
    from leaklint.engine import FileError, FileResult, display_path

    remaining = list(paths)
    while remaining:
        done = 0
        try:
            with ProcessPoolExecutor(
                workers, mp_context=_context(), initializer=_init_worker, initargs=(settings, codes)
            ) as pool:
                for result in pool.map(_check_one, remaining, chunksize=1):
                    done += 1
                    yield result
            return
        except BrokenProcessPool:
            culprit = remaining[done]
            shown = display_path(culprit)
            yield FileResult(
                shown, error=FileError(shown, "skipped: crashed the parser"), checked=False
            )
            remaining = remaining[done + 1 :]
