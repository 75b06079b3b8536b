"""README, pyproject.toml, leaklint.__version__ and the git tag name the same release."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import leaklint

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
# `rev: v0.1.0` (pre-commit) and `uses: leaklint/leaklint@v0.1.0` (the action).
PINS = re.compile(r"(?:rev:\s*|leaklint/leaklint@)(v?\d+\.\d+\.\d+[\w.+-]*)")


def test_the_package_reports_the_pyproject_version() -> None:
    assert leaklint.__version__ == VERSION


def test_readme_pins_the_pyproject_version() -> None:
    pins = PINS.findall(README)
    assert pins, "the README shows no pinned release (rev: / @vX.Y.Z)"
    assert set(pins) == {f"v{VERSION}"}, f"README pins {sorted(set(pins))}, pyproject {VERSION}"


def git_tags() -> list[str] | None:
    try:
        done = subprocess.run(
            ["git", "tag", "--list"], cwd=REPO, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.split()


def test_the_pinned_release_is_tagged() -> None:
    tags = git_tags()
    if tags is None:
        pytest.skip("not a git checkout: the release tag cannot be checked")
    if not tags:
        pytest.skip(
            f"the repository has no tags yet: tag the release as v{VERSION} "
            f"(git tag v{VERSION}) before publishing, or the README's pins point at nothing"
        )
    assert f"v{VERSION}" in tags, (
        f"README and pyproject name v{VERSION}, but the tags are {tags}: "
        f"create the tag (git tag v{VERSION}) or bump the version everywhere"
    )


def test_the_distribution_name_is_not_the_unrelated_pypi_leaklint() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    # "leaklint" on PyPI is a machine-learning data-leakage tool; the command stays leaklint.
    assert project["name"] == "leaklint-node"
    assert project["scripts"] == {"leaklint": "leaklint.cli:main"}
    assert "leaklint-node" in README
