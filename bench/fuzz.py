#!/usr/bin/env python3
"""leaklint fuzzing harness (issue 17): hostile inputs, run by the CLI as a user would.

Each case is one `leaklint check` in a subprocess, in a scratch directory of its own, with a
per-run timeout. Cases:

- mutants: byte mutations (flip, delete, insert, duplicate, truncate, NUL, invalid UTF-8) and
  token mutations (delete, duplicate, swap, insert a keyword or bracket) of real files — the
  benchmark corpus when built (bench/build_corpus.py), the rule fixtures, and any --corpus;
- pathological generators for depth, length and repetition, at growing sizes;
- file-system cases: empty and binary files, a directory named like a source, symlink loops,
  odd names, deep directories, a FIFO;
- corrupted state: the cache, a baseline and a configuration file, valid first, then mutated.

Every case checks its file(s) beside a sentinel file with one known finding. Reported: tracebacks,
hangs (the timeout), exit codes other than 0/1/2/130, the sentinel's finding lost, CPU time per
MB and peak memory per MB of input (the child's own ``ru_maxrss``, less an empty run's).

Not a test: it asserts nothing, it reports (a JSON summary; --write updates docs/fuzzing.md).
The quick deterministic slice that CI runs is tests/test_fuzz_quick.py, which imports this.

Usage: nice -n 10 python bench/fuzz.py --minutes 25 --seed 1 [--corpus DIR]
                                        [--json out.json] [--write docs/fuzzing.md]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
FIXTURES = REPO / "fixtures"
BUILT_CORPUS = Path.home() / ".cache" / "leaklint-bench" / "corpus"
SOURCE_SUFFIXES = (".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs")
OK_EXIT_CODES = (0, 1, 2, 130)
SENTINEL_NAME = "sentinel_ok.js"
SENTINEL = "function sentinel() {\n  sentinelLeak = 1\n}\n"
LEAK = "function f() { area = 1 }\n"
DOC_START = "<!-- fuzz:run:start -->"
DOC_END = "<!-- fuzz:run:end -->"

# The child runs the CLI and reports its own CPU time and peak memory on exit. The peak is
# VmHWM, this process image's high-water mark: ru_maxrss also counts what the forked parent
# had resident before exec (this harness, grown by generating large inputs).
CHILD = (
    "import re, resource, sys\n"
    "from leaklint.cli import main\n"
    "try:\n"
    "    main()\n"
    "finally:\n"
    "    usage = resource.getrusage(resource.RUSAGE_SELF)\n"
    "    cpu = usage.ru_utime + usage.ru_stime\n"
    "    try:\n"
    "        status = open('/proc/self/status').read()\n"
    "        peak = int(re.search(r'VmHWM:\\s+(\\d+)', status)[1])\n"
    "    except (OSError, TypeError):\n"
    "        peak = usage.ru_maxrss\n"
    "    sys.stderr.write(f'\\nFUZZ-STATS {cpu} {peak}\\n')\n"
)

# --- mutations -----------------------------------------------------------------------------

TOKEN = re.compile(rb"[A-Za-z_$][\w$]*|\d+(?:\.\d+)?|\s+|.", re.S)
INSERTS = [
    b"{", b"}", b"(", b")", b"[", b"]", b"<", b">", b"`", b"${", b"'", b'"', b"/*", b"*/",
    b"//", b"=>", b";", b",", b"&", b"function", b"class", b"async", b"await", b"using",
    b"let", b"yield", b"import", b"export", b"<div>", b"</div>", b"\n", b"\r", b"\x00",
    b"\xff\xfe", b"\xe2\x80\xa8", b"=", b"?.", b"??", b"#x", b"@dec", b"as", b"satisfies",
]  # fmt: skip


def byte_mutation(data: bytes, rng: random.Random) -> bytes:
    if not data:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
    out = bytearray(data)
    kind = rng.choice(("flip", "delete", "insert", "duplicate", "truncate", "nul", "utf8"))
    at = rng.randrange(len(out))
    span = rng.randrange(1, min(64, len(out) - at) + 1)
    if kind == "flip":
        out[at] ^= 1 << rng.randrange(8)
    elif kind == "delete":
        del out[at : at + span]
    elif kind == "insert":
        out[at:at] = bytes(rng.randrange(256) for _ in range(span))
    elif kind == "duplicate":
        out[at:at] = out[at : at + span] * rng.randrange(2, 50)
    elif kind == "truncate":
        del out[at:]
    elif kind == "nul":
        out[at:at] = b"\x00"
    else:
        out[at:at] = rng.choice((b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xef\xbb\xbf"))
    return bytes(out)


def token_mutation(data: bytes, rng: random.Random) -> bytes:
    tokens = TOKEN.findall(data)
    if not tokens:
        return rng.choice(INSERTS)
    at = rng.randrange(len(tokens))
    kind = rng.choice(("delete", "duplicate", "swap", "insert", "insert"))
    if kind == "delete":
        del tokens[at]
    elif kind == "duplicate":
        tokens[at:at] = [tokens[at]] * rng.randrange(2, 20)
    elif kind == "swap":
        other = rng.randrange(len(tokens))
        tokens[at], tokens[other] = tokens[other], tokens[at]
    else:
        tokens.insert(at, rng.choice(INSERTS))
    return b"".join(tokens)


def mutate(data: bytes, rng: random.Random, rounds: int | None = None) -> bytes:
    for _ in range(rounds or rng.randrange(1, 6)):
        data = (byte_mutation if rng.random() < 0.5 else token_mutation)(data, rng)
    return data


def corpus_files(extra: list[Path] | None = None) -> list[Path]:
    roots = [FIXTURES, *(extra or [])]
    if BUILT_CORPUS.is_dir():
        roots.append(BUILT_CORPUS)
    found: list[Path] = []
    for root in roots:
        if root.is_file():
            found.append(root)
            continue
        for dirpath, _dirs, files in os.walk(root):
            found += [Path(dirpath, f) for f in files if f.endswith(SOURCE_SUFFIXES)]
    return sorted(found)


# --- pathological generators: (name, suffix, size -> text) --------------------------------


def _else_if(n: int) -> str:
    return "if (a) { x = 0 }\n" + "".join(f"else if (a === {i}) {{ x = {i} }}\n" for i in range(n))


GENERATORS: dict[str, tuple[str, Callable[[int], str]]] = {
    # depth
    "nested-parens": (".js", lambda n: "(" * n + "1" + ")" * n + ";"),
    "unclosed-parens": (".js", lambda n: "(" * n),
    "nested-arrays": (".js", lambda n: "x = " + "[" * n + "]" * n + ";"),
    "nested-objects": (".js", lambda n: "x = " + "{a:" * n + "1" + "}" * n + ";"),
    "nested-blocks": (".js", lambda n: "{" * n + "}" * n),
    "nested-functions": (".js", lambda n: "function f(){" * n + "}" * n),
    "nested-arrows": (".js", lambda n: "x => " * n + "1;"),
    "arrow-parameters": (".js", lambda n: "(a) => " * n + "1;"),
    "assignment-chain": (".js", lambda n: "var a; " + "a = " * n + "zz = 1;"),
    "ternary-chain": (".js", lambda n: "x = " + "a ? b : " * n + "c;"),
    "else-if-chain": (".js", lambda n: _else_if(n // 4)),
    "template-nesting": (".js", lambda n: "x = " + "`${" * n + "1" + "}`" * n + ";"),
    "jsx-nesting": (".jsx", lambda n: "x = " + "<a>" * n + "</a>" * n + ";"),
    "member-chain": (".js", lambda n: "a" + ".b" * n + ";"),
    "call-chain": (".js", lambda n: "f" + "()" * n + ";"),
    "binary-chain": (".js", lambda n: "x = 1" + " + 1" * n + ";"),
    # length
    "long-line": (".js", lambda n: "var s = '" + "a" * (n * 4) + "';"),
    "long-identifier": (".js", lambda n: "x" * (n * 4) + " = 1;"),
    "long-comment": (".js", lambda n: "/*" + " c" * (n * 2) + "*/"),
    "flat-number-array": (".js", lambda n: "var a = [" + ",".join(map(str, range(n))) + "];"),
    "flat-object": (".js", lambda n: "var o = {" + ",".join(f"k{i}: {i}" for i in range(n)) + "};"),
    "call-arguments": (".js", lambda n: "f(" + "a," * n + "a);"),
    # repetition
    "statements": (".js", lambda n: "x;\n" * n),
    "implicit-globals": (".js", lambda n: "function f() {\n" + "g = 1;\n" * n + "}\n"),
    "blank-lines-bracket": (".js", lambda n: "x = @" + "\n" * n + "y\n[1]\n"),
    "blank-lines-paren": (".js", lambda n: "(" + "\n" * n + "a b ["),
    "jsx-ampersands": (".jsx", lambda n: "<p>" + "Q & A " * (n // 2) + "</p>"),
    "using-words": (".ts", lambda n: "using " * n),
    "let-newlines": (".js", lambda n: "let\n" * n),
    "intervals": (".js", lambda n: "setInterval(() => {}, 1);\n" * (n // 8)),
    "declarations": (".js", lambda n: "".join(f"var v{i} = {i};\n" for i in range(n // 4))),
    "same-name-declarations": (".js", lambda n: "function f(x) { var x; }\n" * (n // 8)),
    "event-listeners": (".js", lambda n: "process.on('x', () => {});\n" * (n // 8)),
    "generic-types": (".ts", lambda n: "type T = " + "A<" * n + "B" + ">" * n + ";"),
    "variance-annotations": (".ts", lambda n: "interface I<" + "in out T, " * (n // 4) + "U> {}"),
}


# --- one case ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    case: str
    size: int
    exit_code: int | None  # None: timed out
    cpu_s: float = 0.0
    peak_mb: float = 0.0
    traceback: bool = False
    sentinel_lost: bool = False
    bad_output: bool = False  # exit 0/1 but stdout is not a UTF-8 JSON document
    notes: str = ""

    @property
    def problem(self) -> str | None:
        if self.exit_code is None:
            return "hang"
        if self.traceback:
            return "traceback"
        if self.exit_code not in OK_EXIT_CODES:
            return f"exit {self.exit_code}"
        if self.sentinel_lost:
            return "finding lost"
        if self.bad_output:
            return "invalid output"
        return None


def run_cli(workdir: Path, args: list[str], timeout: float) -> Outcome:
    command = [sys.executable, "-c", CHILD, "check", "--format", "json", "-j1", *args]
    env = {**os.environ, "LEAKLINT_CACHE_DIR": str(workdir / ".cache")}
    try:
        done = subprocess.run(
            command, cwd=workdir, capture_output=True, timeout=timeout, env=env, check=False
        )
    except subprocess.TimeoutExpired:
        return Outcome("", 0, None, cpu_s=timeout)
    stderr = done.stderr.decode("utf-8", "replace")
    outcome = Outcome("", 0, done.returncode, traceback="Traceback" in stderr)
    stats = re.search(r"FUZZ-STATS ([\d.]+) (\d+)", stderr)
    if stats:
        outcome.cpu_s, outcome.peak_mb = float(stats[1]), int(stats[2]) / 1024
    try:
        document = json.loads(done.stdout.decode("utf-8"))
    except ValueError:
        document = None
        outcome.bad_output = done.returncode in (0, 1)
        with contextlib.suppress(ValueError):  # still read what can be read
            document = json.loads(done.stdout.decode("utf-8", "replace"))
    if done.returncode in (0, 1) and SENTINEL_NAME in " ".join(args):
        findings = document.get("findings", []) if isinstance(document, dict) else []
        outcome.sentinel_lost = not any(
            f.get("path", "").endswith(SENTINEL_NAME) for f in findings if isinstance(f, dict)
        )
    if isinstance(document, dict):
        internal = [e for e in document.get("errors", []) if "internal error" in str(e)]
        if internal:
            outcome.traceback = True
            outcome.notes = str(internal[0])[:200]
    if outcome.traceback and not outcome.notes:
        # The exception line: the last one that names an error (not the carets under code).
        raised = re.findall(r"^(\w[\w.]*(?:Error|Exception|Interrupt)\b.*)$", stderr, re.M)
        outcome.notes = raised[-1][:200] if raised else ""
    return outcome


def check_file(
    name: str, data: bytes, suffix: str, timeout: float, extra_args: list[str] | None = None
) -> Outcome:
    """``data`` as one file beside the sentinel, checked in a scratch directory."""
    with tempfile.TemporaryDirectory(prefix="leaklint-fuzz-") as scratch:
        workdir = Path(scratch)
        (workdir / f"case{suffix}").write_bytes(data)
        (workdir / SENTINEL_NAME).write_text(SENTINEL, encoding="utf-8")
        outcome = run_cli(workdir, [*(extra_args or []), f"case{suffix}", SENTINEL_NAME], timeout)
    outcome.case, outcome.size = name, len(data)
    return outcome


# --- case streams -----------------------------------------------------------------------------


def mutant_cases(files: list[Path], rng: random.Random) -> Iterator[tuple[str, bytes, str]]:
    while True:
        source = rng.choice(files)
        try:
            data = source.read_bytes()
        except OSError:
            continue
        yield f"mutant:{source.name}", mutate(data, rng), source.suffix


def generator_cases(sizes: list[int]) -> Iterator[tuple[str, bytes, str]]:
    for size in sizes:
        for name, (suffix, make) in GENERATORS.items():
            yield f"{name}@{size}", make(size).encode("utf-8"), suffix


def filesystem_cases(timeout: float) -> list[Outcome]:
    """Odd things where sources are expected. Each is checked beside the sentinel."""
    setups: dict[str, Callable[[Path], None]] = {
        "empty-file": lambda d: (d / "a.js").write_bytes(b""),
        "binary-file": lambda d: (d / "a.js").write_bytes(bytes(range(256)) * 64),
        "directory-named-a.js": lambda d: (d / "a.js").mkdir(),
        "symlink-loop": lambda d: ((d / "loop").symlink_to(d / "loop2"),
                                   (d / "loop2").symlink_to(d / "loop")),
        "dangling-symlink": lambda d: (d / "a.js").symlink_to(d / "missing.js"),
        "dir-symlink-cycle": lambda d: ((d / "sub").mkdir(), (d / "sub" / "up").symlink_to(d)),
        "non-utf8-name": lambda d: (d / os.fsdecode(b"bad\xff.js")).write_text(LEAK),
        "control-chars-in-name": lambda d: (d / "a\x1b[2K\n.js").write_text(LEAK),
        "long-name": lambda d: (d / ("n" * 240 + ".js")).write_text(LEAK),
        "deep-directories": lambda d: _deep_dirs(d, 200),
        "fifo": lambda d: os.mkfifo(d / "a.js"),
        "bad-package-json": lambda d: (d / "package.json").write_text('{"type": ['),
    }  # fmt: skip
    outcomes = []
    for name, setup in setups.items():
        with tempfile.TemporaryDirectory(prefix="leaklint-fuzz-") as scratch:
            workdir = Path(scratch)
            try:
                setup(workdir)
            except OSError as error:
                outcomes.append(Outcome(f"fs:{name}", 0, 0, notes=f"setup failed: {error}"))
                continue
            (workdir / SENTINEL_NAME).write_text(SENTINEL, encoding="utf-8")
            outcome = run_cli(workdir, ["."], timeout)
        outcome.case = f"fs:{name}"
        outcome.sentinel_lost = outcome.sentinel_lost or False
        outcomes.append(outcome)
    return outcomes


def _deep_dirs(root: Path, depth: int) -> None:
    current = root
    for _ in range(depth):
        current = current / "d"
    current.mkdir(parents=True)
    (current / "deep.js").write_text(LEAK)


def state_cases(rng: random.Random, count: int, timeout: float) -> Iterator[Outcome]:
    """Corrupted cache, baseline and config files: each starts valid, then is mutated."""
    kinds = ("cache", "baseline", "config")
    for index in range(count):
        kind = kinds[index % len(kinds)]
        with tempfile.TemporaryDirectory(prefix="leaklint-fuzz-") as scratch:
            workdir = Path(scratch)
            (workdir / SENTINEL_NAME).write_text(SENTINEL, encoding="utf-8")
            (workdir / "b.js").write_text("function g() { other = 2 }\n", encoding="utf-8")
            args = [SENTINEL_NAME, "b.js"]
            if kind == "cache":
                run_cli(workdir, args, timeout)  # writes a valid cache
                targets = [p for p in (workdir / ".cache").rglob("*") if p.is_file()]
            elif kind == "baseline":
                run_cli(workdir, ["--write-baseline", "base.json", "b.js"], timeout)
                targets = [workdir / "base.json"]
                args = ["--baseline", "base.json", *args]
            else:
                (workdir / "leaklint.toml").write_text(
                    'select = ["LL001"]\nignore = []\nglobals = ["window"]\n'
                    'per-file-ignores = { "x/*.js" = ["LL001"] }\n[severity]\nLL001 = "warning"\n',
                    encoding="utf-8",
                )
                targets = [workdir / "leaklint.toml"]
            for target in targets:
                if target.exists():
                    target.write_bytes(_corrupt(target.read_bytes(), rng))
            outcome = run_cli(workdir, args, timeout)
        outcome.case = f"state:{kind}"
        if kind != "cache":
            outcome.sentinel_lost = False  # a bad config or baseline is rightly exit 2
        yield outcome


def _corrupt(data: bytes, rng: random.Random) -> bytes:
    choice = rng.random()
    if choice < 0.15:
        return b"[" * rng.choice((10, 1000, 100_000))
    if choice < 0.3:
        return rng.choice((b"", b"null", b"[]", b"{}", b'"abc"', b"[1]", b'{"version": 1}'))
    if choice < 0.4:
        try:  # valid JSON of the wrong shape: swap one value for another type
            document = json.loads(data)
            return json.dumps(_reshape(document, rng)).encode()
        except ValueError:
            pass
    return mutate(data, rng, rounds=rng.randrange(1, 4))


def _reshape(value: object, rng: random.Random) -> object:
    replacement = rng.choice((None, 5, "x", [], {}, [{}], -1, 1e308, True))
    if isinstance(value, dict) and value:
        key = rng.choice(sorted(value, key=str))
        value[key] = _reshape(value[key], rng) if rng.random() < 0.6 else replacement
        return value
    if isinstance(value, list) and value:
        at = rng.randrange(len(value))
        value[at] = _reshape(value[at], rng) if rng.random() < 0.6 else replacement
        return value
    return replacement


# --- the run ----------------------------------------------------------------------------------


@dataclass
class Summary:
    seed: int
    minutes: float
    inputs: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    problems: list[dict] = field(default_factory=list)
    slowest: list[dict] = field(default_factory=list)
    worst_s_per_mb: dict = field(default_factory=dict)
    worst_mb_per_mb: dict = field(default_factory=dict)
    max_cpu_s: float = 0.0
    max_peak_mb: float = 0.0
    baseline_peak_mb: float = 0.0
    baseline_cpu_s: float = 0.0

    def add(self, outcome: Outcome) -> None:
        self.inputs += 1
        kind = outcome.case.split(":", 1)[0] if ":" in outcome.case else "generator"
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
        if outcome.problem is not None:
            self.problems.append({"problem": outcome.problem, **asdict(outcome)})
        self.max_cpu_s = max(self.max_cpu_s, outcome.cpu_s)
        self.max_peak_mb = max(self.max_peak_mb, outcome.peak_mb)
        self.slowest = sorted([*self.slowest, asdict(outcome)], key=lambda o: -o["cpu_s"])[:8]
        megabytes = outcome.size / 1e6
        if megabytes >= 0.1 and outcome.exit_code is not None:
            per_mb = (outcome.cpu_s - self.baseline_cpu_s) / megabytes
            if per_mb > self.worst_s_per_mb.get("value", float("-inf")):
                self.worst_s_per_mb = {"value": round(per_mb, 3), **asdict(outcome)}
            mem_per_mb = (outcome.peak_mb - self.baseline_peak_mb) / megabytes
            if mem_per_mb > self.worst_mb_per_mb.get("value", float("-inf")):
                self.worst_mb_per_mb = {"value": round(mem_per_mb, 1), **asdict(outcome)}


def fuzz(args: argparse.Namespace) -> Summary:
    rng = random.Random(args.seed)
    deadline = time.monotonic() + args.minutes * 60
    summary = Summary(args.seed, args.minutes)
    empty = check_file("baseline:empty", b"", ".js", args.timeout)
    summary.baseline_peak_mb, summary.baseline_cpu_s = empty.peak_mb, empty.cpu_s

    def record(outcome: Outcome) -> None:
        summary.add(outcome)
        flag = f"  <-- {outcome.problem}" if outcome.problem else ""
        print(
            f"{outcome.case:40} {outcome.size / 1e6:8.3f} MB  exit {outcome.exit_code}  "
            f"{outcome.cpu_s:6.2f} s  {outcome.peak_mb:6.0f} MB{flag}",
            flush=True,
        )

    for outcome in filesystem_cases(args.timeout):
        record(outcome)
    for outcome in state_cases(rng, args.state_cases, args.timeout):
        record(outcome)
    generators = generator_cases(args.sizes)
    mutants = mutant_cases(corpus_files(args.corpus), rng)
    while time.monotonic() < deadline:
        # Alternate: one generated input, then a few mutants, until both are spent or time is.
        case = next(generators, None)
        if case is not None:
            record(check_file(*case, timeout=args.timeout))
        for _ in range(args.mutants_per_generator):
            if time.monotonic() >= deadline:
                break
            record(check_file(*next(mutants), timeout=args.timeout))
    return summary


def markdown(summary: Summary, started: str) -> str:
    problems = summary.problems
    hangs = [p for p in problems if p["problem"] == "hang"]
    crashes = [
        p for p in problems if p["problem"] in ("traceback",) or p["problem"].startswith("exit")
    ]
    lost = [p for p in problems if p["problem"] == "finding lost"]
    lines = [
        f"Run of {started}: `python bench/fuzz.py --minutes {summary.minutes:g} "
        f"--seed {summary.seed}`, one process at a time (`-j1`), `nice -n 10`, CPU seconds "
        "(`ru_utime + ru_stime` of the child), peak = the child's `VmHWM`.",
        "",
        "| inputs | crashes (traceback / bad exit) | hangs | findings lost "
        "| slowest file | largest peak |",
        "|---|---|---|---|---|---|",
        f"| {summary.inputs} ({', '.join(f'{k} {v}' for k, v in sorted(summary.by_kind.items()))}) "
        f"| {len(crashes)} | {len(hangs)} | {len(lost)} | {summary.max_cpu_s:.2f} CPU s "
        f"| {summary.max_peak_mb:.0f} MB |",
        "",
        f"An empty run costs {summary.baseline_cpu_s:.2f} CPU s and "
        f"{summary.baseline_peak_mb:.0f} MB; the figures per MB below subtract it "
        "(inputs of 0.1 MB or more).",
        "",
    ]
    for label, worst, unit in (
        ("Worst CPU time per MB", summary.worst_s_per_mb, "CPU s/MB"),
        ("Worst memory per MB", summary.worst_mb_per_mb, "MB/MB"),
    ):
        if worst:
            lines.append(
                f"- {label}: **{worst['value']} {unit}** — `{worst['case']}` "
                f"({worst['size'] / 1e6:.2f} MB, {worst['cpu_s']:.2f} s, {worst['peak_mb']:.0f} MB)"
            )
    lines += [
        "",
        "Slowest inputs:",
        "",
        "| input | MB | exit | CPU s | peak MB |",
        "|---|---|---|---|---|",
    ]
    for o in summary.slowest:
        lines.append(
            f"| `{o['case']}` | {o['size'] / 1e6:.2f} | {o['exit_code']} "
            f"| {o['cpu_s']:.2f} | {o['peak_mb']:.0f} |"
        )
    if problems:
        lines += [
            "",
            "Problems found:",
            "",
            "| problem | input | exit | note |",
            "|---|---|---|---|",
        ]
        for p in problems[:40]:
            note = str(p["notes"]).replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {p['problem']} | `{p['case']}` | {p['exit_code']} | {note} |")
    return "\n".join(lines)


def write_doc(path: Path, text: str) -> None:
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    block = f"{DOC_START}\n{text}\n{DOC_END}"
    if DOC_START in current and DOC_END in current:
        head, rest = current.split(DOC_START, 1)
        current = head + block + rest.split(DOC_END, 1)[1]
    else:
        current = current.rstrip() + "\n\n" + block + "\n"
    path.write_text(current, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=25.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=60.0, help="per run, in seconds")
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")],
                        default=[1_000, 30_000, 100_000, 300_000])  # fmt: skip
    parser.add_argument("--mutants-per-generator", type=int, default=4)
    parser.add_argument("--state-cases", type=int, default=60)
    parser.add_argument("--corpus", type=Path, action="append", default=[])
    parser.add_argument("--json", type=Path, help="write the summary here")
    parser.add_argument("--write", type=Path, help="update this markdown file's fuzz block")
    args = parser.parse_args()
    if shutil.which("nice") and os.nice(0) == 0:
        print("fuzz: consider `nice -n 10`: the machine may be shared", file=sys.stderr)
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    summary = fuzz(args)
    if args.json:
        args.json.write_text(json.dumps(asdict(summary), indent=2), encoding="utf-8")
    text = markdown(summary, started)
    print(text)
    if args.write:
        write_doc(args.write, text)


if __name__ == "__main__":
    main()
