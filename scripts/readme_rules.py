"""The README's rule table, generated from the rule registry (``leaklint.rules.ALL_RULES``).

    python scripts/readme_rules.py           # rewrite the table in README.md
    python scripts/readme_rules.py --check   # exit 1 when the README's table is out of date

The table sits between two marker comments; everything else in the README is left as it is.
Each row shows what the rule class says: code (linked to the rule's section when the README
has one), name, summary, severity, whether it is on by default (or preview), precision.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from leaklint.rules import Rule

BEGIN = "<!-- rules-table: generated from the rule registry by scripts/readme_rules.py -->"
END = "<!-- /rules-table -->"
HEADER = (
    "| Code | Name | What it reports | Severity | Default | Precision |\n"
    "|------|------|-----------------|----------|---------|-----------|\n"
)


def default_state(rule: type[Rule]) -> str:
    if rule.preview:
        return "preview"
    return "on" if rule.default_enabled else "off"


def rule_row(rule: type[Rule], readme: str) -> str:
    # A rule's README section is headed "### LL001 `implicit-global`"; GitHub's anchor for it
    # is "ll001-implicit-global", which is also what SARIF's helpUri points at.
    has_section = f"### {rule.code} `{rule.name}`" in readme
    code = f"[{rule.code}](#{rule.code.lower()}-{rule.name})" if has_section else rule.code
    severity = rule.severity.value
    if rule.severity_detail:
        severity += f" ({rule.severity_detail})"
    summary = rule.summary.replace("|", "\\|")
    return (
        f"| {code} | `{rule.name}` | {summary} | {severity} | {default_state(rule)} "
        f"| {rule.precision} |\n"
    )


def rule_table(rules: Iterable[type[Rule]], readme: str) -> str:
    return HEADER + "".join(rule_row(rule, readme) for rule in rules)


def with_table(readme: str, rules: Iterable[type[Rule]]) -> str:
    """``readme`` with the text between the markers replaced by the generated table."""
    start = readme.find(BEGIN)
    end = readme.find(END)
    if start < 0 or end < start:
        raise ValueError(f"README has no rule table between {BEGIN!r} and {END!r}")
    head = readme[: start + len(BEGIN)]
    return f"{head}\n{rule_table(rules, readme)}{readme[end:]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--check", action="store_true", help="only check; exit 1 if stale")
    options = parser.parse_args(argv)
    root: Path = options.root.resolve()
    # The registry of the checkout being edited, not of whatever leaklint is installed.
    if (root / "leaklint").is_dir():
        sys.path.insert(0, str(root))
    from leaklint.rules import ALL_RULES

    readme_path = root / "README.md"
    readme = readme_path.read_text(encoding="utf-8")
    try:
        updated = with_table(readme, ALL_RULES)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if updated == readme:
        return 0
    if options.check:
        print("README.md's rule table is out of date: run scripts/readme_rules.py", file=sys.stderr)
        return 1
    readme_path.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
