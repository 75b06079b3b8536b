"""``real_path`` is ``Path.resolve()`` through the cached real directories."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from leaklint.syntax.source import real_directory, real_path


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    real_directory.cache_clear()


def test_real_path_resolves_as_path_resolve_does(tmp_path: Path, monkeypatch) -> None:
    real = tmp_path / "real"
    (real / "sub").mkdir(parents=True)
    target = real / "sub" / "app.js"
    target.write_text("x = 1\n")
    (tmp_path / "linked-dir").symlink_to(real, target_is_directory=True)
    (real / "linked.js").symlink_to(target)
    (real / "dangling.js").symlink_to(real / "missing.js")
    monkeypatch.chdir(real)
    paths = [
        target,
        tmp_path / "linked-dir" / "sub" / "app.js",  # through a linked directory
        real / "linked.js",  # the file itself a link: its target's directory and name
        real / "dangling.js",
        real / "sub" / ".." / "sub" / "app.js",
        real / "not-there.js",
        Path("sub/app.js"),  # relative to the current directory
        Path("linked.js"),
        Path("-"),  # standard input's stand-in
        Path("."),
        Path(os.sep),
    ]
    for path in paths:
        assert real_path(path) == path.resolve(), path


def test_a_file_that_is_a_link_is_not_taken_for_its_directory(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "app.js").write_text("")
    (tmp_path / "a" / "app.js").symlink_to(tmp_path / "b" / "app.js")
    assert real_path(tmp_path / "a" / "app.js") == (tmp_path / "b" / "app.js").resolve()


def test_a_directory_resolves_through_its_parents_answer_as_resolve_does(tmp_path: Path) -> None:
    (tmp_path / "real" / "a" / "b").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "real", target_is_directory=True)
    (tmp_path / "real" / "a" / "up").symlink_to("..", target_is_directory=True)
    directories = [
        tmp_path / "real" / "a",  # first: its parents are remembered on the way
        tmp_path / "real" / "a" / "b",  # through the remembered parent
        tmp_path / "link" / "a" / "b",  # a link above, next to a remembered sibling
        tmp_path / "real" / "a" / "up" / "a" / "b",  # a relative link in the middle
        tmp_path / "real" / "a" / "missing" / "deeper",  # not there: resolve keeps the names
    ]
    for directory in directories:
        assert real_directory(str(directory)) == directory.resolve(), directory
    assert real_directory(str(tmp_path / "real" / "a" / ".." / "a")) == directories[0].resolve()
    assert real_directory(f"{tmp_path}/real//a") == (tmp_path / "real" / "a").resolve()
