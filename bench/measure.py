"""Run a command and measure its wall time and peak memory.

CPU time (user + system) is reported next to wall time: on a shared machine
other load stretches wall time, while CPU time stays close to the work done.

Peak memory is taken two ways and the larger wins:
- ru_maxrss from wait4(): exact, but only the largest single process of the
  tree, so it under-counts a tool that fans out into worker processes;
- the summed RSS of the whole process tree, sampled every SAMPLE_S seconds:
  catches worker pools, may miss a short spike, and counts pages shared
  after fork() once per process (so it errs high for forked workers).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

SAMPLE_S = 0.05
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Result:
    cmd: list[str]
    seconds: float
    cpu_seconds: float  # user + system, the process and all its waited-for children
    peak_mb: float
    max_process_mb: float
    tree_mb: float
    exit_code: int
    stdout: str
    stderr: str


def _parent_map() -> dict[int, int]:
    """pid -> ppid for every live process (this kernel has no /proc/*/children)."""
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may contain spaces.
        fields = stat[stat.rfind(")") + 2 :].split()
        parents[int(entry.name)] = int(fields[1])
    return parents


def _tree_rss(root: int) -> int:
    """Summed resident bytes of root and all its descendants."""
    parents = _parent_map()
    tree = {root}
    changed = True
    while changed:
        new = {pid for pid, ppid in parents.items() if ppid in tree and pid not in tree}
        tree |= new
        changed = bool(new)
    total = 0
    for pid in tree:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
    return total


class _Sampler(threading.Thread):
    """Background thread tracking the peak summed RSS of a process tree."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, _tree_rss(self.pid))
            self.done.wait(SAMPLE_S)


def run(
    cmd: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Result:
    """Run cmd to completion; stdout/stderr go through temp files (no pipe deadlock)."""
    full_env = {**os.environ, **(env or {})}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdout=out, stderr=err, env=full_env, cwd=cwd)
        sampler = _Sampler(proc.pid)
        sampler.start()
        # wait4 rather than proc.wait(): it hands back this child's rusage alone.
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        sampler.done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
    max_process_mb = usage.ru_maxrss / 1024  # Linux reports KiB
    tree_mb = sampler.peak / 2**20
    return Result(
        cmd=list(cmd),
        seconds=seconds,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_mb=max(max_process_mb, tree_mb),
        max_process_mb=max_process_mb,
        tree_mb=tree_mb,
        exit_code=proc.returncode,
        stdout=stdout,
        stderr=stderr,
    )
