#!/usr/bin/env python3
"""leaklint benchmark (issue 5): floor, leaklint cold/warm, ESLint, big files.

Measures, side by side in one run on the corpus built by build_corpus.py:
- the parse-only floor (bench/floor.py: read + tree-sitter parse, one process),
- leaklint cold (empty cache) and warm (same cache, nothing changed),
- ESLint with one scope-analysis rule (no-undef), when node is on PATH,
- leaklint on one ~9 MB file (typescript.js) and on a generated 50,000-line
  file, as cost per MB against the corpus average,
and prints wall and CPU seconds, ratios to the floor and peak memory. Not a
test: it asserts nothing, it reports. --write updates docs/benchmark.md.

Usage: python bench/run.py [--repeat N] [--jobs N] [--skip-eslint] [--write docs/benchmark.md]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import build_corpus
import measure
from corpus_files import corpus_stats, iter_sources

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
ESLINT_DIR = HERE / "eslint"
ESLINT_BIN = ESLINT_DIR / "node_modules" / "eslint" / "bin" / "eslint.js"
LEAKLINT_CONFIG = HERE / "leaklint-bench.toml"
BIG_FILE = Path("nm_pkgs") / "typescript" / "lib" / "typescript.js"
GENERATED_LINES = 50_000
DOC_START = "<!-- bench:run:start -->"
DOC_END = "<!-- bench:run:end -->"
# Targets of issue 5, as ratios to the floor and MB.
COLD_TARGET = 0.8
WARM_TARGET = 0.1
PEAK_TARGET_MB = 400
OK_CODES = (0, 1)  # 1 = findings, if --exit-zero is not available


@dataclass
class Row:
    """One line of the results table: a measured run (None if skipped)."""

    name: str
    result: measure.Result | None
    notes: list[str] = field(default_factory=list)


@dataclass
class Leaklint:
    """How to call leaklint here, and which options this build understands."""

    cmd: list[str]
    help_text: str
    notes: list[str] = field(default_factory=list)

    def supports(self, option: str) -> bool:
        return f"{option} " in self.help_text or f"{option}," in self.help_text

    def output_option(self) -> str:
        return "-o" if self.supports("-o") and not self.supports("--output") else "--output"


# ---------------------------------------------------------------- helpers


def mb(n_bytes: int) -> float:
    return n_bytes / 1e6


def fmt(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def loadavg() -> str:
    """1-minute load average: other work on the machine stretches wall times."""
    return Path("/proc/loadavg").read_text().split()[0]


def warm_page_cache(root: Path) -> None:
    """Read the corpus once so the first tool timed doesn't pay for the disk."""
    for path in iter_sources(root):
        path.read_bytes()


def best_of(repeat: int, run: Callable[[int], measure.Result]) -> measure.Result:
    """Run repeat times, keep the fastest: outside load only ever adds time."""
    results = [run(i) for i in range(repeat)]
    return min(results, key=lambda r: r.seconds)


def result_notes(result: measure.Result, ok_codes: tuple[int, ...] = (0,)) -> list[str]:
    if result.exit_code in ok_codes:
        return []
    tail = result.stderr.strip().splitlines()[-3:]
    return [f"exit code {result.exit_code}: " + " / ".join(tail)]


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def fresh_dir(parent: Path, name: str) -> Path:
    path = parent / name
    path.mkdir()
    return path


# ---------------------------------------------------------------- leaklint CLI


def find_leaklint(override: str | None) -> list[str] | None:
    """The leaklint of this venv first (so run.py measures the checkout), else PATH."""
    if override:
        return shlex.split(override)
    beside = Path(sys.executable).with_name("leaklint")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("leaklint")
    return [found] if found else None


def probe_leaklint(cmd: list[str]) -> Leaklint | None:
    """Read `check --help` so options that have not landed yet can be skipped."""
    proc = subprocess.run([*cmd, "check", "--help"], capture_output=True, text=True)
    if proc.returncode != 0:
        print(f"leaklint check --help failed:\n{proc.stderr.strip()}", file=sys.stderr)
        return None
    return Leaklint(cmd=cmd, help_text=proc.stdout)


