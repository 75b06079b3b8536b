"""The per-file time budget: a file whose analysis runs too long is stopped, noted, and the
run goes on with the next file.

The analysis is linear in a file's size by design (see docs/fuzzing.md), but a rule or a
grammar quirk that is not would turn one generated file into a hang of the whole run. So the
engine starts a budget around each file and the analysis checks it cooperatively: between
rules, and in the loops that walk trees (``check()`` is cheap enough for a hot loop: it reads
the clock once every few hundred calls). A single parse or query pass runs in C and is not
interrupted; both are linear, and the size cap bounds them.

The clock is CPU time of this process (``time.process_time``): on a machine shared with other
work, wall time would stop files that are merely waiting for a core.

Memory is budgeted the same way, and the parse is watched too (tree-sitter calls back while
it parses, and stops when asked): a file's analysis may grow this process's resident memory
by ``MEMORY_PER_BYTE`` times the file's size, at least ``MEMORY_FLOOR`` and at most
``MEMORY_CAP``. (Measured from the file's start: a cap over the process's first file stopped
`typescript.js` in a whole-corpus run, where memory freed by earlier files stays resident
and is reused.) Dense code
costs tree-sitter ~150 bytes of tree per byte (`x;` a million times: 460 MB for 3 MB), code
nested 100,000 deep up to ~180, where real code costs 20-50: the multiple stops only the
pathological (broken JSX text with thousands of bare `&`: 460), and the cap keeps a run
within its 400 MB target. Resident memory is read from /proc (Linux); elsewhere only time
is budgeted.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

DEFAULT_SECONDS = 20.0
MEMORY_PER_BYTE = 200
MEMORY_FLOOR = 128 * 1024 * 1024
MEMORY_CAP = 300 * 1024 * 1024
# check() reads the clock once per this many calls: process_time costs ~0.3 µs, a check ~30 ns.
_CALLS_PER_CLOCK_READ = 256


class AnalysisStopped(BaseException):
    """The file's budget ran out. A BaseException, so that no ``except Exception`` in the
    analysis swallows it on the way to the engine, which turns it into a notice."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def resident_bytes() -> int | None:
    """This process's resident memory now (None where /proc is not there to say)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE_SIZE
    except (OSError, ValueError, IndexError):
        return None


try:
    _PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
except (AttributeError, ValueError, OSError):  # not POSIX
    _PAGE_SIZE = 4096


class _Budget:
    def __init__(self, seconds: float | None, size: int) -> None:
        self.seconds = seconds
        self.deadline = time.process_time() + seconds if seconds else None
        self.countdown = _CALLS_PER_CLOCK_READ
        self.memory_limit: int | None = None
        # Below this size even the densest code stays under the floor (deep nesting costs up
        # to ~180 bytes a byte), so most files never pay for reading /proc (~10 µs a read).
        if size * 250 < MEMORY_FLOOR:
            return
        start = resident_bytes()
        if start is not None:
            allowed = min(MEMORY_CAP, max(MEMORY_FLOOR, MEMORY_PER_BYTE * size))
            self.memory_limit = start + allowed
            self.memory_allowed_mb = allowed // (1024 * 1024)

    def check_now(self) -> None:
        self.countdown = _CALLS_PER_CLOCK_READ
        if self.deadline is not None and time.process_time() > self.deadline:
            raise AnalysisStopped(
                f"analysis stopped after {self.seconds:g} s "
                "(over the per-file time budget: file-time-budget)"
            )
        if self.memory_limit is not None:
            resident = resident_bytes()
            if resident is not None and resident > self.memory_limit:
                raise AnalysisStopped(
                    f"analysis stopped: it needed over {self.memory_allowed_mb} MB (a file may "
                    f"use {MEMORY_PER_BYTE} times its size, at most "
                    f"{MEMORY_CAP // (1024 * 1024)} MB)"
                )


_current: _Budget | None = None


@contextmanager
def limited(seconds: float | None, size: int = 0) -> Iterator[None]:
    """Run the body under a budget of ``seconds`` of CPU time (None or 0: no time limit) and
    of memory for a file of ``size`` bytes."""
    global _current
    previous = _current
    _current = _Budget(seconds, size)
    try:
        yield
    finally:
        _current = previous


def active() -> bool:
    return _current is not None


def check() -> None:
    """Raise AnalysisStopped if the current file's budget is spent (cheap: call it often)."""
    budget = _current
    if budget is None:
        return
    budget.countdown -= 1
    if budget.countdown <= 0:
        budget.check_now()


def check_now() -> None:
    """Like ``check()`` but reads the clock now: between the coarse steps of an analysis."""
    if _current is not None:
        _current.check_now()
