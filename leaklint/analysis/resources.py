"""One acquire/release engine for every resource kind: LL003 (clients), LL006 (pool
checkouts), LL010 (worker threads, watchers, servers, child processes).

What acquires and what releases is data (``resource_table``), keyed by kind: a rule asks for the
leaks of its kinds and the engine treats every kind alike. For each acquisition inside a
function the engine decides, in this order:

1. **Where the value goes.** Module-level values live for the process (not a leak), and so do
   those made by code that runs once (``runs_once``: an IIFE, a ``main()`` called once). A value
   that is returned, yielded, stored on ``this``/an object/an outer variable, put in an array
   or object, or wrapped with ``new`` changes owner: quiet. ``using``/``await using`` close it
   themselves: quiet. A value that is created and thrown away is reported.
2. **How it is released.** A release call in a nested function (``.finally(() =>
   client.quit())``, ``res.on('finish', () => client.release())``) or a release method passed
   as a callback hands the release to someone else's schedule: quiet. Passing the value to a
   function, or using it in a closure, is quiet too unless this function also releases it
   (then it evidently owns it).
3. **Whether every path releases** (``release_paths``): no release at all is reported as
   *never closed*; a release that a throw, a ``return`` or a branch can skip is reported as
   *not guaranteed*, naming the operation that skips it. In test files only the first kind is
   reported (see ``source.is_test_file``).

Names are resolved through the scope and import analyses, never by text: ``new Redis()`` is
an ioredis client only when ``Redis`` comes from ``ioredis``.

Pool checkouts need a pool. ``pool.connect()`` counts when ``pool`` is a pg/mysql pool made in
this file (``new Pool()``, ``mysql.createPool()``, also through ``this.pool``) or typed as one in
TypeScript — or, when the pool comes from elsewhere (``import pool from './db'``), when this
function itself calls ``release()`` on the result: the code then says it holds a pool
checkout, and only *not guaranteed* releases are reported. ``createQueryRunner()`` is TypeORM's
alone and counts on any receiver; ``startSession()`` needs a MongoDB/mongoose receiver or an
``endSession()`` on the result (pg has a SASL ``startSession()``). Callback-style checkouts
(``pool.connect((err, client, done) => …)``) and ``pool.connect().then(client => …)`` on a known
pool are reported only when the callback never releases the client at all
(``callback_checkouts``).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import cache

from tree_sitter import Node

from leaklint.analysis.flow import ESCAPING, stored_for_the_call, use_of, value_identity
from leaklint.analysis.frequency import Rate, how_often
from leaklint.analysis.listeners import EMITTER_LISTENING, LISTENER_SETUP
from leaklint.analysis.nodes import (
    TRANSPARENT,
    accessed_member,
    call_arguments,
    class_method,
    member_property,
    plain_parameters,
    text,
)
from leaklint.analysis.release_paths import Exit, ReleasePaths, contains
from leaklint.analysis.resource_origins import (
    THIS_ASSIGNMENTS,
    declared_function,
    returned_values,
    type_origin,
    value_creation,
    value_origin,
)
from leaklint.analysis.resource_table import (
    CheckoutSpec,
    ClientSpec,
    PoolSource,
    ReleaseFunction,
    client_spec_for,
    configured_specs,
    file_may_use,
    needles,
    of_kinds,
    release_name,
)
from leaklint.analysis.throws import can_throw
from leaklint.model.settings import ResourceSpec, Settings
from leaklint.semantic.context import FileContext
from leaklint.semantic.imports import Symbol, string_value, unwrap, unwrap_awaited
from leaklint.semantic.scope import Binding, early_return, references_to

# Any of these closes a client, whatever the library: reporting a client as unclosed when the
# code calls a close method the table did not list would be a false alarm.
CLOSE_METHODS = frozenset({"quit", "disconnect", "end", "close", "destroy", "$disconnect"})
# Giving a checkout back; mysql2 also lets a connection be destroyed instead.
RETURN_METHODS = frozenset({"release", "releaseConnection", "destroy"})

# The rules' share of the file's single query pass: every call, `new` and `await` (candidate
# acquisitions, and the operations that can throw between acquisition and release).
ACQUISITION_QUERY = """
(new_expression) @new
(call_expression) @call
(await_expression) @await
"""
# The analysis queries that finding resources uses (where a pool came from): a rule that asks
# this module anything lists them in its `analyses`.
RESOURCE_ANALYSES = (THIS_ASSIGNMENTS,)

# Methods whose result is the object they were called on, so that
# `const c = await createClient().on('error', f).connect()` still binds the client to `c`.
_SELF_RETURNING = frozenset({"on", "once", "connect", "initialize", "asPromise"})
_TRANSPARENT = TRANSPARENT | {"await_expression"}
# Calls that keep their argument: `pools.set(name, pool)`, `clients.push(client)`.
_STORING_METHODS = frozenset({"set", "push", "unshift", "add", "splice", "register", "resolve"})
# -- results -------------------------------------------------------------------------------


@dataclass
class Leak:
    """One acquisition that is not released on every path."""

    acquisition: Node
    label: str
    kind: str  # the resource table's kind: CLIENT, POOL, WORKER …
    variable: str | None  # None: the value is discarded
    suggested_release: str
    releases: list[Node] = field(default_factory=list)  # empty: never released
    exits: list[Exit] = field(default_factory=list)
    consequence: str = ""  # what one leak costs, if not the rule's usual wording
    fix: str = ""  # how to release it, if not "call <variable>.<release>() in finally"
    notes: tuple[tuple[Node, str], ...] = ()  # related locations that explain the acquisition
    # For a resource released by a function given one of its arguments (`fs.unwatchFile(p)`):
    # that argument's text, which the message names instead of a variable.
    key: str | None = None

    @property
    def never_released(self) -> bool:
        return not self.releases

    @property
    def primary_exit(self) -> Exit | None:
        """The exit to explain in the message."""
        if not self.exits:
            return None
        return min(self.exits, key=_explanation_rank)


def _option_in(creation: Node, option: str, values: frozenset[str]) -> bool:
    """`new DataSource({ type: 'sqlite', … })`: the first argument's ``option`` is one of
    ``values`` (as a string literal)."""
    arguments = creation.child_by_field_name("arguments")
    first = arguments.named_child(0) if arguments is not None else None
    if first is None or first.type != "object":
        return False
    for pair in first.named_children:
        if pair.type != "pair":
            continue
        key = pair.child_by_field_name("key")
        value = pair.child_by_field_name("value")
        if key is None or value is None or key.text.strip(b"'\"") != option.encode():
            continue
        return value.type == "string" and value.text.strip(b"'\"`").decode() in values
    return False


def _explanation_rank(exit_: Exit) -> tuple[int, int]:
    """The likeliest leaking path first: an explicit `throw` (it is certain to leave), then an
    early `return`, then awaited operations (what fails in practice), then other calls, then
    the end of the function."""
    trigger = exit_.trigger
    if trigger is None:
        return (1 if exit_.kind == "return" else 4), exit_.node.start_byte
    if trigger.type == "throw_statement":
        return 0, trigger.start_byte
    return (2 if trigger.type == "await_expression" else 3), trigger.start_byte


@dataclass
class _Acquisition:
    node: Node
    function: Node
    label: str
    kind: str
    release: frozenset[str]
    suggested_release: str
    needs_evidence: bool = False  # a checkout on a pool of unknown origin
    result_types: tuple[PoolSource, ...] = ()
    # Release methods that prove a checkout of unknown origin is one (`client.release()`).
    evidence: frozenset[str] = frozenset()
    consequence: str = ""
    notes: tuple[tuple[Node, str], ...] = ()
    opened_by: str | None = None  # see ClientSpec.opened_by
    opens_on_use: bool = False  # see ClientSpec.opens_on_use
    # The rest of the entry's ClientSpec fields (see there); defaults for checkouts.
    listener_callback: bool = False
    release_functions: tuple[ReleaseFunction, ...] = ()
    self_returning: frozenset[str] = frozenset()
    bound_handles: frozenset[str] = frozenset()
    ends_on_its_own: tuple[str, ...] = ()
    lives_for_the_process: bool = False
    serverless: bool = False  # made with an option that says so (see ClientSpec.serverless)
    # A checkout's pool, and its methods that release every checkout (see CheckoutSpec).
    owner: Node | None = None
    owner_releases: frozenset[str] = frozenset()


@dataclass
class _Uses:
    """How a function uses the variable that holds a resource."""

    releases: list[Node] = field(default_factory=list)
    deferred_release: bool = False
    escapes: bool = False  # returned, stored, yielded, wrapped: owned elsewhere now
    shared: bool = False  # passed to a call or used in a closure


# -- the engine ----------------------------------------------------------------------------


def specs_of(
    settings: Settings | None, kinds: str | tuple[str, ...]
) -> tuple[tuple[ClientSpec, ...], tuple[CheckoutSpec, ...]]:
    """The configured table's constructions and checkouts that make one of ``kinds``."""
    resources = settings.resources if settings is not None else ()
    return _specs_of(resources, (kinds,) if isinstance(kinds, str) else kinds)


