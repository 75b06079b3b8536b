"""Start-up cost of the CLI for one small file (what a pre-commit hook pays on every commit).

    python bench/startup.py [--runs N]

Prints the median wall and CPU time of `python -m leaklint check --no-cache a.js` on a one-line file
(cold cache, so the file is parsed and checked), the same with the cache warm, and the
cumulative import time of `leaklint.cli` from `python -X importtime` with its largest imports.
Run it on an idle machine: on a shared one the numbers move by tens of milliseconds.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


# Installed packages have their bytecode compiled (pip does it at install time); a
# PYTHONDONTWRITEBYTECODE environment (some CI images, this project's sandboxes) would make
# every run compile leaklint from source, which is not what users pay. The children get an
# environment without it, and one warm-up run writes the bytecode.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(command: list[str], cwd: Path, runs: int) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system) of ``command``. On a shared
    machine the CPU time is the steadier figure: waiting for a core does not count."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, env=ENV, capture_output=True, check=False)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def import_times(module: str) -> tuple[int, list[tuple[int, str]]]:
    """Cumulative microseconds of importing ``module``, and (microseconds, name) of every
    import it makes directly (median of five runs each: single runs vary by tens of ms)."""
    runs = [_import_run(module) for _ in range(5)]
    total = int(statistics.median(total for total, _ in runs))
    names = {name for _, rows in runs for name in rows}
    rows = [(int(statistics.median(r[1].get(n, 0) for r in runs)), n) for n in names]
    return total, rows


def _import_run(module: str) -> tuple[int, dict[str, int]]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        env=ENV,
        capture_output=True,
        text=True,
        check=True,
    )
    total, children = 0, {}
    for line in done.stderr.splitlines():
        match = _IMPORT_LINE.match(line)
        if match is None:
            continue
        depth = len(match.group(3))
        if depth == 1 and match.group(4) == module:
            total = int(match.group(2))
        elif depth == 3:  # imported by the module itself (importtime lists children first)
            children[match.group(4)] = int(match.group(2))
    return total, children


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        cwd = Path(scratch)
        (cwd / "a.js").write_text("const answer = 42;\n", encoding="utf-8")
        check = [sys.executable, "-m", "leaklint", "check", "a.js"]
        timed([*check[:4], "--no-cache", "a.js"], cwd, 1)  # warm-up: writes the bytecode
        bare = timed([sys.executable, "-c", "pass"], cwd, args.runs)
        cold = timed([*check[:4], "--no-cache", "a.js"], cwd, args.runs)
        subprocess.run(check, cwd=cwd, env=ENV, capture_output=True, check=False)
        warm = timed(check, cwd, args.runs)
    total, rows = import_times("leaklint.cli")
    print("                                     wall     cpu")
    for label, (wall, cpu) in [
        ("python -c pass", bare),
        ("leaklint check a.js (no cache)", cold),
        ("leaklint check a.js (warm cache)", warm),
    ]:
        print(f"{label + ':':<36} {wall:.3f} s  {cpu:.3f} s")
    print(f"import leaklint.cli (-X importtime): {total / 1e6:.3f} s, largest:")
    for us, name in sorted(rows, reverse=True)[:8]:
        print(f"  {us / 1e3:7.1f} ms  {name}")


if __name__ == "__main__":
    main()
