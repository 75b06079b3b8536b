"""Relinking after an edit (issue 13): only the changed files' part of the project is linked
again, and every run's findings are exactly those of a cold run over the same files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from leaklint.model.project import FileSummary
from tests.cli_helpers import invoke
from tests.fixture_harness import PROJECTS

# Three projects in one repository, none importing another: three parts of the link.
PARTS = {"a": "redis-factory", "b": "exported-map", "c": "pinger-once"}


def _repository(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for folder, case in PARTS.items():
        shutil.copytree(PROJECTS / case, root / folder)
    (root / "package.json").write_text('{"name": "repo"}', encoding="utf-8")
    return root


def _findings(root: Path, *args: str) -> list[dict[str, Any]]:
    result = invoke(root, "--project", "--format", "json", *args, ".")
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)["findings"]


def _cached_run_is_a_cold_one(root: Path) -> list[dict[str, Any]]:
    """The cached run's findings, after checking they are the cold run's."""
    cached = _findings(root)
    assert cached == _findings(root, "--no-cache")
    return cached


def _rules_in(findings: list[dict[str, Any]], folder: str) -> list[tuple[str, str]]:
    return sorted((f["rule"], f["severity"]) for f in findings if f["path"].startswith(folder))


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every cached summary the runs decode."""
    seen: list[object] = []
    original = FileSummary.from_dict.__func__  # type: ignore[attr-defined]

    def counting(cls: type[FileSummary], data: object) -> FileSummary:
        seen.append(data)
        return original(cls, data)

    monkeypatch.setattr(FileSummary, "from_dict", classmethod(counting))
    return seen


def test_a_callers_edit_changes_the_callees_findings_and_relinks_only_its_part(
    tmp_path: Path, decoded: list[object]
) -> None:
    """pinger-once's timers are module-level notes because app.js calls the factory once; made
    per request there, they become warnings in another file — and only that part of the
    repository (its two other summarised files) is decoded to relink."""
    root = _repository(tmp_path)
    before = _cached_run_is_a_cold_one(root)
    shutil.copy(PROJECTS / "pinger-per-request" / "app.js", root / "c" / "app.js")
    decoded.clear()
    after = _findings(root)
    relinked = len(decoded)
    assert after == _findings(root, "--no-cache")
    assert _rules_in(before, "c/") == [("LL002", "note"), ("LL002", "note")]
    assert _rules_in(after, "c/") == [("LL002", "warning"), ("LL002", "warning")]
    assert _rules_in(after, "a/") == _rules_in(before, "a/") == [("LL003", "warning")]
    assert relinked == 2  # attach-locals.js and sbc-pinger.js; app.js was checked afresh


def test_edits_that_join_split_add_and_remove_parts_give_the_cold_findings(
    tmp_path: Path,
) -> None:
    """Each step's cached run against a cold run: an edit inside one part, an import that
    joins two parts, the import removed again, a file added that bounds a store of another
    part, and that file removed."""
    root = _repository(tmp_path)
    initial = _cached_run_is_a_cold_one(root)
    assert _rules_in(initial, "b/") == [("LL005", "warning")]
    factory = root / "a" / "lib" / "redis.js"
    factory.write_text(
        "const Redis = require('ioredis');\nconst shared = new Redis();\n"
        "function createRedis() { return shared; }\nmodule.exports = { createRedis };\n",
        encoding="utf-8",
    )
    assert _rules_in(_cached_run_is_a_cold_one(root), "a/") == []
    route = root / "a" / "routes" / "users.js"
    original = route.read_text(encoding="utf-8")
    route.write_text(
        original.replace(
            "const router",
            "const { sessions } = require('../../b/src/store.mjs');\nconst router",
        ).replace("res.json(", "sessions.set(req.params.id, Date.now());\n  res.json("),
        encoding="utf-8",
    )
    joined = _cached_run_is_a_cold_one(root)
    assert ("LL005", "warning") in _rules_in(joined, "a/")
    route.write_text(original, encoding="utf-8")
    assert _rules_in(_cached_run_is_a_cold_one(root), "a/") == []
    cleanup = root / "b" / "src" / "cleanup.mjs"
    cleanup.write_text(
        "import { sessions } from './store.mjs';\n"
        "export function forget(id) { sessions.delete(id); }\n",
        encoding="utf-8",
    )
    assert _rules_in(_cached_run_is_a_cold_one(root), "b/") == []
    cleanup.unlink()
    assert _rules_in(_cached_run_is_a_cold_one(root), "b/") == [("LL005", "warning")]


def test_a_file_that_starts_exporting_joins_the_part_of_its_importers(tmp_path: Path) -> None:
    """A file whose summary was empty belongs to no part of the link, but its importers'
    edges lead to it: when it starts exporting a factory, their findings appear."""
    root = _repository(tmp_path)
    factory = root / "a" / "lib" / "redis.js"
    text = factory.read_text(encoding="utf-8")
    factory.write_text("// nothing yet\n", encoding="utf-8")
    assert _rules_in(_cached_run_is_a_cold_one(root), "a/") == []
    factory.write_text(text, encoding="utf-8")
    assert _rules_in(_cached_run_is_a_cold_one(root), "a/") == [("LL003", "warning")]


def test_a_link_state_of_the_wrong_shape_links_everything_again(tmp_path: Path) -> None:
    root = _repository(tmp_path)
    _findings(root)
    cache_file = next((root / ".leaklint_cache").rglob("*.json"))
    document = json.loads(cache_file.read_text(encoding="utf-8"))
    document["project"]["state"]["edges"].append([0, "./x", 10**6])
    cache_file.write_text(json.dumps(document), encoding="utf-8")
    shutil.copy(PROJECTS / "pinger-per-request" / "app.js", root / "c" / "app.js")
    after = _cached_run_is_a_cold_one(root)
    assert _rules_in(after, "c/") == [("LL002", "warning"), ("LL002", "warning")]


def test_a_warm_run_decodes_no_summary_and_no_link_state(
    tmp_path: Path, decoded: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cached link is reused when the summaries' digests are those it was computed
    from, which the stored state's digest list alone tells: its edges are decoded only to
    relink."""
    from leaklint.pipeline.project.incremental import LinkState

    root = _repository(tmp_path)
    cold = _cached_run_is_a_cold_one(root)
    states: list[object] = []
    original = LinkState.from_cache.__func__  # type: ignore[attr-defined]

    def counting(cls: type[LinkState], data: object, files: int) -> LinkState | None:
        states.append(data)
        return original(cls, data, files)

    monkeypatch.setattr(LinkState, "from_cache", classmethod(counting))
    decoded.clear()
    assert _findings(root) == cold
    assert decoded == [] and states == []
    shutil.copy(PROJECTS / "pinger-per-request" / "app.js", root / "c" / "app.js")
    assert _findings(root) == _findings(root, "--no-cache")
    assert len(states) == 1  # the relink reads the edges
