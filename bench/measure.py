"""Run a command and measure its wall time, CPU time and peak memory.

CPU time (user + system) is reported next to wall time: on a shared machine
other load stretches wall time, while CPU time stays close to the work done.

Peak memory is taken two ways and the larger wins:
- ru_maxrss from wait4(): exact, but only the largest single process of the
  tree, so it under-counts a tool that fans out into worker processes;
- the summed PSS (proportional set size: a page shared by n processes counts
  1/n in each) of the whole process tree, sampled every SAMPLE_S seconds:
  catches worker pools without counting pages shared after fork() twice, but
  may miss a short spike. Where /proc/PID/smaps_rollup is missing, RSS is
  summed instead, which errs high for forked workers.

Linux carries a process's peak RSS across fork() and exec(): a child of a
big process reports at least its parent's peak as ru_maxrss. The benchmark
process itself grows (it parses ESLint's JSON report), so every command is
started by a small launcher process (LAUNCHER, a fresh interpreter), whose
own child then gets clean numbers; the launcher times it and passes them back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

SAMPLE_S = 0.05
PAGE = os.sysconf("SC_PAGE_SIZE")

# argv: REPORT_FILE CMD...; runs CMD, writes its wall/CPU/maxrss/exit status as JSON.
LAUNCHER = """
import json, os, sys, time
report, cmd = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(cmd[0], cmd)
    finally:
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
seconds = time.perf_counter() - start
with open(report, "w") as f:
    json.dump({"seconds": seconds, "cpu": ru.ru_utime + ru.ru_stime,
               "maxrss_kib": ru.ru_maxrss, "exit": os.waitstatus_to_exitcode(status)}, f)
"""


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


def _memory(pid: int) -> int:
    """PSS of one process in bytes, or its RSS where smaps_rollup is unavailable."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _descendants_memory(root: int) -> int:
    """Summed memory of root's descendants (the launcher itself left out)."""
    parents = _parent_map()
    tree = {root}
    changed = True
    while changed:
        new = {pid for pid, ppid in parents.items() if ppid in tree and pid not in tree}
        tree |= new
        changed = bool(new)
    return sum(_memory(pid) for pid in tree - {root})


class _Sampler(threading.Thread):
    """Background thread tracking the peak summed PSS of a process tree."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, _descendants_memory(self.pid))
            self.done.wait(SAMPLE_S)


def run(
    cmd: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Result:
    """Run cmd to completion; stdout/stderr go through temp files (no pipe deadlock)."""
    full_env = {**os.environ, **(env or {})}
    with tempfile.TemporaryDirectory(prefix="measure-") as tmp:
        report = Path(tmp, "report.json")
        out_path, err_path = Path(tmp, "out"), Path(tmp, "err")
        launcher = [sys.executable, "-I", "-S", "-c", LAUNCHER, str(report), *cmd]
        with out_path.open("wb") as out, err_path.open("wb") as err:
            proc = subprocess.Popen(launcher, stdout=out, stderr=err, env=full_env, cwd=cwd)
            sampler = _Sampler(proc.pid)
            sampler.start()
            proc.wait()
            sampler.done.set()
            sampler.join()
        stdout = out_path.read_bytes().decode(errors="replace")
        stderr = err_path.read_bytes().decode(errors="replace")
        if not report.exists():
            raise RuntimeError(f"launcher failed for {list(cmd)}: {stderr[-500:]}")
        data = json.loads(report.read_text())
    max_process_mb = data["maxrss_kib"] / 1024  # Linux reports KiB
    tree_mb = sampler.peak / 2**20
    return Result(
        cmd=list(cmd),
        seconds=data["seconds"],
        cpu_seconds=data["cpu"],
        peak_mb=max(max_process_mb, tree_mb),
        max_process_mb=max_process_mb,
        tree_mb=tree_mb,
        exit_code=data["exit"],
        stdout=stdout,
        stderr=stderr,
    )
