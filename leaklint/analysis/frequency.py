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
   ``if (this.timer) return;`` (once per instance), ``if (store.x) return store.x; store.x = …``
   (once per outer ``store``). The state's owner decides from there.
3. A handler by the server conventions of ``percall`` (``(req, res)``, routes, middleware,
   ``server.on('connection' | 'message' | 'request')``, tRPC procedures' resolvers, Discord
   commands by name or by discord.js parameter type), a method routed by decorator (NestJS
   ``@Get()`` in a ``@Controller()``, ``@SubscribeMessage``, ``@Process``: ``decorators``),
   or code a handler calls in this file:
   per request, per connection or per message — the innermost handler wins, so a
   ``socket.on('message')`` callback inside a connection handler runs per message.
   A local helper that the code declaring it calls once, outside loops, runs as often as that
   code (``function listen() {…}; listen();`` inside an effect: per effect run).
4. A React effect callback: per effect run. A ``setInterval`` callback: per tick.
5. Start-up code: a module-level function whose only use is one call from module level or
   from other start-up code (``main()``), also through a one-shot callback of it
   (``client.once('ready', () => registerJobs())``; discord.js's ``Events.ClientReady`` is
   the 'ready' event: ``nodes.event_name``), or a plain function named like start-up
   (``init``, ``bootstrap``, ``setupServer``; not methods, which run per instance), a
   singleton NestJS provider's ``onModuleInit`` and its constructor (Nest builds it once), the
   export of an event module named after a one-shot event (``events/ready.js``, which bot
   loaders register by file name) — once.
