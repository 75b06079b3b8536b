"""README links and anchors resolve, SARIF helpUri anchors exist, no internal shorthand."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from leaklint.reporters.sarif import rule_help_uri
from leaklint.rules import ALL_RULES

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def github_anchors(markdown: str) -> set[str]:
    """Heading anchors as GitHub makes them: lower case, punctuation dropped, spaces to
    hyphens, a -N suffix for repeats. Fenced code blocks hold no headings."""
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    in_fence = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            in_fence = not in_fence
            continue
        match = re.match(r"#{1,6} (.+)", line)
        if in_fence or match is None:
            continue
        slug = re.sub(r"[^\w\- ]", "", match.group(1).strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def links(markdown: str) -> list[str]:
    outside_code = re.sub(r"```.*?```", "", markdown, flags=re.S)
    outside_code = re.sub(r"`[^`\n]*`", "", outside_code)  # inline code: `[text](id)`
    return _LINK.findall(outside_code)


def test_github_anchor_rules() -> None:
    assert github_anchors("# LL001 `implicit-global`\n## pre-commit\n## pre-commit\n") == {
        "ll001-implicit-global",
        "pre-commit",
        "pre-commit-1",
    }


@pytest.mark.parametrize("document", ["README.md", "evidence/README.md", "docs/benchmark.md"])
def test_every_local_link_and_anchor_exists(document: str) -> None:
    source = REPO / document
    text = source.read_text(encoding="utf-8")
    missing = []
    for target in links(text):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        path, _, anchor = target.partition("#")
        file = (source.parent / path).resolve() if path else source
        if not file.exists() or (
            anchor
            and file.suffix == ".md"
            and anchor not in github_anchors(file.read_text(encoding="utf-8"))
        ):
            missing.append(target)
    assert not missing, f"{document}: links to nothing: {missing}"


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.code)
def test_sarif_help_uri_anchors_are_readme_headings(rule) -> None:
    uri = rule_help_uri(rule)
    assert uri.startswith("https://github.com/leaklint/leaklint#")
    assert uri.split("#", 1)[1] in github_anchors(README.read_text(encoding="utf-8"))


def test_readme_has_the_two_set_up_commands_first() -> None:
    first_block = README.read_text(encoding="utf-8").split("```sh\n", 1)[1].split("```")[0]
    assert "pip install . && .venv/bin/leaklint check" in first_block
    assert "bash .ci/run" in first_block


def test_readme_never_says_pip_install_leaklint() -> None:
    text = README.read_text(encoding="utf-8")
    commands = re.findall(r"pip install\s+(?!-)(\S+)", text)
    assert "leaklint" not in [command.strip("`\"'") for command in commands]


def test_license_file() -> None:
    license_text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert license_text.startswith("MIT License")
    assert "leaklint maintainers" in license_text


SHORTHAND = re.compile(r"\b(?:the seed|seed's|the issue's|issue \d+|the talk's)\b", re.I)


def user_facing_texts() -> dict[str, str]:
    from click.testing import CliRunner

    from leaklint.cli import cli

    texts = {"README.md": README.read_text(encoding="utf-8")}
    for rule in ALL_RULES:
        texts[f"{rule.code} documentation"] = rule.documentation()
    runner = CliRunner()
    for command in ([], ["check"], ["audit"], ["rule"], ["rules"]):
        texts[f"leaklint {' '.join(command)} --help"] = runner.invoke(
            cli, [*command, "--help"]
        ).output
    return texts


def test_no_internal_shorthand_in_user_facing_text() -> None:
    found = {name: SHORTHAND.findall(text) for name, text in user_facing_texts().items()}
    assert not {name: hits for name, hits in found.items() if hits}
    # "the talk" only where the README says which talk it is.
    readme = README.read_text(encoding="utf-8")
    assert "## Where the rules come from" in readme
    for rule in ALL_RULES:
        assert not re.search(r"\bthe talk\b", rule.documentation()), rule.code
