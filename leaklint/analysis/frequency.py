"""How often does this code run? One answer for every rule, with the reason that decides it.

A leak is something that happens *again*: a client per call, a listener per request, a store
entry per message. The same resource made once per process is not a leak. So every leak rule
asks of its candidate: does the code around it run once, or repeatedly — and if repeatedly, per
what? Before this module the rules answered four different ways and disagreed on the same code
(for one module-level ``setTimeout(cb)``, LL002 said "once" and LL003 "every call").

``how_often(ctx, node)`` walks out from ``node``:

1. Wrappers that run as part of the code around them are looked through: immediately invoked
   functions, per-element callbacks (``forEach``), one-shot callbacks (``.then``, ``listen``,
   ``once``, ``setTimeout``, jQuery's ready) — ``nodes.effective_function``. Nothing left: the
   code is at module level and runs once per process.
2. A run-once guard inside that function makes the rest run once per guarded state:
   ``if (!io) { io = …; … }``, ``if (done) return; done = true;`` (nothing resets ``done``),
   ``if (this.timer) return;`` (once per instance). The state's owner decides from there.
3. A handler by the server conventions of ``percall`` (``(req, res)``, routes, middleware,
   ``server.on('connection' | 'message' | 'request')``), or code a handler calls in this file:
   per request, per connection or per message — the innermost handler wins, so a
   ``socket.on('message')`` callback inside a connection handler runs per message.
4. A React effect callback: per effect run. A ``setInterval`` callback: per tick.
5. Start-up code: a module-level function whose only use is one call from module level or
   from other start-up code (``main()``), or a plain function named like start-up
   (``init``, ``bootstrap``, ``setupServer``; not methods, which run per instance) — once.
6. A constructor or an instance field initialiser: once per instance.
7. Anything else: per call, callers unknown.

The answer carries its reason, which rules put into messages ("runs per connection:
registered by `io.on('connection')` on line 12").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from tree_sitter import Node

from leaklint.analysis.nodes import (
    FIELD_NODES,
    FUNCTION_NODES,
    call_arguments,
    contains,
    effective_function,
    enclosing_functions,
    function_name,
    identifiers_in,
    is_callee,
    literal_key,
    member_property,
    outermost,
    text,
)
from leaklint.analysis.percall import (
    PERCALL,
    PerRequest,
    effect_callback,
    request_context,
)
from leaklint.semantic.context import FileContext
from leaklint.semantic.scope import LOOP_NODES, Ancestry, Binding, early_return, references_to
from leaklint.syntax.parsing import captures


class Rate(Enum):
    ONCE = "once per process"
    PER_INSTANCE = "once per instance"
    PER_CALL = "per call"
    PER_REQUEST = "per request"
    PER_CONNECTION = "per connection"
    PER_MESSAGE = "per message"
    PER_TICK = "per timer tick"
    PER_EFFECT = "per effect run"


PER_REQUEST_RATES = frozenset({Rate.PER_REQUEST, Rate.PER_CONNECTION, Rate.PER_MESSAGE})
_UNITS = {
    Rate.PER_REQUEST: "request",
    Rate.PER_CONNECTION: "connection",
    Rate.PER_MESSAGE: "message",
    Rate.PER_TICK: "tick",
    Rate.PER_EFFECT: "effect run",
    Rate.PER_INSTANCE: "instance",
}


class Why(Enum):
    """What decided a ``Frequency``: the kinds of reason ``how_often`` gives."""

    MODULE = "module"  # module top level
    START_UP = "start-up"  # start-up code, or a listener its class registers `once: true`
    LAZY_INIT = "lazy-init"  # under a guard of a variable: `if (!io) { io = … }`
    ONCE_GUARD = "once-guard"  # under a guard of a field: `if (this.timer) return`
    INSTANCE = "instance"  # a constructor or a field initialiser
    INSTANCE_START_UP = "instance-start-up"  # a start-up/lifecycle method, or only they call it
    HANDLER = "handler"  # a request, connection or message handler (percall)
    EFFECT = "effect"  # a React effect callback
    TICK = "tick"  # a setInterval callback
    CALLERS_UNKNOWN = "callers-unknown"


# The text of every reason, in one place, by kind and variant (a kind with several wordings
# names which). ``{subject}`` is the guard, method or caller named; ``{rate}`` the rate.
REASON_TEXTS: dict[tuple[Why, str], str] = {
    (Why.MODULE, ""): "runs once, at module level",
    (Why.START_UP, "called-once"): "runs once: start-up code called once from module level",
    (Why.START_UP, "named"): "runs once: `{subject}()` is start-up code",
    (Why.START_UP, "once-listener"): "runs once: its class registers it with `once: true`",
    (Why.LAZY_INIT, "process"): "runs once: guarded by '{subject}'",
    (Why.LAZY_INIT, "owner"): "runs once per '{subject}'",
    (Why.ONCE_GUARD, ""): "runs once per instance: guarded by '{subject}'",
    (Why.INSTANCE, ""): "runs once per instance",
    (Why.INSTANCE_START_UP, "lifecycle"): (
        "runs once per instance: `{subject}()` is a start-up or lifecycle method"
    ),
    (
        Why.INSTANCE_START_UP,
        "only-caller",
    ): "runs once per instance: only `{subject}()` calls it, once",
    (Why.HANDLER, ""): "runs {rate}: {subject}",
    (Why.EFFECT, ""): "runs on every effect run",
    (Why.TICK, ""): "runs on every timer tick",
    (Why.CALLERS_UNKNOWN, ""): "runs on every call",
}
# Kinds whose code runs once per instance (or once per process, for start-up code).
STARTED_ONCE = frozenset({Why.START_UP, Why.ONCE_GUARD, Why.INSTANCE_START_UP})
PER_INSTANCE_START = frozenset({Why.ONCE_GUARD, Why.INSTANCE_START_UP})


@dataclass(frozen=True)
class Frequency:
    """How often the code at a node runs, and why."""

    rate: Rate
    # The function whose runs are counted, after looking through wrappers and guards; None at
    # module level (and for start-up code, which runs as if it were).
    function: Node | None
    why: Why
    per_request: PerRequest | None = None
    guard: Node | None = None  # the guarded state's declaration, for LAZY_INIT/ONCE_GUARD
    subject: str = ""  # what the reason names: the guard, method, caller or registration
    variant: str = ""  # which wording of ``why`` (see REASON_TEXTS)

    @property
    def reason(self) -> str:
        """The reason as messages show it ("runs per connection: registered by …")."""
        template = REASON_TEXTS[(self.why, self.variant)]
        return template.format(subject=self.subject, rate=self.rate.value)

    @property
    def repeats(self) -> bool:
        """Whether the code can run more than once per process (per instance counts)."""
        return self.rate is not Rate.ONCE

    @property
    def is_per_request(self) -> bool:
        return self.rate in PER_REQUEST_RATES

    @property
    def unit(self) -> str:
        """What one run is, for messages: 'request', 'connection', 'message', 'call' …"""
        return _UNITS.get(self.rate, "call")


# The shared patterns this analysis reads (the per-call conventions' functions and
# registrations): rules that ask ``how_often`` list these in their ``analyses``.
FREQUENCY_ANALYSES = (PERCALL,)

_START_UP_DEPTH = 3  # how many calls deep start-up code is followed (main → init → connect)
STARTUP_NAME = re.compile(
    r"^(init|initiali[sz]e|start|main|bootstrap|setup|setUp|configure|boot|launch|listen|install"
    r"|login)([A-Z_$]|$)"
)
# Lifecycle hooks that frameworks call once per module or component: `modulesStarted`,
# `onReady`, `ngOnInit`, `onModuleInit`, `componentDidMount`.
LIFECYCLE_NAME = re.compile(
    r"(?:Started|Ready|Loaded|Mounted|DidMount|OnInit|ModuleInit|ApplicationBootstrap)$"
    r"|^on(?:Start|Init|Ready|Load|Mount|Boot)(?:[A-Z_$]|$)"
)
# Methods a listener class runs when its event fires (discord.js-style `Listener` classes).
_LISTENER_METHODS = frozenset({"run", "execute", "handle", "handler"})


def how_often(ctx: FileContext, node: Node) -> Frequency:
    """How often the code at ``node`` runs (see the module docstring for the order of tests)."""
    memo: dict[int, Frequency] = ctx.memo("frequency", dict)
    if node.id not in memo:
        memo[node.id] = _how_often(ctx, node)
    return memo[node.id]


def _how_often(ctx: FileContext, node: Node) -> Frequency:
    up = ctx.ancestry
    function = effective_function(up, node)
    if function is None:
        return Frequency(Rate.ONCE, None, Why.MODULE)
    guarded = lazy_init_owner(ctx, node, function)
    if guarded is not None:
        owner, guard = guarded
        return _guarded(ctx, owner, guard)
    return _function_frequency(ctx, node, function)


def _guarded(ctx: FileContext, owner: Node | None, guard: Binding | Node) -> Frequency:
    """Once per guarded state: the state's owner decides (module level: once per process)."""
    name = guard.name if isinstance(guard, Binding) else text(_without_parentheses(guard))
    declaration = guard.node if isinstance(guard, Binding) else guard
    if owner is None:
        return Frequency(
            Rate.ONCE, None, Why.LAZY_INIT, guard=declaration, subject=name, variant="process"
        )
    if isinstance(guard, Binding):
        outer = _function_frequency(ctx, owner, owner)
        return Frequency(
            outer.rate,
            owner,
            Why.LAZY_INIT,
            outer.per_request,
            declaration,
            subject=name,
            variant="owner",
        )
    return Frequency(Rate.PER_INSTANCE, owner, Why.ONCE_GUARD, guard=declaration, subject=name)


