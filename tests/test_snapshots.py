"""Every fixture's full text report, compared with its snapshot in ``tests/snapshots/``.

The ``expect:`` markers (test_fixtures.py) say which lines are reported; the snapshots say
what users read there: the message, line and column, code frame, related locations, severity
and message id. Update them with ``pytest --snapshot-update`` and review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixture_harness import FIXTURES, ROOT, fixture_files, report_text, snapshot_path
from tests.snapshot import SNAPSHOTS, SnapshotMismatch, assert_snapshot


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_fixture_report_matches_snapshot(
    path: Path, snapshot_update: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    text = report_text(path)
    # Checked first so that --snapshot-update can never store a crash as the expected report.
    assert "internal error:" not in text, text
    assert_snapshot(text, snapshot_path(path), update=snapshot_update)


def test_every_snapshot_belongs_to_a_fixture() -> None:
    """A renamed or deleted fixture must take its snapshot with it."""
    wanted = {snapshot_path(path) for path in fixture_files()}
    orphans = sorted(p.relative_to(SNAPSHOTS).as_posix() for p in SNAPSHOTS.rglob("*.snap"))
    orphans = [name for name in orphans if SNAPSHOTS / name not in wanted]
    assert not orphans, f"snapshots without a fixture (delete them): {orphans}"


def test_a_changed_report_fails_with_a_readable_diff(tmp_path: Path) -> None:
    stored = tmp_path / "LL009" / "flagged.js.snap"
    stored.parent.mkdir()
    stored.write_text("a.js:3:5: LL009 The client 'c' is never closed.\n\n# 3:5 warning\n")
    changed = "a.js:3:7: LL009 The client 'c' is never closed!\n\n# 3:5 warning\n"
    with pytest.raises(SnapshotMismatch) as caught:
        assert_snapshot(changed, stored, update=False)
    text = str(caught.value)
    assert "-a.js:3:5: LL009 The client 'c' is never closed.\n" in text
    assert "+a.js:3:7: LL009 The client 'c' is never closed!\n" in text
    assert " # 3:5 warning\n" in text  # unchanged context around the change
    assert "--snapshot-update" in text
    assert stored.read_text() != changed  # comparing never rewrites the stored snapshot


def test_update_writes_the_new_snapshot(tmp_path: Path) -> None:
    stored = tmp_path / "LL009" / "new.js.snap"
    with pytest.raises(SnapshotMismatch, match="no snapshot"):
        assert_snapshot("report\n", stored, update=False)
    assert not stored.exists()
    assert_snapshot("report\n", stored, update=True)
    assert stored.read_text() == "report\n"
    assert_snapshot("report\n", stored, update=False)


def test_the_environment_variable_requests_an_update(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.snapshot import update_requested

    monkeypatch.delenv("LEAKLINT_UPDATE_SNAPSHOTS", raising=False)
    assert not update_requested(False)
    assert update_requested(True)
    monkeypatch.setenv("LEAKLINT_UPDATE_SNAPSHOTS", "1")
    assert update_requested(False)
    monkeypatch.setenv("LEAKLINT_UPDATE_SNAPSHOTS", "0")
    assert not update_requested(False)
