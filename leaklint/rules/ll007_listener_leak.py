"""## What it does
Flags `on`/`addListener`/`prependListener`/`addEventListener` called, in code that runs per
request, per connection, per job or per React effect, on an emitter that outlives that code —
`process` (and `process.stdin`…), a module-level emitter, client or server, an imported
singleton, or a connection checked out of a pool (`const client = await pool.connect()`,
`pool.getConnection((err, connection) => …)` on a pg or mysql pool of the file), which the pool
hands out again and again (there `once()` counts too: a pooled connection's `'error'` or `'end'`
may never come, and a connection destroyed instead of given back — pg's `release(true)`,
`destroy()`, `end()` — takes its listeners with it), or a parameter listened to for an event
only a Discord bot's client emits (`client.on('interactionCreate', …)` in a command's
`run(client, message, args)`: the bot's one client) — when the file never removes that
listener (`off`, `removeListener`, `removeEventListener`, `removeAllListeners` on the same
emitter for the same event) and the call passes neither `{ once: true }` nor `{ signal }`. A
call whose result is kept in a variable (`const sub = AppState.addEventListener(…)`, removed
with `sub.remove()`, as React Native and many SDKs do) is not reported.

Whatever else the file knows of an emitter, it outlives every event it emits: a handler of
`server.on('connection', …)` that adds a listener to `server` itself (or, in a `function`
listener, to `this`, which Node sets to the emitter) adds one more per connection; and a
function that listens on an emitter with itself, or with a listener that calls it (a
reconnect handler doing `conn.on('disconnected', connect)` inside `connect()`), runs again on
every such event and adds all its listeners to that emitter once more each time; so does a
function that calls itself again after listening (a start-up that retries itself: `catch {
await sleep(10000); return startPoll(); }` after `config.on('change', …)`), unless the emitter
is one each run makes or is given, or the retry can only follow a failure that came before
the listener was added.

Also flags `signal.addEventListener('abort', fn)` in any function that runs more than once,
on an `AbortSignal` that can outlive the call: one the caller passed in (a `signal` parameter,
`options.signal`, or a `const` taken from one) or a module-level controller's `signal` — again
unless the file removes that listener from that signal or the call passes `{ once: true }` or
`{ signal }`. A signal made in the call (`new AbortController()` there), a request's own
(`req.signal`) or that of a controller the caller made for this one call
(`abortController.signal`, also when taken from an options parameter: `const { abortController }
= opts`) dies with it and is not reported; nor is a method's signal when
every caller is in its class and passes a fresh one (`const { signal } = await
this.prepare()`, a method that returns a `new AbortController()`'s), nor test code. This case
is in preview: it reports only with `--preview`.

The event may be a literal or a constant that names it (`window.addEventListener(
ABORT_STREAM_EVENT, fn)`); a constant's value is unknown, so a removal of the same listener
from the same emitter counts whatever its event.

Emitters are identified through scopes and imports, not names: listeners on per-call objects
(`req`, `res`, `socket`, a local `new EventEmitter()`, `this`) are fine, and so is a user
class's own `.on()` that is not an emitter.

Code that runs per request is recognised by the conventions of server code: a handler
parameter (`req`, `res`, `ctx`, `reply`, `socket`, `ws`, `job`), a callback registered as a
route (`app.get(path, fn)`) or for a per-connection/per-message event
(`server.on('connection', fn)`), a function one of those calls, or a React `useEffect`
callback. A function that runs once at startup (`main()`, `init()`, a plugin's setup) adding a
`process.on('SIGTERM')` handler is normal and not flagged.

In a run over a project, a finding on an emitter that another module creates and exports
(`module.exports = { bus }` with `new EventEmitter()`) also points at that creation. And a
call, in code that runs per request or in a React effect, of another module's function that
adds a listener to that module's own emitter and never removes it (`subscribe(fn)` doing
`bus.on('price', fn)`, no unsubscribe returned, no `off`/`removeListener` in that module) is
reported at the call: the effect's cleanup has nothing to call.

## Why is this bad?
An emitter keeps a strong reference to every listener, and each listener keeps its closure —
the request, the response, the socket, whatever it captured. Added once per request to an
emitter that lives for the whole process, listeners pile up until the process runs out of
memory; Node prints `MaxListenersExceededWarning: Possible EventEmitter memory leak detected`
after the eleventh. Every event then also runs every stale listener.

A caller's `AbortSignal` is often one per process or per long job, handed to every call
(undici, Node's own streams and many SDKs have had this bug): an 'abort' listener added per call
and never removed stays until the signal aborts, which may be never.

An inline arrow function passed to `on()` can never be removed: nothing else holds a
reference to it.

## Example
```js
app.get('/stream', (req, res) => {
  process.on('SIGTERM', () => res.end()); // one more listener per request
  stream(res);
});
```

## Use instead
```js
app.get('/stream', (req, res) => {
  const onTerm = () => res.end();
  process.once('SIGTERM', onTerm);
  res.on('close', () => process.off('SIGTERM', onTerm));
  stream(res);
});
```
Or pass an `AbortSignal`: `target.addEventListener('message', onMessage, { signal })`, and
abort it when the request ends. In React, return a cleanup from the effect that removes the
listener.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from leaklint.analysis.callers import if_runs_once
from leaklint.analysis.decorators import may_have_view_hooks
from leaklint.analysis.flow import ANY, destination, listener_this, same_value, value_identity
from leaklint.analysis.frequency import FREQUENCY_ANALYSES, Rate, Why, how_often
from leaklint.analysis.listeners import (
    LISTENING,
    ONE_SHOT_EMITTER_METHODS,
    PERSISTENT_LISTENING,
    REMOVING,
    query_alternatives,
)
from leaklint.analysis.nodes import (
    FUNCTION_NODES,
    TRANSPARENT,
    call_arguments,
    class_method,
    contains,
    effective_function,
    first_named,
    function_name,
    identifiers_in,
    literal_key,
    member_property,
    text,
    this_method,
)
from leaklint.analysis.percall import (
    may_run_per_call,
)
from leaklint.analysis.resources import RESOURCE_ANALYSES, holds_pool_checkout
from leaklint.analysis.throws import can_throw_after
from leaklint.model.findings import Fix, Related
from leaklint.model.project import (
    CALL,
    EMITTER,
    LISTEN,
    SUBSCRIBER,
    Linked,
    ProjectFacts,
    ProjectReport,
)
from leaklint.model.settings import Settings
from leaklint.rules._base import Rule
from leaklint.semantic.context import FileContext
from leaklint.semantic.imports import GLOBAL, Symbol
from leaklint.semantic.scope import Binding, own_returns, references_to

LISTENER_CALLS = """
(call_expression
  function: (member_expression object: (_) @emitter property: (property_identifier) @method)
  (#any-of? @method {methods})) @call
""".replace("{methods}", query_alternatives(LISTENING | REMOVING))
ADDING = PERSISTENT_LISTENING
# A once() listener stays until its event fires: on a pooled connection, whose 'error' or 'end'
# may never come while the pool lends it out again, it piles up like any other.
ADDING_ONCE = ONE_SHOT_EMITTER_METHODS
# Globals that live as long as the process (or the page).
LONG_LIVED_GLOBALS = frozenset({"process", "window", "document"})
# Events only a Discord bot's client emits (discord.js, Eris): the emitter a command handler is
# handed under any name is the bot's one client (one per shard), which lives for the process.
DISCORD_CLIENT_EVENTS = frozenset(
    {
        "interactionCreate",
        "messageCreate",
        "messageUpdate",
        "messageDelete",
        "messageReactionAdd",
        "messageReactionRemove",
        "voiceStateUpdate",
        "guildMemberAdd",
        "guildMemberRemove",
        "guildMemberUpdate",
    }
)


@dataclass(frozen=True)
class Removal:
    """`emitter.off(event, listener)`, `removeListener`, `removeAllListeners([event])`."""

    emitter: tuple[object, ...]
    event: str | None  # None: every event, or one this file cannot read
    listener: tuple[object, ...] | None  # flow identity; ANY for removeAllListeners

    def removes(
        self, emitter: tuple[object, ...], event: str | None, listener: tuple[object, ...] | None
    ) -> bool:
        """Whether this removal takes away the listener added with these: the same emitter,
        the same event (or every event), and the same function (or every listener) — a
        removal of a *different* function (`on('x', () => …)` then `off('x', other)`)
        removes nothing."""
        if self.emitter != emitter:
            return False
        if self.event is not None and event is not None and self.event != event:
            return False
        return same_value(self.listener, listener)


@dataclass(frozen=True)
class Emitter:
    key: tuple[object, ...]  # what removals are matched against
    label: str  # how the message names it
    pooled: bool = False  # a connection a pool lends out again and again
    # The event of the emitter's own that runs the listening code (`server.on('connection')`
    # around `server.on('close', …)`): the emitter outlives every one of those events.
    registrar_event: str | None = None
    # The `emitter.on(event, …)` by which the listening function runs again on the emitter's
    # every such event (`connect()` doing `conn.on('disconnected', connect)`).
    reentered_by: Node | None = None
    # The call by which the listening function runs itself again after listening (a start-up
    # that retries itself: `catch { await sleep(10000); return startPoll(); }`).
    recalled_by: Node | None = None


class ListenerLeak(Rule):
    code = "LL007"
    name = "listener-leak"
    summary = "A listener added per request to a long-lived emitter and never removed."
    # Fresh audits 8-11, untuned: 16 of 22 right (eleventh: 12 of 17, its wrong and debatable
    # ones browser code; docs/rules-corpus.md): not "high" on applications.
    precision = "medium"
    tags = ("memory-leak", "events")
    triggers = (b".on(", b"addListener(", b"prependListener(", b"addEventListener(")
    query = LISTENER_CALLS
    # Handlers (per request), and where pools come from (a checkout is a long-lived emitter).
    analyses = (*FREQUENCY_ANALYSES, *RESOURCE_ANALYSES)
    messages = {
        # A related location the project link adds in the module that creates the emitter.
        "note-emitter-created": (
            "'{emitter}' is created here, once per process, and shared by every module that "
            "imports it"
        ),
        "never-removed": (
            "{per_call} adds {what} to {emitter}, which lives as long as the process, and this "
            "file never removes it: the listeners and everything their closures hold pile "
            "up{warning}. Remove it when the work ends (off/removeListener), or use once() or a "
            "{{ signal }} option.{inline}"
        ),
        "registrar-never-removed": (
            "{per_call} adds {what} to {emitter}, the emitter whose '{event}' events run this "
            "code, so it outlives every one of them, and this file never removes it: one more "
            "with every {unit}, and everything their closures hold, piles up{warning}. Add it "
            "once, outside the handler, or remove it when the {unit} ends "
            "(off/removeListener).{inline}"
        ),
        "reentered-never-removed": (
            "'{function}' listens for '{event}' on {emitter} with {listener} (line {line}), so "
            "it can run again on every '{event}' event, and every run adds {what} to {emitter} "
            "once more, which this file never removes: the listeners, and everything their "
            "closures hold, pile up{warning}, and each event runs them all. Add the listeners "
            "once, outside '{function}', or remove them before it listens again.{inline}"
        ),
        "recalled-never-removed": (
            "'{function}' calls itself again (line {line}) after it adds {what} to {emitter}, "
            "and this file never removes it: every run adds one more, and the listeners, and "
            "everything their closures hold, pile up{warning}, and each event runs them all. "
            "Add the listener once, outside '{function}', or remove it before '{function}' "
            "runs again.{inline}"
        ),
        "reentering-itself": "itself",
        "reentering-caller": "a listener that calls it",
        "pooled-never-removed": (
            "{per_call} adds {what} to {emitter}, which the pool lends out again after every "
            "release, and this file never removes it: the listeners and everything their "
            "closures hold pile up{warning}. Remove it before the connection goes back "
            "(removeListener next to release()).{inline}"
        ),
        # Parts of the two messages above. {warning}: Node's emitters only (browsers' event
        # targets have no listener limit); {inline}: when the handler is an inline function.
        "max-listeners-warning": " (Node warns with MaxListenersExceededWarning after 10)",
        "inline-handler": (
            " The handler is an inline function, so it cannot even be removed later: keep it in "
            "a variable."
        ),
        "event-listener": "{article} '{event}' listener",
        "any-listener": "a listener",
        "reason-handler": "A {unit} handler",
        "reason-per-request": "'{function}', which runs per {unit},",
        "reason-called-from-handler": "'{function}', called from a {unit} handler,",
        "reason-effect": "This useEffect callback, which runs on every mount,",
        "reason-view": "{hook}, which runs for every view of it,",
        "emitter-global": "'{emitter}'",
        "emitter-imported": "'{emitter}' (imported from '{module}')",
        "emitter-module-level": "the module-level '{emitter}'",
        "emitter-pooled": "the pooled connection '{emitter}'",
        "emitter-discord-client": "'{emitter}', the bot's Discord client",
        "abort-never-removed": (
            "This adds an 'abort' listener to '{signal}', {owner}, and never removes it: a "
            "signal that is passed to many calls and does not abort keeps every call's "
            "listener and everything its closure holds (Node warns with "
            "MaxListenersExceededWarning after 10). Remove it when the work ends "
            "(removeEventListener in finally), or pass {{ once: true }}.{inline}"
        ),
        "signal-from-caller": "a signal the caller passed in, which may outlive this call",
        "signal-module-level": "a module-level signal, shared by every call",
        # Found by the project-wide link (`check_project`).
        "subscriber-from-module": (
            "'{callee}()' from '{module}' adds a listener to the module-level emitter "
            "'{emitter}' there, which nothing in that module ever removes, and this code "
            "{reason}: one more listener, and everything its closure holds, with every request "
            "(Node warns with MaxListenersExceededWarning after 10). Subscribe once at start-up, "
            "or have '{callee}()' return an unsubscribe function and call it when the request "
            "ends."
        ),
        "subscriber-from-module-effect": (
            "'{callee}()' from '{module}' adds a listener to the module-level emitter "
            "'{emitter}' there, which nothing in that module ever removes, and this code "
            "{reason} (each mount, and each change of its dependencies): one more listener, "
            "and everything its closure holds, every time. Subscribe once at start-up, or have "
            "'{callee}()' return an unsubscribe function and return that from the effect as "
            "its cleanup."
        ),
        "note-subscriber-adds": (
            "the listener is added to '{emitter}' here, on every call of '{callee}()'"
        ),
    }

    @classmethod
    def applies_to(cls, data: bytes, settings: Settings | None = None) -> bool:
        # Only code that runs per request (or per React mount) is reported, so a file with no
        # handler of any kind cannot have a finding: skip it before the query pass.
        if not super().applies_to(data, settings):
            return False
        # 'abort' listeners on a caller's signal leak in any function, handler or not; so do
        # the listeners of a function that listens with itself (``_reentering_emitter``).
        if may_run_per_call(data) or b"'abort'" in data or b'"abort"' in data:
            return True
        if may_have_view_hooks(data):
            return True  # a component's init or mount hook runs for every view of it
        return _may_reenter(data)

    def check_project(self, facts: ProjectFacts) -> Iterator[ProjectReport]:
        """A function of another module that adds a listener to that module's emitter and
        never removes it, called here by code that runs per request or per React effect run
        (the two kinds of code ``check`` judges a listener of this file in)."""
        for linked in facts.uses:
            export, use = linked.export, linked.use
            if export is None or export.kind != SUBSCRIBER or use.action != CALL:
                continue
            # An effect's cleanup cannot help: the export returns nothing that removes it.
            effect = linked.rate == Rate.PER_EFFECT.value
            if not linked.per_request and not effect:
                continue
            fields = {"callee": use.imported, "module": linked.path, "emitter": export.store}
            message_id = "subscriber-from-module-effect" if effect else "subscriber-from-module"
            message = self.msg(message_id, **fields, reason=linked.reason)
            note = self.msg("note-subscriber-adds", **fields).text
            yield ProjectReport(linked, message, (Related(export.span, note, linked.path),))

    def project_notes(self, facts: ProjectFacts) -> Iterator[tuple[Linked, Related]]:
        """Where an emitter that another module exports is created, for the findings on it."""
        for linked in facts.uses:
            export = linked.export
            if export is None or export.kind != EMITTER or linked.use.action != LISTEN:
                continue
            note = self.msg("note-emitter-created", emitter=linked.use.imported).text
            yield linked, Related(export.span, note, linked.path)

    def check(self, ctx: FileContext) -> None:
        adds: list[tuple[Node, Node, str]] = []
        # Removals by the value the emitter expression denotes (flow's identity: `process`,
        # a module-level `bus`, `options.signal`), for adds and signals alike.
        removals: list[Removal] = []
        for call in ctx.captures(self.code).get("call", ()):
            function = call.child_by_field_name("function")
            emitter = function.child_by_field_name("object") if function is not None else None
            name = member_property(function)
            if emitter is None or name is None:
                continue
            if name in ADDING or name in ADDING_ONCE:
                adds.append((call, emitter, name))
                continue
            identity = _emitter_key(ctx, emitter)
            if identity is not None:
                removals.append(Removal(identity, _event_name(call), _listener(ctx, call)))
        for call, emitter_node, method in adds:
            if method == "addEventListener" and _event_name(call) == "abort":
                self._check_abort(ctx, call, emitter_node, removals)
                continue
            self._check_add(ctx, call, emitter_node, method, removals, adds)

    def _check_abort(
        self, ctx: FileContext, call: Node, signal: Node, removals: list[Removal]
    ) -> None:
        """`signal.addEventListener('abort', fn)` on a signal the caller passed in (or the
        module's): the same signal may serve many calls and never abort, and each call's
        listener stays on it. Once or signal options, or a matching removal, are fine."""
        # In preview: 2 of 11 right over three fresh audits (docs/rules-corpus.md); most of
        # the rest listen on a signal that every caller, in another module, makes fresh.
        if not ctx.settings.preview:
            return
        # Test code runs once per test run, and its fetch mocks listen on per-call signals.
        if ctx.is_test_file or not how_often(ctx, call).repeats:
            return
        if _has_once_or_signal(call) or _options_unknown(call) or _keeps_subscription(ctx, call):
            return
        owner = shared_signal_owner(ctx, signal)
        if owner is None:
            return
        identity = value_identity(ctx, signal)
        listener = _listener(ctx, call)
        if identity is None or any(_may_remove(r, identity, listener) for r in removals):
            return
        handler = call_arguments(call)[1:2]
        inline = handler and _unwrapped(handler[0]).type in FUNCTION_NODES
        message = self.msg(
            "abort-never-removed",
            signal=text(signal),
            owner=self.msg(owner).text,
            inline=self.msg("inline-handler").text if inline else "",
        )
        ctx.report(self, call, message)
        # Added once per process if every caller in the project runs once: no leak then.
        if_runs_once(ctx, self.code, call, how_often(ctx, call), None)

    def _check_add(
        self,
        ctx: FileContext,
        call: Node,
        emitter_node: Node,
        method: str,
        removals: list[Removal],
        adds: list[tuple[Node, Node, str]],
    ) -> None:
        if len(call_arguments(call)) < 2 or not _names_an_event(call):
            return  # `util.addListener(socket, 'error', f)` is a helper, not an emitter method
        if _has_once_or_signal(call) or _keeps_subscription(ctx, call):
            return
        event = _event_name(call)
        emitter = _long_lived_emitter(ctx, emitter_node, event)
        function = effective_function(ctx.ancestry, call)
        if emitter is None and (function is None or _made_in(ctx, emitter_node, function)):
            # Made by this run (a local emitter, the handler's `req` or `socket`), or at module
            # level: it is neither the emitter whose event runs this code nor one it re-enters.
            return
        # How often the add runs is the costliest question (callers, handlers, start-up), so
        # it is asked after the cheap tests, of adds that can still leak. A function that
        # calls itself again after listening runs more than once whoever calls it (frequency
        # counts callers, and a recursive call is none of them).
        repeats = how_often(ctx, call).repeats
        recalled = None if repeats else _recalling_emitter(ctx, call, emitter_node, method)
        if not repeats and recalled is None:
            return
        emitter = emitter or _registering_emitter(ctx, call, emitter_node)
        per_call = _per_call_reason(ctx, call) if emitter is not None and repeats else None
        if per_call is None:
            # Not per request: still a leak when the function runs again on every event of the
            # emitter it listens on (a reconnect handler that registers itself), or when it
            # calls itself again (a start-up that retries itself).
            emitter = (
                _reentering_emitter(ctx, call, emitter_node, adds)
                or recalled
                or _recalling_emitter(ctx, call, emitter_node, method)
            )
            if emitter is not None and (emitter.reentered_by or emitter.recalled_by):
                per_call = self._reentered_reason(ctx, call, emitter.reentered_by)
        if emitter is None or per_call is None:
            return
        if method in ADDING_ONCE and not emitter.pooled:
            return
        listener = _listener(ctx, call)
        if any(removal.removes(emitter.key, event, listener) for removal in removals):
            return
        self._report(ctx, call, emitter, method, event, per_call)

    def _reentered_reason(self, ctx: FileContext, call: Node, registration: Node) -> str | None:
        """The name of the function that listens with itself, for the message."""
        del registration  # the message reads it from the emitter
        function = effective_function(ctx.ancestry, call)
        return function_name(ctx.ancestry, function) if function is not None else None

    def _report(
        self,
        ctx: FileContext,
        call: Node,
        emitter: Emitter,
        method: str,
        event: str | None,
        per_call: str,
    ) -> None:
        what = (
            self.msg("event-listener", article=_article(event), event=event)
            if event is not None
            else self.msg("any-listener")
        )
        # Browsers' event targets have no listener limit and print no warning.
        warning = "" if method == "addEventListener" else self.msg("max-listeners-warning").text
        handler = call_arguments(call)[1:2]
        inline = handler and _unwrapped(handler[0]).type in FUNCTION_NODES
        fields = {
            "per_call": per_call,
            "what": what.text,
            "emitter": emitter.label,
            "warning": warning,
            "inline": self.msg("inline-handler").text if inline else "",
        }
        if emitter.reentered_by is not None:
            registration = emitter.reentered_by
            listener = call_arguments(registration)[1]
            itself = _unwrapped(listener).type == "identifier"
            message = self.msg(
                "reentered-never-removed",
                **{key: value for key, value in fields.items() if key != "per_call"},
                function=per_call,
                event=emitter.registrar_event or "its",
                line=registration.start_point[0] + 1,
                listener=self.msg("reentering-itself" if itself else "reentering-caller").text,
            )
        elif emitter.recalled_by is not None:
            message = self.msg(
                "recalled-never-removed",
                **{key: value for key, value in fields.items() if key != "per_call"},
                function=per_call,
                line=emitter.recalled_by.start_point[0] + 1,
            )
        elif emitter.registrar_event is not None:
            unit = how_often(ctx, call).unit
            message = self.msg(
                "registrar-never-removed", **fields, event=emitter.registrar_event, unit=unit
            )
        else:
            message = self.msg(
                "pooled-never-removed" if emitter.pooled else "never-removed", **fields
            )
        fix = None if emitter.pooled else once_fix(ctx, call, method, event)
        ctx.report(self, call, message, fix=fix)


# Events an emitter fires at most once: a listener for one of them behaves the same whether it
# is added with on() or once(), so that fix is safe. For any other event once() changes what
# the code does (it stops listening after the first), which only the author can judge.
ONE_SHOT_EVENTS = frozenset(
    {"exit", "close", "end", "finish", "ready", "load", "DOMContentLoaded", "unload"}
)
_ONCE_METHODS = {"on": "once", "addListener": "once", "prependListener": "prependOnceListener"}


def once_fix(ctx: FileContext, call: Node, method: str, event: str | None) -> Fix | None:
    """`target.addEventListener(type, fn)` → `…, { once: true })`; `emitter.on(…)` →
    `emitter.once(…)`. Only for a call of exactly (event, listener)."""
    arguments = call_arguments(call)
    if len(arguments) != 2:
        return None
    safe = event in ONE_SHOT_EVENTS
    if method == "addEventListener":
        edit = ctx.edit(arguments[1].end_byte, arguments[1].end_byte, ", { once: true }")
        return Fix("Pass { once: true }", (edit,), safe)
    function = call.child_by_field_name("function")
    prop = function.child_by_field_name("property") if function is not None else None
    replacement = _ONCE_METHODS.get(method)
    if prop is None or replacement is None:
        return None
    edit = ctx.edit(prop.start_byte, prop.end_byte, replacement)
    return Fix(f"Use {replacement}() instead of {method}()", (edit,), safe)


def _options_unknown(call: Node) -> bool:
    """`addEventListener(type, fn, opts)` with options this file cannot read: they may say
    `once` (Node's own streams pass `{ once: true, … }` that way)."""
    listed = call_arguments(call)
    return len(listed) > 2 and _unwrapped(listed[2]).type != "object"


def _may_remove(
    removal: Removal, signal: tuple[object, ...], listener: tuple[object, ...] | None
) -> bool:
    """A removal that takes this 'abort' listener away: the same signal and function, or a
    signal and function kept in properties (`listener._signal.removeEventListener('abort',
    listener._abort)`), which may be any signal the file listened on."""
    if removal.event not in (None, "abort"):
        return False
    if removal.removes(signal, "abort", listener):
        return True
    stored = removal.emitter[:1] in (("member",), ("this",))
    kept = removal.listener is None or removal.listener[:1] in (("member",), ("this",))
    return stored and (kept or same_value(removal.listener, listener))


# A parameter's own signal dies with it: a request's (`req.signal`), or a controller the caller
# made for this one operation (`abortController.signal`).
_PER_CALL_SIGNAL_OWNERS = re.compile(r"^(req|request)$|controller$", re.IGNORECASE)


def shared_signal_owner(ctx: FileContext, signal: Node) -> str | None:
    """Whose an AbortSignal expression is when it can outlive the call that listens on it: the
    message id for a caller's signal (`signal` or `options.signal` parameters, or a `const`
    taken from one) or a module-level one (`controller.signal` of a module-level controller),
    or None for a signal made in the call (`new AbortController()` there dies with it)."""
    node = _unwrapped(signal)
    if node.type == "member_expression":
        owner = node.child_by_field_name("object")
        if member_property(node) != "signal" or owner is None:
            return None
        if _is_per_call_owner(ctx, owner):
            return None
        return _owner_of(ctx, owner, named_signal=False)
    return _owner_of(ctx, node, named_signal=True)


def _is_per_call_owner(ctx: FileContext, owner: Node) -> bool:
    if owner.type != "identifier" or not _PER_CALL_SIGNAL_OWNERS.search(text(owner)):
        return False
    binding = ctx.scopes.resolve(owner)
    return binding is not None and (binding.kind == "param" or _from_parameter(ctx, binding))


def _from_parameter(ctx: FileContext, binding: Binding) -> bool:
    """`const { abortController = new AbortController() } = opts` or `const abortController =
    opts.abortController`, `opts` a parameter: the same caller's controller for this call that
    a parameter of that name is, reached through the options object (node-chatgpt-api's
    `sendMessage(message, opts)`)."""
    if binding.kind not in ("const", "let", "var") or binding.declaration.type != (
        "variable_declarator"
    ):
        return False
    value = binding.declaration.child_by_field_name("value")
    value = _unwrapped(value) if value is not None else None
    if value is not None and value.type == "member_expression":
        value = value.child_by_field_name("object")
    source = ctx.scopes.resolve(value) if value is not None and value.type == "identifier" else None
    return source is not None and source.kind == "param"


def _owner_of(ctx: FileContext, node: Node | None, *, named_signal: bool) -> str | None:
    if node is None or node.type != "identifier":
        return None
    binding = ctx.scopes.resolve(node)
    if binding is None:
        return None
    if named_signal and "signal" not in binding.name.lower():
        return None  # `xhr.addEventListener('abort', …)`: a browser request, not a signal
    if binding.kind == "param":
        return None if _callers_pass_fresh_signals(ctx, binding, None) else "signal-from-caller"
    if binding.kind not in ("const", "let", "var") or binding.declaration.type != (
        "variable_declarator"
    ):
        return None
    if effective_function(ctx.ancestry, binding.node) is None:
        return "signal-module-level"
    value = binding.declaration.child_by_field_name("value")
    value = _unwrapped(value) if value is not None else None
    if value is None:
        return None
    # `const { signal } = options` / `const signal = options.signal`, options a parameter.
    if value.type == "member_expression" and member_property(value) == "signal":
        value = value.child_by_field_name("object")
    if value is not None and value.type == "identifier":
        source = ctx.scopes.resolve(value)
        if source is not None and source.kind == "param":
            if _callers_pass_fresh_signals(ctx, source, binding.name):
                return None
            return "signal-from-caller"
    return None


# -- signals the callers make fresh ------------------------------------------------------------

_FRESH_DEPTH = 4  # declarations and same-class methods followed this deep


def _callers_pass_fresh_signals(ctx: FileContext, param: Binding, key: str | None) -> bool:
    """A method whose every caller is in its class (`this.run(stream, { signal })`, never
    handed on) and passes a signal made for that call — `new AbortController()`'s, directly or
    returned by another method of the class (`const { signal } = await this.prepare()`) — so
    the listener dies with its signal. ``key`` is the parameter's property that holds the
    signal (`options.signal`), None for the parameter itself."""
    method = ctx.ancestry.nearest(param.node, frozenset({"method_definition"}))
    name = method.child_by_field_name("name") if method is not None else None
    body = method.parent if method is not None else None
    if method is None or name is None or body is None or body.type != "class_body":
        return False
    index = _parameter_index(method, param.node)
    calls = _this_calls(ctx, body, text(name))
    if index is None or not calls:
        return False
    for call in calls:
        arguments = call_arguments(call)
        value = arguments[index] if index < len(arguments) else None
        if value is not None and key is not None:
            value = _object_property(value, key)
        if value is None or not _fresh_signal(ctx, value, body, 0):
            return False
    return True


def _parameter_index(method: Node, node: Node) -> int | None:
    parameters = method.child_by_field_name("parameters")
    for index, parameter in enumerate(parameters.named_children if parameters else ()):
        if parameter.start_byte <= node.start_byte and node.end_byte <= parameter.end_byte:
            return index
    return None


def _this_calls(ctx: FileContext, body: Node, name: str) -> list[Node] | None:
    """Every `this.<name>(…)` in the class body; None when `this.<name>` is also used another
    way (handed on as a callback: its callers are then unknown)."""
    calls: list[Node] = []
    stack = [body]
    while stack:
        node = stack.pop()
        if node.type == "member_expression" and member_property(node) == name:
            receiver = node.child_by_field_name("object")
            parent = ctx.ancestry.parent(node)
            if receiver is not None and receiver.type == "this":
                if (
                    parent is None
                    or parent.type != "call_expression"
                    or (parent.child_by_field_name("function") != node)
                ):
                    return None
                calls.append(parent)
        stack.extend(node.named_children)
    return calls


def _object_property(value: Node, key: str) -> Node | None:
    """The value of ``key`` in an object literal (`{ signal }`, `{ signal: s }`)."""
    value = _unwrapped(value)
    if value.type != "object":
        return None
    for entry in value.named_children:
        if entry.type == "shorthand_property_identifier" and text(entry) == key:
            return entry
        if entry.type == "pair" and literal_key(entry.child_by_field_name("key")) == key:
            return entry.child_by_field_name("value")
    return None


def _fresh_signal(ctx: FileContext, value: Node, body: Node, depth: int) -> bool:
    """`controller.signal` of a `new AbortController()` made in a function (not a module's
    one, shared by every call), through `const` declarations, destructuring and the returned
    objects of methods of the same class."""
    value = _unwrapped(value)
    if depth > _FRESH_DEPTH:
        return False
    if value.type == "member_expression" and member_property(value) == "signal":
        owner = value.child_by_field_name("object")
        return owner is not None and _fresh_controller(ctx, owner, depth + 1)
    if value.type not in ("identifier", "shorthand_property_identifier"):
        return False
    binding = ctx.scopes.resolve(value)
    declaration = binding.declaration if binding is not None else None
    if binding is None or binding.kind != "const" or declaration is None:
        return False
    if (
        declaration.type != "variable_declarator"
        or effective_function(ctx.ancestry, declaration) is None
    ):
        return False
    source = declaration.child_by_field_name("value")
    if source is None:
        return False
    pattern = declaration.child_by_field_name("name")
    if pattern is not None and pattern.type == "identifier":
        return _fresh_signal(ctx, source, body, depth + 1)
    # `const { signal } = controller` / `= await this.prepare(…)`.
    source = _unwrapped(source)
    if binding.name == "signal" and _fresh_controller(ctx, source, depth + 1):
        return True
    return _returns_fresh(ctx, source, binding.name, body, depth + 1)


def _fresh_controller(ctx: FileContext, node: Node, depth: int) -> bool:
    node = _unwrapped(node)
    if node.type == "identifier" and depth <= _FRESH_DEPTH:
        binding = ctx.scopes.resolve(node)
        declaration = binding.declaration if binding is not None else None
        if binding is None or binding.kind != "const" or declaration is None:
            return False
        if declaration.type != "variable_declarator":
            return False
        if effective_function(ctx.ancestry, declaration) is None:
            return False  # a module's controller serves every call
        source = declaration.child_by_field_name("value")
        return source is not None and _fresh_controller(ctx, source, depth + 1)
    if node.type != "new_expression":
        return False
    symbol = ctx.imports.resolve(node.child_by_field_name("constructor"))
    return symbol is not None and symbol.module == GLOBAL and symbol.path == ("AbortController",)


def _returns_fresh(ctx: FileContext, call: Node, key: str, body: Node, depth: int) -> bool:
    """`this.prepare(…)` of the same class returns, on every `return`, an object literal
    whose ``key`` is a fresh signal."""
    if call.type != "call_expression":
        return False
    callee = call.child_by_field_name("function")
    receiver = callee.child_by_field_name("object") if callee is not None else None
    if receiver is None or receiver.type != "this":
        return False
    method = class_method(body, member_property(callee) or "")
    returns = list(own_returns(method)) if method is not None else []
    if not returns:
        return False
    for statement in returns:
        returned = first_named(statement)
        value = _object_property(returned, key) if returned is not None else None
        if value is None or not _fresh_signal(ctx, value, body, depth):
            return False
    return True


def _keeps_subscription(ctx: FileContext, call: Node) -> bool:
    """`const sub = AppState.addEventListener(…)`: the call returns a subscription that is
    kept, to be removed with `sub.remove()` (React Native, many browser and SDK APIs). A Node
    emitter's `on()` returns the emitter itself, which nobody stores in a variable."""
    where = destination(ctx, call)
    if where.kind == "awaited" and where.use.parent is not None:
        where = destination(ctx, where.use.parent)
    return where.kind in ("declared", "assigned")


def _article(word: str) -> str:
    return "an" if word[:1].lower() in ("a", "e", "i", "o", "u") else "a"


def _unwrapped(node: Node) -> Node:
    """``node`` without the parentheses, casts and ``await`` around its value."""
    while node.type in TRANSPARENT or node.type == "await_expression":
        inner = first_named(node)
        if inner is None:
            break
        node = inner
    return node


def _listener(ctx: FileContext, call: Node) -> tuple[object, ...] | None:
    """The flow identity of the listener an add or removal passes (ANY: removeAllListeners)."""
    if member_property(call.child_by_field_name("function")) == "removeAllListeners":
        return ANY
    arguments = call_arguments(call)
    return value_identity(ctx, arguments[1]) if len(arguments) > 1 else ANY


def _event_name(call: Node) -> str | None:
    """The event of ``emitter.on('event', …)``; None when dynamic or absent."""
    first = call_arguments(call)[:1]
    return literal_key(first[0]) if first else None


def _names_an_event(call: Node) -> bool:
    """The first argument is the event: a literal, or a constant that holds one
    (`window.addEventListener(ABORT_STREAM_EVENT, fn)`, `client.on(Events.Ready, fn)`; its
    value is unknown here, so it matches removals of any event). A helper that takes the
    emitter first takes the event second (`util.addListener(socket, 'error', f)`)."""
    first, second = call_arguments(call)[:2]
    if literal_key(first) is not None:
        return True
    return first.type in ("identifier", "member_expression") and literal_key(second) is None


def _has_once_or_signal(call: Node) -> bool:
    """``addEventListener(type, fn, { once: true })`` or ``{ signal }``: removed by the emitter."""
    for argument in call_arguments(call)[2:]:
        if argument.type != "object":
            continue
        for entry in argument.named_children:
            if entry.type == "shorthand_property_identifier" and text(entry) == "signal":
                return True
            if entry.type == "pair":
                key = text(entry.child_by_field_name("key"))
                value = text(entry.child_by_field_name("value"))
                if key == "signal" or (key == "once" and value != "false"):
                    return True
    return False


def _per_call_reason(ctx: FileContext, call: Node) -> str | None:
    """Why the code around ``call`` runs many times, as the message says it; None if unknown."""
    frequency = how_often(ctx, call)
    if frequency.is_per_request and frequency.per_request is not None:
        function = frequency.function
        name = function_name(ctx.ancestry, function) if function is not None else None
        unit = frequency.unit
        if not name:
            return ListenerLeak.msg("reason-handler", unit=unit).text
        if frequency.per_request.call is None:
            return ListenerLeak.msg("reason-per-request", function=name, unit=unit).text
        return ListenerLeak.msg("reason-called-from-handler", function=name, unit=unit).text
    if frequency.rate is Rate.PER_EFFECT:
        return ListenerLeak.msg("reason-effect").text
    if frequency.why is Why.VIEW and _has_teardown_hook(frequency.function):
        # A component's init or mount hook runs for every view the framework shows, and a
        # component with a teardown hook is one that ends: what that hook does not remove
        # stays (secret-hitler's CardFlinger, Gladys' map). One without (the app's root,
        # mounted once: secret-hitler's App, 24 socket listeners) is not judged.
        return ListenerLeak.msg("reason-view", hook=frequency.subject).text
    # Other functions — constructors, init(), a loop over ['SIGINT', 'SIGTERM'] — are most often
    # start-up code: on ~490 npm packages every such finding was (docs/rules-corpus.md).
    return None


# The hooks a component's framework calls when it removes the view (React, Angular).
_VIEW_TEARDOWN_HOOKS = ("componentWillUnmount", "ngOnDestroy")


def _has_teardown_hook(hook: Node | None) -> bool:
    """Whether the class of the view hook ``hook`` has a teardown hook of its framework."""
    body = hook.parent if hook is not None else None
    return body is not None and any(class_method(body, n) for n in _VIEW_TEARDOWN_HOOKS)


def _emitter_key(ctx: FileContext, node: Node) -> tuple[object, ...] | None:
    """``flow.value_identity`` of an emitter expression, and for `this` inside a `function`
    listener the emitter that listener was added to (``flow.listener_this``): by its own
    identity, or by that registration when the file cannot name it (`this.on(…)` in a
    constructor). A property of such a `this` is that emitter's, not the enclosing class's."""
    bare = _chain_root(node)
    if bare is None:
        return None
    this = _leftmost(bare)
    registration = listener_this(ctx.ancestry, this) if this.type == "this" else None
    if registration is None:
        return None if bare.type == "this" else value_identity(ctx, bare)
    if bare.type == "this":
        return _registration_key(ctx, registration)
    return ("listener-this", _registration_key(ctx, registration), text(bare))


def _chain_root(node: Node) -> Node | None:
    """`emitter.on(…)` returns the emitter: `conn.on('error', f).on('close', g)` listens on
    `conn`."""
    bare = _unwrapped(node)
    while bare.type == "call_expression" and member_property(
        bare.child_by_field_name("function")
    ) in (LISTENING | REMOVING):
        receiver = bare.child_by_field_name("function").child_by_field_name("object")
        if receiver is None:
            return None
        bare = _unwrapped(receiver)
    return bare


def _leftmost(node: Node) -> Node:
    """The object a member chain starts from: `this` of `this.client.pool`."""
    while node.type == "member_expression":
        inner = node.child_by_field_name("object")
        if inner is None:
            break
        node = _unwrapped(inner)
    return node


def _registration_key(ctx: FileContext, registration: Node) -> tuple[object, ...]:
    function = registration.child_by_field_name("function")
    receiver = function.child_by_field_name("object") if function is not None else None
    key = _emitter_key(ctx, receiver) if receiver is not None else None
    return key if key is not None else ("listener-target", registration.id)


def _registering_emitter(ctx: FileContext, call: Node, node: Node) -> Emitter | None:
    """The emitter whose own per-connection (per-message, per-request) event runs the handler
    around ``call``, when ``node`` denotes it: `server.on('connection', s => server.on('close',
    …))`, or `this.on('message', …)` in a `function` listener of `this.on('connection')`. An
    emitter outlives every event it emits, whatever else the file knows of it."""
    per_request = how_often(ctx, call).per_request
    if per_request is None or per_request.call is not None or per_request.event is None:
        return None  # a helper the handler calls, or a handler known by its parameters
    registration = per_request.registration
    key = _emitter_key(ctx, node)
    if registration is None or key is None or key != _registration_key(ctx, registration):
        return None
    label = ListenerLeak.msg("emitter-global", emitter=text(_chain_root(node) or node)).text
    return Emitter(key, label, registrar_event=per_request.event)


# A byte-level superset of ``_reentering_emitter``'s cases, for files with no handler: a
# listener named like a function of the file (`conn.on('disconnected', connect)` and `function
# connect`), or one that calls a method of the file through `this` (`this.client.on('error',
# (err) => { … this.handleDisconnect(); })` and `handleDisconnect() {`).
_NAMED_LISTENER = re.compile(
    rb"\.(?:on|addListener|prependListener)\(\s*['\"`][^'\"`]{1,64}['\"`]\s*,\s*([A-Za-z_$][\w$]*)\s*\)"
)
_THIS_CALLING_LISTENER = re.compile(
    rb"\.(?:on|addListener|prependListener)\(\s*['\"`][^'\"`]{1,64}['\"`]\s*,[^}]{0,400}?this\.([A-Za-z_$][\w$]*)\("
)


# And one that calls a function of the file again after an await, a return, a void or in an
# arrow (`return startPoll();`, `void this.start();`, `() => connect()`): the byte-level
# superset of ``_recalling_emitter``'s cases.
_AGAIN_CALL = re.compile(rb"(?:\breturn|\bawait|\bvoid|=>)\s*(?:this\.)?([A-Za-z_$][\w$]*)\s*\(")
_ADDING_BYTES = re.compile(rb"\.(?:on|addListener|prependListener|addEventListener)\(")
# Parameter lists and return types are bounded: an unbounded `[^)]*` from every line start is
# quadratic on hostile input (150 KB of `a(` lines took 5 s; docs/fuzzing.md).
_DECLARED_FUNCTION = re.compile(
    rb"\bfunction\s*\*?\s*([A-Za-z_$][\w$]*)|\b([A-Za-z_$][\w$]*)\s*=\s*(?:async\s*)?(?:function\b|\(|[A-Za-z_$][\w$]*\s*=>)"
    rb"|^[ \t]*(?:(?:public|private|protected|static|async)\s+)*([A-Za-z_$][\w$]*)\s*"
    rb"\([^)]{0,400}\)\s*(?::[^{;]{0,200})?\{",
    re.MULTILINE,
)


def _may_call_itself_after_listening(data: bytes) -> bool:
    """A call of a function of the file (`return startPoll()`) after a listener is added
    (`.on(`) that comes after the function's declaration."""
    declared: dict[bytes, int] = {}
    for match in _DECLARED_FUNCTION.finditer(data):
        for name in match.groups():
            if name:
                declared.setdefault(name, match.start())
    adds = [match.start() for match in _ADDING_BYTES.finditer(data)]
    for match in _AGAIN_CALL.finditer(data):
        start = declared.get(match.group(1))
        if start is None:
            continue
        first_add = bisect.bisect_right(adds, start)
        if first_add < len(adds) and adds[first_add] < match.start():
            return True
    return False


def _may_reenter(data: bytes) -> bool:
    if b".on(" not in data and b"Listener(" not in data:
        return False
    if _may_call_itself_after_listening(data):
        return True
    for match in _NAMED_LISTENER.finditer(data):
        name = re.escape(match.group(1))
        if re.search(rb"function\s*\*?\s*" + name + rb"\b|\b" + name + rb"\s*=", data):
            return True
    for match in _THIS_CALLING_LISTENER.finditer(data):
        name = re.escape(match.group(1))
        if re.search(rb"\b" + name + rb"\s*\([^)]{0,400}\)\s*(?::[^{;]{0,200})?\{", data):
            return True
    return False


def _reentering_emitter(
    ctx: FileContext, call: Node, node: Node, adds: list[tuple[Node, Node, str]]
) -> Emitter | None:
    """The emitter ``node`` denotes when the function around ``call`` listens on it for an
    event with itself, or with a listener that calls it: `function connect() { conn.on('error',
    log); conn.on('disconnected', connect); }` runs again on every 'disconnected' event and
    adds both listeners once more each time (a reconnect handler). That emitter outlives every
    run it causes."""
    function = effective_function(ctx.ancestry, call)
    key = _emitter_key(ctx, node)
    if function is None or key is None or _made_in(ctx, node, function):
        return None  # a connection made by each run is a new emitter every time
    if _assigned_before(ctx, node, function, call):
        return None  # `this.server = dgram.createSocket(…)` first: each run listens on a new one
    for other, emitter, method in adds:
        if method not in ADDING or not contains(function, other):
            continue
        if effective_function(ctx.ancestry, other) != function:
            continue
        if _emitter_key(ctx, emitter) != key:
            continue
        listener = call_arguments(other)[1:2]
        if listener and _runs_function(ctx, _unwrapped(listener[0]), function):
            label = ListenerLeak.msg("emitter-global", emitter=text(_chain_root(node) or node))
            return Emitter(key, label.text, registrar_event=_event_name(other), reentered_by=other)
    return None


def _assigned_before(ctx: FileContext, node: Node, function: Node, call: Node) -> bool:
    """The emitter expression (`this.server`, `cacheClient`) is assigned anew by ``function``'s
    own code before ``call`` listens on it: each run that re-enters it listens on the emitter it
    has just made (a restart that makes a new socket, stream or child process), and the old
    one's listeners go with the old one (the ninth audit's rudder-transformer worker thread, and
    ioBroker's, signalk's and SponsorBlock's restarts in the regression corpora)."""
    root = _chain_root(node)
    if root is None:
        return False
    shown = text(root)
    for assignment in identifiers_in(function, frozenset({"assignment_expression"})):
        if assignment.start_byte >= call.start_byte:
            continue
        left = assignment.child_by_field_name("left")
        if left is None or not _is_or_under(shown, text(_unwrapped(left))):
            continue
        if effective_function(ctx.ancestry, assignment) == function:
            return True
    return False


def _is_or_under(shown: str, assigned: str) -> bool:
    """`this.child.stderr` is a part of `this.child`: a new child process brings new streams
    (signalk's `startProcess()`, which spawns and then listens on its stdout and stderr)."""
    return shown == assigned or shown.startswith((assigned + ".", assigned + "?."))


def _recalling_emitter(ctx: FileContext, call: Node, node: Node, method: str) -> Emitter | None:
    """The emitter ``node`` denotes when the function around ``call`` calls itself again after
    listening on it: `startPoll()` doing `config.on('change', …)`, then on a failure
    `await sleep(10000); return startPoll();` adds one more listener per attempt
    (balena-supervisor, tenth audit). An emitter the function makes, assigns anew or takes as
    a parameter is a new one each run (a recursive walk over a tree listens on each node once);
    a named listener of a DOM target is added once however often (addEventListener drops
    duplicates)."""
    function = effective_function(ctx.ancestry, call)
    key = _emitter_key(ctx, node)
    if function is None or key is None or _made_in(ctx, node, function):
        return None
    if _assigned_before(ctx, node, function, call):
        return None
    listener = call_arguments(call)[1:2]
    if (
        method == "addEventListener"
        and listener
        and _unwrapped(listener[0]).type not in (FUNCTION_NODES)
    ):
        return None
    again = _call_of_itself_after(ctx, function, call)
    if again is None or not _recall_follows_add(ctx, call, again):
        return None
    label = ListenerLeak.msg("emitter-global", emitter=text(_chain_root(node) or node))
    return Emitter(key, label.text, recalled_by=again)


def _recall_follows_add(ctx: FileContext, call: Node, again: Node) -> bool:
    """A call of itself in the `catch` of the `try` that listens runs after the listener was
    added only when something after the add in that `try` can fail (`config.on(…)` then
    `await config.getMany(…)`); when the add is the last thing that can happen there (a lock
    file written, then `process.on('exit', …)`), the retry path never listened (bitcore's
    `lockLoadedWallet()`)."""
    node: Node | None = again
    while node is not None:
        parent = ctx.ancestry.parent(node)
        if parent is not None and node.type == "catch_clause" and parent.type == "try_statement":
            body = parent.child_by_field_name("body")
            if body is not None and contains(body, call):
                return can_throw_after(ctx, body, call)
        if node.type in FUNCTION_NODES and contains(node, call):
            return True
        node = parent
    return True


def _call_of_itself_after(ctx: FileContext, function: Node, call: Node) -> Node | None:
    """A call of ``function`` by itself that starts after ``call``: by its declared name
    (`return startPoll()`, `setTimeout(() => connect(), 1000)`) or, in a method, through
    `this` (`void this.start()`)."""
    declared = _declared_name_node(ctx, function)
    method = function_name(ctx.ancestry, function) if function.type == "method_definition" else None
    if declared is None and method is None:
        return None
    found: list[Node] = []
    for inner in _calls_in(function):
        if inner.start_byte < call.end_byte:
            continue
        if method is not None and this_method(inner) == method:
            found.append(inner)
            continue
        callee = inner.child_by_field_name("function")
        if declared is not None and callee is not None and callee.type == "identifier":
            binding = ctx.scopes.resolve(callee)
            if binding is not None and binding.node.id == declared.id:
                found.append(inner)
    return min(found, key=lambda inner: inner.start_byte) if found else None


def _made_in(ctx: FileContext, node: Node, function: Node) -> bool:
    """The emitter expression starts from a variable declared inside ``function``."""
    root = _unwrapped(node)
    while root.type in ("member_expression", "call_expression"):
        field = "object" if root.type == "member_expression" else "function"
        inner = root.child_by_field_name(field)
        if inner is None:
            return False
        root = _unwrapped(inner)
    if root.type != "identifier":
        return False
    binding = ctx.scopes.resolve(root)
    return binding is not None and contains(function, binding.node)


def _runs_function(ctx: FileContext, listener: Node, function: Node) -> bool:
    """``listener`` is ``function`` by name, or a function written in place that calls it
    (`() => connect()`, `(err) => { …; this.handleDisconnect(); }`)."""
    declared = _declared_name_node(ctx, function)
    if listener.type == "identifier":
        binding = ctx.scopes.resolve(listener)
        return binding is not None and declared is not None and binding.node.id == declared.id
    if listener.type not in FUNCTION_NODES:
        return False
    method = function_name(ctx.ancestry, function) if function.type == "method_definition" else None
    for inner in _calls_in(listener):
        callee = inner.child_by_field_name("function")
        if method is not None and this_method(inner) == method:
            return True
        if declared is not None and callee is not None and callee.type == "identifier":
            binding = ctx.scopes.resolve(callee)
            if binding is not None and binding.node.id == declared.id:
                return True
    return False


def _declared_name_node(ctx: FileContext, function: Node) -> Node | None:
    """The identifier that declares ``function``: `function connect() {}`, `const connect = …`."""
    if function.type in ("function_declaration", "generator_function_declaration"):
        return function.child_by_field_name("name")
    parent = ctx.ancestry.parent(function)
    if parent is not None and parent.type == "variable_declarator":
        name = parent.child_by_field_name("name")
        return name if name is not None and name.type == "identifier" else None
    return None


def _calls_in(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "call_expression":
            yield current
        stack.extend(current.named_children)


def _long_lived_emitter(ctx: FileContext, node: Node, event: str | None = None) -> Emitter | None:
    """The emitter ``node`` denotes when it outlives the code that listens on it, keyed by its
    flow identity (what removals are matched against). A parameter listened to for an event
    only a Discord client emits is the bot's client (a command's `run(client, message)`)."""
    key = value_identity(ctx, node)
    symbol = ctx.imports.resolve(node)
    if key is None:
        return None
    if symbol is not None:
        return _long_lived_symbol(symbol, node, key)
    if node.type != "identifier":
        return None
    binding = ctx.scopes.resolve(node)
    if binding is None:
        return None
    if _is_module_level_instance(ctx, binding):
        label = ListenerLeak.msg("emitter-module-level", emitter=binding.name).text
        return Emitter(key, label)
    if holds_pool_checkout(ctx, binding) and not _destroyed(ctx, binding):
        # The pool hands the same few connections out again and again.
        label = ListenerLeak.msg("emitter-pooled", emitter=binding.name).text
        return Emitter(key, label, pooled=True)
    if binding.kind == "param" and event in DISCORD_CLIENT_EVENTS:
        label = ListenerLeak.msg("emitter-discord-client", emitter=binding.name).text
        return Emitter(key, label)
    return None


def _destroyed(ctx: FileContext, binding: Binding) -> bool:
    """The checkout is destroyed rather than given back, its listeners with it: pg's
    `client.release(true)` (any argument but a falsy literal), `destroy()` or `end()`."""
    for ref in references_to(binding, ctx.scopes, ctx.references):
        where = destination(ctx, ref)
        if where.kind != "method-call" or where.call is None:
            continue
        arguments = call_arguments(where.call)
        if where.method in ("destroy", "end"):
            return True
        if where.method == "release" and arguments and text(arguments[0]) not in _FALSY_LITERALS:
            return True
    return False


_FALSY_LITERALS = frozenset({"false", "undefined", "null", "0", "''", '""'})


def _long_lived_symbol(symbol: Symbol, node: Node, key: tuple[object, ...]) -> Emitter | None:
    if symbol.module == GLOBAL:
        if symbol.path and symbol.path[0] in LONG_LIVED_GLOBALS:
            return Emitter(key, ListenerLeak.msg("emitter-global", emitter=text(node)).text)
        return None
    # An imported module, or something exported by one: a singleton shared by every caller.
    label = ListenerLeak.msg("emitter-imported", emitter=text(node), module=symbol.module)
    return Emitter(key, label.text)


def _is_module_level_instance(ctx: FileContext, binding: Binding) -> bool:
    """A module-level ``const x = new Something()`` or ``const x = factory()``: one object for
    the whole process. Literals, functions and classes are not emitters."""
    if binding.kind not in ("const", "let", "var"):
        return False
    if effective_function(ctx.ancestry, binding.node) is not None:
        return False
    declaration = binding.declaration
    if declaration.type != "variable_declarator":
        return False
    value = declaration.child_by_field_name("value")
    if value is None:
        return False
    value = _unwrapped(value)
    if value.type == "new_expression":
        return _constructs_emitter(ctx, value.child_by_field_name("constructor"))
    if value.type == "call_expression":
        # `http.createServer()`, `redis.createClient()`, `express()`: a library's factory.
        symbol = ctx.imports.resolve(value.child_by_field_name("function"))
        return symbol is not None and symbol.module != GLOBAL
    return False


def _constructs_emitter(ctx: FileContext, constructor: Node | None) -> bool:
    """A library or built-in class, or a local class that extends one; a local class with no
    superclass is the user's own and its ``on()`` is not an emitter's."""
    if constructor is None:
        return False
    if constructor.type == "identifier":
        binding = ctx.scopes.resolve(constructor)
        if binding is not None and binding.kind == "class":
            return any(
                child.type == "class_heritage" for child in binding.declaration.named_children
            )
        if binding is not None and binding.kind == "function":
            return False
    return ctx.imports.resolve(constructor) is not None
