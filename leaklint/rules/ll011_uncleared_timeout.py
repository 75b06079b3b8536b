"""## What it does
Flags a timer that races a promise in `Promise.race([...])` and is never cleared, in code that
runs more than once:

* `new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), ms))` as one of
  the racers — written in place, kept in a `const`, or returned by a helper of the same file
  (`const timeout = (ms) => new Promise(…)`, `sleep(ms).then(() => { throw … })`) — whose
  `setTimeout` handle is dropped, or kept in a variable that no `clearTimeout` of the file
  receives;
* `setTimeout(ms)` from `timers/promises` (imported under any name) as a racer, without a
  `{ signal }` to cancel it — also as `util.promisify(setTimeout)`, which is that timer
  (Node's `setTimeout` carries it as its `util.promisify.custom`).

`setTimeout`, `clearTimeout` and `Promise` are resolved through scopes and imports (`timers`,
`node:timers`, `timers/promises`, a shadowing local function is not them). A race at module
level runs once and is not reported, nor one in test code; a timer cleared anywhere in the
file (in `finally`, in a `.then`; not in its own callback, which runs only once it has
fired) is not either, nor `AbortSignal.timeout(ms)`, which Node
cancels with its signal. A race in a teardown method (`stop()`, `close()`, `dispose()`,
`onModuleDestroy()` …), a bounded wait for cleanup that runs once per instance as it ends, is
a note: what the timer can cost there is a process exit held off for its delay.

## Why is this bad?
`Promise.race` settles with the first racer but cancels none of the others. When the work
wins, the timer stays scheduled for its whole delay, and keeps its callback, the promise it
would reject and everything their closures hold (the request, the payload, the error with its
stack) reachable until it fires. A 30 s timeout on a call that takes 50 ms keeps 600 times as
many calls' memory alive as are in flight; under load the heap and
`process.getActiveResourcesInfo()`'s `Timeout` count climb in step with the traffic, and a
process that should exit when its work is done stays up until the last timer fires.

## Example
```js
function withTimeout(promise, ms) {
  const timeout = new Promise((_, reject) =>
    setTimeout(() => reject(new Error('timed out')), ms), // never cleared when promise wins
  );
  return Promise.race([promise, timeout]);
}
```

## Use instead
```js
async function withTimeout(promise, ms) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
```
Or give the work an `AbortSignal.timeout(ms)`, or race `setTimeout(ms, undefined, { signal })`
from `timers/promises` and abort the signal when the work settles.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from leaklint.analysis.flow import destination, same_value, value_identity
from leaklint.analysis.frequency import FREQUENCY_ANALYSES, Frequency, Why, how_often
from leaklint.analysis.nodes import (
    FUNCTION_NODES,
    assignment_target,
    call_arguments,
    member_property,
    text,
)
from leaklint.analysis.resource_origins import declared_function, function_results
from leaklint.model.findings import Severity
from leaklint.rules._base import Rule
from leaklint.semantic.context import FileContext
from leaklint.semantic.imports import Symbol, unwrap_awaited

RACES_AND_CLEARS = """
(call_expression
  function: (member_expression property: (property_identifier) @method)
  arguments: (arguments . (array) @racers)
  (#eq? @method "race")) @race
(call_expression
  function: [(identifier) @clear_callee
             (member_expression property: (property_identifier) @clear_callee)]
  (#eq? @clear_callee "clearTimeout")) @clear
"""
# Methods whose result settles when their receiver does: `sleep(ms).then(() => { throw … })`
# still races the timer of `sleep`.
CHAINING_METHODS = frozenset({"then", "catch", "finally"})
_HELPER_DEPTH = 2  # helpers followed: `timeout(ms)` → `sleep(ms).then(…)` → `new Promise(…)`


@dataclass(frozen=True)
class Timer:
    """A `setTimeout` call that one racer depends on, and how it can be cancelled."""

    call: Node
    delay: Node | None
    promisified: bool = False  # timers/promises' timer reached as `util.promisify(setTimeout)`


def _is_set_timeout(symbol: Symbol | None) -> bool:
    return symbol is not None and (
        symbol.is_global("setTimeout") or symbol.matches("timers", ("setTimeout",))
    )


def _is_promise_set_timeout(symbol: Symbol | None) -> bool:
    return symbol is not None and symbol.matches("timers/promises", ("setTimeout",))


def _is_promisified_set_timeout(ctx: FileContext, callee: Node | None) -> bool:
    """`util.promisify(setTimeout)`, written in place or kept in a `const` (`const sleep =
    promisify(setTimeout)`): Node's `setTimeout[util.promisify.custom]` is the timers/promises
    timer, with its `(delay, value, { signal })` arguments."""
    if callee is not None and callee.type == "identifier":
        callee = ctx.scopes.declared_value(callee, const_only=True)
    if callee is None or callee.type != "call_expression":
        return False
    promisify = ctx.imports.resolve(callee.child_by_field_name("function"))
    if promisify is None or not promisify.matches("util", ("promisify",)):
        return False
    arguments = call_arguments(callee)
    return len(arguments) == 1 and _is_set_timeout(ctx.imports.resolve(arguments[0]))


class UnclearedTimeout(Rule):
    code = "LL011"
    name = "uncleared-timeout"
    summary = "A timeout raced against a promise is never cleared when the promise wins."
    severity = Severity.WARNING
    # CodeQL's vocabulary: very-high, high, medium, low (measured: docs/rules-corpus.md).
    precision = "high"
    tags = ("memory-leak", "timers")
    triggers = (b".race(",)
    query = RACES_AND_CLEARS
    analyses = FREQUENCY_ANALYSES
    messages = {
        "never-cleared": (
            "This timer races the other promises of `Promise.race` on line {line} and is never "
            "cleared: when they settle first, it stays scheduled for its whole delay ({delay}) "
            "and keeps its callback and everything that holds alive: one more such timer {rate}. "
            "Keep its handle "
            "and clearTimeout() it in a finally, or use AbortSignal.timeout()."
        ),
        "promise-timer": (
            "This `setTimeout` from timers/promises races the other promises of `Promise.race` "
            "on line {line} without a signal: when they settle first, it stays scheduled for "
            "its whole delay ({delay}): one more such timer {rate}. Pass {{ signal }} and abort "
            "it when the race "
            "is over."
        ),
        "promisified-timer": (
            "This `setTimeout` promisified with `util.promisify` (the timer of timers/promises) "
            "races the other promises of `Promise.race` on line {line} without a signal: when "
            "they settle first, it stays scheduled for its whole delay ({delay}): one more such "
            "timer {rate}. Pass {{ signal }} as its third argument and abort it when the race is "
            "over."
        ),
        "teardown": (
            "This timer races the other promises of `Promise.race` on line {line} in "
            "`{method}()`, a teardown method, which runs once per instance as it ends: when they "
            "settle first, it stays scheduled for its whole delay ({delay}) and can hold off "
            "the process's exit that long. Clear it (or abort its signal) when the race is over."
        ),
        "race": "the race this timer loses when the work settles first",
        "unknown-delay": "unknown",
    }

    def check(self, ctx: FileContext) -> None:
        if ctx.is_test_file:
            return  # a test runs its race a bounded number of times, then the process exits
        captures = ctx.captures(self.code)
        races = [r for r in captures.get("race", ()) if _is_promise_race(ctx, r)]
        if not races:
            return
        cleared = [
            (clear, value_identity(ctx, call_arguments(clear)[0]))
            for clear in captures.get("clear", ())
            if call_arguments(clear) and _is_clear_timeout(ctx, clear)
        ]
        reported: set[int] = set()
        for race in races:
            frequency = how_often(ctx, race)
            if not frequency.repeats:
                continue
            for racer in _racers(race):
                for timer, promised in _timers_of(ctx, racer, _HELPER_DEPTH):
                    if timer.call.id in reported:
                        continue
                    if promised or not _is_cleared(ctx, timer.call, cleared):
                        reported.add(timer.call.id)
                        self._report(ctx, timer, race, promised, frequency)

    def _report(
        self, ctx: FileContext, timer: Timer, race: Node, promised: bool, frequency: Frequency
    ) -> None:
        line = ctx.source.position(race.start_byte).line
        delay = text(timer.delay) if timer.delay is not None else self.msg("unknown-delay").text
        related = ((race, self.msg("race").text),)
        if frequency.why is Why.INSTANCE_END:
            # A bounded wait in `stop()`: once per instance, at its end, not once per request
            # (umbreld's modules, audit 8): what it can cost is a delayed exit, so a note.
            message = self.msg("teardown", line=line, delay=delay[:40], method=frequency.subject)
            ctx.report(self, timer.call, message, related=related, severity=Severity.NOTE)
            return
        if timer.promisified:
            message_id = "promisified-timer"
        else:
            message_id = "promise-timer" if promised else "never-cleared"
        message = self.msg(
            message_id,
            line=line,
            delay=delay[:40],
            rate=frequency.rate.value,
        )
        ctx.report(self, timer.call, message, related=related)


def _is_promise_race(ctx: FileContext, race: Node) -> bool:
    callee = race.child_by_field_name("function")
    receiver = callee.child_by_field_name("object") if callee is not None else None
    symbol = ctx.imports.resolve(receiver)
    return symbol is not None and symbol.is_global("Promise")


def _is_clear_timeout(ctx: FileContext, clear: Node) -> bool:
    symbol = ctx.imports.resolve(clear.child_by_field_name("function"))
    return symbol is not None and (
        symbol.is_global("clearTimeout") or symbol.matches("timers", ("clearTimeout",))
    )


def _racers(race: Node) -> list[Node]:
    array = call_arguments(race)[0]
    return [child for child in array.named_children if child.type not in ("comment",)]


def _timers_of(ctx: FileContext, racer: Node, depth: int) -> Iterator[tuple[Timer, bool]]:
    """The timers a racer waits for, each with whether it is a timers/promises one that has no
    signal (True) or a callback `setTimeout` whose handle must be cleared (False)."""
    node = unwrap_awaited(racer)
    while node is not None and node.type == "call_expression":
        callee = node.child_by_field_name("function")
        if callee is None or member_property(callee) not in CHAINING_METHODS:
            break
        node = unwrap_awaited(callee.child_by_field_name("object"))
    if node is None:
        return
    if node.type == "identifier":
        value = ctx.scopes.declared_value(node, const_only=True)
        if value is not None and depth > 0:
            yield from _timers_of(ctx, value, depth - 1)
        return
    if node.type == "new_expression":
        yield from _executor_timers(ctx, node)
        return
    if node.type != "call_expression":
        return
    callee = node.child_by_field_name("function")
    promisified = _is_promisified_set_timeout(ctx, callee)
    if promisified or _is_promise_set_timeout(ctx.imports.resolve(callee)):
        if not _has_signal(node):
            arguments = call_arguments(node)
            yield Timer(node, arguments[0] if arguments else None, promisified), True
        return
    if depth > 0:
        for returned in _returned_by_local_function(ctx, callee):
            yield from _timers_of(ctx, returned, depth - 1)


def _executor_timers(ctx: FileContext, made: Node) -> Iterator[tuple[Timer, bool]]:
    """The `setTimeout` calls of `new Promise(executor)` (not of functions nested deeper)."""
    symbol = ctx.imports.resolve(made.child_by_field_name("constructor"))
    arguments = call_arguments(made)
    if symbol is None or not symbol.is_global("Promise") or not arguments:
        return
    executor = arguments[0]
    if executor.type not in FUNCTION_NODES:
        return
    for call in _calls_within(executor):
        if _is_set_timeout(ctx.imports.resolve(call.child_by_field_name("function"))):
            listed = call_arguments(call)
            yield Timer(call, listed[1] if len(listed) > 1 else None), False


def _calls_within(function: Node) -> Iterator[Node]:
    """Calls in ``function``'s body, inner functions other than arrow callbacks left out."""
    body = function.child_by_field_name("body")
    stack = [body] if body is not None else []
    while stack:
        node = stack.pop()
        if node.type == "call_expression":
            yield node
        stack.extend(
            child
            for child in node.named_children
            if child.type not in ("function_declaration", "class_declaration")
        )


def _returned_by_local_function(ctx: FileContext, callee: Node | None) -> list[Node]:
    """What a helper of this file returns: an arrow's expression body, or its `return`s."""
    if callee is None or callee.type != "identifier":
        return []
    binding = ctx.scopes.resolve(callee)
    function = declared_function(binding) if binding is not None else None
    return function_results(function) if function is not None else []


def _has_signal(call: Node) -> bool:
    """`setTimeout(ms, value, { signal })` from timers/promises: cancellable by its signal."""
    arguments = call_arguments(call)
    options = arguments[2] if len(arguments) > 2 else None
    if options is None:
        return False
    if options.type != "object":
        return True  # options this file cannot read: they may carry a signal
    return any(
        (entry.type == "shorthand_property_identifier" and text(entry) == "signal")
        or (entry.type == "pair" and text(entry.child_by_field_name("key")) == "signal")
        for entry in options.named_children
    )


def _is_cleared(
    ctx: FileContext, timer: Node, cleared: list[tuple[Node, tuple[object, ...] | None]]
) -> bool:
    """The timer's handle is kept and some `clearTimeout` of the file may receive it — one
    outside the timer's own callback: a clear there runs only once the timer has fired, and
    cancels nothing (rudder-transformer's `const wait = setTimeout(() => { clearTimeout(wait);
    resolve('Timedout') }, 4000)`, raced against every user transformation)."""
    where = destination(ctx, timer)
    target = assignment_target(where.use.node, where.use.parent)
    if target is None:
        # Returned, passed on or put in an object: code this file does not show may clear it.
        # Dropped (a statement, `void`, an executor arrow's value), nothing can.
        return where.use.parent is not None and where.kind not in ("discarded", "arrow-body")
    identity = value_identity(ctx, target)
    callback = next(iter(call_arguments(timer)), None)
    return identity is None or any(
        same_value(identity, other) for clear, other in cleared if not _within(clear, callback)
    )


def _within(node: Node, outer: Node | None) -> bool:
    return outer is not None and outer.start_byte <= node.start_byte < outer.end_byte


__all__ = ["UnclearedTimeout"]
