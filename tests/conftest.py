from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from leaklint.cli import cli
from tests.snapshot import UPDATE_OPTION, update_requested


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        UPDATE_OPTION,
        action="store_true",
        default=False,
        help="Rewrite tests/snapshots/*.snap with what leaklint reports now, instead of failing.",
    )


@pytest.fixture
def snapshot_update(request: pytest.FixtureRequest) -> bool:
    """Whether snapshot tests store the new text rather than compare with the stored one."""
    return update_requested(bool(request.config.getoption(UPDATE_OPTION)))


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """An empty project directory that is also the current directory."""
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(old)


@pytest.fixture
def run_cli():
    def invoke(*args: str):
        runner = CliRunner()
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
