"""Run one rule over a snippet of code, for tests that check more than fixture lines can."""

from __future__ import annotations

from pathlib import Path

from leaklint.config import Settings
from leaklint.model.findings import Finding
from leaklint.pipeline.engine import check_source
from leaklint.pipeline.selection import selected_rules
from leaklint.syntax.source import SourceFile


def run_rule(code: str, source: str, filename: str = "snippet.js") -> list[Finding]:
    rules = selected_rules((code,), (), (), preview=True)
    path = Path(filename)
    return check_source(SourceFile.from_bytes(path, source.encode()), Settings(), rules)