def leaklint_args(tool: Leaklint, out_file: Path, jobs: int | None) -> list[str]:
    """Build `leaklint check` options, noting every requested one that is missing."""
    args = ["check"]
    wanted = [
        ("--exit-zero", []),
        ("--format", ["json"]),
        (tool.output_option(), [str(out_file)]),
        # Same file set as the floor and ESLint (see leaklint-bench.toml).
        ("--config", [str(LEAKLINT_CONFIG)]),
    ]
    if jobs is not None:
        wanted.append(("--jobs", [str(jobs)]))
    for option, values in wanted:
        if tool.supports(option):
            args += [option, *values]
        else:
            note = f"`{option}` not recognised by this leaklint: run without it"
            if note not in tool.notes:
                tool.notes.append(note)
    return args


def run_leaklint(
    tool: Leaklint, paths: list[Path], cache: Path, out_file: Path, jobs: int | None
) -> measure.Result:
    """One leaklint check; the cache lives in `cache` (empty = a cold run)."""
    args = leaklint_args(tool, out_file, jobs)
    env = {"LEAKLINT_CACHE_DIR": str(cache)}
    result = measure.run([*tool.cmd, *args, *map(str, paths)], env=env)
    if not tool.supports(tool.output_option()):
        out_file.write_text(result.stdout)
    return result


def summarize_report(out_file: Path) -> dict[str, int] | None:
    """Counts from leaklint's JSON report, or None if it isn't readable JSON."""
    try:
        report = json.loads(out_file.read_text())
    except (OSError, ValueError):
        return None
    return {
        "findings": len(report.get("findings", [])),
        "files_checked": int(report.get("files_checked", 0)),
        "errors": len(report.get("errors", [])),
    }


def report_note(out_file: Path) -> str:
    report = summarize_report(out_file)
    if report is None:
        return "no JSON report"
    return (
        f"{report['findings']} findings in {report['files_checked']} files, "
        f"{report['errors']} errors"
    )


# ---------------------------------------------------------------- floor


def run_floor(paths: list[Path]) -> tuple[measure.Result, dict[str, int]]:
    cmd = [sys.executable, str(HERE / "floor.py"), *map(str, paths)]
    result = measure.run(cmd)
    if result.exit_code != 0:
        sys.exit(f"floor failed:\n{result.stderr}")
    return result, json.loads(result.stdout)


class Floor:
    """The parse-only floor as a repeatable task, remembering its file counts."""

    name = "floor: read + tree-sitter parse (1 process)"

    def __init__(self, corpus: Path) -> None:
        self.corpus = corpus
        self.stats: dict[str, int] = {}

    def __call__(self, _: int) -> measure.Result:
        result, self.stats = run_floor([self.corpus])
        return result

    def row(self, best: dict[str, measure.Result]) -> Row:
        s = self.stats
        note = f"{s['files']} files, {s['files_with_parse_errors']} with syntax errors"
        return Row(self.name, best[self.name], [note])


# ---------------------------------------------------------------- leaklint runs


Task = Callable[[int], measure.Result]


def interleaved(tasks: list[tuple[str, Task]], repeat: int) -> dict[str, measure.Result]:
    """Round-robin: each round runs every task once, so load that comes and goes
    on a shared machine hits all tools alike; the fastest run of each is kept
    (outside load only ever adds time)."""
    best: dict[str, measure.Result] = {}
    for i in range(repeat):
        for name, task in tasks:
            result = task(i)
            print(
                f"  {name}: {result.seconds:.2f} s wall, {result.cpu_seconds:.2f} s CPU", flush=True
            )
            if name not in best or result.seconds < best[name].seconds:
                best[name] = result
    return best


def jobs_label(jobs: int | None) -> str:
    return "default jobs" if jobs is None else f"--jobs {jobs}"


