#!/usr/bin/env python3
"""leaklint benchmark (issue 5): floor, leaklint cold/warm, ESLint, big files.

Measures, side by side in one run on the corpus built by build_corpus.py:
- the parse-only floor (bench/floor.py: read + tree-sitter parse, one process),
- leaklint cold (empty cache) and warm (same cache, nothing changed),
- ESLint with one scope-analysis rule (no-undef), when node is on PATH,
- leaklint on one ~9 MB file (typescript.js) and on a generated 50,000-line
  file, as cost per MB against the corpus average,
and prints seconds, ratio to the floor and peak memory. Not a test: it
asserts nothing, it reports. --write updates docs/benchmark.md.

Usage: python bench/run.py [--jobs N] [--skip-eslint] [--write docs/benchmark.md]
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
from dataclasses import dataclass, field
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


@dataclass
class Row:
    """One line of the results table."""

    name: str
    seconds: float | None
    peak_mb: float | None
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


def warm_page_cache(root: Path) -> None:
    """Read the corpus once so the first tool timed doesn't pay for the disk."""
    for path in iter_sources(root):
        path.read_bytes()


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


def result_notes(result: measure.Result, ok_codes: tuple[int, ...] = (0,)) -> list[str]:
    if result.exit_code in ok_codes:
        return []
    tail = result.stderr.strip().splitlines()[-3:]
    return [f"exit code {result.exit_code}: " + " / ".join(tail)]


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# ---------------------------------------------------------------- floor


def run_floor(paths: list[Path]) -> tuple[measure.Result, dict[str, int]]:
    cmd = [sys.executable, str(HERE / "floor.py"), *map(str, paths)]
    result = measure.run(cmd)
    if result.exit_code != 0:
        sys.exit(f"floor failed:\n{result.stderr}")
    return result, json.loads(result.stdout)


# ---------------------------------------------------------------- leaklint


def leaklint_corpus(tool: Leaklint, corpus: Path, jobs: int | None, tmp: Path) -> list[Row]:
    """Cold then warm on the whole corpus, sharing one fresh cache directory."""
    cache = tmp / "cache"
    cache.mkdir()
    rows: list[Row] = []
    reports: list[dict[str, int] | None] = []
    for label in ("cold", "warm"):
        out_file = tmp / f"leaklint-{label}.json"
        result = run_leaklint(tool, [corpus], cache, out_file, jobs)
        report = summarize_report(out_file)
        reports.append(report)
        notes = result_notes(result, ok_codes=(0, 1))
        if report:
            notes.append(
                f"{report['findings']} findings in {report['files_checked']} files, "
                f"{report['errors']} errors"
            )
        else:
            notes.append("no JSON report")
        if label == "cold":
            size = dir_bytes(cache)
            notes.append(
                f"cache after cold run: {mb(size):.1f} MB"
                if size
                else "cache dir still empty after cold run: warm run is uncached"
            )
        rows.append(Row(f"leaklint {label}", result.seconds, result.peak_mb, notes))
    if reports[0] and reports[1] and reports[0] != reports[1]:
        rows[1].notes.append("warm report differs from cold report")
    return rows


def top_level_packages(corpus: Path) -> list[Path]:
    """Package dirs directly under nm_pkgs (scoped ones expanded), sorted."""
    base = corpus / "nm_pkgs"
    dirs: list[Path] = []
    for entry in sorted(base.iterdir()):
        if entry.name.startswith("@"):
            dirs.extend(sorted(p for p in entry.iterdir() if p.is_dir()))
        elif entry.is_dir() and not entry.name.startswith("."):
            dirs.append(entry)
    return dirs


def quarter_of_corpus(corpus: Path) -> list[Path]:
    """Every 4th top-level package: a smaller corpus of the same mix of code."""
    return top_level_packages(corpus)[::4]