def _without_parentheses(node: Node) -> Node:
    """`this.timer` for the `(this.timer)` of `if (this.timer) return`: the name a reason shows."""
    while node.type == "parenthesized_expression" and node.named_child_count:
        node = node.named_children[0]
    return node


def _function_frequency(ctx: FileContext, node: Node, function: Node) -> Frequency:
    per_request = request_context(ctx, node)
    if per_request is not None:
        rate, where = _handler_rate(ctx, per_request)
        return Frequency(rate, function, Why.HANDLER, per_request, subject=where)
    effect = effect_callback(ctx, node)
    if effect is not None and effect.id == function.id:
        return Frequency(Rate.PER_EFFECT, function, Why.EFFECT)
    if _is_interval_callback(ctx, function):
        return Frequency(Rate.PER_TICK, function, Why.TICK)
    start_up = start_up_reason(ctx, function)
    if start_up is not None:
        variant, name = start_up
        return Frequency(Rate.ONCE, None, Why.START_UP, subject=name, variant=variant)
    if _registered_once_by_its_class(function):
        return Frequency(Rate.ONCE, None, Why.START_UP, variant="once-listener")
    hook = _lifecycle_method(ctx, function)
    if hook is not None:
        return Frequency(
            Rate.PER_INSTANCE, function, Why.INSTANCE_START_UP, subject=hook, variant="lifecycle"
        )
    if function.type in FIELD_NODES or _is_constructor(function):
        return Frequency(Rate.PER_INSTANCE, function, Why.INSTANCE)
    caller = _only_called_from_instance_start_up(ctx, function)
    if caller is not None:
        return Frequency(
            Rate.PER_INSTANCE,
            function,
            Why.INSTANCE_START_UP,
            subject=caller,
            variant="only-caller",
        )
    return Frequency(Rate.PER_CALL, function, Why.CALLERS_UNKNOWN)


