#!/usr/bin/env python3
"""Compare leaklint's LL001 (implicit-global) with ESLint on legacy npm packages.

ESLint side: no-undef restricted to writes, decided by eslint-scope itself
(bench/eslint/ll001-plugin.mjs, rule leaklint-bench/undef-write), plus the
stock no-undef and no-implicit-globals for reference counts. leaklint side:
`leaklint check --select LL001 --format json`. Both read the packages pinned
in bench/legacy/ (installed into a cache dir, node_modules renamed so neither
tool skips them), with the same globals: Node everywhere, Node + browser for
browser-only packages (jquery).

Findings are matched by file and character offset of the identifier. The two
tools count positions differently (ESLint: U+2028/U+2029 end a line and
columns are UTF-16 units; leaklint: only CR/LF end a line and columns are
code points), so each side's (line, column) is first turned into an offset
with that side's own convention; matches whose raw (line, column) differ are
counted as position disagreements. LL001 reports a name once per enclosing function, so
unmatched ESLint writes to a name already matched in the same function are
counted as repeats, not as disagreements. Each remaining difference is
printed with its source line and, where the harness can tell, a reason.

Usage: python bench/eslint_compare.py [--write docs/benchmark.md] [--limit N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import build_corpus
from corpus_files import corpus_stats
from run import (
    ESLINT_BIN,
    ESLINT_DIR,
    Leaklint,
    ensure_eslint,
    find_leaklint,
    leaklint_commit,
    out,
    probe_leaklint,
    write_doc,
)

HERE = Path(__file__).resolve().parent
LEGACY_SPEC = HERE / "legacy"
LEGACY_DEST = build_corpus.DEFAULT_DEST.parent / "legacy"
BROWSER_PACKAGES = ("jquery", "d3", "dojo")
WRITE_RULE = "leaklint-bench/undef-write"
EXPLAIN_RULE = "leaklint-bench/explain"
DOC_START = "<!-- bench:ll001:start -->"
DOC_END = "<!-- bench:ll001:end -->"


ESLINT_BREAKS = re.compile(r"\r\n|[\r\n\u2028\u2029]")
LEAKLINT_BREAKS = re.compile(r"\r\n|[\r\n]")


class FileIndex:
    """Offsets <-> (line, column) for one file under both tools' conventions."""

    def __init__(self, path: Path) -> None:
        text = path.read_bytes().decode("utf-8", errors="replace")
        self.text = text[1:] if text.startswith("\ufeff") else text  # both drop a BOM
        self.eslint = [0] + [m.end() for m in ESLINT_BREAKS.finditer(self.text)]
        self.leaklint = [0] + [m.end() for m in LEAKLINT_BREAKS.finditer(self.text)]

    def from_eslint(self, line: int, column: int) -> int:
        start = self.eslint[min(line, len(self.eslint)) - 1]
        units, offset = 0, start
        while units < column - 1 and offset < len(self.text):
            units += 2 if ord(self.text[offset]) > 0xFFFF else 1  # UTF-16 units
            offset += 1
        return offset

    def from_leaklint(self, line: int, column: int) -> int:
        return self.leaklint[min(line, len(self.leaklint)) - 1] + column - 1

    def to_eslint(self, offset: int) -> tuple[int, int]:
        line = max(i for i in range(len(self.eslint)) if self.eslint[i] <= offset) + 1
        chunk = self.text[self.eslint[line - 1] : offset]
        return line, 1 + sum(2 if ord(c) > 0xFFFF else 1 for c in chunk)


