#!/usr/bin/env python3
"""The project link's share of a leaklint run (issue 13), in one process.

Runs the engine on a corpus cold (empty cache) and warm (the same cache), and prints for each
the whole run's wall seconds, the project step's (other files' summaries, the link and its
findings: ``RunResult.link_seconds``), how many files carried a summary, how many uses of
imported names the link resolved to a file of the corpus, and the cross-module findings.
Not a test: it reports.

Usage: python bench/link_share.py [CORPUS] [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from leaklint.config import load_settings  # noqa: E402
from leaklint.pipeline import engine  # noqa: E402
from leaklint.pipeline.discovery import discover  # noqa: E402
from leaklint.pipeline.project import graph  # noqa: E402

DEFAULT_CORPUS = Path.home() / ".cache" / "leaklint-bench" / "corpus"
CROSS_MODULE_IDS = frozenset(
    {"factory-from-module", "store-grown-from-module", "grower-from-module", "checkout-from-module"}
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    settings = load_settings(HERE / "leaklint-bench.toml")
    files = discover([args.corpus], settings)
    counts: dict[str, int] = {}
    original_link = graph.ProjectGraph.link

    def counting_link(self: graph.ProjectGraph) -> dict:
        facts = original_link(self)
        counts["summaries"] = len(self.summaries)
        counts["linked uses"] = sum(len(f.uses) for f in facts.values())
        return facts

    graph.ProjectGraph.link = counting_link  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory() as cache:
        os.environ["LEAKLINT_CACHE_DIR"] = cache
        for label in ("cold", "warm"):
            started = time.perf_counter()
            result = engine.run(files, settings, jobs=args.jobs)
            wall = time.perf_counter() - started
            cross = sum(1 for f in result.findings if f.message_id in CROSS_MODULE_IDS)
            print(
                f"{label}: {len(files)} files, {wall:.2f} s wall, project step "
                f"{result.link_seconds:.2f} s ({result.link_seconds / wall:.1%}); "
                f"{counts.get('summaries', 0)} summaries, {counts.get('linked uses', 0)} "
                f"linked uses, {cross} cross-module findings of {len(result.findings)}"
            )


if __name__ == "__main__":
    main()
