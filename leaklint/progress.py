"""A progress bar on stderr for long runs on a terminal, and nowhere else.

Never in CI logs (the CI variable), never when stderr is not a terminal, never for machine
formats: those outputs are read by programs, and a bar would only be noise in them.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO

_MIN_FILES = 200  # short runs finish before a bar could be read
_INTERVAL = 0.1


def wanted(fmt: str, stream: TextIO | None = None) -> bool:
    stream = stream or sys.stderr
    if fmt != "text" or os.environ.get("CI") or os.environ.get("LEAKLINT_NO_PROGRESS"):
        return False
    if os.environ.get("TERM") == "dumb":  # no cursor movement: a redrawn bar would pile up
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


class ProgressBar:
    def __init__(self, stream: TextIO | None = None, width: int = 30) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self._last = 0.0
        self._shown = False

    def __call__(self, done: int, total: int) -> None:
        if total < _MIN_FILES:
            return
        now = time.monotonic()
        if done < total and now - self._last < _INTERVAL:
            return
        self._last = now
        filled = int(self.width * done / total)
        bar = "█" * filled + "░" * (self.width - filled)
        self.stream.write(f"\r{bar} {done}/{total} files")
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