def _only_called_from_instance_start_up(ctx: FileContext, method: Node) -> str | None:
    """A method of a class or object literal whose only calls (`this.refresh()`) in that
    body are made, outside loops, by methods that run once per instance (start-up or
    lifecycle hooks, the constructor): the name of such a caller, else None. MagicMirror's
    calendar `start()` calling `this.selfUpdate()`. Methods called from anywhere else, or
    not called in the body at all (callers elsewhere), stay per call."""
    if method.type != "method_definition":
        return None
    name = method.child_by_field_name("name")
    body = method.parent
    if name is None or name.text is None or body is None:
        return None
    memo: dict[int, str | None] = ctx.memo("frequency.instance-callers", dict)
    if method.id in memo:
        return memo[method.id]
    memo[method.id] = None  # a method that calls itself: not once
    callers: set[str] = set()
    for call in identifiers_in(body, frozenset({"call_expression"})):
        callee = call.child_by_field_name("function")
        if callee is None or callee.type != "member_expression":
            continue
        receiver = callee.child_by_field_name("object")
        if (
            receiver is None
            or receiver.type != "this"
            or member_property(callee) != name.text.decode()
        ):
            continue
        frequency = how_often(ctx, call)
        in_loop = any(a.type in LOOP_NODES for a in ctx.ancestry.ancestors(call))
        if frequency.why not in (Why.INSTANCE_START_UP, Why.INSTANCE) or in_loop:
            return None
        caller = frequency.function
        shown = function_name(ctx.ancestry, caller) if caller is not None else None
        callers.add(shown or "constructor")
    found = sorted(callers)[0] if callers else None
    memo[method.id] = found
    return found