class ColdWarm:
    """leaklint cold (fresh empty cache) then warm (that same cache) on the corpus."""

    def __init__(self, tool: Leaklint, corpus: Path, jobs: int | None, tmp: Path) -> None:
        self.tool, self.corpus, self.jobs, self.tmp = tool, corpus, jobs, tmp
        self.cold_name = f"leaklint cold ({jobs_label(jobs)})"
        self.warm_name = f"leaklint warm ({jobs_label(jobs)})"
        self.caches: list[Path] = []

    def _run(self, cache: Path, report: str) -> measure.Result:
        return run_leaklint(self.tool, [self.corpus], cache, self.tmp / report, self.jobs)

    def cold(self, i: int) -> measure.Result:
        self.caches.append(fresh_dir(self.tmp, f"cache-{self.jobs}-{i}"))
        return self._run(self.caches[-1], f"cold-{self.jobs}-{i}.json")

    def warm(self, i: int) -> measure.Result:
        return self._run(self.caches[-1], f"warm-{self.jobs}-{i}.json")

    def tasks(self) -> list[tuple[str, Task]]:
        return [(self.cold_name, self.cold), (self.warm_name, self.warm)]

    def rows(self, best: dict[str, measure.Result]) -> list[Row]:
        cache_size = dir_bytes(self.caches[0])
        cold_report = report_note(self.tmp / f"cold-{self.jobs}-0.json")
        warm_report = report_note(self.tmp / f"warm-{self.jobs}-0.json")
        cold_notes = [*result_notes(best[self.cold_name], OK_CODES), cold_report]
        cold_notes.append(
            f"cache written: {mb(cache_size):.1f} MB"
            if cache_size
            else "cache dir still empty after the cold run: the warm run is not cached"
        )
        warm_notes = [*result_notes(best[self.warm_name], OK_CODES), warm_report]
        if warm_report != cold_report:
            warm_notes.append("warm report differs from cold report")
        return [
            Row(self.cold_name, best[self.cold_name], cold_notes),
            Row(self.warm_name, best[self.warm_name], warm_notes),
        ]


def top_level_packages(corpus: Path) -> list[Path]:
    """Package dirs directly under nm_pkgs (scoped ones expanded), sorted."""
    dirs: list[Path] = []
    for entry in sorted((corpus / "nm_pkgs").iterdir()):
        if entry.name.startswith("@"):
            dirs.extend(sorted(p for p in entry.iterdir() if p.is_dir()))
        elif entry.is_dir() and not entry.name.startswith("."):
            dirs.append(entry)
    return dirs


def leaklint_quarter(tool: Leaklint, corpus: Path, jobs: int | None, tmp: Path) -> Row:
    """Cold run on every 4th package: peak memory should not grow with file count."""
    paths = top_level_packages(corpus)[::4]
    files = sum(1 for p in paths for _ in iter_sources(p))
    cache = fresh_dir(tmp, "cache-quarter")
    result = run_leaklint(tool, paths, cache, tmp / "quarter.json", jobs)
    notes = [f"{len(paths)} packages, {files} files", *result_notes(result, OK_CODES)]
    return Row(f"leaklint cold, 1/4 of packages ({jobs_label(jobs)})", result, notes)


# ---------------------------------------------------------------- big files


def generated_source(lines: int) -> str:
    """A long, flat CommonJS module: thousands of top-level functions, closures,
    listeners, timers and caches in one scope, plus some implicit-global writes,
    so scope resolution and every rule see one big file."""
    # Sloppy mode on purpose ('use strict' would make the implicit-global
    # writes ReferenceErrors), as in the legacy code LL001 is about.
    out = [
        "// generated by bench/run.py",
        "const { EventEmitter } = require('events');",
        "const emitter = new EventEmitter();",
    ]
    i = 0
    while len(out) < lines - 12:
        out += [
            f"const cache{i} = new Map();",
            f"function handler{i}(req, res) {{",
            "  let count = 0;",
            f"  emitter.on('data{i}', (chunk) => {{",
            f"    cache{i}.set(req.id, chunk);",
            "    count += chunk.length;",
            "  });",
            "  const timer = setInterval(() => res.write(String(count)), 1000);",
            f"  if (count > {i}) {{ leaked{i % 97} = count; }}",
            "  return () => clearInterval(timer);",
            "}",
            f"module.exports.handler{i} = handler{i};",
        ]
        i += 1
    out += ["// end"] * (lines - len(out))
    return "\n".join(out) + "\n"


