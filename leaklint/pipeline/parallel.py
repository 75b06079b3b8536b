"""Checking files in worker processes, results in input order.

Only the per-file step runs in workers; the engine hands them paths and gets back
``FileResult``s.

Scheduling decides the wall time of a cold run. Files are sent in tasks: each file over
``SOLO_FILE_BYTES`` alone and largest first, so the run does not end with one core parsing a
bundle while the other waits; the rest in chunks in input order, so results stream out
steadily. A syntax tree takes ~25 times its file's size, so at most one file over
``BIG_FILE_BYTES`` is in flight at a time: two 9 MB bundles parsed at once would double the
peak memory, while one next to a stream of small files costs little more than the bundle.

A worker that dies (a crash in native code on some pathological file) must not take the run
down: the files without a result are retried one per task, and a file that kills its worker
again is reported as an error.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from leaklint.model.results import FileError, FileResult, display_path

if TYPE_CHECKING:
    from leaklint.model.settings import Settings
    from leaklint.rules import Rule

    # The per-file step a worker runs: the engine's ``check_path``, handed in by the engine so
    # that this module does not import the engine that imports it.
    CheckPath = Callable[[Path, Settings, list[type[Rule]]], FileResult]

BIG_FILE_BYTES = 2 * 1024 * 1024
SOLO_FILE_BYTES = 256 * 1024
# Per task: enough files that the round trip to the worker is noise, few enough that the
# in-order stream keeps flowing and the last tasks are short.
CHUNK_FILES = 24

# One (settings, rule codes) pair per configuration among the files (hierarchical config).
ProfileSpec = tuple["Settings", list[str]]
_worker_profiles: list[tuple[Settings, list]] = []
_worker_check: CheckPath | None = None


def _init_worker(
    profiles: list[ProfileSpec], gc_threshold: tuple[int, ...], check: CheckPath
) -> None:
    global _worker_profiles, _worker_check
    from leaklint.rules import RULES_BY_CODE

    gc.set_threshold(*gc_threshold)  # the engine's, also where workers are spawned, not forked
    # Ctrl-C reaches the whole process group: only the parent handles it (exit 130); a worker
    # interrupted while waiting for work would print a traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker_profiles = [
        (settings, [RULES_BY_CODE[code] for code in codes]) for settings, codes in profiles
    ]
    _worker_check = check


def _check_files(files: list[tuple[Path, int]]) -> list[FileResult]:
    """Check each (path, profile index)."""
    assert _worker_check is not None
    return [_worker_check(path, *_worker_profiles[index]) for path, index in files]


def _context() -> multiprocessing.context.BaseContext:
    # fork starts workers in milliseconds and shares the loaded grammars; elsewhere spawn.
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _pool(workers: int, profiles: list[ProfileSpec], check: CheckPath) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        workers,
        mp_context=_context(),
        initializer=_init_worker,
        initargs=(profiles, gc.get_threshold(), check),
    )


@dataclass
class _Task:
    indices: list[int]
    big: bool = False


def plan_tasks(sizes: list[int]) -> tuple[deque[_Task], deque[_Task]]:
    """(big files, everything else) as tasks in the order they should start."""
    solo = sorted(
        (i for i, size in enumerate(sizes) if size > SOLO_FILE_BYTES), key=lambda i: -sizes[i]
    )
    big = deque(_Task([i], big=True) for i in solo if sizes[i] > BIG_FILE_BYTES)
    rest = deque(_Task([i]) for i in solo if sizes[i] <= BIG_FILE_BYTES)
    chunk: list[int] = []
    for index, size in enumerate(sizes):
        if size > SOLO_FILE_BYTES:
            continue
        chunk.append(index)
        if len(chunk) == CHUNK_FILES:
            rest.append(_Task(chunk))
            chunk = []
    if chunk:
        rest.append(_Task(chunk))
    return big, rest


def check_in_pool(
    paths: list[Path],
    profiles: list[ProfileSpec],
    profile_of: list[int],
    workers: int,
    check: CheckPath,
) -> Iterator[FileResult]:
    """Results for ``paths`` in order; ``profile_of[i]`` picks the settings of ``paths[i]``."""
    files = list(zip(paths, profile_of, strict=True))
    big, rest = plan_tasks([_size(path) for path in paths])
    results: dict[int, FileResult] = {}
    next_out = 0
    try:
        with _pool(workers, profiles, check) as pool:
            running: dict[Future[list[FileResult]], _Task] = {}
            try:
                while big or rest or running:
                    _submit(pool, files, big, rest, running, limit=workers * 2)
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in done:
                        task = running.pop(future)
                        results.update(zip(task.indices, future.result(), strict=True))
                    while next_out in results:  # stream what is already in order
                        yield results.pop(next_out)
                        next_out += 1
            except (KeyboardInterrupt, GeneratorExit):
                _stop_workers(pool)
                raise
    except BrokenProcessPool:
        missing = [i for i in range(next_out, len(paths)) if i not in results]
        retried = _isolate([files[i] for i in missing], profiles, workers, check)
        results.update(zip(missing, retried, strict=True))
    while next_out < len(paths):
        yield results.pop(next_out)
        next_out += 1


# Set once workers were terminated in flight: the process must then end without the
# interpreter's exit hooks (``must_exit_at_once``).
_stopped_in_flight = False


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Ctrl-C, or a reader that stopped: leaving the pool's block would otherwise wait for
    every file in flight (seconds for a big bundle) before the run could end."""
    global _stopped_in_flight
    _stopped_in_flight = True
    for process in list((pool._processes or {}).values()):  # no public way to stop them
        process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)


