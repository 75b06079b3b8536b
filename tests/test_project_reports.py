"""Reports name the other module: related locations in other files in every format."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from leaklint.model.findings import Finding, Related, Severity, Span
from leaklint.reporters.html import with_other_files
from tests.cli_helpers import chdir
from tests.cli_helpers import invoke as invoke_check
from tests.fixture_harness import PROJECTS


def invoke(folder: Path, *args: str):
    """``leaklint check --project ARGS``: project-wide analysis is opt-in."""
    return invoke_check(folder, "--project", *args)


def _project(tmp_path: Path, case: str = "redis-factory") -> Path:
    folder = tmp_path / case
    shutil.copytree(PROJECTS / case, folder)
    (folder / "package.json").write_text('{"name": "app"}', encoding="utf-8")  # its root
    return folder


def test_text_shows_the_other_file_of_a_related_location(tmp_path: Path) -> None:
    result = invoke(_project(tmp_path), "--no-cache", ".")
    assert result.exit_code == 1, result.stdout
    assert "services/users.js:4:17: LL003 'createRedis()' from 'lib/redis.js'" in result.stdout
    assert "= lib/redis.js:4:18: the ioredis client is created here" in result.stdout


def test_json_gives_the_related_location_its_path(tmp_path: Path) -> None:
    result = invoke(_project(tmp_path), "--no-cache", "--format", "json", ".")
    (finding,) = json.loads(result.stdout)["findings"]
    assert finding["path"] == "services/users.js"
    assert finding["message_id"] == "factory-from-module"
    (related,) = finding["related"]
    assert (related["path"], related["line"]) == ("lib/redis.js", 4)


def test_sarif_related_location_has_its_own_uri(tmp_path: Path) -> None:
    result = invoke(_project(tmp_path), "--no-cache", "--format", "sarif", ".")
    (sarif_result,) = json.loads(result.stdout)["runs"][0]["results"]
    primary = sarif_result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    (related,) = sarif_result["relatedLocations"]
    uri = related["physicalLocation"]["artifactLocation"]["uri"]
    assert primary.endswith("services/users.js")
    assert uri.endswith("lib/redis.js")
    assert related["physicalLocation"]["region"]["startLine"] == 4


def test_cached_run_keeps_the_related_path(tmp_path: Path) -> None:
    folder = _project(tmp_path)
    first = invoke(folder, "--format", "json", ".")
    second = invoke(folder, "--format", "json", ".")
    assert json.loads(first.stdout)["findings"] == json.loads(second.stdout)["findings"]
    assert json.loads(second.stdout)["findings"][0]["related"][0]["path"] == "lib/redis.js"


def test_html_message_names_the_other_file() -> None:
    finding = Finding(
        "LL003",
        "unclosed-client",
        "services/users.js",
        Span(4, 17, 4, 30),
        "'createRedis()' creates a new client on every call.",
        Severity.WARNING,
        related=(
            Related(Span(4, 18, 4, 40), "the client is created here", "lib/redis.js"),
            Related(Span(5, 1, 5, 2), "a note in the same file"),
        ),
    )
    shown = with_other_files(finding)
    assert shown.endswith("(see lib/redis.js:4: the client is created here)")
    assert "same file" not in shown


def test_editing_the_other_module_makes_the_finding_disappear(tmp_path: Path) -> None:
    """The caller's cached result is unchanged, but the link reruns on the new summaries."""
    folder = _project(tmp_path)
    assert invoke(folder, ".").exit_code == 1
    factory = folder / "lib" / "redis.js"
    factory.write_text(
        factory.read_text(encoding="utf-8").replace(
            "function createRedis() {\n  const client",
            "let client;\nfunction createRedis() {\n  if (client) return client;\n  client",
        ),
        encoding="utf-8",
    )
    result = invoke(folder, ".")
    assert result.exit_code == 0, result.stdout


def test_a_suppression_comment_covers_a_cross_module_finding(tmp_path: Path) -> None:
    folder = _project(tmp_path)
    service = folder / "services" / "users.js"
    service.write_text(
        service.read_text(encoding="utf-8").replace(
            "  const redis = createRedis();",
            "  // leaklint-disable-next-line LL003 -- closed by the caller's pool\n"
            "  const redis = createRedis();",
        ),
        encoding="utf-8",
    )
    with chdir(folder):
        result = invoke(folder, "--no-cache", "--format", "json", ".")
    assert result.exit_code == 0, result.stdout
    report = json.loads(result.stdout)
    assert report["findings"] == []
    assert report["suppressed"] == 1
    # LL100 saw the file before the link and thought the directive unused: not any more.
    result = invoke(folder, "--no-cache", "--report-unused-disables", ".")
    assert result.exit_code == 0, result.stdout
    assert "LL100" not in result.stdout


