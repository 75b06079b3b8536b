"""## What it does
Flags a `setInterval` whose handle can never be cleared: the returned timer is discarded, or
it is stored in a variable or property that never reaches `clearInterval`/`clearTimeout` in
the file. `globalThis.setInterval`, `global.`/`window.setInterval` and `setInterval` from
`timers`/`node:timers` are recognised; a local function that happens to be called
`setInterval` is not.

A `setInterval` in a React `useEffect`/`useLayoutEffect` callback is flagged unless the
effect's cleanup function clears it. One started later by a callback inside the effect (a
subscription's, an event handler's) is judged like any other function's interval.

Not flagged: the handle is returned, passed to another function or otherwise handed to code
the file does not show; it is stored as `this.timer` and cleared anywhere in the file (a
`close`/`stop`/`dispose` method); a module-level interval is `.unref()`'d; the callback
navigates the page away (`location.reload()`, `location.href = …`): a browser poll that reloads
once the server answers ends with the page; or the file is a test that installs fake timers
(`jest.useFakeTimers()`, `vi.useFakeTimers()`, `sinon.useFakeTimers()`), whose intervals are the
fake clock's, dropped with it.

A handle kept in a local variable and cleared by the same function is judged on every path,
as a client is (`release_paths`): an `await` that can fail before the clear, outside a `try`
whose `finally` clears it, or an early `return`, leaves that timer running with nothing left to
clear it. A tick that also stops itself, but only when its own work fails (`msg.edit(…).catch(()
=> clearInterval(t))`), is judged the same way: that clear does not run when the function fails.

Inside a function (a new interval per call) the finding is a warning when the file shows the
function running many times: a request, connection or job handler, an effect, a call in a loop
or a per-element callback. When its callers are elsewhere (an exported function, a method, a
constructor of a class built in another module) how often it runs is only assumed, and the
finding is a note that says both readings: two fresh audits found most such intervals (16 of 20
in the latest) to be start-up code called once from another module. With `--project` the callers
are followed into the other modules: a per-request caller makes it a warning again, and when
every caller in the project runs once (module level, start-up code, or another function that
itself runs once) it is the module-level note, with the caller as a related location. A class
kept in one file per method (`Handler.prototype.start = start` in an `index.js`) has its other
methods in other files: with `--project`, a handle that such a method stores on an object is
cleared when a method installed on the same prototype clears that property — for a timer
started once, any such method; for one started per call, one that the method itself calls
first (`this.cancel(); this.timer = setInterval(…)`), since otherwise each call replaces a
running timer. An
interval started once per process is a note, and is not reported at all when it is `.unref()`'d:
at module level, in a one-shot callback at module level (`promise.then(…)`, `server.listen(port,
…)`), under a lazy-initialisation guard (`if (!io) { io = …; setInterval(…) }`, or `if (done)
return; done = true;` before it, when nothing resets `done`), or in a start-up function (`init`,
`start`, `main`, `bootstrap`, `setup…`, or a function called once from module level). One
started once per *instance* is a note too: in a method named like start-up code or a lifecycle
hook (`start()`, `login()`, `modulesStarted()`, `ngOnInit()`), in a method guarded by `if
(this.timer) return` (that no other method resets), or in `run()` of a listener class registered
with `once: true`. How often code runs is decided for every rule alike (see
`docs/architecture.md`). In browser code (served from `public/`, `static/` …, or using
`document`/`window` and never `require`, `exports` or `process`) the notes speak of the page,
which such a timer lives as long as, not of a process it would keep from exiting.

## Why is this bad?
An interval runs until it is cleared. Its callback, and everything the callback's closure
references, stays reachable for as long as it runs — so a function that starts an interval on
every call and drops the handle adds one more never-ending timer, plus the data it closes
over, per call. Each one also keeps the event loop alive, so the process cannot exit cleanly.
In React, an effect that starts an interval without a cleanup leaves a timer running after the
component unmounts, and a new one after every re-render that re-runs the effect.

## Example
```js
function watchJob(job) {
  setInterval(() => poll(job), 1000); // a new timer per call, never stopped
}

useEffect(() => {
  setInterval(refresh, 5000);
}, []);
```

## Use instead
```js
function watchJob(job) {
  const handle = setInterval(() => poll(job), 1000);
  return { stop: () => clearInterval(handle) };
}

useEffect(() => {
  const id = setInterval(refresh, 5000);
  return () => clearInterval(id);
}, []);
```

A deliberate process-lifetime timer at module level can be `unref()`'d so that it does not
keep the process alive: `setInterval(report, 60_000).unref();`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tree_sitter import Node

from leaklint.analysis.callers import if_cleared_by_a_sibling, if_runs_once
from leaklint.analysis.flow import destination, stored_reads
from leaklint.analysis.frequency import (
    FREQUENCY_ANALYSES,
    PER_INSTANCE_START,
    STARTED_ONCE,
    Frequency,
    Why,
    how_often,
    navigates_away,
    rate_is_assumed,
)
from leaklint.analysis.nodes import (
    CLASS_NODES,
    FUNCTION_NODES,
    TRANSPARENT,
    assignment_target,
    call_arguments,
    contains,
    first_named,
    function_name,
    is_callee,
    is_discarded,
    member_property,
    outermost,
    text,
    value_parent,
)
from leaklint.analysis.release_paths import ReleasePaths, direct_operations
from leaklint.analysis.resource_origins import declared_function
from leaklint.analysis.throws import can_throw
from leaklint.model.findings import Severity
from leaklint.rules._base import Rule
from leaklint.semantic.context import FileContext
from leaklint.semantic.imports import GLOBAL
from leaklint.semantic.scope import Ancestry, own_returns, references_to

TIMER_CALLS = """
(call_expression
  function: [(identifier) @name (member_expression property: (property_identifier) @name)]
  (#any-of? @name "setInterval" "clearInterval" "clearTimeout")) @call
(import_specifier
  name: (identifier) @imported alias: (identifier) @alias
  (#any-of? @imported "setInterval" "clearInterval" "clearTimeout"))
(pair_pattern
  key: (property_identifier) @imported value: (identifier) @alias
  (#any-of? @imported "setInterval" "clearInterval" "clearTimeout"))
"""
TIMER_MODULES = (GLOBAL, "timers")
TIMER_FUNCTIONS = frozenset({"setInterval", "clearInterval", "clearTimeout"})
# Methods of a Node Timeout that return the same Timeout: `setInterval(f, n).unref()`.
SELF_RETURNING = frozenset({"unref", "ref", "refresh"})


@dataclass
class HandleUses:
    """Where the stored handle is read: the clears that take it, and whether it escapes."""

    clears: list[Node] = field(default_factory=list)
    escapes: bool = False
    unref: bool = False  # `handle.unref()` somewhere


# jest/vitest's `useFakeTimers()` and sinon's `useFakeTimers({…})` replace the timer globals
# with a fake clock for the test file (codimd's queue tests: audit 7).
_FAKE_TIMERS = b"useFakeTimers("


class UnclearedInterval(Rule):
    code = "LL002"
    name = "uncleared-interval"
    summary = "setInterval() whose handle never reaches clearInterval(): the timer runs forever."
    severity = Severity.WARNING
    severity_detail = "note at module level, or when its callers are not in the file"
    precision = "high"  # the eighth fresh audit (docs/rules-corpus.md): 45 of 49 right, untuned
    tags = ("memory-leak", "timer")
    triggers = (b"setInterval",)
    query = TIMER_CALLS
    analyses = FREQUENCY_ANALYSES
    messages = {
        "module-discarded": (
            "This module-level setInterval() runs for the whole life of the process and its "
            "handle is discarded, so it can never be stopped and keeps the process from exiting. "
            "Keep the handle and clearInterval() it on shutdown, or .unref() it if a "
            "process-lifetime timer is intended."
        ),
        "startup-discarded": (
            "This setInterval() in start-up code runs for the whole life of the process and its "
            "handle is discarded, so it can never be stopped and keeps the process from exiting. "
            "Keep the handle and clearInterval() it on shutdown, or .unref() it if a "
            "process-lifetime timer is intended."
        ),
        # Browser code: its module level lives as long as the page, and a page's timers do
        # not keep anything from exiting (three repositories of the ninth audit).
        "module-discarded-page": (
            "This module-level setInterval() in browser code runs for the whole life of the "
            "page and its handle is discarded, so it can never be stopped. Keep the handle and "
            "clearInterval() it when the view that needs it goes away."
        ),
        "startup-discarded-page": (
            "This setInterval() in the page's start-up code runs for the whole life of the page "
            "and its handle is discarded, so it can never be stopped. Keep the handle and "
            "clearInterval() it when the view that needs it goes away."
        ),
        "per-call-discarded": (
            "setInterval() starts a new timer for {runs} and discards its "
            "handle, so none of them can ever be cleared: each keeps running and keeps its "
            "callback's closure in memory. Keep the handle and clearInterval() it when the work "
            "ends, or return it to the caller."
        ),
        "per-call-discarded-assumed": (
            "setInterval() starts a new timer for {runs} and discards its handle, so none of "
            "them can ever be cleared. How often that happens is decided by code this file "
            "does not show: once at start-up, it is one timer for the life of the process; "
            "per request or per job, every run leaves one more running, with its callback's "
            "closure. Keep the handle and clearInterval() it when the work ends (`--project` "
            "follows the callers into other modules)."
        ),
        # Browser code whose callers are elsewhere: once is one timer for the page, not the
        # process (send's choo controller, CyTube's classic scripts: the tenth audit).
        "per-call-discarded-assumed-page": (
            "setInterval() starts a new timer for {runs} and discards its handle, so none of "
            "them can ever be cleared. How often that happens is decided by code this file "
            "does not show: once as the page starts, it is one timer for the life of the page; "
            "per view, event or message, every run leaves one more running, with its "
            "callback's closure. Keep the handle and clearInterval() it when the work ends "
            "(`--project` follows the callers into other modules)."
        ),
        "module-stored": (
            "The interval stored in '{handle}' never reaches clearInterval() in this file, so it "
            "runs for the whole life of the process and keeps it from exiting. Clear it on "
            "shutdown, or .unref() it if a process-lifetime timer is intended."
        ),
        "module-stored-page": (
            "The interval stored in '{handle}' never reaches clearInterval() in this file, so it "
            "runs for the whole life of the page. Clear it when the view that needs it goes away."
        ),
        "per-call-cleared-not-in-finally": (
            "The interval in '{handle}' is cleared by `{clear}`, but not in a `finally` "
            "block: if {trigger} throws, the clear is skipped and the timer runs forever, with "
            "its callback's closure; {runs} can leave one more. Clear it in `finally`."
        ),
        "per-call-cleared-not-on-return": (
            "The interval in '{handle}' is cleared by `{clear}`, but the `return` on line "
            "{line} leaves without clearing it, and the timer runs forever, with its "
            "callback's closure; {runs} can leave one more. Clear it before returning, or in "
            "`finally`."
        ),
        "note-clear-skipped": "this clear is skipped on that path",
        "per-call-stored": (
            "The interval stored in '{handle}' never reaches clearInterval() in this file: {runs} "
            "starts a timer that can never be stopped and keeps its "
            "callback's closure in memory. Clear it in a close()/stop()/dispose() method, or "
            "return the handle."
        ),
        "instance-stored": (
            "The interval stored in '{handle}' never reaches clearInterval() in this file: each "
            "instance starts one timer (the method returns early once it has one) that runs for "
            "the life of the process and keeps the instance in memory. Clear it in a "
            "close()/stop()/dispose() method, or .unref() it if the instance lives as long as "
            "the process."
        ),
        "startup-instance-stored": (
            "The interval stored in '{handle}' never reaches clearInterval() in this file: "
            "{function} is a start-up or lifecycle method, so each instance starts one timer "
            "that runs for the life of the process and keeps the instance in memory. Clear it "
            "in a close()/stop()/dispose() method, or .unref() it if the instance lives as long "
            "as the process."
        ),
        "per-call-stored-assumed": (
            "The interval stored in '{handle}' never reaches clearInterval() in this file, and "
            "{runs} starts one. How often that happens is decided by code this file does not "
            "show: once at start-up, it is one timer for the life of the process; per request "
            "or per job, every run leaves one more that can never be stopped. Clear it in a "
            "close()/stop()/dispose() method, or return the handle (`--project` follows the "
            "callers into other modules)."
        ),
        "per-call-stored-assumed-page": (
            "The interval stored in '{handle}' never reaches clearInterval() in this file, and "
            "{runs} starts one. How often that happens is decided by code this file does not "
            "show: once as the page starts, it is one timer for the life of the page; per view, "
            "event or message, every run leaves one more that can never be stopped. Clear it "
            "when the view that needs it goes away, or return the handle (`--project` follows "
            "the callers into other modules)."
        ),
        "note-stored-here": "the handle is stored here and never cleared",
        "effect-stored": (
            "setInterval() in a useEffect callback is not cleared by the effect's cleanup: the "
            "timer keeps running after the component unmounts, and every re-run of the effect "
            "adds another. Keep '{handle}' and return a cleanup, e.g. "
            "`return () => clearInterval(id)`."
        ),
        "effect-discarded": (
            "setInterval() in a useEffect callback is not cleared by the effect's cleanup: the "
            "timer keeps running after the component unmounts, and every re-run of the effect "
            "adds another. Keep its handle and return a cleanup, e.g. "
            "`return () => clearInterval(id)`."
        ),
    }

    def check(self, ctx: FileContext) -> None:
        if ctx.is_test_file and _FAKE_TIMERS in ctx.source.data:
            return  # the intervals are a fake clock's, restored with it after each test
        intervals, clears = self._timer_calls(ctx)
        for call in intervals:
            self._check_interval(ctx, call, clears)

    @staticmethod
    def _timer_calls(ctx: FileContext) -> tuple[list[Node], list[Node]]:
        captures = ctx.captures(UnclearedInterval.code)
        calls = list(captures.get("call", ()))
        calls += _renamed_timer_calls(ctx, captures.get("alias", ()))
        intervals: list[Node] = []
        clears: list[Node] = []
        for call in calls:
            symbol = ctx.imports.resolve(call.child_by_field_name("function"))
            if symbol is None or symbol.module not in TIMER_MODULES or len(symbol.path) != 1:
                continue
            if symbol.path == ("setInterval",):
                intervals.append(call)
            elif symbol.path in (("clearInterval",), ("clearTimeout",)):
                clears.append(call)
        return intervals, clears

    def _check_interval(self, ctx: FileContext, call: Node, clears: list[Node]) -> None:
        up = ctx.ancestry
        handle, consumer, unref = _follow_self_returning(up, call)
        frequency = how_often(ctx, call)
        # The effect's own run starts it; one started later by a callback inside the effect (a
        # subscription, an event handler) is judged like any other function's interval.
        effect = frequency.function if frequency.why is Why.EFFECT else None
        function = frequency.function
        # Start-up code, and a method guarded by `if (this.timer) return`, start one interval
        # per process or per instance: judged like module-level code.
        startup = frequency.why in STARTED_ONCE
        per_instance = frequency.why in PER_INSTANCE_START
        instance_method = frequency.function if frequency.why is Why.INSTANCE_START_UP else None
        if per_instance:
            function = None
        if is_discarded(consumer, handle):
            if _ends_the_page(ctx, call):
                return  # a poll that reloads the page when it is done: the reload ends it
            self._report_discarded(ctx, call, function, effect, unref, startup, frequency)
            return
        target = assignment_target(handle, consumer)
        if target is None:
            return  # returned, passed on, or used in a way this rule cannot follow
        uses = _handle_uses(ctx, target, clears)
        if uses is None or uses.escapes:
            return
        unref = unref or uses.unref
        if effect is not None:
            cleanups = _cleanup_functions(ctx, effect)
            if cleanups is None or any(
                contains(cleanup, clear) for cleanup in cleanups for clear in uses.clears
            ):
                return
            self._report_effect(ctx, call, target)
            return
        if uses.clears:
            if function is not None and frequency.repeats:
                self._check_clear_paths(ctx, call, target, uses.clears, function, frequency)
            return
        if function is None and unref:
            return
        self._report_stored(
            ctx, call, target, function, per_instance, frequency, instance_method, unref
        )

    def _check_clear_paths(
        self,
        ctx: FileContext,
        call: Node,
        target: Node,
        clears: list[Node],
        function: Node,
        frequency: Frequency,
    ) -> None:
        """A local handle that this function clears itself, by the path analysis LL003 gives a
        client: a failing `await` before the clear, outside a `try` whose `finally` clears
        it, or an early `return`, leaves the timer running with nothing left to clear it
        (anything-llm's Telegram typing indicator: five awaits before the `try`)."""
        binding = ctx.scopes.resolve(target) if target.type == "identifier" else None
        if binding is None or ctx.enclosing_function(binding.node) != function:
            return  # a field or an outer variable: another function may clear it later
        # The tick stopping itself when its own work fails (`edit().catch(() =>
        # clearInterval(t))`) does not end it when the function fails instead (Zeppelin's
        # archive progress message, still there to edit): the function's own clear decides.
        clears = [clear for clear in clears if not _only_when_the_tick_fails(ctx, call, clear)]
        if not clears or any(ctx.enclosing_function(clear) != function for clear in clears):
            return  # cleared by a callback (a 'close' handler, the tick itself): deferred
        exits = ReleasePaths(
            function,
            call,
            clears,
            direct_operations(function),
            binding.name,
            ctx.ancestry,
            throws=lambda op: can_throw(ctx, op),
        ).run()
        fields = {
            "handle": binding.name,
            "clear": _shown(ctx, clears[0]),
            "runs": _runs(ctx.ancestry, function, frequency),
        }
        trigger = next((e.trigger for e in exits if e.trigger is not None), None)
        early = next((e.node for e in exits if e.kind == "return"), None)
        if trigger is not None:
            line = ctx.source.position(trigger.start_byte).line
            shown = f"`{_shown(ctx, trigger)}` (line {line})"
            message = self.msg("per-call-cleared-not-in-finally", trigger=shown, **fields)
        elif early is not None:
            line = ctx.source.position(early.start_byte).line
            message = self.msg("per-call-cleared-not-on-return", line=line, **fields)
        else:
            return
        note = self.msg("note-clear-skipped").text
        ctx.report(self, call, message, related=((clears[0], note),))

    def _report_discarded(
        self,
        ctx: FileContext,
        call: Node,
        function: Node | None,
        effect: Node | None,
        unref: bool,
        startup: bool,
        frequency: Frequency,
    ) -> None:
        if effect is not None:
            self._report_effect(ctx, call, None)
        elif function is None:
            if not unref:
                where = "startup-discarded" if startup else "module-discarded"
                if ctx.is_browser_code:
                    where += "-page"
                ctx.report(self, call, self.msg(where), severity=Severity.NOTE)
        else:
            runs = _runs(ctx.ancestry, function, frequency)
            assumed = rate_is_assumed(ctx, frequency)
            if assumed:
                # Callers elsewhere: most often start-up code (two audits), so a note.
                message = self.msg(_in_page(ctx, "per-call-discarded-assumed"), runs=runs)
                ctx.report(self, call, message, severity=Severity.NOTE)
            else:
                ctx.report(self, call, self.msg("per-call-discarded", runs=runs))
            # Called only by start-up code in other modules (the link decides): a note.
            once_id = "startup-discarded-page" if ctx.is_browser_code else "startup-discarded"
            once = None if unref else self.msg(once_id)
            hot = self.msg("per-call-discarded", runs=runs) if assumed else None
            if_runs_once(ctx, self.code, call, frequency, once, hot)

    def _report_stored(
        self,
        ctx: FileContext,
        call: Node,
        target: Node,
        function: Node | None,
        per_instance: bool,
        frequency: Frequency,
        instance_method: Node | None = None,
        unref: bool = False,
    ) -> None:
        where = text(target)
        # "In this file" is not the whole object when the function is a method another module
        # installs on a prototype: the link looks for a clear in the sibling methods' files.
        if_cleared_by_a_sibling(
            ctx, self.code, call, target, once=instance_method is not None or function is None
        )
        if instance_method is not None:
            described = _describe(ctx.ancestry, instance_method)
            message = self.msg("startup-instance-stored", handle=where, function=described)
            ctx.report(self, call, message, severity=Severity.NOTE)
            return
        if function is None:
            kind = "instance-stored" if per_instance else _in_page(ctx, "module-stored")
            ctx.report(self, call, self.msg(kind, handle=where), severity=Severity.NOTE)
            return
        runs = _runs(ctx.ancestry, function, frequency)
        assumed = rate_is_assumed(ctx, frequency)
        kind = _in_page(ctx, "per-call-stored-assumed") if assumed else "per-call-stored"
        ctx.report(
            self,
            call,
            self.msg(kind, handle=where, runs=runs),
            related=((target, self.msg("note-stored-here").text),),
            severity=Severity.NOTE if assumed else None,
        )
        once = None if unref else self.msg(_in_page(ctx, "module-stored"), handle=where)
        hot = self.msg("per-call-stored", handle=where, runs=runs) if assumed else None
        if_runs_once(ctx, self.code, call, frequency, once, hot)

    def _report_effect(self, ctx: FileContext, call: Node, target: Node | None) -> None:
        if target is None:
            ctx.report(self, call, self.msg("effect-discarded"))
        else:
            ctx.report(self, call, self.msg("effect-stored", handle=text(target)))


def _only_when_the_tick_fails(ctx: FileContext, call: Node, clear: Node) -> bool:
    """Whether ``clear`` is in the interval's own callback and runs only when something the
    tick does fails: in a `catch` clause, or a `.catch(fn)` / `.then(_, fn)` rejection handler,
    inside that callback."""
    listed = call_arguments(call)
    callback = listed[0] if listed else None
    if callback is None or callback.type not in FUNCTION_NODES or not contains(callback, clear):
        return False
    up = ctx.ancestry
    node = up.parent(clear)
    while node is not None and node.id != callback.id:
        if node.type == "catch_clause" or (
            node.type in FUNCTION_NODES and _is_rejection_handler(up, node)
        ):
            return True
        node = up.parent(node)
    return False


def _is_rejection_handler(up: Ancestry, function: Node) -> bool:
    """`p.catch(fn)`, `p.then(ok, fn)`: ``function`` runs only when the promise rejects."""
    arguments = up.parent(outermost(up, function))
    call = up.parent(arguments) if arguments is not None else None
    if arguments is None or call is None or call.type != "call_expression":
        return False
    listed = call_arguments(call)
    index = next((i for i, a in enumerate(listed) if a.id == outermost(up, function).id), None)
    method = member_property(call.child_by_field_name("function"))
    return (method == "catch" and index == 0) or (method == "then" and index == 1)


def _in_page(ctx: FileContext, message_id: str) -> str:
    """The wording of ``message_id`` for browser code, whose timers live as long as the page
    and keep no process from exiting."""
    return f"{message_id}-page" if ctx.is_browser_code else message_id


def _ends_the_page(ctx: FileContext, call: Node) -> bool:
    """The interval's callback — written in place, or a function of this file named by
    it — navigates the page away (``frequency.navigates_away``)."""
    listed = call.child_by_field_name("arguments")
    callback = first_named(listed) if listed is not None else None
    if callback is not None and callback.type == "identifier":
        binding = ctx.scopes.resolve(callback)
        callback = declared_function(binding) if binding is not None else None
    if callback is None or callback.type not in FUNCTION_NODES:
        return False
    return navigates_away(ctx, callback) is not None


def _renamed_timer_calls(ctx: FileContext, aliases: list[Node]) -> list[Node]:
    """Calls through ``import { setInterval as every } from 'timers'`` and
    ``const { setInterval: every } = require('timers')``."""
    up = ctx.ancestry
    calls: list[Node] = []
    for alias in aliases:
        binding = ctx.scopes.resolve(alias)
        if binding is None or binding.node.id != alias.id:
            continue
        symbol = ctx.imports.binding_symbol(binding)
        if symbol is None or symbol.module != "timers" or len(symbol.normalised) != 1:
            continue
        for ref in references_to(binding, ctx.scopes, ctx.references):
            outer = outermost(up, ref)
            if is_callee(up, outer):
                call = up.parent(outer)
                if call is not None:
                    calls.append(call)
    return calls


def _follow_self_returning(up: Ancestry, call: Node) -> tuple[Node, Node | None, bool]:
    """Follow ``setInterval(…).unref()`` (which returns the timer) to where the timer goes."""
    node, parent = value_parent(up, call)
    unref = False
    while parent is not None and parent.type == "member_expression":
        prop = member_property(parent)
        if parent.child_by_field_name("object") != node or prop not in SELF_RETURNING:
            break
        method = outermost(up, parent)
        method_call = up.parent(method)
        if method_call is None or not is_callee(up, method):
            break
        unref = unref or prop == "unref"
        node, parent = value_parent(up, method_call)
    return node, parent, unref


def _cleanup_functions(ctx: FileContext, effect: Node) -> list[Node] | None:
    """The functions an effect callback returns as its cleanup; None when they are unknowable."""
    cleanups: list[Node] = []
    for statement in own_returns(effect):
        value = first_named(statement)
        while value is not None and value.type in TRANSPARENT:
            value = first_named(value)
        if value is None:
            continue
        if value.type in FUNCTION_NODES:
            cleanups.append(value)
            continue
        if value.type != "identifier":
            return None
        binding = ctx.scopes.resolve(value)
        function = declared_function(binding) if binding is not None else None
        if function is None:
            return None
        cleanups.append(function)
    return cleanups


def _handle_uses(ctx: FileContext, target: Node, clears: list[Node]) -> HandleUses | None:
    """What the code does with the stored handle, decided on ``flow``'s destinations of its
    reads: the clears that take it first, whether it escapes, whether it is `.unref()`'d;
    None when the storage cannot be followed."""
    if target.type == "subscript_expression" and member_property(target) is None:
        # `timers[id] = setInterval(…)`: a dynamic slot. Any clear in the file may be its.
        return HandleUses(clears=list(clears), escapes=False)
    reads = stored_reads(ctx, target)
    if reads is None:
        return None
    # One list of clears per file (``check`` collects it once), so the file is the key: a file
    # with thousands of intervals would otherwise rebuild it for each.
    clear_calls = ctx.memo("LL002.clear_calls", lambda: {clear.id: clear for clear in clears})
    uses = HandleUses()
    for read in reads:
        where = destination(ctx, read)
        clear = clear_calls.get(where.call.id) if where.call is not None else None
        if clear is not None and where.kind == "argument" and where.index == 0:
            uses.clears.append(clear)
        elif where.escapes:
            uses.escapes = True
        elif where.kind == "method-call" and where.method == "unref":
            uses.unref = True
    return uses


def _shown(ctx: FileContext, node: Node) -> str:
    shown = " ".join(ctx.text(node).split())  # one line, as messages are
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _runs(up: Ancestry, function: Node, frequency: Frequency) -> str:
    """What one run of ``function`` is, for the messages: 'every new instance of 'Cache''
    for a constructor or field initialiser (a class an application builds once keeps one
    timer; one it builds per request, one per request), 'every request handled by 'f'' for a
    handler, else 'every call of 'f''."""
    if frequency.why in (Why.INSTANCE, Why.VIEW):
        owner = _class_name(up, function)
        return f"every new instance of '{owner}'" if owner else "every new instance of this class"
    if frequency.is_per_request:
        return f"every {frequency.unit} handled by {_describe(up, function)}"
    return f"every call of {_describe(up, function)}"


def _class_name(up: Ancestry, function: Node) -> str | None:
    """The name of the class whose constructor or field ``function`` is."""
    owner = up.nearest(function, CLASS_NODES)
    name = owner.child_by_field_name("name") if owner is not None else None
    return text(name) if name is not None else None


def _describe(up: Ancestry, function: Node) -> str:
    name = function_name(up, function)
    if name:
        return f"'{name}'"
    return "this function"