def _handler_rate(ctx: FileContext, per_request: PerRequest) -> tuple[Rate, str]:
    """The handler's rate, and where it was registered (the subject of its reason)."""
    registration = per_request.registration
    event = per_request.event
    rate = {
        "connection": Rate.PER_CONNECTION,
        "message": Rate.PER_MESSAGE,
        "messageCreate": Rate.PER_MESSAGE,
        "interactionCreate": Rate.PER_MESSAGE,
    }.get(event or "", Rate.PER_REQUEST)
    if registration is not None:
        line = ctx.source.position(registration.start_byte).line
        callee = registration.child_by_field_name("function")
        listed = call_arguments(registration)
        first = literal_key(listed[0]) if listed else None
        label = event or first
        shown = f"{text(callee)}('{label}')" if label else text(callee)
        where = f"registered by `{shown}` on line {line}"
    else:
        where = "a request handler by its parameters"
    if per_request.call is not None:
        line = ctx.source.position(per_request.call.start_byte).line
        where += f", which calls it on line {line}"
    return rate, where


def _is_constructor(function: Node) -> bool:
    if function.type != "method_definition":
        return False
    name = function.child_by_field_name("name")
    return name is not None and name.text == b"constructor"


def _is_interval_callback(ctx: FileContext, function: Node) -> bool:
    up = ctx.ancestry
    arguments = up.parent(outermost(up, function))
    if arguments is None or arguments.type != "arguments":
        return False
    call = up.parent(arguments)
    if call is None or call.type != "call_expression":
        return False
    if call_arguments(call)[:1] != [outermost(up, function)]:
        return False
    symbol = ctx.imports.resolve(call.child_by_field_name("function"))
    return symbol is not None and symbol.path == ("setInterval",)


def repeating_functions(ctx: FileContext, node: Node) -> list[Node]:
    """The functions around ``node`` whose every run makes fresh locals for it, innermost
    first: the function that runs it, then each enclosing one for as long as it is what runs
    the inner one again and again (a `socket.on('message', cb)` inside a connection handler:
    both, since each connection and each message has its own). Looked-through wrappers
    (IIFEs, `forEach` callbacks) are included with the function they run in."""
    found: list[Node] = []
    up = ctx.ancestry
    current = node
    while True:
        function = effective_function(up, current)
        if function is None:
            return found
        found.extend(f for f in enclosing_functions(up, current) if contains(function, f))
        if not how_often(ctx, function).repeats:
            return found
        current = function


# -- start-up code ---------------------------------------------------------------------------


def start_up_reason(ctx: FileContext, function: Node) -> tuple[str, str] | None:
    """Why ``function`` is start-up code that runs once per process, as the variant of
    ``Why.START_UP`` and the name it gives; None when it is not start-up code.

    The calls in this file decide when there are any (`main(); main();` runs twice); the name
    (`init`, `bootstrap`) only when there are none to read: exported, or called elsewhere.
    """
    if runs_once(ctx, function):
        return "called-once", ""
    if function.type == "method_definition":  # a class's start(): once per instance
        return None
    if _local_calls(ctx, function):
        return None
    name = function_name(ctx.ancestry, function)
    if name is not None and STARTUP_NAME.match(name) is not None:
        return "named", name
    return None