def may_hold(data: bytes, settings: Settings | None, kinds: str | tuple[str, ...]) -> bool:
    """A substring test: can this file acquire a resource of ``kinds`` at all
    (``resource_table.file_may_use`` on the configured entries of those kinds)?"""
    resources = settings.resources if settings is not None else ()
    return (
        _needles_of(resources, (kinds,) if isinstance(kinds, str) else kinds).search(data)
        is not None
    )


@cache
def _needles_of(resources: tuple[ResourceSpec, ...], kinds: tuple[str, ...]) -> re.Pattern[bytes]:
    # Keyed by the configuration, not by the entries: hashing every entry (frozen dataclasses
    # of tuples) per file and rule cost more than the search.
    constructions, checkouts = _specs_of(resources, kinds)
    return needles((*constructions, *checkouts))


@cache
def _specs_of(
    resources: tuple[ResourceSpec, ...], kinds: tuple[str, ...]
) -> tuple[tuple[ClientSpec, ...], tuple[CheckoutSpec, ...]]:
    # Asked per file and rule (``applies_to``, ``find_leaks``): built once per configuration.
    clients, checkouts = configured_specs(resources)
    wanted = frozenset(kinds)
    return of_kinds(clients, wanted), of_kinds(checkouts, wanted)


def find_leaks(
    ctx: FileContext, kinds: str | tuple[str, ...], captures: dict[str, list[Node]]
) -> list[Leak]:
    """Acquisitions of ``kinds`` (the resource table's: CLIENT, POOL, WORKER …) in ``ctx``
    that can leak. Every kind is judged by the same steps; only its table entry differs.

    ``captures`` are the rule's share of the shared query pass (``ACQUISITION_QUERY``).
    """
    if not may_hold(ctx.source.data, ctx.settings, kinds):
        return []
    constructions, checkouts = specs_of(ctx.settings, kinds)
    engine = _Engine(ctx, captures)
    leaks = []
    if constructions:
        leaks += [leak for leak in map(engine.analyse, engine.clients(constructions)) if leak]
    if checkouts:
        leaks += [leak for leak in map(engine.analyse, engine.checkouts(checkouts)) if leak]
        leaks += engine.callback_checkouts(checkouts)
        leaks.sort(key=lambda leak: leak.acquisition.start_byte)
    return leaks


