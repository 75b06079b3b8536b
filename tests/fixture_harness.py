"""Fixture files state their expected findings next to the code.

A line that should be reported carries a marker comment, ``// expect: LL001`` (or
``/* expect: LL001, LL001 */`` where a line comment cannot go, e.g. inside JSX); lines without
one must stay silent. The first line may hold ``// fixture-settings: {json}`` with
``Settings`` overrides such as ``{"env": ["browser"]}``.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from leaklint.config import Settings
from leaklint.pipeline.engine import check_source
from leaklint.pipeline.selection import selected_rules
from leaklint.syntax.source import SourceFile

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
_EXPECT = re.compile(r"(?://|/\*)\s*expect:\s*((?:LL\d{3}[\s,]*)+)")
_SETTINGS = re.compile(r"fixture-settings:\s*(\{.*\})")


def fixture_files() -> list[Path]:
    suffixes = {".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx"}
    return sorted(p for p in FIXTURES.rglob("*") if p.suffix in suffixes and p.is_file())


def expected(path: Path) -> Counter[tuple[int, str]]:
    wanted: Counter[tuple[int, str]] = Counter()
    text = path.read_text(encoding="utf-8")
    for number, line in enumerate(re.split(r"\r\n|\r|\n", text), start=1):
        for match in _EXPECT.finditer(line):
            for code in re.findall(r"LL\d{3}", match.group(1)):
                wanted[(number, code)] += 1
    return wanted


def fixture_settings(path: Path) -> Settings:
    first = path.read_text(encoding="utf-8").splitlines()[0] if path.stat().st_size else ""
    match = _SETTINGS.search(first)
    overrides = {
        key.replace("-", "_"): value
        for key, value in (json.loads(match.group(1)).items() if match else [])
    }
    for key, value in list(overrides.items()):
        if isinstance(value, list):
            overrides[key] = tuple(value)
    return Settings(root=path.parent, **overrides)


def rule_code_for(path: Path) -> str:
    return path.relative_to(FIXTURES).parts[0]


def actual(path: Path, settings: Settings | None = None) -> Counter[tuple[int, str]]:
    settings = settings or fixture_settings(path)
    code = rule_code_for(path)
    rules = selected_rules((code,), (), (), preview=True)
    source = SourceFile.read(path, path.name)
    return Counter((f.span.line, f.rule) for f in check_source(source, settings, rules))