def _local_calls(ctx: FileContext, function: Node) -> bool:
    """Whether this file calls the module-level function ``function`` by its name (an export
    such as `module.exports.start = start` is not a call: its callers are elsewhere)."""
    up = ctx.ancestry
    name = _declared_name(function, up.parent(function))
    if name is None or ctx.enclosing_function(function) is not None:
        return False
    binding = ctx.scopes.resolve(name)
    if binding is None or binding.node.id != name.id:
        return False
    return any(is_callee(up, ref) for ref in references_to(binding, ctx.scopes, ctx.references))


def _lifecycle_method(ctx: FileContext, function: Node) -> str | None:
    """The name of a method (of a class or an object literal) that frameworks call once per
    instance: named like start-up code (`start()`, `init()`, `login()`) or a lifecycle hook
    (`modulesStarted`, `ngOnInit`). MagicMirror's `Module.register('clock', { start() {} })`,
    a Discord client's `login()` override."""
    if function.type != "method_definition":
        return None
    name = function_name(ctx.ancestry, function)
    if name is None:
        return None
    if STARTUP_NAME.match(name) or LIFECYCLE_NAME.search(name):
        return name
    return None


def _registered_once_by_its_class(function: Node) -> bool:
    """`run()` of a listener class whose constructor passes `once: true` to `super(…)`:
    `constructor(c, o) { super(c, { ...o, event: 'ready', once: true }) }`."""
    if function.type != "method_definition":
        return False
    name = function.child_by_field_name("name")
    body = function.parent
    if name is None or name.text is None or body is None or body.type != "class_body":
        return False
    if name.text.decode("utf-8", "replace") not in _LISTENER_METHODS:
        return False
    for member in body.named_children:
        member_name = member.child_by_field_name("name")
        if (
            member.type == "method_definition"
            and member_name is not None
            and member_name.text == b"constructor"
            and _super_says_once(member)
        ):
            return True
    return False


def _super_says_once(constructor: Node) -> bool:
    stack = [constructor.child_by_field_name("body")]
    while stack:
        node = stack.pop()
        if node is None or (node.type in FUNCTION_NODES and node.id != constructor.id):
            continue
        if node.type == "call_expression":
            callee = node.child_by_field_name("function")
            if callee is not None and callee.type == "super":
                return any(
                    pair.type == "pair"
                    and text(pair.child_by_field_name("key")) == "once"
                    and text(pair.child_by_field_name("value")) == "true"
                    for pair in identifiers_in(node, frozenset({"pair"}))
                )
        stack.extend(node.named_children)
    return False


def runs_once(ctx: FileContext, function: Node, depth: int = 0) -> bool:
    """Whether ``function`` runs once per process, like module-level code: an IIFE at module
    level (`(async () => { … })()`), or a module-level function that is not exported and whose
    only use is one call outside any loop, made at module level (`main()`,
    `start().catch(console.error)`, `if (require.main === module) main()`) or from a function
    that itself runs once (`main()` calling `connectDatabase()`)."""
    up = ctx.ancestry
    outer, parent = function, up.parent(function)
    while parent is not None and parent.type == "parenthesized_expression":
        outer, parent = parent, up.parent(parent)
    if parent is not None and parent.type == "call_expression":
        if parent.child_by_field_name("function") == outer:
            return _called_once_from_start_up(ctx, parent, depth)
        return False
    name = _declared_name(function, parent)
    if name is None or ctx.enclosing_function(function) is not None:
        return False
    if up.nearest(function, frozenset({"export_statement"})) is not None:
        return False
    binding = ctx.scopes.resolve(name)
    if binding is None or binding.node.id != name.id:
        return False
    uses = list(references_to(binding, ctx.scopes, ctx.references))
    if len(uses) != 1:
        return False
    call = up.parent(uses[0])
    return (
        call is not None
        and call.type == "call_expression"
        and call.child_by_field_name("function") == uses[0]
        and _called_once_from_start_up(ctx, call, depth)
    )