def leaklint_scaling(tool: Leaklint, corpus: Path, jobs: int | None, tmp: Path) -> Row:
    """Peak memory on ~1/4 of the packages, to compare with the full corpus."""
    paths = quarter_of_corpus(corpus)
    files = sum(1 for p in paths for _ in iter_sources(p))
    cache = tmp / "cache-quarter"
    cache.mkdir()
    result = run_leaklint(tool, paths, cache, tmp / "leaklint-quarter.json", jobs)
    notes = [f"{len(paths)} packages, {files} files", *result_notes(result, (0, 1))]
    return Row("leaklint cold, 1/4 of packages", result.seconds, result.peak_mb, notes)


# ---------------------------------------------------------------- big files


def generated_source(lines: int) -> str:
    """A long, flat CommonJS module: thousands of top-level functions, closures,
    listeners, timers and caches in one scope, plus some implicit-global writes,
    so scope resolution and every rule see a big single file."""
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


def leaklint_single(tool: Leaklint, path: Path, tmp: Path, tag: str) -> measure.Result:
    cache = tmp / f"cache-{tag}"
    cache.mkdir()
    return run_leaklint(tool, [path], cache, tmp / f"leaklint-{tag}.json", None)


@dataclass
class BigFile:
    name: str
    size_mb: float
    lines: int
    floor_s: float
    leaklint_s: float | None
    leaklint_peak_mb: float | None
    notes: list[str]


def big_file_rows(tool: Leaklint | None, corpus: Path, tmp: Path) -> tuple[list[BigFile], float]:
    """typescript.js and a generated 50k-line file, each alone, plus the
    startup cost (a one-line file) that is subtracted to get cost per MB."""
    generated = tmp / "gen" / "generated50k.js"
    generated.parent.mkdir()
    generated.write_text(generated_source(GENERATED_LINES))
    tiny = tmp / "tiny" / "tiny.js"
    tiny.parent.mkdir()
    tiny.write_text("module.exports = 1;\n")
    startup = leaklint_single(tool, tiny, tmp, "tiny").seconds if tool else 0.0
    rows = []
    for tag, path in (("typescript.js", corpus / BIG_FILE), ("generated 50k lines", generated)):
        if not path.exists():
            continue
        floor, _ = run_floor([path])
        run = leaklint_single(tool, path, tmp, tag.split()[0]) if tool else None
        rows.append(
            BigFile(
                name=tag,
                size_mb=mb(path.stat().st_size),
                lines=path.read_bytes().count(b"\n"),
                floor_s=floor.seconds,
                leaklint_s=run.seconds if run else None,
                leaklint_peak_mb=run.peak_mb if run else None,
                notes=result_notes(run, (0, 1)) if run else [],
            )
        )
    return rows, startup


# ---------------------------------------------------------------- ESLint


def ensure_eslint() -> str | None:
    """npm ci the pinned ESLint unless it is there; None (with why) if impossible."""
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
    the one above it, exactly as Node resolves the nearest package.json.
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
        parent = next((verdicts[a] for a in rel.parents if a in verdicts and a != rel), "commonjs")
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


def run_eslint(corpus: Path, tmp: Path, concurrency: str | None) -> Row:
    problem = ensure_eslint()
    if problem:
        return Row("ESLint no-undef", None, None, [f"skipped: {problem}"])
    types_file = tmp / "pkg-types.json"
    types_file.write_text(json.dumps(package_types(corpus)))
    report = tmp / "eslint.json"
    cmd = [
        "node",
        str(ESLINT_BIN),
        "-c",
        str(ESLINT_DIR / "eslint.config.mjs"),
        "--format",
        "json",
        "-o",
        str(report),
        "--no-warn-ignored",
        ".",
    ]
    if concurrency:
        cmd[2:2] = ["--concurrency", concurrency]
    # cwd = corpus: the config's per-package globs are relative to it.
    result = measure.run(cmd, env={"LEAKLINT_BENCH_PKG_TYPES": str(types_file)}, cwd=corpus)
    version = subprocess.run(
        ["node", str(ESLINT_BIN), "--version"], capture_output=True, text=True
    ).stdout.strip()
    notes = [f"ESLint {version}, cache off", *result_notes(result, (0, 1)), *eslint_summary(report)]
    if concurrency:
        notes.append(f"--concurrency {concurrency}")
    return Row("ESLint no-undef", result.seconds, result.peak_mb, notes)