class _Engine:
    def __init__(self, ctx: FileContext, captures: dict[str, list[Node]]) -> None:
        self.ctx = ctx
        self.parent = ctx.ancestry.parent
        self.calls = captures.get("call", [])
        self.news = captures.get("new", [])
        self._operations = sorted(
            [*self.calls, *self.news, *captures.get("await", ())], key=lambda n: n.start_byte
        )
        self._operation_starts = [op.start_byte for op in self._operations]
        self._aliases: dict[bytes | None, bool] = {}

    # -- finding acquisitions ------------------------------------------------------------

    def clients(self, specs: tuple[ClientSpec, ...]) -> Iterator[_Acquisition]:
        # A member's own name, or None when some spec is a module's default export, which
        # can be imported under any local name.
        names = {path[-1] if path else None for spec in specs for path in spec.paths}
        listeners = any(spec.listener_callback for spec in specs)
        default_exports = tuple(spec for spec in specs if () in spec.paths)
        any_name = None in names and file_may_use(self.ctx.source.data, default_exports)
        named = {name for name in names if name is not None} | {"default"}
        made: list[_Acquisition] = []
        for node in sorted([*self.news, *self.calls], key=lambda n: n.start_byte):
            field_name = "constructor" if node.type == "new_expression" else "function"
            callee = node.child_by_field_name(field_name)
            if callee is None:
                continue
            if (
                _last_name(callee) not in named
                and not (any_name and callee.type in ("identifier", "call_expression"))
                and not self._is_imported_alias(callee)
            ):
                continue
            function = self._candidate_function(node, listeners)
            if function is None:
                continue
            symbol = self.ctx.imports.resolve(callee)
            spec = next((s for s in specs if symbol is not None and s.matches(symbol)), None)
            if spec is None or (_has_callback_argument(node) and not spec.listener_callback):
                continue  # callback style: the resource goes to the callback
            if self._runs_per_call(node):
                made.append(self._construction(node, function, spec))
                yield made[-1]
        yield from self._factory_calls(made)

    def _is_imported_alias(self, callee: Node) -> bool:
        """A callee named by a renamed import (`const { watch: watchDir } = require('fs')`,
        `import { createClient as connect } from 'redis'`): its name is not the member's, so
        only the import analysis can say what it is. Decided once per name (a prefilter: the
        resolution that follows is what counts)."""
        if callee.type != "identifier":
            return False
        known = self._aliases.get(callee.text)
        if known is None:
            binding = self.ctx.scopes.resolve(callee)
            known = binding is not None and self.ctx.imports.binding_symbol(binding) is not None
            self._aliases[callee.text] = known
        return known

    def _construction(self, node: Node, function: Node, spec: ClientSpec) -> _Acquisition:
        return _Acquisition(
            node,
            function,
            spec.label,
            spec.kind,
            frozenset(spec.release) | CLOSE_METHODS,
            spec.release[0] if spec.release else "",
            needs_evidence=spec.needs_evidence,
            evidence=frozenset(spec.release),
            opened_by=spec.opened_by,
            opens_on_use=spec.opens_on_use,
            listener_callback=spec.listener_callback,
            release_functions=spec.release_functions,
            self_returning=frozenset(spec.self_returning),
            bound_handles=frozenset(spec.bound_handles),
            ends_on_its_own=spec.ends_on_its_own,
            lives_for_the_process=spec.lives_for_the_process,
            serverless=spec.serverless is not None and _option_in(node, *spec.serverless),
        )

    def _factory_calls(
        self, made: list[_Acquisition], wording: str = "creates a new {label} here on every call"
    ) -> Iterator[_Acquisition]:
        """Calls, in code that runs per call, of a function of this file that makes a new
        client (or checks one out of a pool) every time: `function connect() { return new
        Redis() }` … `connect()`."""
        factories = {a.function.id: a for a in made if self._is_fresh_factory(a)}
        if not factories:
            return
        for call in self.calls:
            callee = unwrap(call.child_by_field_name("function"))
            if callee is None:
                continue
            if callee.type == "identifier":
                binding = self.ctx.scopes.resolve(callee)
                factory = declared_function(binding) if binding is not None else None
            elif callee.type == "member_expression":
                factory = self._own_method(call, callee)  # `this.getClient()`
            else:
                continue
            inner = factories.get(factory.id) if factory is not None else None
            function = self._candidate_function(call) if inner is not None else None
            if inner is None or function is None or not self._runs_per_call(call):
                continue
            note = f"'{self.ctx.text(callee)}()' " + wording.format(label=inner.label)
            # `const c = new Client(); await c.connect(); return c`: the caller's is open.
            opened_by = None if self._opened_inside(inner) else inner.opened_by
            yield replace(
                inner,
                node=call,
                function=function,
                notes=((inner.node, note),),
                opened_by=opened_by,
            )

    def _opened_inside(self, acquisition: _Acquisition) -> bool:
        """Whether a factory opens the client it returns (`opened_by`, pg's `connect()`)
        before the caller gets it, in the creating chain or on the variable holding it."""
        if acquisition.opened_by is None:
            return False
        holder = self._holder(acquisition.node, acquisition.function, acquisition.self_returning)
        return self._is_opened(acquisition, holder if holder is not None else "discarded")

    def _own_method(self, call: Node, callee: Node) -> Node | None:
        """The method of the caller's own class that `this.name(…)` calls: the instance
        method `name` of the class body whose method (through arrows, which keep `this`)
        the call is in. A subclass may override it; the class's own definition is what the
        code says."""
        receiver = callee.child_by_field_name("object")
        name = callee.child_by_field_name("property")
        if receiver is None or receiver.type != "this" or name is None:
            return None
        method = self.ctx.enclosing_function(call)
        while method is not None and method.type == "arrow_function":
            method = self.ctx.enclosing_function(method)
        body = self.ctx.ancestry.parent(method) if method is not None else None
        if method is None or method.type != "method_definition" or body is None:
            return None
        return class_method(body, text(name), instance_only=True)

    def _is_fresh_factory(self, acquisition: _Acquisition) -> bool:
        """Every `return` of the acquisition's function gives back this new client, directly
        or through a local variable; a cached client (`return client ??= …`) is not fresh."""
        function = acquisition.function
        body = function.child_by_field_name("body")
        value = self._outermost_value(acquisition.node, acquisition.self_returning)
        if body is None or body.type != "statement_block":
            return body is not None and body.id == value.id  # `() => new Redis()`
        holder = self._holder(acquisition.node, function, acquisition.self_returning)
        returned = returned_values(function)
        for expression in returned:
            if expression.id == value.id:
                continue
            if isinstance(holder, Binding) and expression.type == "identifier":
                binding = self.ctx.scopes.resolve(expression)
                if binding is not None and binding.node.id == holder.node.id:
                    continue
            return False
        return bool(returned)

    def checkouts(self, specs: tuple[CheckoutSpec, ...]) -> Iterator[_Acquisition]:
        by_method = {spec.method: spec for spec in specs}
        made: list[_Acquisition] = []
        for node in self.calls:
            callee = node.child_by_field_name("function")
            if callee is None or callee.type != "member_expression":
                continue
            spec = by_method.get(_last_name(callee))
            if spec is None:
                continue
            # `_checkout` tells a callback-style checkout from a promise one for these specs.
            if spec.arguments_mean_callback:
                function = self.ctx.enclosing_function(node)
            else:
                function = self._candidate_function(node)
            if function is not None:
                acquisition = self._checkout(node, callee, function, spec)
                if acquisition is not None and self._runs_per_call(node):
                    made.append(acquisition)
                    yield acquisition
        # `const getClient = () => pool.connect()` … `const client = await getClient()`: the
        # caller holds the checkout, as for a client factory.
        yield from self._factory_calls(made, "checks out a {label} here on every call")

    def callback_checkouts(self, specs: tuple[CheckoutSpec, ...]) -> Iterator[Leak]:
        """Checkouts handed to a callback that never gives the client back:
        `pool.connect((err, client, done) => …)`, `pool.getConnection((err, conn) => …)` and
        `pool.connect().then(client => …)`.

        Only the certain case is reported: on a pool known to be one, nothing in the callback
        (nested functions included) calls or even mentions `done`, releases the client, or
        hands it on (to a call, a variable, a return). Whether *every* path releases is not
        judged here: the error branch (`if (err) return …`) has no client to release.
        """
        by_method = {s.method: s for s in specs if s.arguments_mean_callback and s.pools}
        for node in self.calls:
            found = self._callback_checkout(node, by_method)
            if found is None or self.ctx.enclosing_function(node) is None:
                continue
            checkout, callback, client, done, spec = found
            if b"arguments" in (callback.text or b""):
                continue
            if not _on_known_pool(self.ctx, checkout, spec):
                continue
            leak = self._unreleased_in_callback(checkout, callback, client, done, spec)
            function = self.ctx.enclosing_function(node)
            if leak is not None and function is not None and self._runs_per_call(node):
                yield leak

    def _callback_checkout(
        self, call: Node, by_method: dict[str, CheckoutSpec]
    ) -> tuple[Node, Node, Node, Node | None, CheckoutSpec] | None:
        """(checkout call, callback, client parameter, release parameter, spec) if ``call``
        hands a checkout to a callback."""
        callee = call.child_by_field_name("function")
        if callee is None or callee.type != "member_expression":
            return None
        method = _last_name(callee)
        if method != "then" and method not in by_method:
            return None  # nearly every call: decided before looking at the arguments
        # The checkout's callback comes last; `.then(onFulfilled, onRejected)` has it first.
        callback = _callback_argument(call, first=method == "then")
        parameters = plain_parameters(callback) if callback is not None else None
        if callback is None or not parameters:
            return None
        spec = by_method.get(method)
        if spec is not None:  # pool.connect((err, client, done) => …)
            if len(parameters) < 2:
                return None
            done = parameters[2] if len(parameters) > 2 else None
            return call, callback, parameters[1], done, spec
        if method != "then":  # pool.connect().then(client => …)
            return None
        checkout = unwrap(callee.child_by_field_name("object"))
        if checkout is None or checkout.type != "call_expression":
            return None
        arguments = checkout.child_by_field_name("arguments")
        pool = checkout.child_by_field_name("function")
        spec = by_method.get(_last_name(pool)) if pool is not None else None
        if spec is None or (arguments is not None and arguments.named_child_count):
            return None
        return checkout, callback, parameters[0], None, spec

    def _unreleased_in_callback(
        self, call: Node, callback: Node, parameter: Node, done: Node | None, spec: CheckoutSpec
    ) -> Leak | None:
        scopes, references = self.ctx.scopes, self.ctx.references
        client = scopes.resolve(parameter)
        if client is None or client.node.id != parameter.id:
            return None
        release = f"{done.text.decode()}()" if done is not None else f"{client.name}.release()"
        leak = Leak(
            call,
            spec.label,
            spec.kind,
            client.name,
            spec.release[0],
            consequence=spec.consequence,
            fix=f"Call `{release}` when its queries are done, on every path of the callback.",
        )
        releases = frozenset(spec.release) | RETURN_METHODS
        done_uses: list[Node] = []
        if done is not None:
            done_binding = scopes.resolve(done)
            if done_binding is None:
                return None
            done_uses = list(references_to(done_binding, scopes, references))
        uses = self._uses(client, callback, releases)
        if uses.escapes or uses.releases:
            return None
        if not done_uses and not uses.deferred_release:
            # Nothing ever gives the client back, unless whoever it is handed to does.
            return None if uses.shared else leak
        # Released in a nested callback: using the client there too (`client.query(…, cb)`
        # inside the query callback) is the normal shape, and the early return judged below
        # must not mention the client anyway.
        return self._early_return_in_release_callback(leak, callback, client, done_uses, releases)

    def _early_return_in_release_callback(
        self,
        leak: Leak,
        callback: Node,
        client: Binding,
        done_uses: list[Node],
        releases: frozenset[str],
    ) -> Leak | None:
        """The classic callback leak: the query's callback returns early on an error before it
        calls `done()`, so every failed query keeps a client checked out.

        Only that shape is judged: the release is a plain call in a function nested in the
        checkout callback (the checkout callback's own early returns are about a failed
        connect, when there is no client), and a statement before it there, or before the
        nested callback that holds it at any depth below the checkout callback, is an `if`
        without `else` that returns, mentioning neither the client nor `done`.
        """
        if self.ctx.is_test_file:
            return None  # see source.is_test_file: only never-released checkouts there
        calls: list[Node] = []
        for use in done_uses:
            parent = self.parent(use)
            if parent is None or parent.type != "call_expression":
                return None  # `done` handed on or kept: someone else releases
            if parent.child_by_field_name("function") != use:
                return None
            calls.append(parent)
        for ref in references_to(client, self.ctx.scopes, self.ctx.references):
            kind, node = self._classify_reference(ref, releases)
            if kind == "release":
                calls.append(node)
        names = {client.name} | {use.text.decode() for use in done_uses}
        for release in sorted(calls, key=lambda n: n.start_byte):
            # From the release's own function out to (not into) the checkout callback: a
            # return before the nested callback that releases skips the release as well.
            inner, function = release, self.ctx.enclosing_function(release)
            while function is not None and function.id != callback.id:
                exit_ = _early_return_before(function, inner, names)
                if exit_ is not None:
                    leak.releases = [release]
                    leak.exits = [Exit("return", exit_)]
                    return leak
                inner, function = function, self.ctx.enclosing_function(function)
        return None

    def _candidate_function(self, node: Node, listeners: bool = False) -> Node | None:
        """The function an acquisition runs in, or None when it is not worth analysing.

        ``listeners``: a function argument may be a listener rather than a hand-over (the
        table entry decides once the acquisition is resolved)."""
        if not listeners and _has_callback_argument(node):
            return None  # callback style: the resource goes to the callback
        # None at module level: a module-level client lives as long as the process.
        return self.ctx.enclosing_function(node)

    def _runs_per_call(self, node: Node) -> bool:
        # So does one made by code that runs once (start-up code, a one-shot callback at
        # module level, a lazy initialisation): `frequency` decides, for every rule alike.
        # Asked only once an acquisition is confirmed: it may index the file's identifiers.
        return how_often(self.ctx, node).repeats

    def _checkout(
        self, node: Node, callee: Node, function: Node, spec: CheckoutSpec
    ) -> _Acquisition | None:
        if spec.awaited and not self._is_awaited(node):
            return None
        if spec.ends_with_the_run and (self.ctx.is_test_file or self.ctx.is_script_file):
            return None
        arguments = node.child_by_field_name("arguments")
        if (
            spec.arguments_mean_callback
            and arguments is not None
            and arguments.named_child_count
            # mysql2/promise ignores a callback: `const c = await pool.getConnection(cb)` is
            # a promise checkout all the same (a tutorial idiom passes `async (c) => c`).
            and not isinstance(self._holder(node, function), Binding)
        ):
            return None  # callback style: the connection goes to the callback
        acquisition = _Acquisition(
            node,
            function,
            spec.label,
            spec.kind,
            frozenset(spec.release) | RETURN_METHODS,
            spec.release[0],
            result_types=spec.result_types,
            evidence=frozenset(spec.release),
            consequence=spec.consequence,
            owner=callee.child_by_field_name("object"),
            owner_releases=frozenset(spec.owner_releases),
        )
        if self._owned_or_poolless(callee.child_by_field_name("object"), function):
            return None
        if spec.pools is None:
            return acquisition
        origin = value_origin(self.ctx, callee.child_by_field_name("object"))
        if origin is not None and any(pool.matches(origin) for pool in spec.pools):
            return acquisition
        if origin is not None and _is_library(origin):
            return None  # a known library value that is not a pool (`client.connect()`)
        acquisition.needs_evidence = True
        acquisition.label = spec.generic_label or spec.label
        return acquisition

    def _owned_or_poolless(self, receiver: Node | None, function: Node) -> bool:
        """Whether a checkout from ``receiver`` cannot lose a pool connection for good:

        * its owner — the DataSource or pool it came from — is a resource this same function
          creates: the checkout goes when its owner is destroyed, and the owner is judged like
          any client (LL003: a per-call DataSource whose destroy() a path skips);
        * its owner has no pool (a TypeORM DataSource of `type: 'sqlite'`).
        """
        creation = value_creation(self.ctx, receiver)
        if creation is None:
            return False
        field = "constructor" if creation.type == "new_expression" else "function"
        clients, _ = configured_specs(self.ctx.settings.resources)
        spec = client_spec_for(
            self.ctx.imports.resolve(creation.child_by_field_name(field)), clients
        )
        if spec is None:
            return False
        if spec.poolless is not None and _option_in(creation, *spec.poolless):
            return True
        owner_function = self.ctx.enclosing_function(creation)
        return owner_function is not None and owner_function.id == function.id

    def _is_awaited(self, node: Node) -> bool:
        parent = self.parent(node)
        while parent is not None and parent.type in (
            "parenthesized_expression",
            "non_null_expression",
        ):
            parent = self.parent(parent)
        return parent is not None and parent.type == "await_expression"

    # -- deciding --------------------------------------------------------------------------

    def analyse(self, acquisition: _Acquisition) -> Leak | None:
        holder = self._holder(acquisition.node, acquisition.function, acquisition.self_returning)
        if holder is None:
            return None  # ownership moved, or `using` closes it
        if acquisition.release_functions:
            return self._analyse_keyed(acquisition)
        leak = Leak(
            acquisition.node,
            acquisition.label,
            acquisition.kind,
            None,
            acquisition.suggested_release,
            consequence=acquisition.consequence,
            notes=acquisition.notes,
        )
        if acquisition.opened_by is not None and not self._is_opened(acquisition, holder):
            return None  # a client that never connects holds no connection
        if holder == "discarded":
            return None if acquisition.needs_evidence or self._meant_to_live(acquisition) else leak
        leak.variable = holder.name
        if acquisition.needs_evidence and self._typed_as(holder, acquisition.result_types):
            acquisition.needs_evidence = False
        uses = self._uses(
            holder,
            acquisition.function,
            acquisition.release,
            acquisition.self_returning,
            acquisition.bound_handles,
        )
        if uses.deferred_release or uses.escapes:
            return None
        owner_releases = self._owner_releases(acquisition)
        if owner_releases:
            uses = replace(
                uses, releases=sorted([*uses.releases, *owner_releases], key=lambda n: n.start_byte)
            )
        if acquisition.needs_evidence and not _released_by(uses.releases, acquisition.evidence):
            return None
        if not uses.releases:
            if uses.shared or self._listens_for_end(holder, acquisition.ends_on_its_own):
                return None
            return None if self._meant_to_live(acquisition) else leak
        if uses.shared and all(self._in_catch(r, acquisition.function) for r in uses.releases):
            # Released only when something fails, handed on otherwise (`callback(null, c)`):
            # the success path gives it to someone else.
            return None
        if self.ctx.is_test_file:
            return None  # see source.is_test_file
        leak.releases = uses.releases
        paths = ReleasePaths(
            acquisition.function,
            self._first_open(acquisition, holder),
            uses.releases,
            self._direct_operations(acquisition.function),
            holder.name,
            self.ctx.ancestry,
            throws=lambda op: can_throw(self.ctx, op),
            # A test of the pool whose release releases the checkout tests the checkout too.
            owner=text(acquisition.owner) if owner_releases and acquisition.owner else None,
        )
        leak.exits = paths.run()
        if acquisition.opens_on_use:
            leak.exits = self._exits_after_first_use(leak.exits, holder, acquisition)
        return leak if leak.exits else None

    def _owner_releases(self, acquisition: _Acquisition) -> list[Node]:
        """The calls in the acquiring function that release the checkout's pool, and every
        checkout with it (`this.browser.close()` after `this.browser.newPage()`)."""
        if not acquisition.owner_releases:
            return []
        owner = value_identity(self.ctx, acquisition.owner)
        if owner is None:
            return []
        found = []
        for op in self._direct_operations(acquisition.function):
            callee = op.child_by_field_name("function") if op.type == "call_expression" else None
            if (
                callee is not None
                and callee.type == "member_expression"
                and member_property(callee) in acquisition.owner_releases
                and value_identity(self.ctx, callee.child_by_field_name("object")) == owner
            ):
                found.append(op)
        return found  # in source order, as ``_direct_operations`` gives them

    def _exits_after_first_use(
        self, exits: list[Exit], holder: Binding, acquisition: _Acquisition
    ) -> list[Exit]:
        """The exits of a lazy pool (``ClientSpec.opens_on_use``) that leave it holding a
        connection: a throw or return before anything uses the pool leaves none open (`new
        Pool(cfg)`, `pool.on('error', f)`, then a config check that throws, then the `try`)."""
        first = self._first_use(holder, acquisition)
        if first is None:
            return []
        # An operation that contains the first use (`await run(pool)`) fails after it.
        return [e for e in exits if e.kind == "end" or e.node.end_byte > first.start_byte]

    def _first_use(self, holder: Binding, acquisition: _Acquisition) -> Node | None:
        """The first reference to the pool, after it is made, that may open a connection: any
        but a listener or setup call on it (`pool.on('error', f)`) and its release."""
        for ref in sorted(
            references_to(holder, self.ctx.scopes, self.ctx.references), key=lambda r: r.start_byte
        ):
            if ref.start_byte < acquisition.node.end_byte:
                continue
            member = self.parent(ref)
            if (
                member is not None
                and member.type == "member_expression"
                and member.child_by_field_name("object") == ref
                and _last_name(member) in LISTENER_SETUP | acquisition.release
            ):
                continue
            return ref
        return None

    def _analyse_keyed(self, acquisition: _Acquisition) -> Leak | None:
        """A resource released by a function given its key argument (`fs.watchFile(p, f)` …
        `fs.unwatchFile(p)`): the releases are the calls of that function whose key argument
        is the same value; one in another function (a 'close' handler, a `stop()` method)
        hands the release to that code's schedule, as a nested release call does."""
        release = acquisition.release_functions[0]
        key = _argument(acquisition.node, release.key_argument)
        if key is None:
            return None
        identity = value_identity(self.ctx, key)
        releases: list[Node] = []
        for call in self.calls:
            callee = call.child_by_field_name("function")
            symbol = self.ctx.imports.resolve(callee) if callee is not None else None
            if symbol is None or not any(r.matches(symbol) for r in acquisition.release_functions):
                continue
            argument = _argument(call, release.key_argument)
            if argument is None:
                continue
            same = identity is not None and value_identity(self.ctx, argument) == identity
            if not same and argument.text != key.text:
                continue
            if not self._same_function(call, acquisition.function):
                return None  # released elsewhere, on that code's schedule
            releases.append(call)
        shown = self.ctx.text(key)
        leak = Leak(
            acquisition.node,
            acquisition.label,
            acquisition.kind,
            None,
            acquisition.suggested_release,
            notes=acquisition.notes,
            key=shown,
        )
        if not releases:
            return None if self._meant_to_live(acquisition) else leak
        if self.ctx.is_test_file:
            return None  # see source.is_test_file
        leak.variable, leak.releases = shown, releases
        paths = ReleasePaths(
            acquisition.function,
            acquisition.node,
            releases,
            self._direct_operations(acquisition.function),
            shown,
            self.ctx.ancestry,
            throws=lambda op: can_throw(self.ctx, op),
        )
        leak.exits = paths.run()
        return leak if leak.exits else None

    def _meant_to_live(self, acquisition: _Acquisition) -> bool:
        """A never-released value of a kind that usually lives for the process, made by code
        that is not known to run per request, connection, message, tick or effect run (see
        ``ClientSpec.lives_for_the_process``); or a client of no server (a SQLite file) that a
        test never closes: it holds a file until the test run ends, no connection a server
        counts (see ``ClientSpec.serverless``)."""
        if acquisition.serverless and self.ctx.is_test_file:
            return True
        if not acquisition.lives_for_the_process:
            return False
        return how_often(self.ctx, acquisition.node).rate not in _PER_UNIT_OF_WORK

    def _listens_for_end(self, holder: Binding, events: tuple[str, ...]) -> bool:
        """`worker.on('exit', …)`, `worker.once('exit', …)`, `once(worker, 'exit')`: the code
        waits for the resource to end by itself."""
        if not events:
            return False
        for ref in references_to(holder, self.ctx.scopes, self.ctx.references):
            use = use_of(self.ctx.ancestry, ref)
            if use.kind == "member" and use.parent is not None:
                call = self.parent(use.parent)
                listens = _last_name(use.parent) in EMITTER_LISTENING and call is not None
                if listens and _string_argument(call, 0) in events:
                    return True
            elif use.kind == "argument" and use.parent is not None:
                call = self.parent(use.parent)
                if call is not None and _string_argument(call, 1) in events:
                    return True  # events.once(worker, 'exit')
        return False

    def _direct_operations(self, function: Node) -> list[Node]:
        """Calls, `new`s and awaits that run in ``function`` itself, in source order."""
        # A slice of the sorted operations, not a scan of all: a route file with a checkout
        # in each of its handlers paid every operation of the file per handler.
        low = bisect.bisect_left(self._operation_starts, function.start_byte)
        high = bisect.bisect_left(self._operation_starts, function.end_byte)
        return [op for op in self._operations[low:high] if self._same_function(op, function)]

    # -- where the acquired value goes -----------------------------------------------------

    def _holder(
        self, node: Node, function: Node, self_returning: frozenset[str] = frozenset()
    ) -> Binding | str | None:
        """The local variable that receives the value, "discarded", or None when it escapes."""
        value = self._outermost_value(node, self_returning)
        parent = self.parent(value)
        if parent is None:
            return None
        if parent.type == "expression_statement":
            return "discarded"
        if parent.type == "variable_declarator" and parent.child_by_field_name("value") == value:
            name = parent.child_by_field_name("name")
            declaration = self.parent(parent)
            if name is None or name.type != "identifier" or declaration is None:
                return None
            if self._is_using(declaration):
                return None  # `using` / `await using` dispose of it at the end of the block
            return self.ctx.scopes.resolve(name)
        if parent.type == "assignment_expression" and parent.child_by_field_name("right") == value:
            left = parent.child_by_field_name("left")
            if left is None or left.type != "identifier":
                return None  # this.client = …, obj.x = …: stored
            binding = self.ctx.scopes.resolve(left)
            if binding is None or not self._same_function(binding.node, function):
                return None  # a module or outer variable: it outlives the call
            return binding
        return None

    def _is_using(self, declaration: Node) -> bool:
        if declaration.type == "using_declaration":
            return True
        # The TypeScript grammar does not know `using`: the parser sees it rewritten to
        # `const`, while the file's own bytes still say `using` / `await using`.
        start = declaration.start_byte
        return self.ctx.source.data[start : start + 5] in (b"using", b"await")

    def _is_opened(self, acquisition: _Acquisition, holder: Binding | str) -> bool:
        """Whether `<client>.<opened_by>()` is called: in the creating chain
        (`new Client(cfg).connect()`) or on the variable that holds it, anywhere."""
        method = acquisition.opened_by
        current = acquisition.node
        outermost = self._outermost_value(current, acquisition.self_returning)
        while current.id != outermost.id and (parent := self.parent(current)) is not None:
            if parent.type == "member_expression" and _last_name(parent) == method:
                return True
            current = parent
        if not isinstance(holder, Binding):
            return False
        for ref in references_to(holder, self.ctx.scopes, self.ctx.references):
            member = accessed_member(self.ctx.ancestry, ref)
            if member is not None and _last_name(member) == method:
                return True
        return False

    def _first_open(self, acquisition: _Acquisition, holder: Binding) -> Node:
        """Where the resource starts to hold something: the first `<client>.<opened_by>()`
        made in the acquiring function itself (pg's `client.connect()`), else its creation.

        Before that call there is no connection to lose, so what throws between
        `new Client()` and a `connect()` made inside the `try` skips no close (dittofeed's
        `createDatabase`: `config()` ran between the two)."""
        method = acquisition.opened_by
        if method is None:
            return acquisition.node
        opens = [
            call
            for ref in references_to(holder, self.ctx.scopes, self.ctx.references)
            if (member := self.parent(ref)) is not None
            and member.type == "member_expression"
            and member.child_by_field_name("object") == ref
            and _last_name(member) == method
            and (call := self.parent(member)) is not None
            and call.type == "call_expression"
            and call.start_byte > acquisition.node.start_byte  # not an earlier value's open
            and self._same_function(call, acquisition.function)
        ]
        if not opens:
            return acquisition.node  # opened in the creating chain, or by other code
        return min(opens, key=lambda call: call.start_byte)

    def _outermost_value(self, node: Node, self_returning: frozenset[str] = frozenset()) -> Node:
        """Climb through await, parentheses, TS casts and self-returning calls like `.on()`
        (and the entry's own, ``self_returning``: a server's `.listen()`)."""
        current = node
        while (parent := self.parent(current)) is not None:
            if parent.type in _TRANSPARENT:
                current = parent
                continue
            call = self.parent(parent) if parent.type == "member_expression" else None
            if (
                call is not None
                and call.type == "call_expression"
                and parent.child_by_field_name("object") == current
                and (_last_name(parent) in _SELF_RETURNING or _last_name(parent) in self_returning)
            ):
                current = call
                continue
            break
        return current

    def _uses(
        self,
        binding: Binding,
        function: Node,
        releases: frozenset[str],
        self_returning: frozenset[str] = frozenset(),
        bound_handles: frozenset[str] = frozenset(),
    ) -> _Uses:
        uses = _Uses()
        for ref in references_to(binding, self.ctx.scopes, self.ctx.references):
            nested = not self._same_function(ref, function)
            kind, node = self._classify_reference(ref, releases, self_returning, bound_handles)
            if kind == "release":
                if nested:
                    uses.deferred_release = True
                else:
                    uses.releases.append(node)
            elif kind == "release-reference":
                uses.deferred_release = True
            elif kind == "escape":
                # `ctx.client = client` undone in this function's `finally` keeps it its own.
                if nested or not stored_for_the_call(self.ctx.ancestry, ref, function):
                    uses.escapes = True
            elif kind == "argument" or (kind == "use" and nested):
                uses.shared = True
        uses.releases.sort(key=lambda n: n.start_byte)
        return uses

    def _classify_reference(
        self,
        ref: Node,
        releases: frozenset[str],
        self_returning: frozenset[str] = frozenset(),
        bound_handles: frozenset[str] = frozenset(),
    ) -> tuple[str, Node]:
        """What one mention of the variable does with the resource, in the engine's terms on
        flow's vocabulary (``flow.use_of``).

        "release" (a release call, returned too), "release-reference" (a release method taken
        as a value), "use" (method call, property read, test), "write", "argument" (passed to
        a call), or "escape" (anything that may keep it beyond this function).
        """
        use = use_of(self.ctx.ancestry, ref)
        kind = use.kind
        if kind == "member" and use.parent is not None:
            return self._classify_member_use(
                use.parent, releases, ref, self_returning, bound_handles
            )
        if use.parent is None or kind in ("subscript", "callee", "tested", "statement"):
            return "use", ref  # `client[key]`, knex's `db('users')`, `if (!client)`
        if kind == "argument" and use.parent is not None:
            return self._classify_argument(use.parent, releases, ref)
        if kind == "written":
            return "write", ref
        if kind in ("property", "shorthand"):
            # `{ session }` handed straight to a call, or to a local options object that is
            # only ever passed to calls, is an option bag; kept anywhere else it may outlive
            # the function.
            holder = use.parent
            literal = holder if holder.type == "object" else self.parent(holder)
            return ("argument" if self._is_option_bag(literal) else "escape"), ref
        return "escape", ref

    def _classify_member_use(
        self,
        member: Node,
        releases: frozenset[str],
        ref: Node,
        self_returning: frozenset[str] = frozenset(),
        bound_handles: frozenset[str] = frozenset(),
    ) -> tuple[str, Node]:
        name = release_name(_last_name(member))
        if name in ("then", "catch"):
            return "escape", ref  # a promise: the resource goes to a callback
        if name in bound_handles:
            call = self.parent(member)
            if call is not None and call.type == "call_expression":
                kept = self._bound_handle_kept(call)
                if kept is not None:
                    return kept, ref
        if name in self_returning:
            # `return server.listen(port)`: the call's result is the resource itself, so
            # wherever that result goes, the resource goes.
            call = self.parent(member)
            returned = call is not None and call.type == "call_expression"
            if returned and use_of(self.ctx.ancestry, call).kind in ESCAPING:
                return "escape", ref
        if name not in releases:
            return "use", ref
        call = self.parent(member)
        if call is not None and call.type == "call_expression":
            return "release", call
        return "release-reference", member

    def _bound_handle_kept(self, value: Node, followed: bool = False) -> str | None:
        """Where a handle bound to the resource goes (`sequelize.define(…)`'s model,
        `client.db()`'s `Db`): kept beyond the function ("escape": the resource goes with it),
        handed to a call ("argument": shared), or used here only (None: `User.count()` leaves
        the resource this function's to close). A local that receives it is followed once."""
        use = use_of(self.ctx.ancestry, value)
        if use.kind == "argument":
            return "argument"
        if use.kind == "declared" and not followed and use.parent is not None:
            name = use.parent.child_by_field_name("name")
            binding = self.ctx.scopes.resolve(name) if name is not None else None
            if binding is None or name is None or name.type != "identifier":
                return "escape"
            kept = None
            for ref in references_to(binding, self.ctx.scopes, self.ctx.references):
                where = self._bound_handle_kept(ref, followed=True)
                if where == "escape":
                    return where
                kept = where or kept
            return kept
        return "escape" if use.kind in ESCAPING else None

    def _classify_argument(
        self, arguments: Node, releases: frozenset[str], ref: Node
    ) -> tuple[str, Node]:
        call = self.parent(arguments)
        if call is None or call.type != "call_expression":
            return "escape", ref  # new Wrapper(client)
        callee = call.child_by_field_name("function")
        if callee is not None and release_name(_last_name(callee)) in releases:
            return "release", call  # pool.release(conn)
        if callee is not None and _last_name(callee) in _STORING_METHODS:
            return "escape", ref
        return "argument", ref

    def _is_option_bag(self, node: Node | None) -> bool:
        """An object literal written as an argument of a call, or the value of a local `const`
        whose every mention is an argument of a call (`const opts = { client }; run(opts)`)."""
        if self._is_call_argument(node):
            return True
        if node is None or node.type != "object":
            return False
        declarator = self.parent(node)
        if declarator is None or declarator.type != "variable_declarator":
            return False
        name = declarator.child_by_field_name("name")
        if name is None or name.type != "identifier":
            return False
        binding = self.ctx.scopes.resolve(name)
        if binding is None or binding.kind != "const" or binding.node.id != name.id:
            return False
        up = self.ctx.ancestry
        mentions = list(references_to(binding, self.ctx.scopes, self.ctx.references))
        return bool(mentions) and all(
            use_of(up, mention).kind in ("argument", "member") for mention in mentions
        )

    def _is_call_argument(self, node: Node | None) -> bool:
        """An object literal written directly as an argument of a (non-`new`) call."""
        if node is None or node.type != "object":
            return False
        arguments = self.parent(node)
        call = self.parent(arguments) if arguments is not None else None
        return (
            arguments is not None
            and arguments.type == "arguments"
            and call is not None
            and call.type == "call_expression"
        )

    def _in_catch(self, node: Node, function: Node) -> bool:
        for ancestor in self.ctx.ancestry.ancestors(node):
            if ancestor.id == function.id:
                return False
            if ancestor.type == "catch_clause":
                return True
        return False

    def _typed_as(self, binding: Binding, types: tuple[PoolSource, ...]) -> bool:
        if not types or binding.declaration.type != "variable_declarator":
            return False
        origin = type_origin(self.ctx, binding.declaration.child_by_field_name("type"))
        return origin is not None and any(source.matches(origin) for source in types)

    def _same_function(self, node: Node, function: Node) -> bool:
        owner = self.ctx.enclosing_function(node)
        return owner is not None and owner.id == function.id


