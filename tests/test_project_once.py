"""'Runs once' across modules: an export every caller of which in the project runs once runs
once itself (``ProjectGraph.once``), and the file's own per-call findings about it become
their once-per-process form (``link.apply_verdicts``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leaklint.config import Settings
from leaklint.model.findings import Span
from leaklint.model.project import CALL, NEW, PASS, FileSummary, Use
from leaklint.pipeline.discovery import discover
from leaklint.pipeline.engine import check_path, rules_for, run
from leaklint.pipeline.project.graph import ProjectGraph
from leaklint.pipeline.project.link import ProjectRun, project_findings
from leaklint.pipeline.project.resolve import Resolver
from tests.fixture_harness import PROJECTS

SPAN = Span(1, 1, 1, 2)
ONCE = "once per process"


def use(
    specifier: str,
    name: str,
    rate: str = ONCE,
    caller: str = "",
    action: str = CALL,
    looped: bool = False,
) -> Use:
    return Use(
        specifier,
        name,
        action,
        SPAN,
        rate,
        f"runs {rate}",
        rate != ONCE,
        caller=caller,
        looped=looped,
    )


def once_of(tmp_path: Path, summaries: dict[str, FileSummary]) -> set[tuple[str, str]]:
    for name in summaries:
        (tmp_path / name).write_text("", encoding="utf-8")
    loaded = {tmp_path / name: summary for name, summary in summaries.items()}
    project = ProjectGraph(loaded, lambda p: p.name, Resolver(tmp_path))
    project.link()
    return {(file.name, name) for file, name in project.once}


def test_a_factory_whose_only_caller_runs_at_module_level_runs_once(tmp_path: Path) -> None:
    found = once_of(
        tmp_path,
        {
            "app.js": FileSummary(uses=(use("./pinger.js", "default"),)),
            "pinger.js": FileSummary(names=("default",)),
        },
    )
    assert found == {("pinger.js", "default")}


def test_once_travels_through_exported_functions_that_run_once(tmp_path: Path) -> None:
    """app (module level) → locals.attach (per call) → pinger: the pinger runs once."""
    found = once_of(
        tmp_path,
        {
            "app.js": FileSummary(uses=(use("./locals.js", "attach"),)),
            "locals.js": FileSummary(
                names=("attach",),
                uses=(use("./pinger.js", "start", "per call", caller="attach"),),
            ),
            "pinger.js": FileSummary(names=("start",)),
        },
    )
    assert found == {("locals.js", "attach"), ("pinger.js", "start")}


def test_one_caller_that_repeats_keeps_the_export_per_call(tmp_path: Path) -> None:
    found = once_of(
        tmp_path,
        {
            "app.js": FileSummary(uses=(use("./pinger.js", "start"),)),
            "route.js": FileSummary(uses=(use("./pinger.js", "start", "per request"),)),
            "pinger.js": FileSummary(names=("start",)),
        },
    )
    assert found == set()


def test_a_call_in_a_loop_or_a_handed_on_export_is_not_once(tmp_path: Path) -> None:
    looped = {
        "app.js": FileSummary(uses=(use("./pinger.js", "start", looped=True),)),
        "pinger.js": FileSummary(names=("start",)),
    }
    assert once_of(tmp_path, looped) == set()
    handed_on = {
        "app.js": FileSummary(
            uses=(use("./pinger.js", "start"), use("./pinger.js", "start", "", action=PASS))
        ),
        "pinger.js": FileSummary(names=("start",)),
    }
    assert once_of(tmp_path, handed_on) == set()


def test_a_module_handed_on_whole_proves_none_of_its_exports(tmp_path: Path) -> None:
    """`require('./pinger')` inside a function: which of its names runs is not followed."""
    found = once_of(
        tmp_path,
        {
            "app.js": FileSummary(uses=(use("./pinger.js", "start"),)),
            "other.js": FileSummary(uses=(use("./index.js", "*", "", action=PASS),)),
            "index.js": FileSummary(reexports=()),
            "pinger.js": FileSummary(names=("start",)),
        },
    )
    assert ("pinger.js", "start") in found
    found = once_of(
        tmp_path,
        {
            "app.js": FileSummary(uses=(use("./pinger.js", "start"),)),
            "other.js": FileSummary(uses=(use("./pinger.js", "*", "", action=PASS),)),
            "pinger.js": FileSummary(names=("start",)),
        },
    )
    assert found == set()


def test_a_cycle_of_calls_proves_nothing(tmp_path: Path) -> None:
    """a.ping ⇄ b.pong, and a module-level call of ping: ping may recurse through pong."""
    found = once_of(
        tmp_path,
        {
            "app.js": FileSummary(uses=(use("./a.js", "ping"),)),
            "a.js": FileSummary(
                names=("ping",), uses=(use("./b.js", "pong", "per call", caller="ping"),)
            ),
            "b.js": FileSummary(
                names=("pong",), uses=(use("./a.js", "ping", "per call", caller="pong"),)
            ),
        },
    )
    assert found == set()


def test_an_export_nobody_calls_is_an_api_and_keeps_its_verdict(tmp_path: Path) -> None:
    assert once_of(tmp_path, {"pinger.js": FileSummary(names=("start",))}) == set()


def test_a_class_built_once_has_a_constructor_that_runs_once(tmp_path: Path) -> None:
    found = once_of(
        tmp_path,
        {
            "server.js": FileSummary(uses=(use("./cache.js", "Cache", action=NEW),)),
            "cache.js": FileSummary(names=("Cache",)),
        },
    )
    assert found == {("cache.js", "new:Cache")}
    subclassed = {
        "server.js": FileSummary(
            uses=(
                use("./cache.js", "Cache", action=NEW),
                use("./cache.js", "Cache", "", action=PASS),  # `class Big extends Cache`
            )
        ),
        "cache.js": FileSummary(names=("Cache",)),
    }
    assert once_of(tmp_path, subclassed) == set()


def _findings(case: str, project: bool = True) -> list[tuple[str, int, str, str, str]]:
    folder = PROJECTS / case
    settings = Settings(root=folder, preview=True, project=project)
    result = run(discover([folder], settings), settings, use_cache=False)
    return [
        (Path(f.path).name, f.span.line, f.rule, f.severity.value, f.message_id)
        for f in result.findings
    ]


def test_the_pinger_started_once_is_a_note_and_per_request_a_warning() -> None:
    """jambonz's sbc-pinger: a factory starting setInterval, called by a function that
    app.js calls once at module level — the module-level note; the same factory reached from
    a request handler keeps the per-call warning."""
    once = _findings("pinger-once")
    assert once == [
        ("sbc-pinger.js", 5, "LL002", "note", "startup-discarded"),
        ("sbc-pinger.js", 7, "LL002", "note", "module-stored"),
    ]
    per_request = _findings("pinger-per-request")
    assert per_request == [
        ("sbc-pinger.js", 5, "LL002", "warning", "per-call-discarded"),
        ("sbc-pinger.js", 7, "LL002", "warning", "per-call-stored"),
    ]
    # Without the link, the file alone cannot tell: notes that say both readings.
    assert _findings("pinger-once", project=False) == [
        ("sbc-pinger.js", 5, "LL002", "note", "per-call-discarded-assumed"),
        ("sbc-pinger.js", 7, "LL002", "note", "per-call-stored-assumed"),
    ]


def test_a_helper_called_once_by_an_export_runs_as_often_as_the_export() -> None:
    """cobalt's env watcher: an unexported helper that the exported set-up calls once starts
    the timer, so the export's callers decide — a note for start-up code, a warning when a
    request handler calls the export; the file alone says both readings."""
    assert _findings("helper-timer-once") == [("env.js", 5, "LL002", "note", "startup-discarded")]
    assert _findings("helper-timer-per-request") == [
        ("env.js", 5, "LL002", "warning", "per-call-discarded")
    ]
    assert _findings("helper-timer-once", project=False) == [
        ("env.js", 5, "LL002", "note", "per-call-discarded-assumed")
    ]


def test_the_once_note_names_the_caller_in_the_other_module() -> None:
    folder = PROJECTS / "pinger-once"
    settings = Settings(root=folder, preview=True, project=True)
    result = run(discover([folder], settings), settings, use_cache=False)
    first = result.findings[0]
    caller = [r for r in first.related if r.path]
    assert len(caller) == 1
    assert caller[0].path.endswith("lib/utils/attach-locals.js")
    assert caller[0].span.line == 2
    assert "called only by code that runs once" in caller[0].message


def test_a_constructor_timer_of_a_class_built_once_is_a_note() -> None:
    assert _findings("class-timer-once") == [
        ("delta-cache.ts", 7, "LL002", "note", "module-stored")
    ]
    assert _findings("class-timer-per-request") == [
        ("delta-cache.ts", 7, "LL002", "warning", "per-call-stored")
    ]
    assert _findings("class-timer-per-request", project=False) == [
        ("delta-cache.ts", 7, "LL002", "note", "per-call-stored-assumed")
    ]


def test_a_client_opened_by_code_that_runs_once_is_no_leak() -> None:
    assert _findings("redis-open-once") == []
    assert _findings("redis-open-once", project=False) == [
        ("cache.js", 5, "LL003", "warning", "never-released")
    ]
    assert _findings("redis-open-per-request") == [
        ("cache.js", 5, "LL003", "warning", "never-released")
    ]


def test_verdicts_survive_the_link_cache_and_a_damaged_one_is_a_miss() -> None:
    folder = PROJECTS / "pinger-once"
    settings = Settings(root=folder, preview=True, project=True)
    files = discover([folder], settings)
    summaries = {}
    for path in files:
        result = check_path(path, settings, rules_for(settings), summarise=True)
        if result.summary is not None:
            summaries[path] = result.summary
    linked = project_findings(files, summaries, settings, lambda p: (settings, rules_for(settings)))
    assert len(linked.verdicts) == 2
    again = ProjectRun.from_cache(json.loads(json.dumps(linked.to_cache())))
    assert again is not None and again.verdicts == linked.verdicts
    damaged = linked.to_cache()
    damaged["verdicts"][0][6] = "loud"
    assert ProjectRun.from_cache(damaged) is None


def _uses(tmp_path: Path, name: str, code: str) -> list[tuple[str, str, str, bool]]:
    path = tmp_path / name
    path.write_text(code, encoding="utf-8")
    settings = Settings(root=tmp_path, project=True)
    result = check_path(path, settings, rules_for(settings), summarise=True)
    summary = FileSummary.from_dict(result.summary)
    return sorted((u.action, u.specifier, u.imported, u.looped) for u in summary.uses)


def test_the_summary_records_constructions_loops_and_values_handed_on(tmp_path: Path) -> None:
    found = _uses(
        tmp_path,
        "app.js",
        """