def must_exit_at_once() -> bool:
    """Whether workers were terminated in flight. A worker stopped while it wrote a result
    leaves half a message in the result pipe, and concurrent.futures' exit hook joins the
    thread that waits for the rest of it: for ever (a Ctrl-C under load hung the process with
    exit code 130 printed, or printed that hook's traceback). The caller flushes its output
    and ends the process with ``os._exit`` instead; nothing leaklint writes is left half done
    (files are written atomically, the cache only after a run completes)."""
    return _stopped_in_flight


def _submit(
    pool: ProcessPoolExecutor,
    files: list[tuple[Path, int]],
    big: deque[_Task],
    rest: deque[_Task],
    running: dict[Future[list[FileResult]], _Task],
    limit: int,
) -> None:
    """Keep ``limit`` tasks queued or running; a big file only when no other one is."""
    while len(running) < limit:
        if big and not any(task.big for task in running.values()):
            task = big.popleft()
        elif rest:
            task = rest.popleft()
        else:
            return
        running[pool.submit(_check_files, [files[i] for i in task.indices])] = task


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _isolate(
    files: list[tuple[Path, int]], profiles: list[ProfileSpec], workers: int, check: CheckPath
) -> Iterator[FileResult]:
    """Retry after a worker died: one file per task, restarting the pool around a culprit.

    When a worker dies, every file in flight on the other workers fails with it, so the first
    failed file is only a suspect: it is checked again alone, and blamed only if it kills
    that worker too.
    """
    remaining = list(files)
    while remaining:
        done = 0
        try:
            with _pool(workers, profiles, check) as pool:
                for [result] in pool.map(_check_files, [[p] for p in remaining], chunksize=1):
                    done += 1
                    yield result
            return
        except BrokenProcessPool:
            yield _check_alone(remaining[done], profiles, check)
            remaining = remaining[done + 1 :]


def _check_alone(
    file: tuple[Path, int], profiles: list[ProfileSpec], check: CheckPath
) -> FileResult:
    path = file[0]
    try:
        with _pool(1, profiles, check) as pool:
            [result] = pool.submit(_check_files, [file]).result()
            return result
    except BrokenProcessPool:
        shown = display_path(path)
        return FileResult(
            shown, error=FileError(shown, "skipped: crashed the parser"), checked=False
        )