def holds_pool_checkout(ctx: FileContext, binding: Binding) -> bool:
    """Whether a variable holds a connection checked out of a known pool — `client` in
    `const client = await pool.connect()` or `pool.connect((err, client, done) => …)`: an object
    the pool hands out again and again, so whatever is attached to it outlives the checkout."""
    call = _checkout_call_of(ctx, binding)
    callee = call.child_by_field_name("function") if call is not None else None
    if call is None or callee is None or callee.type != "member_expression":
        return False
    _, checkouts = configured_specs(ctx.settings.resources)
    spec = next((s for s in checkouts if s.method == _last_name(callee) and s.pools), None)
    return spec is not None and _on_known_pool(ctx, call, spec)


def _on_known_pool(ctx: FileContext, checkout: Node, spec: CheckoutSpec) -> bool:
    """Whether the receiver of a checkout call (`pool` in `pool.connect()`) is known to be one
    of ``spec``'s pools."""
    callee = checkout.child_by_field_name("function")
    origin = value_origin(ctx, callee.child_by_field_name("object") if callee else None)
    return (
        origin is not None
        and spec.pools is not None
        and any(pool.matches(origin) for pool in spec.pools)
    )


def _checkout_call_of(ctx: FileContext, binding: Binding) -> Node | None:
    """The call whose result a variable holds, or whose callback it is the second parameter
    of (`(err, client) => …`)."""
    declaration = binding.declaration
    if declaration.type == "variable_declarator":
        value = unwrap_awaited(declaration.child_by_field_name("value"))
        return value if value is not None and value.type == "call_expression" else None
    if binding.kind != "param":
        return None
    function = ctx.ancestry.nearest(binding.node, _FUNCTION_LITERALS)
    parameters = plain_parameters(function) if function is not None else None
    if not parameters or len(parameters) < 2 or parameters[1].id != binding.node.id:
        return None
    arguments = ctx.ancestry.parent(function)
    call = ctx.ancestry.parent(arguments) if arguments is not None else None
    if arguments is None or arguments.type != "arguments" or call is None:
        return None
    return call if _callback_argument(call, first=False) == function else None