6. A constructor or an instance field initialiser: once per instance; so is a method (also an
   ES5 `key: function`) that this file calls only from such code or from code that runs once
   (`this.connect()` in `init()`, `self.schedule()` in an Apostrophe module's `init(self)`).
   The constructor of a class the file keeps to itself and builds once, at module level or
   in start-up code (`const tracker = new Tracker()`), runs once.
   A teardown method (`stop()`, `close()`, `dispose()`, `onModuleDestroy()`): once per
   instance, as it ends (its callers, like a method's, are usually elsewhere). A start-up
   named method its own class calls again from code that does not run once (a reconnect
   listener's `me.start()`) runs per call: the file's calls beat the name. An init hook
   (`ngOnInit`, `ngAfterViewInit`) of an Angular `@Component`/`@Directive` runs once per
   view: Angular builds the class each time its view is shown, so it is not started once.
7. Anything else: per call, callers unknown.

The answer carries its reason, which rules put into messages ("runs per connection:
registered by `io.on('connection')` on line 12").
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from enum import Enum

from tree_sitter import Node

from leaklint.analysis.decorators import (
    angular_view_hook,
    nest_lifecycle_hook,
    nest_singleton_constructor,
    react_mount_hook,
)
from leaklint.analysis.listeners import PERSISTENT_LISTENING
from leaklint.analysis.nodes import (
    CLASS_NODES,
    FIELD_NODES,
    FUNCTION_NODES,
    call_arguments,
    class_method,
    contains,
    effective_function,
    enclosing_functions,
    function_name,
    identifiers_in,
    is_callee,
    is_one_shot_callback,
    literal_key,
    loop_ancestors,
    member_property,
    outermost,
    text,
    word_occurrences,
)
from leaklint.analysis.percall import (
    DISCORD_COMMAND_EVENT,
    PERCALL,
    TRPC_PROCEDURE_EVENT,
    VERIFY_CLIENT_EVENT,
    PerRequest,
    discord_handler_type,
    effect_callback,
    request_context,
    trpc_procedure_label,
)
from leaklint.semantic.context import FileContext
from leaklint.semantic.scope import LOOP_NODES, Ancestry, Binding, early_return, references_to
from leaklint.syntax.parsing import captures
from leaklint.syntax.source import Language


class Rate(Enum):
    ONCE = "once per process"
    PER_INSTANCE = "once per instance"
    PER_CALL = "per call"
    PER_REQUEST = "per request"
    PER_CONNECTION = "per connection"
    PER_MESSAGE = "per message"
    PER_JOB = "per job"
    PER_TICK = "per timer tick"
    PER_EFFECT = "per effect run"


PER_REQUEST_RATES = frozenset(
    {Rate.PER_REQUEST, Rate.PER_CONNECTION, Rate.PER_MESSAGE, Rate.PER_JOB}
)
_UNITS = {
    Rate.PER_REQUEST: "request",
    Rate.PER_CONNECTION: "connection",
    Rate.PER_MESSAGE: "message",
    Rate.PER_JOB: "job",
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
    INSTANCE_END = "instance-end"  # a teardown method: `stop()`, `close()`, `dispose()`
    VIEW = "view"  # an init hook of an Angular component: once per view shown
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
    (Why.START_UP, "event-module"): "runs once: the handler of the one-shot '{subject}' event",
    (Why.START_UP, "lifecycle-hook"): "runs once: {subject} is a lifecycle hook",
    (Why.START_UP, "provider"): "runs once: {subject} is a singleton its injector builds once",
    (
        Why.START_UP,
        "module-instance",
    ): "runs once: this file builds its one '{subject}' at start-up",
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
    (Why.INSTANCE_END, ""): (
        "runs once per instance, as it ends: `{subject}()` is a teardown method"
    ),
    (Why.VIEW, ""): "runs once per view: {subject} runs each time Angular creates it",
    (Why.VIEW, "react"): "runs once per view: {subject} runs each time React mounts it",
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


def unit_of(rate: str) -> str:
    """``Frequency.unit`` for a rate carried as its value (a linked use from another module)."""
    try:
        return _UNITS.get(Rate(rate), "call")
    except ValueError:  # a rate this version does not know (an older cache): say "call"
        return "call"


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
# Teardown methods, which end an instance's life: `stop()`, `close()`, `dispose()`, Nest's
# `onModuleDestroy`, Angular's `ngOnDestroy`. Exact names only: `stopStream(id)` may run many
# times per instance.
TEARDOWN_NAME = re.compile(
    r"^(?:stop|shutdown|close|destroy|dispose|teardown|terminate|onModuleDestroy"
    r"|beforeApplicationShutdown|onApplicationShutdown|ngOnDestroy|componentWillUnmount"
    r"|disconnectedCallback)$"
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
    return _holder_frequency(ctx, node, function)


_HOLDERS = frozenset({*FUNCTION_NODES, *FIELD_NODES})


def _holder_frequency(ctx: FileContext, node: Node, function: Node) -> Frequency:
    """``_function_frequency`` for ``node``, remembered for the innermost function or field
    around it: past the guard test, the answer depends on the node only through the functions
    around it (its handler, its effect, the function that counts), so every call in one
    function shares one answer. The project summary asks this of each use of an imported
    name — thousands a corpus, half of them in a function already asked about."""
    if node.type in _HOLDERS:
        return _function_frequency(ctx, node, function)
    holder = ctx.ancestry.nearest(node, _HOLDERS)
    if holder is None:
        return _function_frequency(ctx, node, function)
    memo: dict[int, Frequency] = ctx.memo("frequency.by-holder", dict)
    if holder.id not in memo:
        memo[holder.id] = _function_frequency(ctx, node, function)
    return memo[holder.id]


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
    call = _sole_call_where_declared(ctx, function)
    if call is not None:
        return how_often(ctx, call)
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
    event = _one_shot_event_module(ctx, function)
    if event is not None:
        return Frequency(Rate.ONCE, None, Why.START_UP, subject=event, variant="event-module")
    nest_hook = nest_lifecycle_hook(ctx, function)
    if nest_hook is not None:
        # A singleton provider: its hook runs once per process, like start-up code.
        return Frequency(Rate.ONCE, None, Why.START_UP, subject=nest_hook, variant="lifecycle-hook")
    provider = nest_singleton_constructor(ctx, function)
    if provider is not None:
        # Built once by Nest's injector: its constructor runs once per process.
        return Frequency(Rate.ONCE, None, Why.START_UP, subject=provider, variant="provider")
    view_hook = angular_view_hook(ctx, function)
    if view_hook is not None:
        # Once per instance, but the framework makes an instance per view: not started once.
        return Frequency(Rate.PER_INSTANCE, function, Why.VIEW, subject=view_hook)
    mount_hook = react_mount_hook(ctx, function)
    if mount_hook is not None:
        return Frequency(Rate.PER_INSTANCE, function, Why.VIEW, subject=mount_hook, variant="react")
    hook = _lifecycle_method(ctx, function)
    if hook is not None and not _rerun_by_its_class(ctx, function):
        return Frequency(
            Rate.PER_INSTANCE, function, Why.INSTANCE_START_UP, subject=hook, variant="lifecycle"
        )
    teardown = _teardown_method(function)
    if teardown is not None:
        return Frequency(Rate.PER_INSTANCE, function, Why.INSTANCE_END, subject=teardown)
    if function.type in FIELD_NODES or _is_constructor(function):
        built = _instance_built_once(ctx, function)
        if built is not None:
            return Frequency(
                Rate.ONCE, None, Why.START_UP, subject=built, variant="module-instance"
            )
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


def rate_is_assumed(ctx: FileContext, frequency: Frequency) -> bool:
    """Whether ``frequency``'s rate is an assumption rather than something the file shows:
    "per call" of a function whose callers are elsewhere (this file calls it in no loop and
    no per-element callback), or "per instance" of a class built elsewhere. Two fresh audits
    (docs/rules-corpus.md) found such code to be start-up code called once from another
    module far more often than per-request code, so a rule may word (and rank) a finding that
    rests on it as such; the project link (``--project``) settles it where the callers are in
    the project. Asked only where a rule is about to report (the loop search reads the
    function's references), so it costs nothing elsewhere."""
    if frequency.why is Why.INSTANCE:
        return not _built_repeatedly_here(ctx, frequency.function)
    if frequency.why is Why.LAZY_INIT and frequency.variant == "owner" and frequency.function:
        # Guarded by a variable of its owner function (`if (!ws) { … }` in a factory): once per
        # run of the owner, and how often the owner runs is as much an assumption as it was
        # without the guard (zenbot's exchange factories, called once from another module).
        owner = frequency.function
        return rate_is_assumed(ctx, _function_frequency(ctx, owner, owner))
    if frequency.why not in _CALLERS_ELSEWHERE or frequency.function is None:
        return False
    return not _repeats_here(ctx, frequency.function)


# Kinds whose runs are counted by callers this file may not show (a teardown method is called
# by whoever owns the instance).
_CALLERS_ELSEWHERE = frozenset({Why.CALLERS_UNKNOWN, Why.INSTANCE_END})


def _built_repeatedly_here(ctx: FileContext, member: Node | None) -> bool:
    """Whether this file builds the class of ``member`` (its constructor or a field) in code
    that runs again and again — `new Probe()` in a route handler or a loop: then "per
    instance" is the file's own word, no assumption about callers elsewhere."""
    owner = ctx.ancestry.nearest(member, CLASS_NODES) if member is not None else None
    name = owner.child_by_field_name("name") if owner is not None else None
    binding = ctx.scopes.resolve(name) if name is not None else None
    if owner is None or binding is None or binding.node.id != name.id:
        return False
    for ref in references_to(binding, ctx.scopes, ctx.references):
        made = ctx.ancestry.parent(ref)
        if made is None or made.type != "new_expression" or contains(owner, made):
            continue
        if made.child_by_field_name("constructor") != ref:
            continue
        built = how_often(ctx, made)
        # Shown repeating by this file (a handler, a loop), not per call of unseen callers.
        if built.repeats and built.why is not Why.INSTANCE and not rate_is_assumed(ctx, built):
            return True
    return False


def _repeats_here(ctx: FileContext, function: Node) -> bool:
    """Whether this file shows ``function`` running many times, whoever else calls it: it is
    a JSX event handler (`onClick={() => …}`, or `onClick={handleClick}`), or the file calls
    it inside a loop or a per-element callback (`jobs.forEach(job => watch(job))`). Then its
    per-call rate is no assumption."""
    up = ctx.ancestry
    if _is_jsx_event_handler(up, function):
        return True
    if _rerun_by_its_class(ctx, function, from_listeners=True):
        return True
    name = _declared_name(function, up.parent(function))
    binding = ctx.scopes.resolve(name) if name is not None else None
    if binding is None or binding.node.id != name.id:
        return False
    for ref in references_to(binding, ctx.scopes, ctx.references):
        if _is_jsx_event_handler(up, ref):
            return True
        call = up.parent(ref)
        if call is None or call.type != "call_expression":
            continue
        if call.child_by_field_name("function") != ref:
            continue
        # Up to ``function`` itself: a recursive call counts for nothing.
        if next(loop_ancestors(up, call, stop=function), None) is not None:
            return True
    return False


def _is_jsx_event_handler(up: Ancestry, value: Node) -> bool:
    """``value`` is the expression of a JSX event attribute (`onClick={…}`): it runs on every
    click, key press or change."""
    holder = up.parent(value)
    attribute = up.parent(holder) if holder is not None else None
    if holder is None or holder.type != "jsx_expression" or attribute is None:
        return False
    if attribute.type != "jsx_attribute" or not attribute.named_children:
        return False
    name = text(attribute.named_children[0])
    return len(name) > 2 and name.startswith("on") and name[2].isupper()


def _sole_use_as_callee(ctx: FileContext, name: Node, kind: str) -> Node | None:
    """The call (``kind`` "call_expression") or `new` ("new_expression") whose callee is the
    one reference to what ``name`` declares; None when it has other uses, or ``name`` is not
    the declaration that wins."""
    binding = ctx.scopes.resolve(name)
    if binding is None or binding.node.id != name.id:
        return None
    uses = list(references_to(binding, ctx.scopes, ctx.references))
    site = ctx.ancestry.parent(uses[0]) if len(uses) == 1 else None
    if site is None or site.type != kind:
        return None
    callee = site.child_by_field_name("constructor" if kind == "new_expression" else "function")
    return site if callee == uses[0] else None


def _sole_call_where_declared(ctx: FileContext, function: Node) -> Node | None:
    """The one call of a local function (`function handleWSS() {…}` or `const load = async ()
    => {…}` declared inside another function), when that call is made, outside loops, by the
    code that declares it: such a helper runs exactly as often as that code (one an effect
    declares and calls runs per effect run, not per call of unknown callers)."""
    up = ctx.ancestry
    declaring = effective_function(up, function.parent) if function.parent else None
    name = _declared_name(function, up.parent(function))
    if declaring is None or name is None:
        return None  # module level: `runs_once` decides
    # Handed on instead (`emitter.on('x', load)`): its caller decides, unknown here.
    call = _sole_use_as_callee(ctx, name, "call_expression")
    if call is None:
        return None
    if effective_function(up, call) != declaring:
        return None  # called from a nested callback, which may run any number of times
    for ancestor in up.ancestors(call):
        if ancestor.id == declaring.id:
            return call
        if ancestor.type in LOOP_NODES:
            return None
    return None


def _only_called_from_instance_start_up(ctx: FileContext, method: Node) -> str | None:
    """A method of a class or object literal whose every call in this file is made, outside
    loops, by code that runs once per instance or once per process (start-up or lifecycle
    hooks, the constructor, module level): the name of such a caller, else None.
    MagicMirror's calendar `start()` calling `this.selfUpdate()`; Cronicle's ES5
    `init: function () { this.socketConnect(); }`; an Apostrophe module's `init(self)` calling
    `self.scheduleCleanup()`, a method of the object its `methods(self)` returns.

    Calls are `this.name()` inside the same class or object, and `receiver.name()` on a plain
    name anywhere in the file when no other method of the file has the name (with two
    `refresh` methods, `b.refresh()` may reach either). A method the file never calls stays
    per call (its callers are elsewhere), and so does one it mentions without calling:
    `emitter.on('x', this.handler)` hands it to code that may run it again and again."""
    named = _method_key(method)
    if named is None:
        return None
    name, holder = named
    memo: dict[int, str | None] = ctx.memo("frequency.instance-callers", dict)
    if method.id in memo:
        return memo[method.id]
    memo[method.id] = None  # a method that calls itself: not once
    own_calls: list[Node] = []
    other_calls: list[Node] = []
    ambiguous = False
    for mention in _member_mentions(ctx, name):
        if mention.id == method.id:
            continue
        if mention.type in _DEFINITIONS:
            ambiguous = True  # another method or field of the same name
            continue
        if mention.type != "member_expression":
            return None  # `{ refresh }`, `const { refresh } = o`: handed on, callers unknown
        call = _member_call(ctx.ancestry, mention)
        receiver = mention.child_by_field_name("object")
        if call is None:
            return None
        if receiver is not None and receiver.type == "this":
            if contains(holder, mention):
                own_calls.append(call)
        elif receiver is not None and _may_be_this_file_object(ctx, receiver):
            other_calls.append(call)
    calls = own_calls if ambiguous else own_calls + other_calls
    callers = {_once_caller(ctx, call) for call in calls}
    if not calls or None in callers:
        return None
    found = sorted(c for c in callers if c is not None)[0]
    memo[method.id] = found
    return found


def _may_be_this_file_object(ctx: FileContext, receiver: Node) -> bool:
    """A plain-name receiver that may hold an object of this file (`self`, `app`, `manager`),
    not an imported module (`api.refresh()` calls another module's `refresh`) nor a name this
    file never declares."""
    binding = ctx.scopes.resolve(receiver)
    return binding is not None and ctx.imports.binding_symbol(binding) is None


def _once_caller(ctx: FileContext, call: Node) -> str | None:
    """The name of the code that makes ``call``, when that code runs once per instance or once
    per process and the call is not in a loop; None otherwise."""
    frequency = how_often(ctx, call)
    in_loop = any(a.type in LOOP_NODES for a in ctx.ancestry.ancestors(call))
    once = frequency.why in (Why.INSTANCE_START_UP, Why.INSTANCE) or frequency.rate is Rate.ONCE
    if not once or in_loop:
        return None
    caller = frequency.function
    if caller is None:
        return "module-level code"
    return function_name(ctx.ancestry, caller) or "constructor"


def _method_key(function: Node) -> tuple[str, Node] | None:
    """`name() {}` in a class or object, or `name: function () {}` in an object literal (ES5
    style): the method's name and the class body or object that holds it."""
    if function.type == "method_definition":
        name, holder = function.child_by_field_name("name"), function.parent
    elif function.parent is not None and function.parent.type == "pair":
        pair = function.parent
        if pair.child_by_field_name("value") != function:
            return None
        name, holder = pair.child_by_field_name("key"), pair.parent
    else:
        return None
    if name is None or holder is None or name.type != "property_identifier":
        return None
    return text(name), holder


def _member_mentions(ctx: FileContext, name: str) -> list[Node]:
    """Every mention of ``name`` as a property in the file: the methods and fields that carry
    the name (the method, function value or field node), member expressions (`x.name`), and
    any other use of the word as a property (a shorthand, a destructuring pattern), which
    hands the method on."""
    memo: dict[str, list[Node]] = ctx.memo("frequency.member-mentions", dict)
    if name in memo:
        return memo[name]
    root = ctx.tree.root_node
    up = ctx.ancestry
    found: list[Node] = []
    for start, end in word_occurrences(ctx.source.data, name):
        node = root.descendant_for_byte_range(start, end)
        if node is None or node.type not in _PROPERTY_NAMES:
            continue
        parent = up.parent(node)
        if parent is not None and parent.type == "method_definition":
            found.append(parent)
        elif parent is not None and parent.type == "pair" and _function_value(parent):
            found.append(_function_value(parent) or parent)
        elif parent is not None and parent.type == "pair":
            continue  # `{ name: 1 }`: a property of data, not this method
        else:
            found.append(parent if parent is not None else node)
    memo[name] = found
    return found


_PROPERTY_NAMES = frozenset(
    {
        "property_identifier",
        "shorthand_property_identifier",
        "shorthand_property_identifier_pattern",
    }
)


# What ``_member_mentions`` returns for a definition of the name (FUNCTION_NODES for a
# function-valued pair).
_DEFINITIONS = frozenset({"method_definition", *FUNCTION_NODES, *FIELD_NODES})


def _function_value(pair: Node) -> Node | None:
    value = pair.child_by_field_name("value")
    return value if value is not None and value.type in FUNCTION_NODES else None


def _member_call(up: Ancestry, mention: Node) -> Node | None:
    """The call `this.name()` or `receiver.name()` (a plain name) whose callee is the member
    expression ``mention``; None when it is not called that way."""
    if not is_callee(up, outermost(up, mention)):
        return None
    receiver = mention.child_by_field_name("object")
    if receiver is None or receiver.type not in ("this", "identifier"):
        return None
    return up.parent(outermost(up, mention))


_DECORATED_RATES = {
    "request": Rate.PER_REQUEST,
    "connection": Rate.PER_CONNECTION,
    "message": Rate.PER_MESSAGE,
    "job": Rate.PER_JOB,
    "tick": Rate.PER_TICK,
}


def _handler_rate(ctx: FileContext, per_request: PerRequest) -> tuple[Rate, str]:
    """The handler's rate, and where it was registered (the subject of its reason)."""
    if per_request.decorated is not None:
        return _decorated_rate(ctx, per_request)
    registration = per_request.registration
    event = per_request.event
    rate = {
        "connection": Rate.PER_CONNECTION,
        "message": Rate.PER_MESSAGE,
        "messageCreate": Rate.PER_MESSAGE,
        "interactionCreate": Rate.PER_MESSAGE,
        DISCORD_COMMAND_EVENT: Rate.PER_MESSAGE,
        VERIFY_CLIENT_EVENT: Rate.PER_CONNECTION,
    }.get(event or "", Rate.PER_REQUEST)
    if registration is not None and event == TRPC_PROCEDURE_EVENT:
        line = ctx.source.position(registration.start_byte).line
        where = f"the tRPC procedure `{trpc_procedure_label(registration)}` on line {line}"
    elif registration is not None and event == VERIFY_CLIENT_EVENT:
        line = ctx.source.position(registration.start_byte).line
        where = f"ws's `verifyClient` option on line {line} (called for every upgrade request)"
    elif registration is not None:
        line = ctx.source.position(registration.start_byte).line
        callee = registration.child_by_field_name("function")
        listed = call_arguments(registration)
        first = literal_key(listed[0]) if listed else None
        label = event or first
        shown = f"{text(callee)}('{label}')" if label else text(callee)
        where = f"registered by `{shown}` on line {line}"
    elif event == DISCORD_COMMAND_EVENT:
        where = _discord_handler_reason(ctx, per_request.handler)
    else:
        where = "a request handler by its parameters"
    if per_request.call is not None:
        line = ctx.source.position(per_request.call.start_byte).line
        where += f", which calls it on line {line}"
    return rate, where


def _discord_handler_reason(ctx: FileContext, handler: Node) -> str:
    """'the Discord command handler `execute()`', or, when its parameter's discord.js type
    made it one, 'the Discord handler `process()`, which takes a discord.js `Message`'."""
    name = function_name(ctx.ancestry, handler)
    typed = discord_handler_type(ctx, handler)
    if typed is None:
        return f"the Discord command handler `{name}()`" if name else "a Discord command handler"
    where = f"the Discord handler `{name}()`" if name else "a Discord handler"
    return f"{where}, which takes a discord.js `{typed}`"


def _decorated_rate(ctx: FileContext, per_request: PerRequest) -> tuple[Rate, str]:
    """'runs per request: the route handler `@Get()` of `UsersController` on line 12'."""
    decorated = per_request.decorated
    assert decorated is not None
    rate = _DECORATED_RATES[decorated.per]
    where = decorated.describe(ctx)
    if per_request.call is not None:
        line = ctx.source.position(per_request.call.start_byte).line
        where += f", which calls it on line {line}"
    return rate, where


def _instance_built_once(ctx: FileContext, function: Node) -> str | None:
    """The class's name, when ``function`` is the constructor (or a field initialiser) of a
    class this file declares without exporting and builds once: its one mention is a `new`
    outside loops, at module level or in start-up code (workadventure's `class CpuTracker
    {…}` and `const cpuTracker = new CpuTracker()` below it). A class mentioned anywhere else —
    exported, extended, handed on, used as a type — may be built elsewhere too."""
    up = ctx.ancestry
    owner = up.nearest(function, CLASS_NODES)
    name = owner.child_by_field_name("name") if owner is not None else None
    if owner is None or name is None or owner.type == "class":
        return None  # a class expression: its value goes where this cannot follow
    if up.nearest(owner, frozenset({"export_statement"})) is not None:
        return None
    made = _sole_use_as_callee(ctx, name, "new_expression")
    if made is None:
        return None
    return text(name) if _called_once_from_start_up(ctx, made, 0) else None


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
    a Discord client's `login()` override; ES5's `{ modulesStarted: function () {} }` too."""
    named = _method_key(function)
    if named is None:
        return None
    name = named[0]
    if STARTUP_NAME.match(name) or LIFECYCLE_NAME.search(name):
        return name
    return None


def _rerun_by_its_class(ctx: FileContext, method: Node, *, from_listeners: bool = False) -> bool:
    """Whether the class of ``method`` calls it again from code that does not run once — a
    listener or timer callback of its own (`client.on('end', () => setTimeout(() =>
    me.start(config), 10000))`), another method whose callers are unknown (`restart()`): a
    `start()` its class re-runs on every reconnect is not once per instance, whatever its name
    says (crypto-trading-bot's exchange adapters, audit 9). Calls are `this.name()` or
    `alias.name()` with `const alias = this`, inside the class; calls from once-running code
    (the constructor, another start-up method) leave it once. ``from_listeners``: count only
    calls made in an event listener (`x.on('end', cb)`, `ws.onclose = cb`), which this file
    shows running again and again."""
    named = _method_key(method)
    if named is None or method.type != "method_definition":
        return False
    name, holder = named
    memo: dict[tuple[int, bool], bool] = ctx.memo("frequency.rerun-by-class", dict)
    key = (method.id, from_listeners)
    if key in memo:
        return memo[key]
    memo[key] = False  # asked again while deciding: the calls below decide, not this
    rerun = False
    for mention in _member_mentions(ctx, name):
        if mention.type != "member_expression" or not contains(holder, mention):
            continue
        call = _member_call(ctx.ancestry, mention)
        if call is None or not _is_this_or_alias(ctx, mention.child_by_field_name("object")):
            continue
        caller = effective_function(ctx.ancestry, call)
        if caller is None or caller.id == method.id:
            continue  # a direct call in its own body: no new run of a callback
        if from_listeners and not _is_event_listener(ctx, caller):
            continue
        if _once_caller(ctx, call) is None:
            rerun = True
            break
    memo[key] = rerun
    return rerun


def _is_event_listener(ctx: FileContext, function: Node) -> bool:
    """A function registered to run on every event: an argument of `x.on(…)` /
    `addEventListener(…)`, or the value of an `x.onclose = …` handler property."""
    up = ctx.ancestry
    outer = outermost(up, function)
    parent = up.parent(outer)
    if parent is not None and parent.type == "arguments":
        call = up.parent(parent)
        callee = call.child_by_field_name("function") if call is not None else None
        return member_property(callee) in PERSISTENT_LISTENING
    if parent is None or parent.type != "assignment_expression":
        return False
    target = parent.child_by_field_name("left")
    handler = member_property(target) if target is not None else None
    return parent.child_by_field_name("right") == outer and bool(
        handler and re.fullmatch(r"on[a-z]+", handler)
    )


def _is_this_or_alias(ctx: FileContext, receiver: Node | None) -> bool:
    """`this`, or a name declared as `const me = this` (`self`, `that`)."""
    if receiver is None:
        return False
    if receiver.type == "this":
        return True
    if receiver.type != "identifier":
        return False
    value = ctx.scopes.declared_value(receiver)
    return value is not None and value.type == "this"


def _teardown_method(function: Node) -> str | None:
    """The name of a method (of a class or an object literal) that ends its instance's life:
    `stop()`, `close()`, `onModuleDestroy()` (``TEARDOWN_NAME``). It runs once per instance,
    as it ends — umbreld's modules' `stop()`, called from the daemon's shutdown."""
    named = _method_key(function)
    if named is None or TEARDOWN_NAME.match(named[0]) is None:
        return None
    return named[0]


# Event-handler modules that a loader registers by their file name, `events/ready.js` as
# `client.on('ready', require(file))` (discord.js bot templates such as An Idiot's Guide's
# guidebot and discord-js-bot): the module's export is the handler of that event.
_EVENT_DIRECTORIES = frozenset({"events", "event", "listeners"})
_ONE_SHOT_EVENT_FILES = frozenset({"ready", "clientready"})


def _one_shot_event_module(ctx: FileContext, function: Node) -> str | None:
    """The event, when ``function`` is the export of a module named after a one-shot event
    under an `events/` or `listeners/` folder (`module.exports = async (client) => {…}` in
    `src/events/ready.js`): a client emits 'ready' once, so its handler runs once."""
    if not _is_module_export(ctx.ancestry, function):
        return None  # tested first: the file's project path costs a `realpath` to work out
    path = ctx.project_path
    stem = path.name.rsplit(".", 1)[0]
    folders = {part.lower() for part in path.parts[:-1]}
    if stem.lower() not in _ONE_SHOT_EVENT_FILES or not _EVENT_DIRECTORIES & folders:
        return None
    return stem


def _is_module_export(up: Ancestry, function: Node) -> bool:
    """`module.exports = function …`, `export default function …`."""
    outer = outermost(up, function)
    parent = up.parent(outer)
    if parent is None:
        return False
    if parent.type == "export_statement":
        return any(child.type == "default" for child in parent.children)
    if parent.type != "assignment_expression" or parent.child_by_field_name("right") != outer:
        return False
    return text(parent.child_by_field_name("left")) == "module.exports"


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
    constructor = class_method(body, "constructor")
    return constructor is not None and _super_says_once(constructor)


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
    if depth >= _START_UP_DEPTH:
        return False
    registration = _one_shot_registration(ctx, caller)
    if registration is not None:
        # `client.once(Events.ClientReady, () => registerJobs())`: the callback runs once per
        # run of the code that registers it, so the call in it does too.
        return _called_once_from_start_up(ctx, registration, depth + 1)
    return runs_once(ctx, caller, depth + 1)


def _one_shot_registration(ctx: FileContext, function: Node) -> Node | None:
    """The call that ``function`` is a one-shot callback argument of (`emitter.once('x', f)`,
    `client.on('ready', f)`, `p.then(f)`), if it is one."""
    up = ctx.ancestry
    if not is_one_shot_callback(up, function):
        return None
    arguments = up.parent(outermost(up, function))
    if arguments is None or arguments.type != "arguments":
        return None  # an event module's `execute` in an object literal: no call to follow
    return up.parent(arguments)


# -- run-once guards -------------------------------------------------------------------------


def lazy_init_owner(
    ctx: FileContext, node: Node, function: Node
) -> tuple[Node | None, Binding | Node] | None:
    """Inside ``if (!state) { state = …; … }``, or after ``if (state) return; state = …;``
    (nothing else resets ``state``), with ``state`` declared outside ``function``; or after
    ``if (this.state) return;`` in a method, or ``if (store.state) return;`` with ``store``
    declared outside ``function``. The code runs once per ``state`` however often the
    function is called. Returns the function that owns the state (None: module level) and the
    state, or None when there is no such guard."""
    up = ctx.ancestry
    if _may_follow_an_early_return(ctx, node, function):
        guard = _once_guard_before(ctx, node, function)
        if guard is not None:
            return effective_function(up, guard.node), guard
        this_guard = _this_guard_before(ctx, node, function)
        if this_guard is not None:
            return function, this_guard
        holder = _field_guard_before(ctx, node, function)
        if holder is not None:
            return effective_function(up, holder.node), holder
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
                and (
                    assigns(ctx, consequence, binding.name, binding.node.id)
                    or _set_after(ctx, ancestor, function, binding)
                )
            ):
                return effective_function(up, binding.node), binding
    return None


def _set_after(ctx: FileContext, guard: Node, function: Node, binding: Binding) -> bool:
    """``if (!inited) { setInterval(…) } inited = true;``: the flag is set by a statement of
    ``function``'s body after the guarding `if`, and nothing else writes it (lowcoder's
    perfUtils, audit 11): the guarded code runs once, as when the `if` sets it itself."""
    body = function.child_by_field_name("body")
    if body is None or ctx.ancestry.parent(guard) != body:
        return False
    sibling = guard.next_named_sibling
    while sibling is not None:
        if assigns(ctx, sibling, binding.name, binding.node.id):
            return _only_written_in(ctx, binding, sibling)
        sibling = sibling.next_named_sibling
    return False


def _may_follow_an_early_return(ctx: FileContext, node: Node, function: Node) -> bool:
    """Whether a statement of ``function``'s body before the one holding ``node`` may be an
    early `return`: the guards of the three tests below are read only from those, so without
    one each of them finds none. Asked for every use the project summary records (most of
    them in functions with no early return, or before it), so the body's first early return
    is found once per function instead of each test walking the statements for each use."""
    body = function.child_by_field_name("body")
    if body is None or body.type != "statement_block":
        return False  # none of the three looks at a body that is an expression
    memo: dict[int, Node | None] = ctx.memo("frequency.first-early-return", dict)
    if body.id not in memo:
        memo[body.id] = next((s for s in body.named_children if early_return(s) is not None), None)
    first = memo[body.id]
    if first is None:
        return False
    # Inside the body and ending within its first early return: held by that statement or by
    # one before it, so no early return comes before the holding statement.
    return not (body.start_byte < node.start_byte and node.end_byte <= first.end_byte)


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
            if not assigned or _reset_elsewhere(ctx, function, guarded):
                return None
            return guard
    return None


def _reset_elsewhere(ctx: FileContext, method: Node, names: set[bytes]) -> bool:
    """Another method of the class assigns the guard (`this.timer = null` in `unregister()`):
    the guard then lets the method run again, a lock rather than once per instance, as
    ``_only_written_in`` says of a variable. The constructor's initial value is no reset."""
    body = method.parent
    if body is None or body.type != "class_body":
        return False
    # Asked for every node of a guarded method, so the class is walked once per file, not
    # once per question (a 10,000-line class cost 30 ms a question).
    language = ctx.source.language
    assigned = ctx.memo(
        f"frequency:this-assigned:{body.id}", lambda: _this_assigned_by(body, language)
    )
    return any(member != method.id and names & found for member, found in assigned.items())


# The candidates for `this.x = …` anywhere below a node, found by the query (in C) rather
# than by visiting every node in Python: a large class cost ~10 ms a walk.
_THIS_ASSIGNMENTS = "(assignment_expression left: (_ object: (this))) @assignment"


def _this_assigned_by(class_body: Node, language: Language) -> dict[int, frozenset[bytes]]:
    """For each member of the class but its constructor, the ``this.<name>``s it assigns,
    nested functions included (unlike ``_assigns_this_property``: a reset in a callback of
    another method still resets)."""
    members = class_body.named_children
    starts = [member.start_byte for member in members]
    found: list[set[bytes]] = [set() for _ in members]
    for assignment in captures(language, _THIS_ASSIGNMENTS, class_body).get("assignment", ()):
        prop = _this_property_assigned(assignment)
        index = bisect.bisect_right(starts, assignment.start_byte) - 1
        # Members are disjoint and hold every assignment below the body.
        if prop is not None and index >= 0 and assignment.end_byte <= members[index].end_byte:
            found[index].add(prop)
    return {
        member.id: frozenset(props)
        for member, props in zip(members, found, strict=True)
        if not _is_constructor(member)
    }


def _this_property_assigned(node: Node) -> bytes | None:
    """`x` when ``node`` is the assignment `this.x = …`; else None."""
    if node.type != "assignment_expression":
        return None
    left = node.child_by_field_name("left")
    receiver = left.child_by_field_name("object") if left is not None else None
    prop = member_property(left)
    if receiver is None or receiver.type != "this" or prop is None:
        return None
    return prop.encode()


def _field_guard_before(ctx: FileContext, node: Node, function: Node) -> Binding | None:
    """``if (store.account) return store.account;`` at the top of ``function``, then
    ``store.account = …`` before or in the statement holding ``node``, with ``store`` declared
    outside ``function`` and nothing else in the file writing or deleting ``store.account``:
    the rest runs once per ``store`` (a lazy singleton kept on an outer object, as
    ``if (this.x) return`` keeps one per instance). Returns the holder's binding."""
    body = function.child_by_field_name("body")
    if body is None or body.type != "statement_block":
        return None
    guarded: dict[bytes, Binding] = {}  # `store.account` → the binding of `store`
    for statement in body.named_children:
        holds_node = contains(statement, node)
        if not holds_node and early_return(statement) is not None:
            condition = statement.child_by_field_name("condition")
            if condition is not None:
                guarded.update(_outer_fields_read(ctx, condition, function))
            continue
        for field, holder in guarded.items():
            if _assigns_field(statement, field) and _only_set_in(ctx, field, statement):
                return holder
        if holds_node:
            return None
    return None


def _outer_fields_read(ctx: FileContext, condition: Node, function: Node) -> dict[bytes, Binding]:
    """The `holder.field` reads of ``condition`` whose holder is a variable declared outside
    ``function`` (its parameters and locals are new on every call). A negated read
    (`if (!store.ready) return`) returns until the field is set: no run-once guard."""
    found: dict[bytes, Binding] = {}
    stack = [condition]
    while stack:
        current = stack.pop()
        if current.type == "unary_expression" and text(current).startswith("!"):
            continue
        if current.type == "member_expression":
            receiver = current.child_by_field_name("object")
            if receiver is not None and receiver.type == "identifier":
                binding = ctx.scopes.resolve(receiver)
                if binding is not None and not contains(function, binding.node):
                    found[current.text or b""] = binding
                continue
        stack.extend(current.named_children)
    return found


def _assigns_field(statement: Node, field: bytes) -> bool:
    """``statement`` assigns ``field`` (`store.account`), not inside a nested function."""
    stack = [statement]
    while stack:
        current = stack.pop()
        if current.type in FUNCTION_NODES:
            continue
        if current.type == "assignment_expression":
            left = current.child_by_field_name("left")
            if left is not None and left.type == "member_expression" and left.text == field:
                return True
        stack.extend(current.named_children)
    return False


def _only_set_in(ctx: FileContext, field: bytes, statement: Node) -> bool:
    """No write or `delete` of ``field`` outside ``statement``: a reset (`store.account =
    null` on logout) makes the guard a cache that is filled again, not a run-once guard.
    Searched as bytes (a field write is rare text), so no reference index is built."""
    holder, _, name = field.partition(b".")
    target = rb"\b" + re.escape(holder) + rb"\s*\.\s*" + re.escape(name) + rb"\b"
    assignment = rb"\s*(?:\*\*|<<|>>>?|&&|\|\||\?\?|[-+*/%&|^])?=(?!=)"
    pattern = re.compile(target + assignment + rb"|\bdelete\s+" + target)
    root = ctx.tree.root_node
    for match in pattern.finditer(ctx.source.data):
        if statement.start_byte <= match.start() < statement.end_byte:
            continue
        found = root.descendant_for_byte_range(match.start(), match.start() + 1)
        if found is None or found.type not in _NOT_CODE:
            return False
    return True


# Where text that looks like a write is not one.
_NOT_CODE = frozenset({"comment", "string_fragment", "string", "template_string"})


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
    """``statement`` assigns one of ``this.<names>``, not inside a nested function."""
    stack = [statement]
    while stack:
        current = stack.pop()
        if current.type in FUNCTION_NODES:
            continue
        if _this_property_assigned(current) in names:
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


# -- code that ends the page ----------------------------------------------------------------

# `location.reload()`, `window.location.assign(url)`: a browser page that navigates ends, and
# every timer it started with it.
_NAVIGATIONS = frozenset({"reload", "assign", "replace"})
_LOCATION_OWNERS = frozenset({"window", "document", "globalThis", "self"})


def navigates_away(ctx: FileContext, function: Node) -> Node | None:
    """The call or assignment in ``function`` (its nested callbacks too: `fetch(…).then(() =>
    location.reload())`) that navigates the page away — `location.reload()`,
    `location.assign(u)`, `window.location.href = u`, `location = u` on the global
    `location` — or None. A poll that reloads the page once the server is back runs until
    then: the reload ends it."""
    stack = [function]
    while stack:
        current = stack.pop()
        if current.type == "call_expression":
            callee = current.child_by_field_name("function")
            receiver = callee.child_by_field_name("object") if callee is not None else None
            if member_property(callee) in _NAVIGATIONS and _is_global_location(ctx, receiver):
                return current
        elif current.type == "assignment_expression":
            left = current.child_by_field_name("left")
            if _is_global_location(ctx, left) or (
                left is not None
                and left.type == "member_expression"
                and member_property(left) == "href"
                and _is_global_location(ctx, left.child_by_field_name("object"))
            ):
                return current
        stack.extend(current.named_children)
    return None


def _is_global_location(ctx: FileContext, node: Node | None) -> bool:
    """`location`, `window.location`, `document.location`, not declared in this file."""
    if node is None:
        return False
    if node.type == "member_expression":
        owner = node.child_by_field_name("object")
        if member_property(node) != "location" or owner is None or owner.type != "identifier":
            return False
        node = owner
        if text(node) not in _LOCATION_OWNERS:
            return False
    elif node.type != "identifier" or text(node) != "location":
        return False
    return ctx.scopes.resolve(node) is None


__all__ = [
    "FREQUENCY_ANALYSES",
    "PER_REQUEST_RATES",
    "Frequency",
    "Rate",
    "how_often",
    "lazy_init_owner",
    "navigates_away",
    "runs_once",
    "start_up_reason",
    "unit_of",
]
