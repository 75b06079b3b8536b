"""The cache's summary store (issue 13): summaries live in shards beside the results
document, by component. A warm run and an edit that leaves every summary as it was read no
shard; a relink reads only its components' shards; a run writes only the summaries that no
shard holds; a shard that is missing, damaged, foreign or of another format is ignored with
a note and its files are summarised again — every run's findings are a cold run's."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from leaklint.pipeline import summary_store
from leaklint.pipeline.summary_store import SummaryStore
from tests.cli_helpers import invoke
from tests.fixture_harness import PROJECTS
from tests.test_project_incremental import _cached_run_is_a_cold_one, _repository, _rules_in

NOTE = "ignoring the cached project summaries"


@pytest.fixture
def one_component_a_shard(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shards of one component each (the default packs small components together), so that
    which shards a run reads tells which components it relinked."""
    monkeypatch.setattr(summary_store, "_SHARD_SIZE", 1)


@pytest.fixture
def shards_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of every shard the runs read."""
    seen: list[str] = []
    original = SummaryStore._load

    def counting(self: SummaryStore, shard: str) -> dict[str, Any]:
        seen.append(shard)
        return original(self, shard)

    monkeypatch.setattr(SummaryStore, "_load", counting)
    return seen


def _cache(root: Path) -> tuple[Path, dict[str, Any]]:
    [document] = (root / ".leaklint_cache").glob("v*/*.json")
    return document, json.loads(document.read_text(encoding="utf-8"))


def _shards(root: Path) -> dict[str, int]:
    """Each shard file's name and modification time."""
    return {p.name: p.stat().st_mtime_ns for p in (root / ".leaklint_cache").glob("v*/*.summaries")}


def _run(root: Path, *args: str) -> tuple[list[dict[str, Any]], str]:
    result = invoke(root, "--project", "--format", "json", *args, ".")
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)["findings"], result.stderr


def _make_app_call_per_request(root: Path) -> None:
    shutil.copy(PROJECTS / "pinger-per-request" / "app.js", root / "c" / "app.js")


def test_the_results_document_names_summaries_and_a_warm_run_reads_none(
    tmp_path: Path, shards_read: list[str]
) -> None:
    root = _repository(tmp_path)
    cold = _cached_run_is_a_cold_one(root)
    _, document = _cache(root)
    assert document["format"] == 5
    results = [entry[3] for entry in document["entries"].values()]
    assert all("summary" not in result for result in results)
    live = {r["summary_digest"] for r in results if r["summary_digest"]}
    named = set(summary_store._split("".join(document["summaries"].values())))
    assert named == live and len(live) > 3
    shards = _shards(root)
    assert set(shards) == set(document["summaries"])
    shards_read.clear()
    assert _run(root) == (cold, "")
    route = root / "a" / "routes" / "users.js"
    route.write_text(route.read_text(encoding="utf-8") + "\n// a comment\n", encoding="utf-8")
    assert _run(root) == (cold, "")
    assert shards_read == []  # neither the warm run nor the comment's link read a summary
    assert _shards(root) == shards  # and nothing was written to the store


def test_a_relink_reads_only_its_components_shards_and_writes_one_small_shard(
    tmp_path: Path, one_component_a_shard: None, shards_read: list[str]
) -> None:
    root = _repository(tmp_path)
    _cached_run_is_a_cold_one(root)
    before = _shards(root)
    assert len(before) == 3  # one per part of the repository
    shards_read.clear()
    _make_app_call_per_request(root)
    after, notes = _run(root)
    assert notes == ""
    assert len(shards_read) == 1  # part c's; a's and b's are not read
    now = _shards(root)
    assert {name: now[name] for name in before} == before  # no shard rewritten
    [new] = set(now) - set(before)
    _, document = _cache(root)
    assert len(document["summaries"][new]) == 32  # the one summary the edit changed
    assert _rules_in(after, "c/") == [("LL002", "warning"), ("LL002", "warning")]
    assert after == _cached_run_is_a_cold_one(root)


def _damage(shard: Path, how: str, document: Path) -> None:
    text = json.loads(shard.read_text(encoding="utf-8"))
    if how == "missing":
        shard.unlink()
    elif how == "garbage":
        shard.write_bytes(b"\x00{not json")
    elif how == "another-format":
        text["format"] = 4
        shard.write_text(json.dumps(text), encoding="utf-8")
    elif how == "another-cache":
        text["of"] = "0123456789abcdef0123"
        shard.write_text(json.dumps(text), encoding="utf-8")
    elif how == "summaries-not-an-object":
        text["summaries"] = list(text["summaries"])
        shard.write_text(json.dumps(text), encoding="utf-8")
    elif how == "a-summary-of-the-wrong-shape":
        for summary in text["summaries"].values():
            summary["exports"] = "not a list"
        shard.write_text(json.dumps(text), encoding="utf-8")
    elif how == "symlink":
        elsewhere = shard.parent.parent.parent / "elsewhere.json"
        elsewhere.write_text(json.dumps(text), encoding="utf-8")
        shard.unlink()
        shard.symlink_to(elsewhere)
    elif how == "index-names-another-path":
        cache = json.loads(document.read_text(encoding="utf-8"))
        digests = cache["summaries"].pop(shard.name)
        cache["summaries"]["../" + shard.name] = digests
        document.write_text(json.dumps(cache), encoding="utf-8")