def _released_by(releases: list[Node], methods: frozenset[str]) -> bool:
    """Whether one of the release calls calls one of ``methods`` (`client.release()`)."""
    for call in releases:
        callee = call.child_by_field_name("function")
        if callee is not None and release_name(_last_name(callee)) in methods:
            return True
    return False


def _is_library(symbol: Symbol) -> bool:
    """Whether a symbol comes from a package (not a relative import nor a global)."""
    return not symbol.module.startswith((".", "/", "<"))


# Code that runs once per unit of work, not just "more than once": a handle it never closes
# piles up with the work.
_PER_UNIT_OF_WORK = frozenset(
    {Rate.PER_REQUEST, Rate.PER_CONNECTION, Rate.PER_MESSAGE, Rate.PER_TICK, Rate.PER_EFFECT}
)


def _argument(call: Node, index: int) -> Node | None:
    arguments = call_arguments(call)
    if len(arguments) <= index or arguments[index].type == "spread_element":
        return None
    return arguments[index]


def _string_argument(call: Node, index: int) -> str | None:
    return string_value(_argument(call, index))


# A function written in place, as a callback argument is.
_FUNCTION_LITERALS = frozenset({"arrow_function", "function_expression", "function"})


def _has_callback_argument(call: Node) -> bool:
    arguments = call.child_by_field_name("arguments")
    if arguments is None:
        return False
    return any(arg.type in _FUNCTION_LITERALS for arg in arguments.named_children)


