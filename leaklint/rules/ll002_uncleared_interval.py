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
`close`/`stop`/`dispose` method); or a module-level interval is `.unref()`'d.

Inside a function (a new interval per call) the finding is a warning. An interval started once
per process is a note, and is not reported at all when it is `.unref()`'d: at module level, in
a one-shot callback at module level (`promise.then(…)`, `server.listen(port, …)`), under a
lazy-initialisation guard (`if (!io) { io = …; setInterval(…) }`, or `if (done) return; done =
true;` before it, when nothing resets `done`), or in a start-up function
(`init`, `start`, `main`, `bootstrap`, `setup…`, or a function called once from module level).
One started once per *instance* is a note too: in a method named like start-up code or a
lifecycle hook (`start()`, `login()`, `modulesStarted()`, `ngOnInit()`), in a method guarded by
`if (this.timer) return`, or in `run()` of a listener class registered with `once: true`.
How often code runs is decided for every rule alike (see `docs/architecture.md`). With
project-wide analysis (`--project`), an exported function or class that only other modules call
is judged by its callers: when every caller in the project runs once (module level, start-up
code, or another function that itself runs once), its interval is the once-per-process note,
with the caller as a related location.

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

from leaklint.analysis.callers import if_runs_once
from leaklint.analysis.flow import destination, stored_reads
from leaklint.analysis.frequency import (
    FREQUENCY_ANALYSES,
    PER_INSTANCE_START,
    STARTED_ONCE,
    Frequency,
    Why,
    how_often,
)
from leaklint.analysis.nodes import (
    CLASS_NODES,
    FUNCTION_NODES,
    TRANSPARENT,
    assignment_target,
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
from leaklint.analysis.resource_origins import declared_function
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


class UnclearedInterval(Rule):
    code = "LL002"
    name = "uncleared-interval"
    summary = "setInterval() whose handle never reaches clearInterval(): the timer runs forever."
    severity = Severity.WARNING
    severity_detail = "note at module level"
    precision = "medium"  # a fresh audit (docs/rules-corpus.md, 2026-12-01): see there
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
        "per-call-discarded": (
            "setInterval() starts a new timer for {runs} and discards its "
            "handle, so none of them can ever be cleared: each keeps running and keeps its "
            "callback's closure in memory. Keep the handle and clearInterval() it when the work "
            "ends, or return it to the caller."
        ),
        "module-stored": (
            "The interval stored in '{handle}' never reaches clearInterval() in this file, so it "
            "runs for the whole life of the process and keeps it from exiting. Clear it on "
            "shutdown, or .unref() it if a process-lifetime timer is intended."
        ),
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
            return
        if function is None and unref:
            return
        self._report_stored(
            ctx, call, target, function, per_instance, frequency, instance_method, unref
        )

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
                ctx.report(self, call, self.msg(where), severity=Severity.NOTE)
        else:
            runs = _runs(ctx.ancestry, function, frequency)
            ctx.report(self, call, self.msg("per-call-discarded", runs=runs))
            # Called only by start-up code in other modules (the link decides): a note.
            once = None if unref else self.msg("startup-discarded")
            if_runs_once(ctx, self.code, call, frequency, once)

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
        if instance_method is not None:
            described = _describe(ctx.ancestry, instance_method)
            message = self.msg("startup-instance-stored", handle=where, function=described)
            ctx.report(self, call, message, severity=Severity.NOTE)
            return
        if function is None:
            kind = "instance-stored" if per_instance else "module-stored"
            ctx.report(self, call, self.msg(kind, handle=where), severity=Severity.NOTE)
            return
        runs = _runs(ctx.ancestry, function, frequency)
        ctx.report(
            self,
            call,
            self.msg("per-call-stored", handle=where, runs=runs),
            related=((target, self.msg("note-stored-here").text),),
        )
        once = None if unref else self.msg("module-stored", handle=where)
        if_runs_once(ctx, self.code, call, frequency, once)

    def _report_effect(self, ctx: FileContext, call: Node, target: Node | None) -> None:
        if target is None:
            ctx.report(self, call, self.msg("effect-discarded"))
        else:
            ctx.report(self, call, self.msg("effect-stored", handle=text(target)))


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


def _runs(up: Ancestry, function: Node, frequency: Frequency) -> str:
    """What one run of ``function`` is, for the messages: 'every new instance of 'Cache''
    for a constructor or field initialiser (a class an application builds once keeps one
    timer; one it builds per request, one per request), 'every request handled by 'f'' for a
    handler, else 'every call of 'f''."""
    if frequency.why is Why.INSTANCE:
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