@pytest.mark.parametrize(
    "how",
    [
        "missing",
        "garbage",
        "another-format",
        "another-cache",
        "summaries-not-an-object",
        "a-summary-of-the-wrong-shape",
        "symlink",
        "index-names-another-path",
    ],
)
def test_a_shard_that_cannot_be_used_is_summarised_again(
    tmp_path: Path, one_component_a_shard: None, how: str
) -> None:
    """What a relink needs from a broken shard is made again from the files (with a note
    when the shard itself is unreadable), the findings are a cold run's, and the summaries
    made again are stored: the run after reads them without a note."""
    root = _repository(tmp_path)
    _cached_run_is_a_cold_one(root)
    document, cache = _cache(root)
    [(name, _)] = [
        (name, digests)
        for name, digests in cache["summaries"].items()
        if any(key.endswith("sbc-pinger.js") for key in _files_of(cache, digests))
    ]
    _damage(document.parent / name, how, document)
    _make_app_call_per_request(root)
    after, notes = _run(root)
    assert after == _run(root, "--no-cache")[0]
    assert _rules_in(after, "c/") == [("LL002", "warning"), ("LL002", "warning")]
    unreadable = how not in ("a-summary-of-the-wrong-shape", "index-names-another-path")
    assert (NOTE in notes) == unreadable, notes
    assert "Traceback" not in notes
    elsewhere = document.parent.parent.parent / "elsewhere.json"
    if how == "symlink":  # neither read nor written through the link, nor removed
        assert json.loads(elsewhere.read_text(encoding="utf-8"))["of"] == document.stem
    # A second relink of the same part reads what the first one stored, silently.
    shutil.copy(PROJECTS / "pinger-once" / "app.js", root / "c" / "app.js")
    again, notes = _run(root)
    assert notes == ""
    assert again == _run(root, "--no-cache")[0]
    assert _rules_in(again, "c/") == [("LL002", "note"), ("LL002", "note")]


def _files_of(cache: dict[str, Any], digests: str) -> list[str]:
    held = set(summary_store._split(digests))
    return [key for key, entry in cache["entries"].items() if entry[3]["summary_digest"] in held]


def test_summaries_of_removed_files_leave_the_store(
    tmp_path: Path, one_component_a_shard: None
) -> None:
    root = _repository(tmp_path)
    _cached_run_is_a_cold_one(root)
    before = _shards(root)
    shutil.rmtree(root / "b")
    after = _cached_run_is_a_cold_one(root)
    assert _rules_in(after, "b/") == []
    _, cache = _cache(root)
    live = {e[3]["summary_digest"] for e in cache["entries"].values()} - {""}
    assert set(summary_store._split("".join(cache["summaries"].values()))) == live
    assert len(_shards(root)) == len(before) - 1  # b's shard is removed with its files


def test_a_shard_no_index_names_is_removed_once_old(
    tmp_path: Path, one_component_a_shard: None
) -> None:
    """A concurrent run that lost the race to write the results document leaves a shard no
    index names: kept while it may still be that run's, removed once old."""
    root = _repository(tmp_path)
    _cached_run_is_a_cold_one(root)
    document, _ = _cache(root)
    young = document.parent / f"{document.stem}.0123456789abcdef0123.summaries"
    old = document.parent / f"{document.stem}.fedcba9876543210fedc.summaries"
    for stray in (young, old):
        stray.write_text("{}", encoding="utf-8")
    long_ago = young.stat().st_mtime - 2 * summary_store._ORPHAN_AFTER_SECONDS
    os.utime(old, (long_ago, long_ago))
    _make_app_call_per_request(root)  # a run that writes the store
    _cached_run_is_a_cold_one(root)
    assert young.exists() and not old.exists()


def test_a_read_only_cache_still_gives_a_cold_runs_findings(
    tmp_path: Path, one_component_a_shard: None
) -> None:
    root = _repository(tmp_path)
    _cached_run_is_a_cold_one(root)
    shards = _shards(root)
    cache = root / ".leaklint_cache"
    modes = {p: p.stat().st_mode for p in [cache, *cache.rglob("*")]}
    for path in modes:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        _make_app_call_per_request(root)
        after, notes = _run(root)
        assert after == _run(root, "--no-cache")[0]
        assert "Traceback" not in notes
        assert _shards(root) == shards
    finally:
        for path, mode in modes.items():
            path.chmod(mode)


def _digest(n: int) -> str:
    return f"{n:032x}"


def test_a_component_spread_over_too_many_shards_is_gathered_once_read(tmp_path: Path) -> None:
    """Runs that each change one summary of a component add a shard each; once the component
    is spread over more shards than allowed and a run has read them all (it relinked the
    component), its summaries are written together and the old shards removed. A run that
    did not read them writes only the new summary."""
    index: Any = None
    counts = []
    for step in range(6):
        store = SummaryStore(tmp_path, "stem", index, 5)
        made = [_digest(n) for n in range(step + 1)]
        if step != 4:  # the fifth run does not relink: it reads nothing
            assert all(store.get(d) == {"n": int(d, 16)} for d in made[:-1])
        store.add(made[-1], {"n": step})
        store.place_by(lambda made=made: [made])
        store.save(set(made))()
        index = store.index()
        counts.append(len(list(tmp_path.glob("stem.*.summaries"))))
    assert counts == [1, 2, 3, 4, 5, 1]
    fresh = SummaryStore(tmp_path, "stem", index, 5)
    assert [fresh.get(_digest(n)) for n in range(6)] == [{"n": n} for n in range(6)]