const { start, stop, Cache } = require('./pinger');
const lib = require('./lib');
new Cache();
for (const host of hosts) start(host);
app.use(stop);
class Big extends Cache {}
lib.begin();
module.exports = { helper: lib.helper };
""",
    )
    assert found == [
        ("call", "./lib", "begin", False),
        ("call", "./pinger", "start", True),
        ("new", "./pinger", "Cache", False),
        ("pass", "./lib", "helper", False),
        ("pass", "./pinger", "Cache", False),
        ("pass", "./pinger", "stop", False),
    ]


def test_a_module_loaded_inside_a_function_is_a_use_or_handed_on_whole(tmp_path: Path) -> None:
    found = _uses(
        tmp_path,
        "locals.js",
        """
function attach(logger) {
  const { getSBC } = require('./sbc-pinger')(logger);
  const helpers = require('./helpers');
  return [getSBC, helpers];
}
module.exports = attach;
""",
    )
    assert found == [("call", "./sbc-pinger", "default", False), ("pass", "./helpers", "*", False)]


def test_a_factory_call_in_an_export_that_runs_once_is_no_longer_per_call() -> None:
    """The link's own findings follow the once-rate too: LL003's fresh-client factory called
    by an exported function that app.js calls once at start-up — silent; in a loop over
    channels at start-up — one connection per channel, flagged."""
    assert _findings("redis-factory-startup") == []
    assert _findings("redis-factory-startup-loop") == [
        ("events.js", 5, "LL003", "warning", "factory-from-module")
    ]


def test_an_abort_listener_added_by_code_that_runs_once_is_no_leak() -> None:
    assert _findings("abort-listener-once") == []
    assert _findings("abort-listener-once", project=False) == [
        ("poll.js", 3, "LL007", "warning", "abort-never-removed")
    ]
    assert _findings("abort-listener-per-request") == [
        ("poll.js", 3, "LL007", "warning", "abort-never-removed")
    ]


def test_code_once_per_instance_of_a_class_built_once_runs_once(tmp_path: Path) -> None:
    """audiobookshelf: `new MemoryStore()` in `Server.start()` (a lifecycle method: once per
    instance), and `new Server()` once at module level: the store's constructor runs once.
    A per-call method of the same class (`handle()`) proves nothing."""
    summaries = {
        "index.js": FileSummary(uses=(use("./server.js", "default", action=NEW),)),
        "server.js": FileSummary(
            names=("default",),
            uses=(use("./store.js", "default", "once per instance", "new:default", NEW),),
        ),
        "store.js": FileSummary(names=("default",)),
    }
    assert once_of(tmp_path, summaries) == {
        ("server.js", "new:default"),
        ("store.js", "new:default"),
    }
    summaries["server.js"] = FileSummary(
        names=("default",),
        uses=(use("./store.js", "default", "per call", "new:default", NEW),),
    )
    assert once_of(tmp_path, summaries) == {("server.js", "new:default")}


def test_a_use_in_a_lifecycle_method_of_an_exported_class_names_the_class(tmp_path: Path) -> None:
    path = tmp_path / "server.js"
    path.write_text(
        """
