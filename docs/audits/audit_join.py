"""An audit's join: re-run leaklint on the audit's repositories and join every finding to the
auditors' verdicts by (repository, path, line, rule), matching the message id and severity each
verdict records. Run it from an audit workspace that holds `repos/<name>` (the checkouts at the
commits of docs/rules-corpus.md) and `verdicts-*.json` (the audit's
`2026-12-01-<audit>-verdicts-*.json`). `python3 audit_join.py --run --code=DIR --out=start`
runs the code checked out at DIR (put first on PYTHONPATH, with the leaklint of /work/main's
virtualenv): the tenth audit's start was 3aaab72, the ninth's 02cc1db, the eighth's 8ea3f4e. Without `--code` it
runs that virtualenv's own code into `final/`; without `--run` it only joins what is there.
Prints per-rule tables for the default rule set, the preview rules, and the findings
`--project` adds."""
from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
REPOS = HERE / "repos"
CODE = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--code=")), None)
OUT = HERE / next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--out=")), "final")
LEAKLINT = "/work/main/.venv/bin/leaklint"
RUN = "--run" in sys.argv
MODES = {"default": [], "preview": ["--preview"], "project": ["--preview", "--project"]}
ONLY = [a.split("=", 1)[1] for a in sys.argv if a.startswith("--modes=")]
RUN_MODES = ONLY[0].split(",") if ONLY else list(MODES)
SKIP: set[str] = set()
LEAK_RULES = {"LL002", "LL003", "LL004", "LL005", "LL006", "LL007"}


def run_all() -> None:
    OUT.mkdir(exist_ok=True)
    for repo in sorted(r for r in REPOS.iterdir() if r.name not in SKIP):
        for mode in RUN_MODES:
            flags = MODES[mode]
            target = OUT / f"{repo.name}.{mode}.json"
            subprocess.run(
                [LEAKLINT, "check", "--no-cache", "--exit-zero", "--format", "json", "-o",
                 str(target), *flags, "."], cwd=repo, check=False,
                env={**os.environ, "PYTHONPATH": CODE} if CODE else None,
                stdout=subprocess.DEVNULL)


def verdicts() -> dict[tuple[str, str, int, str], list[dict]]:
    table: dict[tuple[str, str, int, str], list[dict]] = collections.defaultdict(list)
    for file in sorted(HERE.glob("verdicts-*.json")):
        try:
            rows = json.loads(file.read_text())
        except ValueError as error:
            print(f"!! {file.name}: {error}")
            continue
        for row in rows:
            path = str(row.get("path", ""))
            marker = f"/repos/{row.get('repo')}/"
            if marker in path:
                path = path.split(marker, 1)[1]
            path = path.removeprefix("./")
            key = (row.get("repo"), path, int(row.get("line", 0)), row.get("rule"))
            table[key].append(row)
    return table


def judged(table, key, finding) -> tuple[str, str, bool]:
    """(verdict, reason, same_message) for a finding: the verdict whose message starts like
    the finding's; else the last one (marked as judged on another wording)."""
    rows = table.get(key, [])
    if not rows:
        return "UNJUDGED", "", False
    text = finding["message"]
    # Auditors of this audit recorded the message id and severity they judged: match on them.
    for row in reversed(rows):
        if row.get("message_id") and row.get("severity"):
            if (row["message_id"], row["severity"]) == (finding.get("message_id"), finding.get("severity")):
                return row.get("verdict", "?"), row.get("reason", ""), True
    for row in reversed(rows):
        shown = str(row.get("message", ""))[:50]
        if shown and text.startswith(shown):
            return row.get("verdict", "?"), row.get("reason", ""), True
    return rows[-1].get("verdict", "?"), rows[-1].get("reason", ""), False


def findings(repo: str, mode: str) -> list[dict]:
    try:
        report = json.loads((OUT / f"{repo}.{mode}.json").read_text())
    except (OSError, ValueError):
        return []
    return report["findings"]


def main() -> None:
    if RUN:
        run_all()
    table = verdicts()
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    unjudged: list[str] = []
    reworded: list[str] = []
    files = 0
    for repo in sorted(p.name for p in REPOS.iterdir() if p.name not in SKIP):
        try:
            files += json.loads((OUT / f"{repo}.default.json").read_text())["files_checked"]
        except (OSError, ValueError):
            pass
        default_keys = set()
        for mode in ("default", "preview", "project"):
            seen = set()
            for f in findings(repo, mode):
                key = (repo, f["path"].removeprefix("./"), f["line"], f["rule"])
                if f["rule"] in ("LL000", "LL001", "LL100"):
                    continue
                if mode == "default":
                    default_keys.add(key)
                if mode == "preview" and key in default_keys:
                    continue  # counted once, in the default table
                if mode == "project" and key in seen_preview:
                    continue
                seen.add(key)
                verdict, reason, same = judged(table, key, f)
                if not same and verdict != "UNJUDGED":
                    reworded.append(f"{mode:8} {repo}/{key[1]}:{key[2]} {f['rule']} {f['severity']} "
                                    f"{f['message_id']} [auditors: {verdict}: {reason[:160]}]")
                    verdict = "REWORDED"
                group = {"default": "default", "preview": "preview-only", "project": "project-adds"}[mode]
                counts[f"{group} {f['rule']}"][verdict] += 1
                if f["rule"] in LEAK_RULES and mode == "default":
                    counts["default LL002-LL007"][verdict] += 1
                if verdict == "UNJUDGED":
                    unjudged.append(f"{mode:8} {repo}/{key[1]}:{key[2]} {f['rule']} {f['message'][:110]}")
            if mode == "preview":
                seen_preview = seen | default_keys
    print(f"files checked (default): {files}")
    for group in sorted(counts):
        c = counts[group]
        total = sum(c.values())
        right = c["right"]
        line = (f"{group:24} reports {total:4} right {right:3} wrong {c['wrong']:3} "
                f"debatable {c['debatable']:3} unjudged {c['UNJUDGED']:3} reworded {c['REWORDED']:3}"
                f"  precision {right / total:.0%}")
        print(line)
    print("\nreworded (judged by the auditors on another wording):")
    print("\n".join(reworded))
    print("\nunjudged:")
    print("\n".join(unjudged))


if __name__ == "__main__":
    main()