# ---------------------------------------------------------------- report


def machine_info(tool: Leaklint | None) -> dict[str, str]:
    def out(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()
        except OSError:
            return "n/a"

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = Path("/proc/meminfo").read_text().split()[1]
    leaklint_version = out([*tool.cmd, "--version"]) if tool else "not installed"
    return {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": f"{os.cpu_count()} cores (nproc {out(['nproc'])}), {cpu}",
        "memory": f"{int(mem) / 2**20:.1f} GiB",
        "os": platform.platform(),
        "python": platform.python_version(),
        "node": out(["node", "--version"]) if shutil.which("node") else "absent",
        "leaklint": leaklint_version or "n/a",
        "leaklint commit": out(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"]),
    }


def table(rows: list[Row], floor_s: float) -> list[str]:
    lines = ["| run | seconds | x floor | peak MB | notes |", "|---|--:|--:|--:|---|"]
    for row in rows:
        ratio = row.seconds / floor_s if row.seconds is not None else None
        lines.append(
            f"| {row.name} | {fmt(row.seconds)} | {fmt(ratio)} | "
            f"{fmt(row.peak_mb, 0)} | {'; '.join(row.notes)} |"
        )
    return lines


def targets(rows: list[Row], floor_s: float) -> list[str]:
    by_name = {row.name: row for row in rows}
    checks = [
        ("leaklint cold", f"<= {COLD_TARGET} x floor", COLD_TARGET * floor_s, "seconds"),
        ("leaklint warm", f"<= {WARM_TARGET} x floor", WARM_TARGET * floor_s, "seconds"),
        ("leaklint cold", f"peak <= {PEAK_TARGET_MB} MB", PEAK_TARGET_MB, "peak_mb"),
    ]
    lines = ["| target | measured | limit | met |", "|---|--:|--:|---|"]
    for name, label, limit, attr in checks:
        value = getattr(by_name[name], attr) if name in by_name else None
        verdict = "n/a" if value is None else ("yes" if value <= limit else "**no**")
        lines.append(f"| {name} {label} | {fmt(value)} | {fmt(limit)} | {verdict} |")
    return lines


def big_table(big: list[BigFile], startup: float, corpus_s_per_mb: float | None) -> list[str]:
    lines = [
        f"leaklint startup (one-line file): {startup:.2f} s, subtracted below.",
        "",
        "| file | MB | lines | floor s | leaklint s | peak MB | leaklint s/MB | x corpus s/MB |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for b in big:
        per_mb = (b.leaklint_s - startup) / b.size_mb if b.leaklint_s is not None else None
        vs = per_mb / corpus_s_per_mb if per_mb is not None and corpus_s_per_mb else None
        lines.append(
            f"| {b.name} | {b.size_mb:.1f} | {b.lines} | {b.floor_s:.2f} | "
            f"{fmt(b.leaklint_s)} | {fmt(b.leaklint_peak_mb, 0)} | {fmt(per_mb, 3)} | "
            f"{fmt(vs)} |" + (f" {'; '.join(b.notes)}" if b.notes else "")
        )
    return lines


def render(ctx: dict[str, object]) -> str:
    """The markdown block written between the markers in docs/benchmark.md."""
    info: dict[str, str] = ctx["info"]  # type: ignore[assignment]
    lines = [f"Measured {info['date']} with `python bench/run.py {ctx['argv']}`.", ""]
    lines += [f"- {k}: {v}" for k, v in info.items() if k != "date"]
    lines += ["", f"Corpus: {ctx['corpus_line']}", "", "### Results", ""]
    lines += ctx["table"]  # type: ignore[operator]
    lines += ["", "### Targets (issue 5)", ""] + ctx["targets"]  # type: ignore[operator]
    lines += ["", "### Single big files", ""] + ctx["big"]  # type: ignore[operator]
    notes: list[str] = ctx["notes"]  # type: ignore[assignment]
    if notes:
        lines += ["", "### Notes from this run", ""] + [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"


def write_doc(doc: Path, block: str) -> None:
    """Replace only the run.py block, keeping the hand-written parts of the doc."""
    text = doc.read_text() if doc.exists() else f"# Benchmark\n\n{DOC_START}\n{DOC_END}\n"
    if DOC_START not in text or DOC_END not in text:
        text += f"\n{DOC_START}\n{DOC_END}\n"
    head, rest = text.split(DOC_START, 1)
    _, tail = rest.split(DOC_END, 1)
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(f"{head}{DOC_START}\n{block}{DOC_END}{tail}")


# ---------------------------------------------------------------- main


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", type=Path, default=build_corpus.DEFAULT_DEST)
    p.add_argument("--no-build", action="store_true", help="do not (re)build the corpus")
    p.add_argument("--leaklint", help="command to run leaklint (default: this venv's)")
    p.add_argument("--jobs", type=int, help="pass --jobs N to leaklint")
    p.add_argument("--skip-eslint", action="store_true")
    p.add_argument("--eslint-concurrency", help="pass --concurrency to ESLint (default off)")
    p.add_argument("--skip-big", action="store_true", help="skip the single-big-file runs")
    p.add_argument("--skip-scaling", action="store_true", help="skip the 1/4-corpus run")
    p.add_argument("--write", type=Path, help="update this markdown file (docs/benchmark.md)")
    p.add_argument("--json", type=Path, help="also dump raw results as JSON here")
    return p.parse_args()


def main() -> None:
    args = parse_args()
    corpus = args.corpus.expanduser().resolve()
    if not args.no_build:
        build_corpus.build(corpus, force=False)
    files, size = corpus_stats(corpus)
    corpus_line = f"{files} JS/TS files (no .d.ts), {mb(size):.1f} MB, at `{corpus}`"
    print(corpus_line, flush=True)
    warm_page_cache(corpus)

    notes: list[str] = []
    cmd = find_leaklint(args.leaklint)
    tool = probe_leaklint(cmd) if cmd else None
    if tool is None:
        notes.append("leaklint not runnable here: only the floor and ESLint were measured")

    with tempfile.TemporaryDirectory(prefix="leaklint-bench-") as tmp_name:
        tmp = Path(tmp_name)
        floor, floor_stats = run_floor([corpus])
        print(f"floor: {floor.seconds:.2f} s", flush=True)
        rows = [
            Row(
                "floor: read + tree-sitter parse",
                floor.seconds,
                floor.peak_mb,
                [
                    f"{floor_stats['files']} files, "
                    f"{floor_stats['files_with_parse_errors']} with syntax errors"
                ],
            )
        ]
        if tool:
            rows += leaklint_corpus(tool, corpus, args.jobs, tmp)
            if not args.skip_scaling:
                rows.append(leaklint_scaling(tool, corpus, args.jobs, tmp))
            print("leaklint done", flush=True)
        if not args.skip_eslint:
            rows.append(run_eslint(corpus, tmp, args.eslint_concurrency))
            print("ESLint done", flush=True)
        big, startup = ([], 0.0) if args.skip_big else big_file_rows(tool, corpus, tmp)
    if tool:
        notes += tool.notes

    cold = next((r for r in rows if r.name == "leaklint cold"), None)
    corpus_s_per_mb = cold.seconds / mb(size) if cold and cold.seconds else None
    ctx: dict[str, object] = {
        "argv": " ".join(sys.argv[1:]),
        "info": machine_info(tool),
        "corpus_line": corpus_line,
        "table": table(rows, floor.seconds),
        "targets": targets(rows, floor.seconds),
        "big": big_table(big, startup, corpus_s_per_mb) if big else ["skipped"],
        "notes": notes,
    }
    block = render(ctx)
    print(block)
    if args.write:
        write_doc(args.write, block)
        print(f"wrote {args.write}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "rows": [r.__dict__ for r in rows],
                    "big": [b.__dict__ for b in big],
                    "startup_s": startup,
                    "info": ctx["info"],
                    "corpus": corpus_line,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