class Indexes(dict[str, FileIndex]):
    """FileIndex per relative path, built on first use."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root

    def __missing__(self, path: str) -> FileIndex:
        self[path] = FileIndex(self.root / path)
        return self[path]


@dataclass(frozen=True)
class Write:
    """One reported write to an undeclared name, by either tool."""

    path: str  # relative to the legacy root
    line: int
    column: int  # 1-based, in the reporting tool's own convention
    name: str
    offset: int = -1  # character offset in the file (BOM dropped)
    function: str = ""  # ESLint only: enclosing function ("line:col" or "top")
    with_body: bool = False
    typeof_guard: bool = False


@dataclass
class EslintView:
    writes: list[Write] = field(default_factory=list)
    no_undef: set[tuple[str, int, int]] = field(default_factory=set)
    no_undef_total: int = 0
    leaks: list[tuple[str, int, int]] = field(default_factory=list)  # no-implicit-globals
    readonly_writes: int = 0
    explain: dict[tuple[str, int], str] = field(default_factory=dict)
    unparsed: set[str] = field(default_factory=set)
    linted: set[str] = field(default_factory=set)


@dataclass
class LeaklintView:
    findings: list[Write] = field(default_factory=list)
    files_checked: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class Comparison:
    agreed: list[tuple[Write, Write]] = field(default_factory=list)
    moved: list[tuple[Write, Write]] = field(default_factory=list)  # same spot, other line/col
    repeats: list[Write] = field(default_factory=list)
    eslint_only: list[Write] = field(default_factory=list)
    leaklint_only: list[Write] = field(default_factory=list)


# ---------------------------------------------------------------- leaklint


def package_dirs(root: Path) -> list[Path]:
    """First-level package dirs of the install (scoped ones expanded)."""
    dirs: list[Path] = []
    for entry in sorted((root / "nm_pkgs").iterdir()):
        if entry.name.startswith("@"):
            dirs += sorted(p for p in entry.iterdir() if p.is_dir())
        elif entry.is_dir() and not entry.name.startswith("."):
            dirs.append(entry)
    return dirs


def leaklint_config(tmp: Path, envs: list[str]) -> Path:
    """No excludes (dist/ and *.min.js are part of the comparison), given envs."""
    path = tmp / f"leaklint-{'-'.join(envs)}.toml"
    path.write_text(
        f"exclude = []\nrespect-gitignore = false\nenv = {json.dumps(envs)}\n",
    )
    return path


def run_leaklint_group(tool: Leaklint, root: Path, paths: list[Path], config: Path) -> dict:
    out = config.with_suffix(".json")
    args = ["check", "--select", "LL001", "--format", "json", "--exit-zero"]
    args += ["--no-cache"] if tool.supports("--no-cache") else []
    args += ["--config", str(config), "-o", str(out), *(str(p.relative_to(root)) for p in paths)]
    proc = subprocess.run([*tool.cmd, *args], cwd=root, capture_output=True, text=True)
    if proc.returncode not in (0, 1) or not out.exists():
        sys.exit(f"leaklint failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    return json.loads(out.read_text())


def run_leaklint(tool: Leaklint, root: Path, tmp: Path, index: Indexes) -> LeaklintView:
    """One leaklint run per environment group, merged."""
    dirs = package_dirs(root)
    browser = [d for d in dirs if d.name in BROWSER_PACKAGES]
    groups = [([d for d in dirs if d not in browser], ["node"]), (browser, ["node", "browser"])]
    view = LeaklintView()
    for paths, envs in groups:
        if not paths:
            continue
        report = run_leaklint_group(tool, root, paths, leaklint_config(tmp, envs))
        view.files_checked += int(report.get("files_checked", 0))
        view.errors += [json.dumps(e) for e in report.get("errors", [])]
        for f in report["findings"]:
            if f["rule"] == "LL001":
                offset = index[f["path"]].from_leaklint(f["line"], f["column"])
                view.findings.append(Write(f["path"], f["line"], f["column"], _name(f), offset))
    return view


def _name(finding: dict) -> str:
    """The written name, from LL001's message ("'x' is assigned ...")."""
    message = finding.get("message", "")
    return message.split("'")[1] if message.count("'") >= 2 else "?"


# ---------------------------------------------------------------- ESLint


