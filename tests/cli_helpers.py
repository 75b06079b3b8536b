"""Running the CLI in a scratch project directory, as a user would."""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from leaklint.cli import cli


@contextmanager
def chdir(path: Path) -> Iterator[None]:
    previous = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text), encoding="utf-8")


def invoke(cwd: Path, *args: str) -> Result:
    """``leaklint check ARGS`` run in ``cwd``, with ClickException mapped to exit 2 as in main()."""
    with chdir(cwd):
        result = CliRunner().invoke(cli, ["check", *args], catch_exceptions=False)
    return result


def check_json(cwd: Path, *args: str) -> dict[str, Any]:
    result = invoke(cwd, "--format", "json", *args)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def rules_and_lines(document: dict[str, Any]) -> list[tuple[str, int]]:
    return [(f["rule"], f["line"]) for f in document["findings"]]


__all__ = ["chdir", "check_json", "invoke", "rules_and_lines", "write"]
