"""The quick, deterministic slice of the fuzzing harness (bench/fuzz.py) that CI runs.

Seeded mutants of the rule fixtures (byte and token mutations) are checked beside a file with
a known finding: no exception, exit codes 0/1/2 only, and that finding always reported. The
pathological generators run at small sizes, and their cost is counted, not timed: bytes
parsed (re-parses included), parent-walk steps and tree nodes must grow like the input (4
times the input, at most 6 times the work). The whole-case runs of issue 17's slow inputs are
in test_pathological.py.
"""

from __future__ import annotations

import importlib.util
import json
import random
import sys
from pathlib import Path
from types import ModuleType

import pytest

from leaklint.config import Settings
from leaklint.pipeline.engine import check_source, rules_for
from leaklint.semantic import scope
from leaklint.syntax import parsing
from leaklint.syntax.source import SourceFile
from tests.cli_helpers import invoke

REPO = Path(__file__).resolve().parent.parent


def _load_fuzz() -> ModuleType:
    spec = importlib.util.spec_from_file_location("leaklint_bench_fuzz", REPO / "bench" / "fuzz.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


fuzz = _load_fuzz()
SEED = 17
MUTANTS = 36


def _mutants() -> list[tuple[str, bytes, str]]:
    rng = random.Random(SEED)
    files = [p for p in fuzz.corpus_files() if p.is_relative_to(REPO / "fixtures")]
    cases = []
    for index in range(MUTANTS):
        source = rng.choice(files)
        mutate = fuzz.byte_mutation if index % 2 else fuzz.token_mutation
        data = source.read_bytes()
        for _ in range(rng.randrange(1, 4)):
            data = mutate(data, rng)
        cases.append((f"{index}-{source.parent.name}-{source.name}", data, source.suffix))
    return cases


@pytest.mark.parametrize(("name", "data", "suffix"), _mutants(), ids=lambda v: str(v)[:40])
def test_a_mutated_file_never_breaks_the_run_or_hides_the_file_beside_it(
    tmp_path: Path, name: str, data: bytes, suffix: str
) -> None:
    (tmp_path / f"case{suffix}").write_bytes(data)
    (tmp_path / fuzz.SENTINEL_NAME).write_text(fuzz.SENTINEL, encoding="utf-8")
    result = invoke(
        tmp_path, "--no-cache", "-j1", "--format", "json", f"case{suffix}", fuzz.SENTINEL_NAME
    )
    assert result.exit_code in (0, 1, 2), result.output
    document = json.loads(result.stdout)
    assert not [e for e in document["errors"] if "internal error" in e["message"]]
    assert any(f["path"] == fuzz.SENTINEL_NAME for f in document["findings"]), name


class _Work:
    """What checking one file costs, counted: bytes handed to the parser, steps of parent
    walks, and the tree's nodes."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.parsed = 0
        self.ancestries: list[scope.Ancestry] = []
        real_parser = parsing._parser
        work = self

        class CountingParser:
            def __init__(self, language: object) -> None:
                self.real = real_parser(language)

            def parse(self, source: object, *args: object, **kwargs: object) -> object:
                if isinstance(source, bytes) and "old_tree" not in kwargs:
                    work.parsed += len(source)
                return self.real.parse(source, *args, **kwargs)

            def reset(self) -> None:
                self.real.reset()

        real_init = scope.Ancestry.__init__

        def counting_init(ancestry: scope.Ancestry, root: object) -> None:
            real_init(ancestry, root)
            work.ancestries.append(ancestry)

        monkeypatch.setattr(parsing, "_parser", CountingParser)
        monkeypatch.setattr(scope.Ancestry, "__init__", counting_init)

    def of(self, text: str, suffix: str) -> int:
        self.parsed, self.ancestries = 0, []
        source = SourceFile.from_bytes(Path(f"case{suffix}"), text.encode(), f"case{suffix}")
        settings = Settings(file_time_budget=0)
        check_source(source, settings, rules_for(settings))
        nodes = parsing.parse(source.data, source.language).root_node.descendant_count
        return self.parsed + sum(a.steps for a in self.ancestries) + nodes


@pytest.mark.parametrize("generator", sorted(fuzz.GENERATORS))
def test_pathological_inputs_cost_work_in_proportion_to_their_size(
    monkeypatch: pytest.MonkeyPatch, generator: str
) -> None:
    suffix, make = fuzz.GENERATORS[generator]
    work = _Work(monkeypatch)
    small, large = work.of(make(1000), suffix), work.of(make(4000), suffix)
    assert large <= 6 * small, (generator, small, large)
