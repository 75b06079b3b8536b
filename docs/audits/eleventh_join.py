"""The eleventh audit's join: the auditors' own runs (runs/<part>/<code>-<repo>[-project].json,
--preview, and --preview --project) joined to their verdicts (verdicts-<part>.json) by
(repo, path, line, rule) and the message id and severity each verdict records. Prints per-rule
tables for the start code (fe28fef) and the final code, the findings --project adds, and every
finding without a verdict."""
from __future__ import annotations

import collections
import json
import sys
from pathlib import Path

HERE = Path(__file__).parent
LEAK = {"LL002", "LL003", "LL004", "LL005", "LL006", "LL007"}
DEFAULT = LEAK | {"LL011"}


def verdicts():
    table = collections.defaultdict(list)
    for file in sorted(HERE.glob("verdicts-*.json")):
        for row in json.loads(file.read_text()):
            path = str(row["path"]).removeprefix("./")
            marker = f"repos/{row['repo']}/"
            if marker in path:
                path = path.split(marker, 1)[1]
            table[(row["repo"], path, int(row["line"]), row["rule"])].append(row)
    return table


def judged(table, key, f, code, mode="preview"):
    rows = table.get(key, [])
    rows = [r for r in rows if r.get("mode", mode) == mode] or rows
    same = [r for r in rows if (r.get("message_id"), r.get("severity")) == (f.get("message_id"), f.get("severity"))]
    if not same:
        return ("UNJUDGED" if not rows else "REWORDED"), rows[-1]["reason"] if rows else ""
    preferred = [r for r in same if r.get("code") == code] or same
    return preferred[-1]["verdict"], preferred[-1].get("reason", "")


def runs(code):
    for part in sorted(p.name for p in (HERE / "runs").iterdir() if p.is_dir()):
        for file in sorted((HERE / "runs" / part).glob(f"{code}-*.json")):
            if file.stem.endswith("-project"):
                continue
            repo = file.stem.removeprefix(f"{code}-")
            if not (HERE / "repos" / repo).is_dir():
                continue  # a run of one part of a repository (ts-a's `-server` runs)
            project = file.with_name(f"{file.stem}-project.json")
            yield part, repo, json.loads(file.read_text()), (json.loads(project.read_text()) if project.exists() else None)


def key_of(repo, f):
    return (repo, f["path"].split(f"repos/{repo}/", 1)[-1].removeprefix("./"), f["line"], f["rule"])


def main(code):
    table = verdicts()
    counts = collections.defaultdict(collections.Counter)
    problems = []
    files = 0
    repos = 0
    for part, repo, plain, project in runs(code):
        repos += 1
        files += plain["files_checked"]
        keys = set()
        for f in plain["findings"]:
            if f["rule"] in ("LL000", "LL001", "LL100"):
                continue
            key = key_of(repo, f)
            keys.add(key)
            v, reason = judged(table, key, f, code)
            counts[f["rule"]][v] += 1
            if f["rule"] in LEAK:
                counts["LL002-LL007"][v] += 1
            if v in ("UNJUDGED", "REWORDED"):
                problems.append(f"{v} {part} {repo} {key[1]}:{key[2]} {f['rule']} {f['message_id']} {f['severity']} | {reason[:100]}")
        for f in (project or {}).get("findings", []):
            if f["rule"] in ("LL000", "LL001", "LL100"):
                continue
            key = key_of(repo, f)
            if key in keys:
                continue
            v, reason = judged(table, key, f, code, "project")
            counts["project+ " + f["rule"]][v] += 1
            if v in ("UNJUDGED", "REWORDED"):
                problems.append(f"{v} project {part} {repo} {key[1]}:{key[2]} {f['rule']} {f['message_id']} {f['severity']} | {reason[:100]}")
    print(f"code {code}: {repos} repositories, {files} files")
    for group in sorted(counts):
        c = counts[group]
        total = sum(c.values())
        print(f"{group:18} reports {total:4} right {c['right']:3} wrong {c['wrong']:3} debatable {c['debatable']:3} "
              f"unjudged {c['UNJUDGED']:3} reworded {c['REWORDED']:3}  precision {c['right'] / total:.0%}")
    print("\n".join(problems))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "start")