def run_eslint(root: Path, tmp: Path, leaklint: LeaklintView, index: Indexes) -> list[dict]:
    """One ESLint run; leaklint's positions go in so ESLint can explain them."""
    explain = tmp / "explain.json"
    positions: dict[str, list[list[int]]] = defaultdict(list)
    for f in leaklint.findings:
        positions[str(root / f.path)].append(list(index[f.path].to_eslint(f.offset)))
    explain.write_text(json.dumps(positions))
    out = tmp / "eslint.json"
    env = {
        "LEAKLINT_BENCH_EXPLAIN": str(explain),
        "LEAKLINT_BENCH_BROWSER_DIRS": ",".join(f"nm_pkgs/{p}" for p in BROWSER_PACKAGES),
    }
    cmd = ["node", str(ESLINT_BIN), "-c", str(ESLINT_DIR / "ll001.config.mjs")]
    cmd += ["--format", "json", "-o", str(out), "--no-warn-ignored", "."]
    proc = subprocess.run(cmd, cwd=root, env={**os.environ, **env}, capture_output=True, text=True)
    if proc.returncode not in (0, 1) or not out.exists():
        sys.exit(f"ESLint failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    return json.loads(out.read_text())


def parse_eslint(results: list[dict], root: Path, index: Indexes) -> EslintView:
    view = EslintView()
    for result in results:
        path = Path(result["filePath"]).relative_to(root).as_posix()
        view.linted.add(path)
        for m in result["messages"]:
            _take_message(view, path, m, index)
    return view


def _take_message(view: EslintView, path: str, m: dict, index: Indexes) -> None:
    rule, where = m.get("ruleId"), (path, m.get("line", 0), m.get("column", 0))
    if m.get("fatal"):
        view.unparsed.add(path)
    elif rule == WRITE_RULE:
        facts = json.loads(m["message"])
        view.writes.append(
            Write(
                *where,
                name=facts["name"],
                offset=index[path].from_eslint(where[1], where[2]),
                function=facts["fn"],
                with_body=facts["with"],
                typeof_guard=facts["typeofGuard"],
            )
        )
    elif rule == "no-undef":
        view.no_undef.add(where)
        view.no_undef_total += 1
    elif rule == "no-implicit-globals" and m.get("messageId") == "globalVariableLeak":
        view.leaks.append(where)
    elif rule == "no-implicit-globals" and m.get("messageId") == "assignmentToReadonlyGlobal":
        view.readonly_writes += 1
    elif rule == EXPLAIN_RULE:
        view.explain[(path, index[path].from_eslint(where[1], where[2]))] = m["message"]


# ---------------------------------------------------------------- matching


def compare(eslint: EslintView, leaklint: LeaklintView) -> Comparison:
    result = Comparison()
    by_offset = {(w.path, w.offset): w for w in eslint.writes}
    used: set[Write] = set()
    for f in leaklint.findings:
        match = by_offset.get((f.path, f.offset))
        if match is None:
            result.leaklint_only.append(f)
            continue
        used.add(match)
        result.agreed.append((match, f))
        if (match.line, match.column) != (f.line, f.column):
            result.moved.append((match, f))
    matched_groups = {(w.path, w.name, w.function) for w in used}
    for w in eslint.writes:
        if w in used:
            continue
        if (w.path, w.name, w.function) in matched_groups:
            result.repeats.append(w)  # LL001 reports a name once per function
        else:
            result.eslint_only.append(w)
    return result


def first_per_function(writes: list[Write]) -> tuple[list[Write], Counter]:
    """Collapse ESLint-only writes to one per (file, name, function), with counts."""
    counts: Counter = Counter((w.path, w.name, w.function) for w in writes)
    seen: set[tuple[str, str, str]] = set()
    firsts: list[Write] = []
    for w in sorted(writes, key=lambda w: (w.path, w.line, w.column)):
        key = (w.path, w.name, w.function)
        if key not in seen:
            seen.add(key)
            firsts.append(w)
    return firsts, counts


def eslint_only_reason(w: Write) -> str:
    if w.with_body:
        return "inside a `with` body: LL001 skips (the write may hit the object)"
    if w.typeof_guard:
        return "under a `typeof` test: LL001 treats it as a feature test"
    return "unexplained"


def leaklint_only_reason(f: Write, eslint: EslintView) -> str:
    if f.path in eslint.unparsed:
        return "ESLint could not parse the file"
    if f.path not in eslint.linted:
        return "ESLint did not lint the file"
    said = eslint.explain.get((f.path, f.offset))
    return f"ESLint: {said}" if said else "ESLint saw no identifier at this position"


# ---------------------------------------------------------------- output


def source_line(index: Indexes, w: Write, width: int = 110) -> str:
    """The reported line, cut to a window around the identifier (minified files)."""
    text = index[w.path].text
    start = max(text.rfind("\n", 0, w.offset), text.rfind("\r", 0, w.offset)) + 1
    ends = [i for i in (text.find("\n", w.offset), text.find("\r", w.offset)) if i >= 0]
    line = text[start : min(ends, default=len(text))]
    column = w.offset - start
    cut = max(0, column - width // 2)
    snippet = line[cut : cut + width].strip()
    return ("…" if cut else "") + snippet + ("…" if cut + width < len(line) else "")


def package_of(path: str) -> str:
    """Innermost package of a path: nm_pkgs/a/nm_pkgs/b/x.js -> b."""
    parts = path.split("/")
    idx = max(i for i, p in enumerate(parts) if p == "nm_pkgs")
    name = parts[idx + 1]
    return f"{name}/{parts[idx + 2]}" if name.startswith("@") else name


def sections(
    index: Indexes, cmp: Comparison, eslint: EslintView, leaklint: LeaklintView, limit: int
) -> tuple[list[str], dict[str, Counter]]:
    """Human-readable difference listings, and reason counts for the summary."""
    lines: list[str] = []
    reasons: dict[str, Counter] = {"eslint": Counter(), "leaklint": Counter()}
    firsts, counts = first_per_function(cmp.eslint_only)
    lines += [
        "",
        f"## ESLint only ({len(firsts)} name/function groups, {len(cmp.eslint_only)} writes)",
    ]
    for w in firsts:
        reason = eslint_only_reason(w)
        reasons["eslint"][reason] += 1
        if sum(reasons["eslint"].values()) <= limit:
            n = counts[(w.path, w.name, w.function)]
            more = f" (+{n - 1} more in this function)" if n > 1 else ""
            lines += [
                f"{w.path}:{w.line}:{w.column} '{w.name}'{more} [{reason}]",
                f"    {source_line(index, w)}",
            ]
    lines += ["", f"## leaklint only ({len(cmp.leaklint_only)})"]
    for f in cmp.leaklint_only:
        reason = leaklint_only_reason(f, eslint)
        reasons["leaklint"][reason.split(" declared at")[0]] += 1
        if sum(reasons["leaklint"].values()) <= limit:
            lines += [
                f"{f.path}:{f.line}:{f.column} '{f.name}' [{reason}]",
                f"    {source_line(index, f)}",
            ]
    lines += ["", f"## same spot, different line/column ({len(cmp.moved)})"]
    for w, f in cmp.moved[:limit]:
        lines += [
            f"{w.path} '{w.name}': ESLint {w.line}:{w.column}, leaklint {f.line}:{f.column}",
            f"    {source_line(index, w)}",
        ]
    lines += ["", f"## agreements ({len(cmp.agreed)})"]
    for w, _ in cmp.agreed[:limit]:
        lines += [f"{w.path}:{w.line}:{w.column} '{w.name}'", f"    {source_line(index, w)}"]
    return lines, reasons


def per_package(cmp: Comparison) -> list[str]:
    rows: dict[str, Counter] = defaultdict(Counter)
    for w, _ in cmp.agreed:
        rows[package_of(w.path)]["agreed"] += 1
    for w in first_per_function(cmp.eslint_only)[0]:
        rows[package_of(w.path)]["eslint"] += 1
    for f in cmp.leaklint_only:
        rows[package_of(f.path)]["leaklint"] += 1
    lines = ["| package | agreed | ESLint only | leaklint only |", "|---|--:|--:|--:|"]
    for name in sorted(rows):
        c = rows[name]
        lines.append(f"| {name} | {c['agreed']} | {c['eslint']} | {c['leaklint']} |")
    return lines


def summary(
    root: Path,
    cmp: Comparison,
    eslint: EslintView,
    leaklint: LeaklintView,
    reasons: dict[str, Counter],
) -> list[str]:
    files, size = corpus_stats(root)
    write_pos = {(w.path, w.line, w.column) for w in eslint.writes}
    leak_lines = {(p, line) for p, line, _ in eslint.leaks}
    write_lines = {(w.path, w.line) for w in eslint.writes}
    eslint_groups = len(first_per_function(cmp.eslint_only)[0])
    lines = [
        f"Measured {dt.datetime.now(dt.timezone.utc):%Y-%m-%d} with "
        f"`python bench/eslint_compare.py`: {files} JS files, {size / 1e6:.1f} MB "
        f"of the packages pinned in `bench/legacy/` and their dependencies; "
        f"leaklint {leaklint_commit()}, ESLint {out(['node', str(ESLINT_BIN), '--version'])}.",
        "",
        "| count | value |",
        "|---|--:|",
        f"| files ESLint linted / stopped by a fatal error (parse error or "
        f"`/* eslint-env */`) | {len(eslint.linted)} / "
        f"{len(eslint.unparsed)} |",
        f"| files leaklint checked / errors | {leaklint.files_checked} / {len(leaklint.errors)} |",
        f"| ESLint no-undef reports (reads and writes) | {eslint.no_undef_total} |",
        f"| ESLint undef-write reports (no-undef, writes only) | {len(eslint.writes)} |",
        f"| … of which also a no-undef report at the same spot | "
        f"{len(write_pos & eslint.no_undef)} |",
        f"| ESLint no-implicit-globals leaks (sloppy-mode only) | {len(eslint.leaks)} |",
        f"| … on a line with an undef-write | "
        f"{sum((p, line) in write_lines for p, line, _ in eslint.leaks)} |",
        f"| undef-writes on a line without such a leak (compound/update writes, "
        f"strict code) | {sum((w.path, w.line) not in leak_lines for w in eslint.writes)} |",
        f"| ESLint writes to read-only configured globals | {eslint.readonly_writes} |",
        f"| leaklint LL001 findings | {len(leaklint.findings)} |",
        f"| **agreed** (same file and offset) | {len(cmp.agreed)} |",
        f"| … reported at a different line/column | {len(cmp.moved)} |",
        f"| ESLint repeats of an agreed name in the same function | {len(cmp.repeats)} |",
        f"| **ESLint only** (name/function groups; writes) | {eslint_groups}; "
        f"{len(cmp.eslint_only)} |",
        f"| **leaklint only** | {len(cmp.leaklint_only)} |",
        "",
        "Reasons the harness could tell:",
        "",
    ]
    for side, label in (("eslint", "ESLint only"), ("leaklint", "leaklint only")):
        for reason, n in reasons[side].most_common():
            lines.append(f"- {label}, {n}: {reason}")
    return lines


# ---------------------------------------------------------------- main


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dest", type=Path, default=LEGACY_DEST, help="where to install the packages")
    p.add_argument("--leaklint", help="command to run leaklint (default: this venv's)")
    p.add_argument("--limit", type=int, default=60, help="max examples printed per section")
    p.add_argument("--write", type=Path, help="update the LL001 section of this markdown file")
    args = p.parse_args()

    root = args.dest.expanduser().resolve()
    build_corpus.build(root, force=False, spec_dir=LEGACY_SPEC)
    cmd = shlex.split(args.leaklint) if args.leaklint else find_leaklint(None)
    tool = probe_leaklint(cmd) if cmd else None
    if tool is None:
        sys.exit("leaklint not runnable: pip install -e . first")
    problem = ensure_eslint()
    if problem:
        sys.exit(f"ESLint unavailable: {problem}")
    with tempfile.TemporaryDirectory(prefix="leaklint-ll001-") as tmp_name:
        tmp = Path(tmp_name)
        index = Indexes(root)
        leaklint = run_leaklint(tool, root, tmp, index)
        eslint = parse_eslint(run_eslint(root, tmp, leaklint, index), root, index)
    cmp = compare(eslint, leaklint)
    details, reasons = sections(index, cmp, eslint, leaklint, args.limit)
    head = summary(root, cmp, eslint, leaklint, reasons)
    print("\n".join([*head, "", *per_package(cmp), *details]))
    if args.write:
        block = "\n".join([*head, "", *per_package(cmp)]) + "\n"
        write_doc(args.write, block, DOC_START, DOC_END)
        print(f"\nwrote {args.write}")


if __name__ == "__main__":
    main()