const MemoryStore = require('./store');
class Server {
  start() { this.store = new MemoryStore(); }
  handle() { return new MemoryStore(); }
}
module.exports = Server;
""",
        encoding="utf-8",
    )
    settings = Settings(root=tmp_path, project=True)
    summary = FileSummary.from_dict(
        check_path(path, settings, rules_for(settings), summarise=True).summary
    )
    assert sorted((u.rate, u.caller) for u in summary.uses if u.action == NEW) == [
        ("once per instance", "new:default"),
        ("per call", ""),
    ]


def test_a_staged_pinger_gets_the_verdict_of_a_full_run(tmp_path: Path) -> None:
    """pre-commit passes only the staged file: its callers come from the rest of the
    repository, so the note is the same as in a full run."""
    import shutil

    folder = tmp_path / "pinger-once"
    shutil.copytree(PROJECTS / "pinger-once", folder)
    (folder / ".git").mkdir()
    settings = Settings(root=folder, preview=True, project=True)
    staged = [folder / "lib" / "utils" / "sbc-pinger.js"]
    result = run(staged, settings, use_cache=False)
    assert [(f.span.line, f.severity.value, f.message_id) for f in result.findings] == [
        (5, "note", "startup-discarded"),
        (7, "note", "module-stored"),
    ]


def test_a_warm_run_keeps_the_verdicts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The summaries' conditional findings and the link's verdicts come back from the cache."""
    import shutil

    monkeypatch.setenv("LEAKLINT_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "pinger-once"
    shutil.copytree(PROJECTS / "pinger-once", folder)
    settings = Settings(root=folder, preview=True, project=True)
    files = discover([folder], settings)
    cold = run(files, settings, use_cache=True)
    warm = run(files, settings, use_cache=True)
    assert [f.to_dict() for f in warm.findings] == [f.to_dict() for f in cold.findings]
    assert {f.severity.value for f in warm.findings} == {"note"}
    # An edit of the caller's file (now per request) turns them back into warnings.
    (folder / "app.js").write_text(
        "const attachLocals = require('./lib/utils/attach-locals');\n"
        "app.get('/', (req, res) => attachLocals({ locals: {} }, console));\n",
        encoding="utf-8",
    )
    edited = run(files, settings, use_cache=True)
    assert {f.severity.value for f in edited.findings} == {"warning"}


def test_a_module_reexported_by_value_or_as_a_namespace_is_handed_on_whole(
    tmp_path: Path,
) -> None:
    """`module.exports = require('./pinger')` and `export * as pinger from './pinger'`: the
    callers that reach the pinger through them are not followed, so it proves nothing."""
    assert _uses(tmp_path, "index.js", "module.exports = require('./pinger');\n") == [
        ("pass", "./pinger", "*", False)
    ]
    assert _uses(tmp_path, "index.ts", "export * as pinger from './pinger';\n") == [
        ("pass", "./pinger", "*", False)
    ]
    # Bound at module level, a required name is followed where it is used.
    assert _uses(tmp_path, "app.js", "const start = require('./pinger').start;\nstart();\n") == [
        ("call", "./pinger", "start", False)
    ]


def test_a_workspace_package_imported_by_name_proves_nothing(tmp_path: Path) -> None:
    """Mentions of names from bare specifiers are not scanned (npm packages, mostly): the
    summary lists the specifier as unfollowed, and when it is a package of the project its
    exports are never shown to run once."""
    path = tmp_path / "app.js"
    path.write_text("const { start } = require('@acme/pinger');\napp.use(start);\n", "utf-8")
    settings = Settings(root=tmp_path, project=True)
    result = check_path(path, settings, rules_for(settings), summarise=True)
    assert result.summary is not None
    assert FileSummary.from_dict(result.summary).unfollowed == ("@acme/pinger",)
    (tmp_path / "package.json").write_text('{"workspaces": ["packages/*"]}', "utf-8")
    pinger = tmp_path / "packages" / "pinger"
    pinger.mkdir(parents=True)
    (pinger / "package.json").write_text('{"name": "@acme/pinger", "main": "index.js"}', "utf-8")
    summaries = {
        tmp_path / "boot.js": FileSummary(uses=(use("./packages/pinger/index.js", "start"),)),
        pinger / "index.js": FileSummary(names=("start",)),
    }
    for file in summaries:
        file.write_text("", "utf-8")
    alone = ProjectGraph(dict(summaries), lambda p: p.name, Resolver(tmp_path))
    alone.link()
    assert set(alone.once) == {(pinger / "index.js", "start")}
    summaries[path] = FileSummary(unfollowed=("@acme/pinger",))
    project = ProjectGraph(summaries, lambda p: p.name, Resolver(tmp_path))
    project.link()
    assert project.once == {}