@dataclass
class BigFile:
    name: str
    size_mb: float
    lines: int
    floor_s: float
    leaklint: measure.Result | None
    notes: list[str]


def leaklint_single(tool: Leaklint, path: Path, tmp: Path, tag: str, repeat: int) -> measure.Result:
    """leaklint alone on one file, cold, one job (a single file can't be split)."""

    def once(i: int) -> measure.Result:
        cache = fresh_dir(tmp, f"cache-{tag}-{i}")
        return run_leaklint(tool, [path], cache, tmp / f"{tag}-{i}.json", 1)

    return best_of(repeat, once)


def big_files(
    tool: Leaklint | None, corpus: Path, tmp: Path, repeat: int
) -> tuple[list[BigFile], measure.Result | None]:
    """typescript.js and generated files of 1/4, 1/2 and all of 50k lines, each
    alone, plus the startup cost (a one-line file), subtracted to get cost per
    MB. Linear cost shows as the same s/MB for the three generated sizes."""
    files = [("typescript.js", corpus / BIG_FILE)]
    gen_dir = fresh_dir(tmp, "gen")
    for lines in (GENERATED_LINES // 4, GENERATED_LINES // 2, GENERATED_LINES):
        path = gen_dir / f"generated{lines}.js"
        path.write_text(generated_source(lines))
        files.append((f"gen{lines}", path))
    tiny = fresh_dir(tmp, "tiny") / "tiny.js"
    tiny.write_text("module.exports = 1;\n")
    startup = leaklint_single(tool, tiny, tmp, "tiny", repeat) if tool else None
    rows = []
    for tag, path in files:
        if not path.exists():
            continue
        floor = best_of(repeat, lambda _, p=path: run_floor([p])[0])
        run = leaklint_single(tool, path, tmp, tag, repeat) if tool else None
        data = path.read_bytes()
        rows.append(
            BigFile(
                name=f"`{path.name}`",
                size_mb=mb(len(data)),
                lines=data.count(b"\n"),
                floor_s=floor.seconds,
                leaklint=run,
                notes=[*result_notes(run, OK_CODES), report_note(tmp / f"{tag}-0.json")]
                if run
                else [],
            )
        )
    return rows, startup


# ---------------------------------------------------------------- ESLint


def ensure_eslint() -> str | None:
    """npm ci the pinned ESLint unless it is there; None, or why it can't run."""
    if not shutil.which("node") or not shutil.which("npm"):
        return "node/npm not on PATH"
    stamp = ESLINT_DIR / "node_modules" / ".package-lock.json"
    lock = ESLINT_DIR / "package-lock.json"
    if ESLINT_BIN.exists() and stamp.exists() and stamp.stat().st_mtime >= lock.stat().st_mtime:
        return None
    cmd = ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"]
    proc = subprocess.run(cmd, cwd=ESLINT_DIR, capture_output=True, text=True)
    return None if proc.returncode == 0 else f"npm ci failed: {proc.stderr.strip()[-300:]}"


def package_types(corpus: Path) -> list[dict[str, str]]:
    """Node's module-type verdict per package.json, only where it changes.

    Shallow to deep, so in the flat config a nested package.json overrides
    the one above it, as Node resolves the nearest package.json.
    """
    verdicts: dict[Path, str] = {}
    for dirpath, dirnames, filenames in os.walk(corpus):
        dirnames.sort()
        if "package.json" not in filenames:
            continue
        try:
            meta = json.loads(Path(dirpath, "package.json").read_text())
        except (OSError, ValueError):
            continue
        kind = meta.get("type") if isinstance(meta, dict) else None
        verdicts[Path(dirpath).relative_to(corpus)] = "module" if kind == "module" else "commonjs"
    changes: list[dict[str, str]] = []
    for rel in sorted(verdicts, key=lambda p: (len(p.parts), str(p))):
        parent = next((verdicts[a] for a in rel.parents if a in verdicts), "commonjs")
        if rel != Path(".") and verdicts[rel] != parent:
            changes.append({"dir": rel.as_posix(), "type": verdicts[rel]})
    return changes


def eslint_summary(report_file: Path) -> list[str]:
    try:
        results = json.loads(report_file.read_text())
    except (OSError, ValueError):
        return ["no JSON report"]
    fatal = sum(1 for r in results for m in r["messages"] if m.get("fatal"))
    reports = sum(1 for r in results for m in r["messages"] if m.get("ruleId") == "no-undef")
    ts = sum(1 for r in results if r["filePath"].endswith((".ts", ".mts", ".cts", ".tsx")))
    return [
        f"{len(results)} files linted ({ts} TS via @typescript-eslint/parser)",
        f"{reports} no-undef reports",
        f"{fatal} files ESLint could not parse",
    ]


def eslint_row(corpus: Path, tmp: Path, concurrency: str | None) -> Row:
    problem = ensure_eslint()
    if problem:
        return Row("ESLint no-undef", None, [f"skipped: {problem}"])
    types_file = tmp / "pkg-types.json"
    types_file.write_text(json.dumps(package_types(corpus)))
    report = tmp / "eslint.json"
    cmd = ["node", str(ESLINT_BIN), "-c", str(ESLINT_DIR / "eslint.config.mjs")]
    cmd += ["--format", "json", "-o", str(report), "--no-warn-ignored", "."]
    if concurrency:
        cmd += ["--concurrency", concurrency]
    # cwd = corpus: the config's per-package globs are relative to it.
    result = measure.run(cmd, env={"LEAKLINT_BENCH_PKG_TYPES": str(types_file)}, cwd=corpus)
    version = subprocess.run(
        ["node", str(ESLINT_BIN), "--version"], capture_output=True, text=True
    ).stdout.strip()
    notes = [f"ESLint {version}, cache off", *result_notes(result, OK_CODES)]
    notes += eslint_summary(report)
    if concurrency:
        notes.append(f"--concurrency {concurrency}")
    return Row("ESLint no-undef (1 process)", result, notes)


# ---------------------------------------------------------------- report


def out(cmd: list[str]) -> str:
    """A command's stripped stdout, for the machine description ("n/a" if absent)."""
    try:
        return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()
    except OSError:
        return "n/a"


def machine_info(tool: Leaklint | None) -> dict[str, str]:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((ln.split(":", 1)[1].strip() for ln in cpuinfo if ln.startswith("model name")), "")
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": f"nproc {out(['nproc'])}, {cpu or platform.processor()}",
        "memory": f"{mem_kib / 2**20:.1f} GiB",
        "os": platform.platform(),
        "python": platform.python_version(),
        "node": out(["node", "--version"]) if shutil.which("node") else "absent",
        "leaklint": (out([*tool.cmd, "--version"]) if tool else "") or "not runnable",
        "leaklint commit": leaklint_commit(),
    }


