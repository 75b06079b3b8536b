"""The link over the module graph: re-export chains, cycles, propagated frequency."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from leaklint.model.findings import Span
from leaklint.model.project import (
    CALL,
    FACTORY,
    Export,
    FileSummary,
    ReExport,
    Suppressed,
    Use,
)
from leaklint.pipeline.project.graph import ProjectGraph
from leaklint.pipeline.project.resolve import Resolver

SPAN = Span(1, 1, 1, 2)


def call(specifier: str, name: str, rate: str = "per call", caller: str = "") -> Use:
    return Use(
        specifier, name, CALL, SPAN, rate, f"runs {rate}", rate != "once per process", caller=caller
    )


def graph(tmp_path: Path, summaries: dict[str, FileSummary]) -> ProjectGraph:
    for name in summaries:
        (tmp_path / name).write_text("", encoding="utf-8")
    loaded = {tmp_path / name: summary for name, summary in summaries.items()}
    return ProjectGraph(loaded, lambda p: p.name, Resolver(tmp_path))


def test_a_name_is_followed_through_a_chain_of_reexports(tmp_path: Path) -> None:
    project = graph(
        tmp_path,
        {
            "index.js": FileSummary(reexports=(ReExport("*", "./mid.js", "*"),)),
            "mid.js": FileSummary(reexports=(ReExport("make", "./impl.js", "create"),)),
            "impl.js": FileSummary(names=("create",)),
        },
    )
    assert project.definition(tmp_path / "a.js", "./index.js", "make") == (
        tmp_path / "impl.js",
        "create",
    )
    assert project.definition(tmp_path / "a.js", "./index.js", "create") is None


def test_an_export_star_cycle_ends_without_an_answer(tmp_path: Path) -> None:
    project = graph(
        tmp_path,
        {
            "a.js": FileSummary(reexports=(ReExport("*", "./b.js", "*"),)),
            "b.js": FileSummary(reexports=(ReExport("*", "./a.js", "*"),), names=("x",)),
        },
    )
    assert project.definition(tmp_path / "c.js", "./a.js", "missing") is None
    assert project.definition(tmp_path / "c.js", "./a.js", "x") == (tmp_path / "b.js", "x")


def test_per_request_frequency_travels_through_exported_functions(tmp_path: Path) -> None:
    """route (per request) → service.load (callers unknown) → repo.fetch (callers unknown)
    → factory: the factory call in repo runs per request."""
    factory = Export("connect", FACTORY, "pg client", SPAN)
    project = graph(
        tmp_path,
        {
            "route.js": FileSummary(uses=(call("./service.js", "load", "per request"),)),
            "service.js": FileSummary(
                names=("load",), uses=(call("./repo.js", "fetch", caller="load"),)
            ),
            "repo.js": FileSummary(
                names=("fetch",), uses=(call("./db.js", "connect", caller="fetch"),)
            ),
            "db.js": FileSummary(names=("connect",), exports=(factory,)),
        },
    )
    facts = project.link()
    (linked,) = [u for u in facts[tmp_path / "repo.js"].uses if u.export == factory]
    assert linked.rate == "per request"
    assert linked.reason == "runs per request: `fetch()` is called per request from service.js:1"


def test_mutually_calling_modules_reach_a_fixpoint(tmp_path: Path) -> None:
    project = graph(
        tmp_path,
        {
            "route.js": FileSummary(uses=(call("./a.js", "f", "per message"),)),
            "a.js": FileSummary(names=("f",), uses=(call("./b.js", "g", caller="f"),)),
            "b.js": FileSummary(names=("g",), uses=(call("./a.js", "f", caller="g"),)),
        },
    )
    facts = project.link()
    assert [u.rate for u in facts[tmp_path / "a.js"].uses] == ["per message"]
    assert [u.rate for u in facts[tmp_path / "b.js"].uses] == ["per message"]


def test_summaries_survive_the_cache_round_trip() -> None:
    summary = FileSummary(
        names=("connect",),
        exports=(Export("connect", FACTORY, "pg client", SPAN),),
        reexports=(ReExport("*", "./x.js", "*"),),
        uses=(call("./db.js", "connect", caller="fetch"),),
    )
    assert FileSummary.from_dict(summary.to_dict()) == summary


def _as_rows(document: dict) -> dict:
    """``asdict`` of a summary with each record (not directive) as its values in field order
    and each span as [line, column, end line, end column]: what the cache keeps."""
    rows = dict(document)
    for key, records in document.items():
        if key in ("names", "unfollowed", "directives"):
            continue
        rows[key] = tuple(
            [list(v.values()) if isinstance(v, dict) else v for v in record.values()]
            for record in records
        )
    return rows


def test_a_summary_dict_is_what_asdict_makes_of_it() -> None:
    # `to_dict` is written out for speed; it must stay the dataclasses' own shape, with each
    # record as a row (the field names were more than half of the cache's bytes).
    summary = FileSummary(
        names=("connect", "store"),
        exports=(Export("store", "store", "Map", SPAN, "store", True),),
        reexports=(ReExport("pool", "./db.js", "default"),),
        uses=(call("./db.js", "connect", rate="per request", caller="fetch"),),
        directives=(Suppressed(("LL003",), 4, "why", 3, "disable-next-line"), Suppressed((), None)),
    )
    assert summary.to_dict() == _as_rows(asdict(summary))
    assert FileSummary.from_dict(json.loads(json.dumps(summary.to_dict()))) == summary


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kind", 3),
        ("shrunk", "yes"),
        ("span", [0, 1, 1, 2]),
        ("span", [1, 1, 1]),
        ("span", {"line": 1, "column": 1, "end_line": 1, "end_column": 2}),
        ("row", ["store", "store", "Map"]),
        ("row", {"name": "store"}),
    ],
)
def test_a_record_decoded_on_the_fast_path_is_still_checked(field: str, value: object) -> None:
    # A record exactly as `to_dict` writes it is decoded inline; any other shape takes the
    # checks that name what is wrong (the cache is a file anybody can edit).
    from dataclasses import fields

    from leaklint.model.decoding import DecodeError

    summary = FileSummary(exports=(Export("store", "store", "Map", SPAN, "store", True),))
    data = json.loads(json.dumps(summary.to_dict()))
    assert FileSummary.from_dict(data) == summary
    if field == "row":
        data["exports"][0] = value
    else:
        data["exports"][0][[f.name for f in fields(Export)].index(field)] = value
    with pytest.raises(DecodeError):
        FileSummary.from_dict(data)


def test_summarising_starts_no_pass_over_every_identifier(tmp_path: Path, monkeypatch) -> None:
    # Whether a caller closes what it got is read from the bytes of the variable's scope:
    # the whole-file identifier pass (`ctx.references`) would cost most files a query pass.
    from leaklint.model.settings import Settings
    from leaklint.pipeline.engine import check_path, rules_for
    from leaklint.semantic.scope import References

    def no_pass(self: References) -> dict:
        raise AssertionError("the summary ran the identifier pass")

    monkeypatch.setattr(References, "_captures", no_pass)
    source = tmp_path / "users.js"
    # Module-level code: its frequency is known without a look at any other reference.
    source.write_text(
        "const { makeClient } = require('./db');\n"
        "const store = new Map();\n"
        "const client = makeClient();\n"
        "client.quit();\n"
        "store.delete('old');\n"
        "module.exports = { store };\n",
        encoding="utf-8",
    )
    settings = Settings(root=tmp_path, project=True, select=("LL004",))  # no rule here needs it
    summary = FileSummary.from_dict(check_path(source, settings, rules_for(settings)).summary)
    (use,) = summary.uses
    assert (use.imported, use.handled) == ("makeClient", True)
    assert summary.export("store") is not None and summary.export("store").shrunk


def test_methods_kept_in_files_of_their_own_are_summarised(tmp_path: Path) -> None:
    """Gladys' layout (audit 8): `Handler.prototype.start = start` installs another file's
    function as a method; what each method clears and where LL002 reported a stored handle
    travel in the summaries, through the cache's JSON, for the link to join."""
    from leaklint.model.project import Clearing, Method
    from leaklint.model.settings import Settings
    from leaklint.pipeline.engine import check_path, rules_for

    (tmp_path / "index.js").write_text(
        "const { poll } = require('./poll');\n"
        "const stop = require('./stop');\n"
        "function Handler() {}\n"
        "Handler.prototype.poll = poll;\n"
        "Handler.prototype.stop = stop;\n"
        "Handler.prototype.log = console.log;\n"
        "module.exports = Handler;\n",
        encoding="utf-8",
    )
    (tmp_path / "poll.js").write_text(
        "function poll() {\n"
        "  this.reset();\n"
        "  this.timer = setInterval(() => this.tick(), 1000);\n"
        "}\n"
        "module.exports = { poll };\n",
        encoding="utf-8",
    )
    (tmp_path / "stop.js").write_text(
        "module.exports = function stop() { clearInterval(this.timer); clearTimeout(this.t); };\n",
        encoding="utf-8",
    )
    settings = Settings(root=tmp_path, project=True)

    def summary_of(name: str) -> FileSummary:
        data = check_path(tmp_path / name, settings, rules_for(settings)).summary
        summary = FileSummary.from_dict(json.loads(json.dumps(data)))
        assert summary.to_dict() == _as_rows(asdict(summary))
        return summary

    assert summary_of("index.js").methods == (
        Method("Handler", "poll", "./poll", "poll"),
        Method("Handler", "stop", "./stop", "default"),
    )
    assert summary_of("stop.js").clearings == (Clearing("default", "timer,t"),)
    (handle,) = summary_of("poll.js").handles
    assert (handle.rule, handle.export, handle.prop, handle.once) == (
        "LL002",
        "poll",
        "timer",
        False,
    )
    assert (handle.span.line, handle.calls) == (3, "reset,tick")