def test_a_directive_unused_by_the_link_too_is_still_reported(tmp_path: Path) -> None:
    folder = _project(tmp_path)
    service = folder / "services" / "users.js"
    service.write_text(
        "// leaklint-disable-next-line LL005\n" + service.read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    result = invoke(folder, "--no-cache", "--report-unused-disables", ".")
    assert "LL100" in result.stdout
    assert "LL003" in result.stdout


def _forbid_relinking(patcher: pytest.MonkeyPatch) -> None:
    """Any recomputation of the link, whole or in part, fails the test."""
    from leaklint.pipeline import engine

    patcher.setattr(engine, "link_all", lambda *a: pytest.fail("link recomputed"))
    patcher.setattr(engine, "relink", lambda *a: pytest.fail("link recomputed in part"))


def test_a_warm_run_reuses_the_link(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _project(tmp_path)
    first = invoke(folder, "--format", "json", ".")
    _forbid_relinking(monkeypatch)
    second = invoke(folder, "--format", "json", ".")
    assert json.loads(second.stdout)["findings"] == json.loads(first.stdout)["findings"]


def test_a_changed_tsconfig_invalidates_the_cached_link(tmp_path: Path) -> None:
    """No source file changes, but the alias now leads to a module without a factory."""
    folder = _project(tmp_path, "tsconfig-paths")
    (folder / "src" / "other").mkdir()
    (folder / "src" / "other" / "redis.ts").write_text(
        "import Redis from 'ioredis';\nconst shared = new Redis();\n"
        "export const makeRedis = () => shared;\n",
        encoding="utf-8",
    )
    assert invoke(folder, ".").exit_code == 1
    base = folder / "tsconfig.base.json"
    base.write_text(
        base.read_text(encoding="utf-8").replace("src/lib/*", "src/other/*"), encoding="utf-8"
    )
    result = invoke(folder, ".")
    assert result.exit_code == 0, result.stdout


def test_a_listener_on_an_imported_emitter_names_where_it_is_created(tmp_path: Path) -> None:
    folder = _project(tmp_path, "emitter-sse")
    for _ in range(2):  # cold, then from the cached link
        result = invoke(folder, "--format", "json", ".")
        (finding,) = json.loads(result.stdout)["findings"]
        assert finding["rule"] == "LL007"
        (related,) = [r for r in finding["related"] if r.get("path")]
        assert (related["path"], related["line"]) == ("src/events.js", 3)
        assert related["message"].startswith("'bus' is created here, once per process")


def test_a_run_over_the_root_does_not_walk_the_repository_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from leaklint.pipeline import engine

    folder = _project(tmp_path)
    monkeypatch.setattr(engine, "project_files", lambda *a: pytest.fail("walked again"))
    assert invoke(folder, "--no-cache", ".").exit_code == 1


def _cache_document(cache: Path) -> tuple[Path, dict]:
    [cache_file] = cache.glob("v*/*.json")
    return cache_file, json.loads(cache_file.read_text(encoding="utf-8"))


def _stored_summary(cache_file: Path, digest: str) -> tuple[Path, dict, dict]:
    """The summary store's shard that holds ``digest`` (named by the results document's
    index), the shard's document and the summary in it."""
    index = json.loads(cache_file.read_text(encoding="utf-8"))["summaries"]
    [name] = [name for name, digests in index.items() if digest in digests]
    shard_file = cache_file.parent / name
    shard = json.loads(shard_file.read_text(encoding="utf-8"))
    return shard_file, shard, shard["summaries"][digest]


@pytest.mark.parametrize(
    "damage",
    [
        "summary-extra-key",
        "summary-wrong-type",
        "link-note-path-missing",
        "link-finding-wrong-type",
    ],
)
def test_a_cached_summary_or_link_of_the_wrong_shape_is_a_miss(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    """Summaries and the link's result are decoded as strictly as findings: what the cache
    holds in another shape is computed again, never served."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("LEAKLINT_CACHE_DIR", str(cache))
    folder = _project(tmp_path, "emitter-sse")
    fresh = invoke(folder, "--format", "json", ".")
    cache_file, document = _cache_document(cache)
    assert document["format"] == 5
    digests = [entry[3]["summary_digest"] for entry in document["entries"].values()]
    shard_file, shard, summary = _stored_summary(cache_file, next(d for d in digests if d))
    link = document["project"]["result"]
    if damage == "summary-extra-key":
        summary["surprise"] = 1
    elif damage == "summary-wrong-type":
        summary["names"] = "bus"
    elif damage == "link-note-path-missing":
        del link["notes"][0][4]["path"]
    else:
        link["findings"] = [{"rule": 5}]
    cache_file.write_text(json.dumps(document), encoding="utf-8")
    shard_file.write_text(json.dumps(shard), encoding="utf-8")
    again = invoke(folder, "--format", "json", ".")
    assert again.exit_code == fresh.exit_code == 1
    assert json.loads(again.stdout)["findings"] == json.loads(fresh.stdout)["findings"]


def test_a_cached_summary_round_trips_exactly(tmp_path: Path) -> None:
    from leaklint.model.project import FileSummary
    from leaklint.model.results import FileResult
    from leaklint.model.settings import Settings
    from leaklint.pipeline.engine import check_path
    from leaklint.pipeline.engine import rules_for as rules_of

    folder = _project(tmp_path, "emitter-sse")
    settings = Settings(root=folder, project=True)
    with chdir(folder):
        result = check_path(folder / "src" / "events.js", settings, rules_of(settings))
    assert result.summary is not None
    cached = json.loads(json.dumps(result.to_cache()))
    decoded = FileResult.from_cache(cached)
    assert decoded.summary is None  # kept apart, in the summary store, by its digest
    assert decoded.summary_digest == result.summary_digest
    stored = json.loads(json.dumps(result.summary))
    again = FileSummary.from_dict(stored).to_dict()
    assert json.loads(json.dumps(again)) == stored


def test_a_package_configuration_applies_to_the_findings_the_link_makes(tmp_path: Path) -> None:
    """Hierarchical settings: the using file's own configuration decides its link findings."""
    folder = _project(tmp_path)
    assert "LL003" in invoke(folder, "--no-cache", ".").stdout
    (folder / "services" / "leaklint.toml").write_text("ignore = ['LL003']\n", encoding="utf-8")
    result = invoke(folder, "--no-cache", ".")
    assert "LL003" not in result.stdout, result.stdout


def test_project_wide_analysis_is_opt_in(tmp_path: Path) -> None:
    # Off by default until its cold-run cost and its precision on real code are measured
    # (docs/benchmark.md); `project = true` in the configuration or --project turns it on.
    folder = _project(tmp_path)
    assert invoke_check(folder, "--no-cache", ".").exit_code == 0
    assert invoke_check(folder, "--no-cache", "--project", ".").exit_code == 1
    (folder / "leaklint.toml").write_text("project = true\n", encoding="utf-8")
    assert invoke_check(folder, "--no-cache", ".").exit_code == 1
    assert invoke_check(folder, "--no-cache", "--no-project", ".").exit_code == 0


def test_the_cross_module_message_says_what_one_run_is(tmp_path: Path) -> None:
    # The factory is called from code that runs per call (its callers are in another module):
    # the consequence names that unit, never the template's placeholder.
    result = invoke(_project(tmp_path), "--no-cache", "--format", "json", ".")
    (finding,) = json.loads(result.stdout)["findings"]
    assert "{unit}" not in finding["message"]
    assert "so every request leaves a connection open on the server" in finding["message"]


def test_a_read_through_a_knex_instance_of_another_module_names_the_instance(
    tmp_path: Path,
) -> None:
    # Audit 8 (pagermon): the table was named as if it were the knex instance, in the message
    # ("every row of 'users' (knex instance from …)") and in the note ("The knex instance
    # 'users' is made here").
    folder = _project(tmp_path, "knex-module-read")
    result = invoke(folder, "--preview", "--no-cache", "--format", "json", ".")
    (finding,) = json.loads(result.stdout)["findings"]
    message = finding["message"]
    assert (finding["rule"], finding["line"]) == ("LL012", 9)
    assert "every row of 'users' (through the knex instance `db` from db/knex.js)" in message
    (related,) = finding["related"]
    assert (related["path"], related["line"]) == ("db/knex.js", 3)
    assert related["message"] == "The knex instance `db` is made here."


def test_after_an_edit_each_summary_is_decoded_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The link recomputed after one file changed takes the summaries the cache lookup
    decoded, instead of decoding every file's summary a second time (issue 13: the re-run
    after an edit must cost a fraction of the parse floor)."""
    from leaklint.model.project import FileSummary

    folder = _project(tmp_path)
    first = invoke(folder, "--format", "json", ".")
    route = folder / "routes" / "users.js"
    # A line above everything moves the spans its summary records: the link is recomputed.
    route.write_text("// edited\n" + route.read_text(encoding="utf-8"), encoding="utf-8")
    decoded: list[object] = []
    original = FileSummary.from_dict.__func__  # type: ignore[attr-defined]

    def counting(cls: type[FileSummary], data: object) -> FileSummary:
        decoded.append(data)
        return original(cls, data)

    fresh = invoke(folder, "--no-cache", "--format", "json", ".")
    monkeypatch.setattr(FileSummary, "from_dict", classmethod(counting))
    second = invoke(folder, "--format", "json", ".")
    assert json.loads(second.stdout)["findings"] == json.loads(fresh.stdout)["findings"]
    assert json.loads(first.stdout)["findings"]
    summarised = len(list(folder.rglob("*.js")))
    assert 0 < len(decoded) < summarised  # the edited file is summarised afresh, not decoded
    decoded.clear()
    third = invoke(folder, "--format", "json", ".")
    assert json.loads(third.stdout)["findings"] == json.loads(fresh.stdout)["findings"]
    assert decoded == []  # a warm run whose link is cached reads no summary at all


def test_a_cached_summary_of_the_wrong_shape_is_a_miss_when_the_link_needs_it(
    tmp_path: Path,
) -> None:
    """Cached summaries are decoded only when the link is recomputed, as strictly as
    before: one of the wrong shape makes its file be checked again (and its entry rewritten),
    so the cross-module finding it takes part in is still reported."""
    folder = _project(tmp_path)
    first = invoke(folder, "--format", "json", ".")
    cache_file = next((folder / ".leaklint_cache").rglob("*.json"))
    document = json.loads(cache_file.read_text(encoding="utf-8"))
    entries = document["entries"]
    (factory,) = [key for key in entries if key.endswith("redis.js")]
    digest = entries[factory][3]["summary_digest"]
    shard_file, shard, summary = _stored_summary(cache_file, digest)
    summary["exports"] = "not a list"
    shard_file.write_text(json.dumps(shard), encoding="utf-8")
    route = folder / "routes" / "users.js"
    route.write_text("// edited\n" + route.read_text(encoding="utf-8"), encoding="utf-8")
    fresh = invoke(folder, "--no-cache", "--format", "json", ".")
    second = invoke(folder, "--format", "json", ".")
    assert json.loads(second.stdout)["findings"] == json.loads(fresh.stdout)["findings"]
    assert len(json.loads(first.stdout)["findings"]) == 1
    rewritten = json.loads(cache_file.read_text(encoding="utf-8"))["entries"][factory]
    assert rewritten[3]["summary_digest"] == digest
    assert isinstance(_stored_summary(cache_file, digest)[2]["exports"], list)


def test_an_edit_that_leaves_every_summary_as_it_was_reuses_the_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The link reads summaries only, so its cached result is keyed by them: a comment added
    to a file re-checks that file and reuses the link; an edit that changes what the file
    tells the link (the factory now returns a shared client) recomputes it."""
    folder = _project(tmp_path)
    first = invoke(folder, "--format", "json", ".")
    factory = folder / "lib" / "redis.js"
    factory.write_text(factory.read_text(encoding="utf-8") + "\n// a comment\n", encoding="utf-8")
    with monkeypatch.context() as patched:
        _forbid_relinking(patched)
        second = invoke(folder, "--format", "json", ".")
    assert json.loads(second.stdout)["findings"] == json.loads(first.stdout)["findings"]
    factory.write_text(
        "const Redis = require('ioredis');\nconst shared = new Redis();\n"
        "function createRedis() { return shared; }\nmodule.exports = { createRedis };\n",
        encoding="utf-8",
    )
    third = invoke(folder, "--format", "json", ".")
    assert third.exit_code == 0, third.stdout


def test_a_subscriber_called_from_an_effect_says_the_effect_cleanup_cannot_remove_it(
    tmp_path: Path,
) -> None:
    # Audit 9 (amplication's client): a hook's effect calls another module's listen(), which
    # adds to that module's emitter and returns nothing; the per-request wording ("when the
    # request ends") does not fit an effect.
    folder = _project(tmp_path, "emitter-subscribe-effect")
    result = invoke(folder, "--no-cache", "--format", "json", ".")
    (finding,) = json.loads(result.stdout)["findings"]
    assert (finding["rule"], finding["path"], finding["line"]) == (
        "LL007",
        "src/auth/use-authenticated.ts",
        9,
    )
    assert finding["message_id"] == "subscriber-from-module-effect"
    assert finding["severity"] == "warning"
    assert "return that from the effect as its cleanup" in finding["message"]
    (related,) = finding["related"]
    assert (related["path"], related["line"]) == ("src/auth/authentication.ts", 12)


def test_a_store_grown_per_message_in_another_module_says_message(tmp_path: Path) -> None:
    """The unit the link found (per message here, from `ws.on('message')`) is the one the
    message names, not always "request"."""
    result = invoke(_project(tmp_path, "exported-map-per-message"), "--no-cache", ".")
    assert result.exit_code == 1
    assert "so it grows with every message." in result.stdout
    assert "every request" not in result.stdout