def _declared_name(function: Node, parent: Node | None) -> Node | None:
    """`function main() {}` → main; `const main = async () => {}` → main."""
    if function.type in ("function_declaration", "generator_function_declaration"):
        name = function.child_by_field_name("name")
    elif parent is not None and parent.type == "variable_declarator":
        name = parent.child_by_field_name("name")
        if parent.child_by_field_name("value") != function:
            return None
    else:
        return None
    return name if name is not None and name.type == "identifier" else None


def _called_once_from_start_up(ctx: FileContext, call: Node, depth: int) -> bool:
    """``call`` runs once: not in a loop, at module level or in a function that runs once."""
    caller = ctx.enclosing_function(call)
    for ancestor in ctx.ancestry.ancestors(call):
        if caller is not None and ancestor.id == caller.id:
            break
        if ancestor.type in LOOP_NODES:
            return False
    if caller is None:
        return True
    return depth < _START_UP_DEPTH and runs_once(ctx, caller, depth + 1)


# -- run-once guards -------------------------------------------------------------------------


def lazy_init_owner(
    ctx: FileContext, node: Node, function: Node
) -> tuple[Node | None, Binding | Node] | None:
    """Inside ``if (!state) { state = …; … }``, or after ``if (state) return; state = …;``
    (nothing else resets ``state``), with ``state`` declared outside ``function``; or after
    ``if (this.state) return;`` in a method. The code runs once per ``state`` however often the
    function is called. Returns the function that owns the state (None: module level) and the
    state, or None when there is no such guard."""
    up = ctx.ancestry
    guard = _once_guard_before(ctx, node, function)
    if guard is not None:
        return effective_function(up, guard.node), guard
    this_guard = _this_guard_before(ctx, node, function)
    if this_guard is not None:
        return function, this_guard
    for ancestor in up.ancestors(node):
        if ancestor.id == function.id:
            break
        if ancestor.type != "if_statement":
            continue
        consequence = ancestor.child_by_field_name("consequence")
        condition = ancestor.child_by_field_name("condition")
        if consequence is None or condition is None or not contains(consequence, node):
            continue
        for ident in identifiers_in(condition):
            binding = ctx.scopes.resolve(ident)
            if (
                binding is not None
                and binding.kind in ("let", "var")
                and not contains(function, binding.node)
                and assigns(ctx, consequence, binding.name, binding.node.id)
            ):
                return effective_function(up, binding.node), binding
    return None


def _once_guard_before(ctx: FileContext, node: Node, function: Node) -> Binding | None:
    """``if (done) return; done = true;`` at the top of ``function``, before the statement
    holding ``node`` or in it (``if (timer) return; timer = setInterval(…)``), with ``done``
    declared outside it: the variable that lets the rest run once."""
    body = function.child_by_field_name("body")
    if body is None or body.type != "statement_block":
        return None
    guards: list[Binding] = []
    for statement in body.named_children:
        if contains(statement, node):
            return _guard_assigned_by(ctx, guards, statement)
        if early_return(statement) is not None:
            condition = statement.child_by_field_name("condition")
            for ident in identifiers_in(condition) if condition is not None else ():
                binding = ctx.scopes.resolve(ident)
                if (
                    binding is not None
                    and binding.kind in ("let", "var")
                    and not contains(function, binding.node)
                ):
                    guards.append(binding)
            continue
        found = _guard_set_by(ctx, guards, statement)
        if found is not None:
            return found
    return None


def _guard_assigned_by(ctx: FileContext, guards: list[Binding], statement: Node) -> Binding | None:
    """The guard that the statement holding the code is itself an assignment of: `timer =
    setInterval(…)` after `if (timer) return;`. Only a plain assignment statement counts: a
    guard assigned somewhere deep inside a large statement does not make all of it run once,
    and searching one for it (and for resets of it) would cost a pass over the file."""
    expression = statement.named_children[0] if statement.type == "expression_statement" else None
    if expression is None or expression.type != "assignment_expression":
        return None
    left = expression.child_by_field_name("left")
    if left is None or left.type != "identifier":
        return None
    assigned = ctx.scopes.resolve(left)
    for binding in guards:
        if (
            assigned is not None
            and assigned.node.id == binding.node.id
            and _only_written_in(ctx, binding, statement)
        ):
            return binding
    return None