def leaklint_commit() -> str:
    """Commit of the leaklint package this venv imports (an editable install
    may point at another checkout than the one holding bench/)."""
    # -I: don't let the current directory (this checkout's own leaklint/) shadow it.
    code = "import leaklint, os; print(os.path.dirname(leaklint.__file__))"
    where = out([sys.executable, "-I", "-c", code])
    source = Path(where) if where else REPO
    commit = out(["git", "-C", str(source), "rev-parse", "--short", "HEAD"])
    dirty = out(["git", "-C", str(source), "status", "--porcelain", "--untracked-files=no"])
    return f"{commit}{' (uncommitted changes)' if dirty else ''} in {source.parent}"


def table(rows: list[Row], floor: measure.Result) -> list[str]:
    lines = [
        "| run | wall s | x floor | CPU s | CPU x floor | peak MB | notes |",
        "|---|--:|--:|--:|--:|--:|---|",
    ]
    for row in rows:
        r = row.result
        cells = ["—"] * 5
        if r is not None:
            cells = [
                fmt(r.seconds),
                fmt(r.seconds / floor.seconds),
                fmt(r.cpu_seconds),
                fmt(r.cpu_seconds / floor.cpu_seconds),
                fmt(r.peak_mb, 0),
            ]
        lines.append(f"| {row.name} | {' | '.join(cells)} | {'; '.join(row.notes)} |")
    return lines


