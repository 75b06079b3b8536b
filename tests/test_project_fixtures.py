"""Multi-file fixtures: each ``fixtures/project/<case>/`` is a small layered application whose
leak lives between its modules, or a twin that must stay silent."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from leaklint.config import Settings
from leaklint.pipeline.engine import run
from tests.fixture_harness import PROJECTS, project_actual, project_expected, project_fixtures


@pytest.mark.parametrize("folder", project_fixtures(), ids=lambda p: p.name)
def test_project_fixture(folder: Path) -> None:
    assert project_actual(folder) == project_expected(folder)


def test_every_flagged_project_has_a_silent_twin() -> None:
    flagged = [f for f in project_fixtures() if project_expected(f)]
    silent = [f for f in project_fixtures() if not project_expected(f)]
    assert len(flagged) >= 8
    assert len(silent) >= 7


def _copy(case: str, tmp_path: Path) -> Path:
    folder = tmp_path / case
    shutil.copytree(PROJECTS / case, folder)
    return folder


def test_a_staged_file_gets_the_findings_of_a_full_run(tmp_path: Path) -> None:
    """pre-commit passes only staged files: the graph still comes from the whole project."""
    folder = _copy("redis-factory", tmp_path)
    (folder / ".git").mkdir()  # a repository root, as pre-commit runs in one
    staged = [folder / "services" / "users.js"]
    assert project_actual(folder, staged) == project_expected(folder)
    # The route module alone: nothing of its own to report, and nothing borrowed either.
    assert project_actual(folder, [folder / "routes" / "users.js"]) == {}


def test_without_a_project_root_a_file_alone_sees_no_other_module(tmp_path: Path) -> None:
    """No .git, package.json or tsconfig: the files given are the whole project, and a
    cross-module finding is not guessed."""
    folder = _copy("redis-factory", tmp_path)
    assert project_actual(folder, [folder / "services" / "users.js"]) == {}


_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def test_cross_module_messages_fill_every_placeholder() -> None:
    """A cross-module message is built from the link's facts, not a FileContext: a template
    field such as `{unit}` nested in a consequence must be filled there too."""
    from leaklint.pipeline.discovery import discover

    for folder in project_fixtures():
        settings = Settings(root=folder, preview=True, project=True)
        result = run(discover([folder], settings), settings, use_cache=False)
        for finding in result.findings:
            texts = [finding.message, *(r.message for r in finding.related)]
            left = [t for t in texts if _PLACEHOLDER.search(t)]
            assert not left, f"{folder.name}: unfilled placeholder in {left}"


def test_a_store_grown_from_several_modules_is_one_finding_in_a_partial_run_too(
    tmp_path: Path,
) -> None:
    """One store grown per request from two route modules is one LL005 finding, in the first
    of them by path: staging only the other module shows nothing, as the full run does there;
    staging the first shows the same one finding."""
    folder = _copy("helper-store-two-routes", tmp_path)
    (folder / ".git").mkdir()
    assert project_actual(folder, [folder / "routes" / "orders.js"]) == {}
    assert project_actual(folder, [folder / "routes" / "items.js"]) == project_expected(folder)