def _guard_set_by(ctx: FileContext, guards: list[Binding], statement: Node) -> Binding | None:
    """The guard variable that ``statement`` sets and nothing else resets."""
    for binding in guards:
        if assigns(ctx, statement, binding.name, binding.node.id) and _only_written_in(
            ctx, binding, statement
        ):
            return binding
    return None


def _this_guard_before(ctx: FileContext, node: Node, function: Node) -> Node | None:
    """``if (this.sweeper) return;`` at the top of a method, then ``this.sweeper = …`` before
    or in the statement holding ``node``: the rest runs once per instance. Returns the guard."""
    if function.type != "method_definition":
        return None
    body = function.child_by_field_name("body")
    if body is None or body.type != "statement_block":
        return None
    guarded: set[bytes] = set()
    guard: Node | None = None
    assigned = False
    for statement in body.named_children:
        holds_node = contains(statement, node)
        if not holds_node and early_return(statement) is not None:
            condition = statement.child_by_field_name("condition")
            names = _this_properties_read(condition) if condition is not None else set()
            if names:
                guarded |= names
                guard = condition
            continue
        if guarded and _assigns_this_property(statement, guarded):
            assigned = True
        if holds_node:
            return guard if assigned else None
    return None


def _this_properties_read(condition: Node) -> set[bytes]:
    found: set[bytes] = set()
    stack = [condition]
    while stack:
        current = stack.pop()
        if current.type == "member_expression":
            receiver = current.child_by_field_name("object")
            prop = current.child_by_field_name("property")
            if receiver is not None and receiver.type == "this" and prop is not None:
                found.add(prop.text or b"")
                continue
        stack.extend(current.named_children)
    return found


def _assigns_this_property(statement: Node, names: set[bytes]) -> bool:
    """``statement`` assigns one of ``this.<names>`` (not inside a nested function)."""
    stack = [statement]
    while stack:
        current = stack.pop()
        if current.type in FUNCTION_NODES:
            continue
        if current.type == "assignment_expression":
            left = current.child_by_field_name("left")
            receiver = left.child_by_field_name("object") if left is not None else None
            prop = member_property(left)
            if (
                receiver is not None
                and receiver.type == "this"
                and prop is not None
                and prop.encode() in names
            ):
                return True
        stack.extend(current.named_children)
    return False


def _only_written_in(ctx: FileContext, binding: Binding, statement: Node) -> bool:
    """No other write resets the flag: `busy = false` at the end makes it a lock, not once."""
    for ref in ctx.references.named(binding.name):
        if contains(statement, ref) or not is_written(ctx.ancestry, ref):
            continue
        found = ctx.scopes.resolve(ref, binding.name)
        if found is not None and found.node.id == binding.node.id:
            return False
    return True


def assigns(ctx: FileContext, block: Node, name: str, declared_id: int) -> bool:
    """Whether ``block`` assigns the variable declared at ``declared_id``.

    Searched in the block alone (a query in C over its subtree): the file's reference index
    costs a pass over every identifier of the file, which most guards never need."""
    wanted = name.encode()
    for ref in captures(ctx.source.language, "(identifier) @id", block).get("id", ()):
        if ref.text != wanted or not is_written(ctx.ancestry, ref):
            continue
        binding = ctx.scopes.resolve(ref, name)
        if binding is not None and binding.node.id == declared_id:
            return True
    return False


def is_written(up: Ancestry, ref: Node) -> bool:
    """``ref`` is the target of an assignment or update."""
    parent = up.parent(ref)
    if parent is None:
        return False
    if parent.type in ("assignment_expression", "augmented_assignment_expression"):
        return parent.child_by_field_name("left") == ref
    return parent.type == "update_expression"


__all__ = [
    "FREQUENCY_ANALYSES",
    "PER_REQUEST_RATES",
    "Frequency",
    "Rate",
    "how_often",
    "lazy_init_owner",
    "runs_once",
    "start_up_reason",
]
