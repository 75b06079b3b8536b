"""Reporters turn a ``RunResult`` into text for people or machines."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from leaklint.engine import RunResult
from leaklint.reporters import github, json_reporter, sarif, text

Reporter = Callable[[RunResult, TextIO, "ReportOptions"], None]


class ReportOptions:
    def __init__(self, *, color: bool = False, show_source: bool = True, statistics: bool = False):
        self.color = color
        self.show_source = show_source
        self.statistics = statistics


REPORTERS: dict[str, Reporter] = {
    "text": text.report,
    "json": json_reporter.report,
    "github": github.report,
    "sarif": sarif.report,
}
