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
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

DEFAULT_SECONDS = 20.0
# check() reads the clock once per this many calls: process_time costs ~0.3 µs, a check ~30 ns.
_CALLS_PER_CLOCK_READ = 256


class AnalysisStopped(BaseException):
    """The file's budget ran out. A BaseException, so that no ``except Exception`` in the
    analysis swallows it on the way to the engine, which turns it into a notice."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"analysis stopped after {seconds:g} s")
        self.seconds = seconds


class _Budget:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.process_time() + seconds
        self.countdown = _CALLS_PER_CLOCK_READ

    def check_now(self) -> None:
        self.countdown = _CALLS_PER_CLOCK_READ
        if time.process_time() > self.deadline:
            raise AnalysisStopped(self.seconds)


_current: _Budget | None = None


@contextmanager
def limited(seconds: float | None) -> Iterator[None]:
    """Run the body under a budget of ``seconds`` of CPU time (None or 0: no budget)."""
    global _current
    previous = _current
    _current = _Budget(seconds) if seconds else None
    try:
        yield
    finally:
        _current = previous


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