def _early_return_before(function: Node, release: Node, names: set[str]) -> Node | None:
    """A `return` in an `if` without `else` among the statements of ``function`` that come
    before the one holding ``release``, whose branch never mentions ``names``."""
    body = function.child_by_field_name("body")
    if body is None or body.type != "statement_block":
        return None
    for statement in body.named_children:
        if contains(statement, release):
            return None
        exit_ = early_return(statement)
        if exit_ is not None and not _mentions(statement.child_by_field_name("consequence"), names):
            return exit_
    return None


def _mentions(node: Node, names: set[str]) -> bool:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "identifier" and current.text.decode() in names:
            return True
        stack.extend(current.named_children)
    return False


def _callback_argument(call: Node, *, first: bool) -> Node | None:
    """The function literal passed as a call's first or last argument, if any."""
    arguments = call.child_by_field_name("arguments")
    if arguments is None or not arguments.named_children:
        return None
    argument = arguments.named_children[0 if first else -1]
    if argument.type in _FUNCTION_LITERALS:
        return argument
    return None


def _last_name(node: Node) -> str:
    """`a.b.c` → "c", `Redis` → "Redis"."""
    node = unwrap(node) or node
    if node.type == "identifier":
        return node.text.decode("utf-8", "replace")
    child = node.child_by_field_name("property")
    return child.text.decode("utf-8", "replace") if child is not None else ""