def targets(rows: list[Row], floor: measure.Result, jobs: int | None) -> list[str]:
    label = jobs_label(jobs)
    by_name = {row.name: row.result for row in rows}
    cold, warm = by_name.get(f"leaklint cold ({label})"), by_name.get(f"leaklint warm ({label})")
    checks = [
        (f"cold ({label}) wall <= {COLD_TARGET} x floor", cold, "seconds", COLD_TARGET),
        (f"warm ({label}) wall <= {WARM_TARGET} x floor", warm, "seconds", WARM_TARGET),
        (f"cold peak <= {PEAK_TARGET_MB} MB", cold, "peak_mb", None),
    ]
    lines = ["| target | measured | limit | met |", "|---|--:|--:|---|"]
    for text, result, attr, ratio in checks:
        limit = ratio * floor.seconds if ratio is not None else PEAK_TARGET_MB
        value = getattr(result, attr) if result is not None else None
        verdict = "n/a" if value is None else ("yes" if value <= limit else "**no**")
        lines.append(f"| {text} | {fmt(value)} | {fmt(limit)} | {verdict} |")
    return lines


def big_table(
    big: list[BigFile], startup: measure.Result | None, corpus_cpu_per_mb: float | None
) -> list[str]:
    """Cost per MB in CPU seconds: less disturbed than wall time by other load."""
    base = startup.cpu_seconds if startup else 0.0
    lines = [
        "Each file alone, cold, `--jobs 1`. Cost per MB uses CPU seconds minus "
        f"leaklint's start-up (a one-line file: {base:.2f} CPU s).",
        "",
        "| file | MB | lines | floor s | leaklint wall s | CPU s | peak MB | CPU s/MB "
        "| x corpus CPU s/MB | notes |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for b in big:
        run = b.leaklint
        per_mb = (run.cpu_seconds - base) / b.size_mb if run else None
        vs = per_mb / corpus_cpu_per_mb if per_mb is not None and corpus_cpu_per_mb else None
        lines.append(
            f"| {b.name} | {b.size_mb:.1f} | {b.lines} | {b.floor_s:.2f} | "
            f"{fmt(run.seconds if run else None)} | {fmt(run.cpu_seconds if run else None)} | "
            f"{fmt(run.peak_mb if run else None, 0)} | {fmt(per_mb, 3)} | {fmt(vs)} | "
            f"{'; '.join(b.notes)} |"
        )
    if corpus_cpu_per_mb:
        lines += ["", f"Corpus average (cold, `--jobs 1`): {corpus_cpu_per_mb:.3f} CPU s/MB."]
    return lines


def render(info: dict[str, str], argv: str, corpus_line: str, parts: dict[str, list[str]]) -> str:
    """The markdown block written between the markers in docs/benchmark.md."""
    lines = [f"Measured {info['date']} with `python bench/run.py {argv}`.", ""]
    lines += [f"- {k}: {v}" for k, v in info.items() if k != "date"]
    lines += ["", f"Corpus: {corpus_line}", "", "### Results", "", *parts["table"]]
    lines += ["", "### Targets (issue 5)", "", *parts["targets"]]
    lines += ["", "### Single big files", "", *parts["big"]]
    if parts["notes"]:
        lines += ["", "### Notes from this run", ""] + [f"- {n}" for n in parts["notes"]]
    return "\n".join(lines) + "\n"


def write_doc(doc: Path, block: str, start: str = DOC_START, end: str = DOC_END) -> None:
    """Replace only the block between start and end, keeping the hand-written parts."""
    text = doc.read_text() if doc.exists() else "# Benchmark\n"
    if start not in text or end not in text:
        text += f"\n{start}\n{end}\n"
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(f"{head}{start}\n{block}{end}{tail}")


# ---------------------------------------------------------------- main


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", type=Path, default=build_corpus.DEFAULT_DEST)
    p.add_argument("--no-build", action="store_true", help="do not (re)build the corpus")
    p.add_argument("--leaklint", help="command to run leaklint (default: this venv's)")
    p.add_argument("--jobs", type=int, help="--jobs for the main leaklint runs (default: its own)")
    p.add_argument("--repeat", type=int, default=1, help="runs per measurement, fastest kept")
    p.add_argument("--skip-eslint", action="store_true")
    p.add_argument("--eslint-concurrency", help="pass --concurrency to ESLint (default off)")
    p.add_argument("--skip-big", action="store_true", help="skip the single-big-file runs")
    p.add_argument("--skip-extra", action="store_true", help="skip the --jobs 1 and 1/4 runs")
    p.add_argument("--write", type=Path, help="update this markdown file (docs/benchmark.md)")
    p.add_argument("--json", type=Path, help="also dump raw results as JSON here")
    return p.parse_args()


def extra_rows(tool: Leaklint, corpus: Path, args: argparse.Namespace, tmp: Path) -> list[Row]:
    """--jobs 1 cold/warm (per-core cost, comparable to the one-process floor)
    and a quarter of the corpus (does peak memory grow with the file count?)."""
    rows: list[Row] = []
    if args.jobs != 1:
        single = ColdWarm(tool, corpus, 1, tmp)
        rows += single.rows(interleaved(single.tasks(), 1))
    rows.append(leaklint_quarter(tool, corpus, args.jobs, tmp))
    return rows


def main() -> None:
    args = parse_args()
    corpus = args.corpus.expanduser().resolve()
    if not args.no_build:
        build_corpus.build(corpus, force=False)
    files, size = corpus_stats(corpus)
    corpus_line = f"{files} JS/TS files (no .d.ts), {mb(size):.1f} MB, at `{corpus}`"
    print(corpus_line, flush=True)
    warm_page_cache(corpus)
    notes = [f"load average (1 min) at start: {loadavg()}"]
    cmd = find_leaklint(args.leaklint)
    tool = probe_leaklint(cmd) if cmd else None
    if tool is None:
        notes.append("leaklint not runnable here: only the floor and ESLint were measured")

    with tempfile.TemporaryDirectory(prefix="leaklint-bench-") as tmp_name:
        tmp = Path(tmp_name)
        floor_task = Floor(corpus)
        tasks: list[tuple[str, Task]] = [(floor_task.name, floor_task)]
        main_runs = ColdWarm(tool, corpus, args.jobs, tmp) if tool else None
        tasks += main_runs.tasks() if main_runs else []
        best = interleaved(tasks, args.repeat)
        rows = [floor_task.row(best), *(main_runs.rows(best) if main_runs else [])]
        if tool and not args.skip_extra:
            rows += extra_rows(tool, corpus, args, tmp)
        if not args.skip_eslint:
            rows.append(eslint_row(corpus, tmp, args.eslint_concurrency))
            print("ESLint done", flush=True)
        big, startup = ([], None) if args.skip_big else big_files(tool, corpus, tmp, args.repeat)
    notes.append(f"load average (1 min) at end: {loadavg()}")
    notes += tool.notes if tool else []

    floor = best[floor_task.name]
    single = next((r.result for r in rows if r.name == "leaklint cold (--jobs 1)"), None)
    per_mb = single.cpu_seconds / mb(size) if single else None
    parts = {
        "table": table(rows, floor),
        "targets": targets(rows, floor, args.jobs),
        "big": big_table(big, startup, per_mb) if big else ["skipped"],
        "notes": notes,
    }
    info = machine_info(tool)
    block = render(info, " ".join(sys.argv[1:]), corpus_line, parts)
    print(block)
    if args.write:
        write_doc(args.write, block)
        print(f"wrote {args.write}")
    if args.json:
        dump: dict[str, object] = {"info": info, "corpus": corpus_line}
        dump["startup"] = _result(startup)
        dump["rows"] = [{"name": r.name, "notes": r.notes} | _result(r.result) for r in rows]
        dump["big"] = [asdict(b) | {"leaklint": _result(b.leaklint)} for b in big]
        args.json.write_text(json.dumps(dump, indent=2))


def _result(result: measure.Result | None) -> dict[str, object]:
    if result is None:
        return {}
    keep = ("cmd", "seconds", "cpu_seconds", "peak_mb", "max_process_mb", "tree_mb", "exit_code")
    return {k: getattr(result, k) for k in keep}


if __name__ == "__main__":
    main()
