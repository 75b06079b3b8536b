"""`analysis.frequency`: the kind of reason (`Why`) and the one place its text comes from."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from leaklint.analysis.frequency import REASON_TEXTS, Rate, Why, how_often
from leaklint.model.settings import Settings
from leaklint.semantic.context import FileContext
from leaklint.syntax.parsing import parse
from leaklint.syntax.source import SourceFile


def _frequency_at(code: str, marker: str, name: str = "app.js"):
    data = textwrap.dedent(code).encode()
    source = SourceFile.from_bytes(Path(name), data)
    ctx = FileContext(source, parse(source.data, source.language), Settings(root=Path.cwd()))
    ctx.plan_queries([])  # the analysis runs its own query pass
    start = source.data.index(marker.encode())
    node = ctx.tree.root_node.named_descendant_for_byte_range(start, start + len(marker))
    assert node is not None
    return how_often(ctx, node)


CASES = [
    ("setInterval(tick, 10);", "tick", Why.MODULE, "runs once, at module level"),
    (
        "function main() { work(); }\nmain();",
        "work()",
        Why.START_UP,
        "runs once: start-up code called once from module level",
    ),
    (
        "export function bootstrap() { work(); }",
        "work()",
        Why.START_UP,
        "runs once: `bootstrap()` is start-up code",
    ),
    (
        "let io;\nfunction get() { if (!io) { io = make(); work(); } return io; }\nget(); get();",
        "work()",
        Why.LAZY_INIT,
        "runs once: guarded by 'io'",
    ),
    (
        "class A { poll() { if (this.timer) return; this.timer = go(); } }",
        "go()",
        Why.ONCE_GUARD,
        "runs once per instance: guarded by 'this.timer'",
    ),
    ("class A { constructor() { work(); } }", "work()", Why.INSTANCE, "runs once per instance"),
    (
        "class A { start() { work(); } }",
        "work()",
        Why.INSTANCE_START_UP,
        "runs once per instance: `start()` is a start-up or lifecycle method",
    ),
    (
        "class A { constructor() { work(); } }\nconst a = new A();",
        "work()",
        Why.START_UP,
        "runs once: this file builds its one 'A' at start-up",
    ),
    (
        "class A { async stop() { await work(); } }",
        "work()",
        Why.INSTANCE_END,
        "runs once per instance, as it ends: `stop()` is a teardown method",
    ),
    # Named like a teardown, but a per-item operation: callers unknown.
    ("class A { stopShare(n) { work(n); } }", "work(n)", Why.CALLERS_UNKNOWN, "runs on every call"),
    (
        "io.on('connection', (socket) => { work(socket); });",
        "work(socket)",
        Why.HANDLER,
        "runs per connection: registered by `io.on('connection')` on line 1",
    ),
    (
        "setInterval(() => { work(); }, 10);",
        "work()",
        Why.TICK,
        "runs on every timer tick",
    ),
    ("export function f() { work(); }", "work()", Why.CALLERS_UNKNOWN, "runs on every call"),
    # discord.js's enum member for 'ready': once per login, like the string.
    (
        "client.on(Events.ClientReady, () => { work(); });",
        "work()",
        Why.MODULE,
        "runs once, at module level",
    ),
    (
        "function registerJobs() { work(); }\nclient.on(Events.ClientReady, () => registerJobs());",
        "work()",
        Why.START_UP,
        "runs once: start-up code called once from module level",
    ),
    (
        "function jobs() { work(); }\nclient.once('ready', async () => { await jobs(); });",
        "work()",
        Why.START_UP,
        "runs once: start-up code called once from module level",
    ),
]


@pytest.mark.parametrize(("code", "marker", "why", "reason"), CASES)
def test_each_kind_of_reason_and_its_text(code: str, marker: str, why: Why, reason: str) -> None:
    frequency = _frequency_at(code, marker)
    assert frequency.why is why
    assert frequency.reason == reason


def test_an_effect_callback_runs_per_effect_run() -> None:
    code = "import { useEffect } from 'react';\nuseEffect(() => { work(); }, [a]);"
    frequency = _frequency_at(code, "work()", name="app.jsx")
    assert (frequency.why, frequency.rate) == (Why.EFFECT, Rate.PER_EFFECT)
    assert frequency.reason == "runs on every effect run"


def test_a_helper_its_declaring_code_calls_once_runs_as_often_as_that_code() -> None:
    effect = (
        "import { useEffect } from 'react';\n"
        "useEffect(() => { function listen() { work(); } listen(); }, [a]);"
    )
    frequency = _frequency_at(effect, "work()", name="app.jsx")
    assert (frequency.why, frequency.rate) == (Why.EFFECT, Rate.PER_EFFECT)
    constructor = "class A { constructor() { const start = () => { work(); }; start(); } }"
    assert _frequency_at(constructor, "work()").why is Why.INSTANCE
    # Called in a loop, twice, or handed on: the helper's own callers stay unknown.
    for code in (
        "class A { constructor() { function go() { work(); } for (;;) go(); } }",
        "class A { constructor() { function go() { work(); } go(); go(); } }",
        "class A { constructor(e) { function go() { work(); } e.on('x', go); } }",
    ):
        assert _frequency_at(code, "work()").why is Why.CALLERS_UNKNOWN, code


def test_the_module_of_a_one_shot_event_runs_once() -> None:
    code = "module.exports = async (client) => { work(); };"
    ready = _frequency_at(code, "work()", name="src/events/client/ready.js")
    assert (ready.why, ready.rate) == (Why.START_UP, Rate.ONCE)
    assert ready.reason == "runs once: the handler of the one-shot 'ready' event"
    for name in ("src/events/messageCreate.js", "src/commands/ready.js"):
        assert _frequency_at(code, "work()", name=name).why is Why.CALLERS_UNKNOWN, name


def test_every_kind_of_reason_has_a_text() -> None:
    assert {why for why, _ in REASON_TEXTS} == set(Why)


def test_a_this_guard_another_method_resets_is_a_lock_not_once() -> None:
    # nocobase's AppSupervisor: `unregister()` sets the timer field to null without clearing it,
    # so the next `heartbeat()` starts another timer; the constructor's initial value is no reset.
    guarded = "if (this.timer) return; this.timer = go();"
    reset = f"class A {{ poll() {{ {guarded} }} stop() {{ this.timer = null; }} }}"
    initialised = f"class A {{ constructor() {{ this.timer = null; }} poll() {{ {guarded} }} }}"
    assert _frequency_at(reset, "go()").why is Why.CALLERS_UNKNOWN
    assert _frequency_at(initialised, "go()").why is Why.ONCE_GUARD


@pytest.mark.parametrize("method", ["on", "addListener", "prependListener"])
def test_every_listening_method_registers_a_per_connection_handler(method: str) -> None:
    # One vocabulary of listener calls (`analysis.listeners`): `prependListener` was missing
    # from the per-call registrations while LL007 counted it as adding a listener.
    frequency = _frequency_at(
        f"server.{method}('connection', (socket) => {{ work(socket); }});", "work(socket)"
    )
    assert frequency.why is Why.HANDLER
    assert frequency.rate is Rate.PER_CONNECTION


@pytest.mark.parametrize("method", ["on", "addListener", "prependListener"])
def test_a_one_shot_event_runs_once_whichever_method_adds_its_listener(method: str) -> None:
    frequency = _frequency_at(f"client.{method}('ready', () => {{ work(); }});", "work()")
    assert frequency.rate is Rate.ONCE


def test_a_this_guard_reset_in_a_callback_of_another_method_counts() -> None:
    guarded = "if (this.timer) return; this.timer = go();"
    callback = "later(() => { this.timer = null; });"
    reset = f"class A {{ poll() {{ {guarded} }} stop() {{ {callback} }} }}"
    other = f"class A {{ poll() {{ {guarded} }} stop() {{ this.other = null; }} }}"
    assert _frequency_at(reset, "go()").why is Why.CALLERS_UNKNOWN
    assert _frequency_at(other, "go()").why is Why.ONCE_GUARD


def test_a_class_is_searched_for_guard_resets_once_per_file(monkeypatch) -> None:
    # Every node of a guarded method asks whether another method resets the guard; walking the
    # whole class for each question made a large class quadratic (30 ms a question).
    from leaklint.analysis import frequency

    walks: list[int] = []
    real = frequency._this_assigned_by
    monkeypatch.setattr(
        frequency,
        "_this_assigned_by",
        lambda body, language: walks.append(1) or real(body, language),
    )
    calls = " ".join(f"go{i}();" for i in range(20))
    code = f"class A {{ poll() {{ if (this.t) return; this.t = 1; {calls} }} stop() {{ x(); }} }}"
    data = code.encode()
    source = SourceFile.from_bytes(Path("app.js"), data)
    ctx = FileContext(source, parse(source.data, source.language), Settings(root=Path.cwd()))
    ctx.plan_queries([])
    for i in range(20):
        start = data.index(f"go{i}()".encode())
        node = ctx.tree.root_node.named_descendant_for_byte_range(start, start + 3)
        assert how_often(ctx, node).why is Why.ONCE_GUARD
    assert len(walks) == 1


def test_the_per_call_filter_answers_as_its_alternations_did_and_scans_by_literal() -> None:
    import re

    from leaklint.analysis import percall

    exports = re.compile(rb"(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|getServerSideProps)\b")
    events = re.compile(
        rb"(?:request|connection|message|upgrade|messageCreate|interactionCreate)['\"`]"
    )
    words = (*percall._EXPORTED_HANDLERS, *percall._EVENT_WORDS)
    split = [p for p in percall._OTHER_SIGNS if p.pattern.startswith(words)]
    assert len(split) == len(words)
    samples = [
        b"export async function GET() {}",
        b"export const POSTAL = 1",
        b"export async function getServerSideProps() {}",
        b"server.on('request', handle)",
        b'io.on("connection", onConnect)',
        b"client.on(`messageCreate`, m)",
        b"client.on('interactionCreate', i)",
        b"ws.on('messages', m)",
        b"const upgraded = 'x'",
        b"",
    ]
    for data in samples:
        expected = bool(exports.search(data) or events.search(data))
        assert any(p.search(data) for p in split) == expected, data
    # Each starts with its word, a literal: a leading alternation makes `re` test every byte.
    assert all(p.pattern[:1].isalpha() for p in split)


def test_the_call_a_per_request_reason_names_is_the_first_in_the_file() -> None:
    # A query cursor's captures come out of source order where matches nest, and the order
    # moved with the process's memory layout: "which calls it on line N" named 218, 241 or
    # 265 of one saltcorn route from run to run. The first call in the file is named.
    code = """
    function helper(n) { return work(n); }
    app.get('/x', (req, res) => {
      if (a) { helper(1); } else if (b) { helper(2); } else if (c) { helper(3); }
      res.send({ a: helper(5), b: { c: helper(6), d: [helper(7), { e: helper(8) }] } });
    });
    """
    frequency = _frequency_at(code, "work(n)")
    assert frequency.reason.endswith("which calls it on line 4")
    from leaklint.analysis import percall

    data = textwrap.dedent(code).encode()
    source = SourceFile.from_bytes(Path("app.js"), data)
    ctx = FileContext(source, parse(source.data, source.language), Settings(root=Path.cwd()))
    ctx.plan_queries([])
    percall._handlers(ctx)
    refs = percall._identifiers_in_handlers(ctx)[b"helper"]
    assert [r.start_byte for r in refs] == sorted(r.start_byte for r in refs)


def test_a_start_method_its_class_runs_again_from_a_callback_is_not_once_per_instance() -> None:
    # crypto-trading-bot's BitMEX adapter (audit 9): `start()` is re-run ten seconds after the
    # socket ends, so what it starts, it starts once per reconnect.
    rerun = """\
        class Bitmex {
          start(url) {
            const me = this;
            connect(url).on('end', () => setTimeout(() => me.start(url), 10000));
            work();
          }
        }
        """
    frequency = _frequency_at(rerun, "work()")
    assert (frequency.why, frequency.rate) == (Why.CALLERS_UNKNOWN, Rate.PER_CALL)
    # Re-run with `this` from another method whose callers are unknown (`restart()`): the same.
    restart = "class A { start() { work(); } restart() { this.start(); } }"
    assert _frequency_at(restart, "work()").why is Why.CALLERS_UNKNOWN
    # Called again only from once-running code, or another object's start(): once per instance.
    for once in (
        "class A { constructor() { this.start(); } start() { work(); } }",
        "class A { start() { work(); bus.on('end', () => other.start()); } }",
    ):
        assert _frequency_at(once, "work()").why is Why.INSTANCE_START_UP, once


def test_a_trpc_resolver_runs_per_request_by_its_builder_chain() -> None:
    # unkey's dashboard: `workspaceProcedure.input(schema).query(async ({ ctx, input }) => …)`.
    chained = (
        "import { workspaceProcedure } from '../trpc';\n"
        "export const fetch = workspaceProcedure\n"
        "  .input(schema)\n"
        "  .query(async ({ ctx, input }) => { work(input); });"
    )
    frequency = _frequency_at(chained, "work(input)", name="fetch.ts")
    assert (frequency.why, frequency.rate) == (Why.HANDLER, Rate.PER_REQUEST)
    assert frequency.reason == (
        "runs per request: the tRPC procedure `workspaceProcedure.….query()` on line 2"
    )
    direct = "export const ping = t.procedure.mutation(() => { work(); });"
    assert _frequency_at(direct, "work()", name="ping.ts").reason == (
        "runs per request: the tRPC procedure `t.procedure.mutation()` on line 1"
    )
    generator = "const watch = publicProcedure.subscription(async function* () { work(); });"
    assert _frequency_at(generator, "work()", name="log.ts").rate is Rate.PER_REQUEST
    # The same method on a builder of another name, or with more than the one resolver
    # argument, is a query builder of some other library: its callers stay unknown.
    for code in (
        "export function load(knex) { return knex.query((qb) => { work(); }); }",
        "export function load(db) { return db.query(sql, (err, rows) => { work(); }); }",
        "export function load(m) { return m.find().query(() => { work(); }); }",
        "export function load() { return $('#a').query(function () { work(); }); }",
    ):
        assert _frequency_at(code, "work()", name="db.ts").why is Why.CALLERS_UNKNOWN, code


def test_a_discord_handler_is_known_by_its_parameters_discord_js_type() -> None:
    # KevinNovak's template: `execute(intr: ChatInputCommandInteraction, data)`.
    typed = (
        "import { ChatInputCommandInteraction } from 'discord.js';\n"
        "export class Help { async execute(intr: ChatInputCommandInteraction, data) {"
        " work(intr); } }"
    )
    frequency = _frequency_at(typed, "work(intr)", name="help.ts")
    assert (frequency.why, frequency.rate) == (Why.HANDLER, Rate.PER_MESSAGE)
    assert frequency.reason == (
        "runs per message: the Discord handler `execute()`, which takes a discord.js"
        " `ChatInputCommandInteraction`"
    )
    for code in (
        "import type { Message } from 'discord.js';\n"
        "class H { process(msg: Message<true> | PartialMessage) { work(msg); } }",
        "import * as Discord from 'discord.js';\n"
        "class H { process(b: Discord.ButtonInteraction) { work(b); } }",
    ):
        assert _frequency_at(code, "work(", name="h.ts").rate is Rate.PER_MESSAGE, code
    # A `Message` of another library, a local `…Interaction` type, and discord.js's type as a
    # type argument only (a collection of messages) are no sign of a handler.
    for code in (
        "import { Message } from 'telegraf/types'; // no discord here\n"
        "export function process(msg: Message) { work(msg); }",
        "import { Client } from 'discord.js';\ninterface ModalInteraction { id: string }\n"
        "export function process(m: ModalInteraction) { work(m); }",
        "import { Collection, Message } from 'discord.js';\n"
        "export function process(all: Collection<string, Message>) { work(all); }",
    ):
        assert _frequency_at(code, "work(", name="h.ts").why is Why.CALLERS_UNKNOWN, code


def test_a_command_destructuring_its_interaction_runs_per_message() -> None:
    # Music-bot: `async execute({ inter, client })`, called by its loader per interaction.
    code = (
        "const { EmbedBuilder } = require('discord.js');\n"
        "module.exports = { name: 'resume', async execute({ inter, client }) { work(inter); } };"
    )
    frequency = _frequency_at(code, "work(inter)", name="resume.js")
    assert (frequency.why, frequency.rate) == (Why.HANDLER, Rate.PER_MESSAGE)
    assert frequency.reason == "runs per message: the Discord command handler `execute()`"
    arrow = (
        "require('discord.js');\n"
        "module.exports = { run: async ({ inter, client }) => { work(); } };"
    )
    assert _frequency_at(arrow, "work()", name="ping.js").rate is Rate.PER_MESSAGE
    # Not a command's entry point, or a file that does not name Discord: callers unknown.
    for code, name in (
        ("require('discord.js');\nmodule.exports = { render({ inter }) { work(); } };", "a.js"),
        ("module.exports = { execute({ inter }) { work(); } };", "b.js"),
    ):
        assert _frequency_at(code, "work()", name=name).why is Why.CALLERS_UNKNOWN, code


def test_ws_verify_client_runs_per_connection() -> None:
    # tiledesk-server: ws calls the `verifyClient` option for every upgrade request.
    code = (
        "const wss = new WebSocket.Server({\n"
        "  server,\n"
        "  verifyClient: function (info, cb) { work(info); cb(true); },\n"
        "});"
    )
    frequency = _frequency_at(code, "work(info)")
    assert (frequency.why, frequency.rate) == (Why.HANDLER, Rate.PER_CONNECTION)
    assert frequency.reason == (
        "runs per connection: ws's `verifyClient` option on line 3 "
        "(called for every upgrade request)"
    )
    method = "new WebSocketServer({ noServer: true, verifyClient(info) { work(info); } });"
    assert _frequency_at(method, "work(info)").rate is Rate.PER_CONNECTION
    # Not given to a constructor, or nested deeper than its options: callers unknown.
    for code in (
        "module.exports = { verifyClient(info) { work(info); } };",
        "configure({ verifyClient: (info) => { work(info); } });",
        "new Server({ hooks: { verifyClient(info) { work(info); } } });",
    ):
        assert _frequency_at(code, "work(info)").why is Why.CALLERS_UNKNOWN, code


def test_an_angular_init_hook_runs_once_per_view_not_once_per_instance_start() -> None:
    """Angular builds a component each time its view is shown: `ngOnInit` is no start-up code
    (YoutubeDL-Material's update dialog, audit 10); a class without the decorator keeps the
    lifecycle reading."""
    component = """
        import { Component } from '@angular/core';
        @Component({ selector: 'app-dialog' })
        export class Dialog { ngOnInit() { work(); } }
    """
    frequency = _frequency_at(component, "work()", "dialog.component.ts")
    assert (frequency.why, frequency.rate) == (Why.VIEW, Rate.PER_INSTANCE)
    assert frequency.reason == (
        "runs once per view: `ngOnInit()` of the Angular component `Dialog` runs each time "
        "Angular creates it"
    )
    plain = "export class Dialog { ngOnInit() { work(); } }"
    assert _frequency_at(plain, "work()", "dialog.ts").why is Why.INSTANCE_START_UP


@pytest.mark.parametrize(
    "registration",
    [
        "client.on(Events.MessageCreate, () => registerJobs());",
        "client.on(Events.ShardReady, () => registerJobs());",  # again per reconnecting shard
        "client.on('message', () => registerJobs());",
    ],
)
def test_a_helper_called_from_a_repeating_event_is_not_start_up(registration: str) -> None:
    frequency = _frequency_at(f"function registerJobs() {{ work(); }}\n{registration}", "work()")
    assert frequency.rate is not Rate.ONCE


def test_a_react_class_components_mount_hook_runs_per_view() -> None:
    code = """
        import React from 'react';
        class Card extends React.Component {
          componentDidMount() { window.addEventListener('resize', this.onResize); }
        }
        class Plain {
          componentDidMount() { window.addEventListener('online', this.onOnline); }
        }
    """
    react = _frequency_at(code, "window.addEventListener('resize'", "card.jsx")
    assert (react.rate, react.why) == (Rate.PER_INSTANCE, Why.VIEW)
    assert react.reason == (
        "runs once per view: `componentDidMount()` of the React component `Card` runs each "
        "time React mounts it"
    )
    plain = _frequency_at(code, "window.addEventListener('online'", "card.jsx")
    assert plain.why is not Why.VIEW  # not a React component: a class of the file's own
