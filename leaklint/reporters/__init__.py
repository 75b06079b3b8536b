"""Reporters turn a ``RunResult`` into text for people or machines."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from leaklint.pipeline.engine import RunResult

Reporter = Callable[["RunResult", TextIO, "ReportOptions"], None]


class ReportOptions:
    def __init__(
        self,
        *,
        color: bool = False,
        show_source: bool = True,
        statistics: bool = False,
        sarif_include_suppressed: bool = False,
        category: str | None = None,
    ):
        self.color = color
        self.show_source = show_source
        self.statistics = statistics
        # SARIF only: keep suppressed and baselined results (with `suppressions`), and the
        # code scanning category (automationDetails.id).
        self.sarif_include_suppressed = sarif_include_suppressed
        self.category = category


class _LazyReporters(Mapping[str, Reporter]):
    """Format name → report function, importing a reporter only when it is used: the SARIF
    object model alone costs more start-up time than a warm run spends checking."""

    _MODULES = {"text": "text", "json": "json_reporter", "github": "github", "sarif": "sarif"}

    def __getitem__(self, name: str) -> Reporter:
        module = importlib.import_module(f"leaklint.reporters.{self._MODULES[name]}")
        return module.report

    def __iter__(self) -> Iterator[str]:
        return iter(self._MODULES)

    def __len__(self) -> int:
        return len(self._MODULES)


REPORTERS: Mapping[str, Reporter] = _LazyReporters()
