"""## What it does
Flags a module-level container — `{}`, `[]`, `new Map()`, `new Set()` or
`Object.create(null)` — that code inside a function grows with a dynamic key or value
(`store[key] = v`, `.set(key, v)`, `.add(v)`, `.push(v)`, `.unshift(v)`,
`Object.assign(store, v)`) while nothing in the file ever shrinks it: no `delete store[k]`,
`.delete()`, `.clear()`, `.shift()`, `.pop()`, `.splice()`, `length = 0`, reassignment, nor a
size check (`store.size > MAX`, `Object.keys(store).length >= MAX`). A delete of the key the
same function then adds again — a lazy expiry, `if (expired) cache.delete(key)` before
`cache.set(key, …)`, in a memoize helper or a cooldown map, also when a check helper deletes
and every one of its callers adds the key back — does not count: it runs only when the same
key is asked for again, so every key that is not stays for ever. A delete elsewhere (a
`close(id)` handler, a timer callback, a sweep) or of another key (the oldest) does.

The finding is reported at the declaration, with the places that grow it as related
locations.

Not flagged: `WeakMap`/`WeakSet` and LRU caches (`lru-cache`, `quick-lru`, …), which are
bounded by design; stores filled only at module top level (registries, lookup tables); fixed
keys (`store.total = …`, `store.set('config', …)`); and a store that leaves the file —
exported, returned, or passed to another function — since code elsewhere may clear it. Test
files (`*.test.*`, `*.spec.*`, `test/`, `__tests__/`, …) are not checked: a module-level array
that a test run fills (recorded calls, fixtures) lives only as long as the run; nor are one-off
programs under `scripts/`, `script/` or `bin/`, which exit when their job is done.

Also flagged: a container in a field of the one instance a module builds of its class
(`const presence = new Presence()` at module level, the class not exported and built nowhere
else), when per-request code grows it through a method (`presence.join(req.params.user, …)`
calling `this.sockets[userId] = socket`) or directly (`presence.sockets[id] = …`) and no
method or use in the file removes from it, resets it, checks its size or hands it out. Such an
instance lives as long as the process, and so do its fields. The field is made either as a
class field (`sockets = new Map()`) or by `this.sockets = {}` in the constructor.

Across modules (a run over a project): a store exported by one module and grown per request
in another (`sessions.set(req.id, …)` on an imported `sessions`), and a call, in per-request
code, of another module's function that grows a store of its own from its arguments — unless
some module of the project removes from that store or checks its size. The store's
declaration in the other module is the related location.

## Why is this bad?
A module is loaded once and lives as long as the process, and so does every object its
top-level variables hold. A function that runs per request, per message or per call and adds an
entry under a new key each time makes that object grow for ever: in a production incident (from
a conference talk on Node.js memory leaks) a Next.js proxy kept a `store` object that every
request added a page to, and the server's heap grew by ~30 MB per crawl of the site until it
died.

## Example
```js
const store = {};

async function vacancyMiddleware(req, res, next) {
  store[req.params.id] = await fetchPage(req.params.id); // one entry per id, for ever
  res.locals.vacancy = store[req.params.id];
  next();
}
```

## Use instead
```js
import { LRUCache } from 'lru-cache';

const store = new LRUCache({ max: 500, ttl: 60_000 });

async function vacancyMiddleware(req, res, next) {
  let page = store.get(req.params.id);
  if (page === undefined) {
    page = await fetchPage(req.params.id);
    store.set(req.params.id, page);
  }
  res.locals.vacancy = page;
  next();
}
```
Or keep per-request data on the request (`res.locals`), or in a `WeakMap` keyed by an object
whose lifetime it should share.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from tree_sitter import Node

from leaklint.analysis.argument_origin import FRESH, REQUEST, key_origin, origin, strongest
from leaklint.analysis.flow import (
    Destination,
    destination,
    is_compared_length,
    readds_removed_key,
)
from leaklint.analysis.frequency import FREQUENCY_ANALYSES, how_often, repeating_functions
from leaklint.analysis.nodes import (
    FIELD_NODES,
    THIS_MEMBERS,
    accessed_member,
    call_arguments,
    class_method,
    contains,
    effective_function,
    first_named,
    function_name,
    identifiers_in,
    is_bounded_key,
    is_static_member,
    literal_key,
    member_property,
    outermost,
    text,
    this_members,
)
from leaklint.analysis.percall import (
    PerRequest,
    has_handlers,
    may_run_per_call,
    module_singleton,
)
from leaklint.model.findings import Related
from leaklint.model.project import CALL, GROW, GROWER, STORE, ProjectFacts, ProjectReport
from leaklint.model.settings import Settings
from leaklint.rules._base import Rule
from leaklint.semantic.context import FileContext
from leaklint.semantic.scope import Binding, references_to
from leaklint.syntax.parsing import query, run_query

DECLARATIONS = """
(variable_declarator
  name: (identifier)
  value: [(object) (array) (new_expression) (call_expression)]) @declarator
(class_declaration) @class
(subscript_expression object: (identifier) @grown)
(call_expression
  function: (member_expression
    object: (identifier) @grown
    property: (property_identifier) @grow_method)
  (#any-of? @grow_method "set" "add" "push" "unshift"))
(call_expression
  function: (member_expression
    object: (identifier) @assign_object
    property: (property_identifier) @assign_method)
  arguments: (arguments . (identifier) @grown)
  (#eq? @assign_object "Object")
  (#eq? @assign_method "assign"))
"""
GROWING_METHODS = frozenset({"set", "add", "push", "unshift"})
# `.set('config', v)` / `.add('x')` name a fixed entry; push/unshift always add one more.
KEYED_METHODS = frozenset({"set", "add"})
SHRINKING_METHODS = frozenset({"delete", "clear", "shift", "pop", "splice"})
# Calls that only read the store they are given; any other call may clear it.
READING_FUNCTIONS = frozenset(
    {
        ("Object", "keys"),
        ("Object", "values"),
        ("Object", "entries"),
        ("Object", "freeze"),
        ("Object", "getOwnPropertyNames"),
        ("Object", "hasOwn"),
        ("JSON", "stringify"),
        ("Array", "from"),
        ("Array", "isArray"),
        ("console", "log"),
        ("console", "error"),
        ("console", "warn"),
        ("console", "info"),
        ("console", "debug"),
    }
)
ASSIGNMENTS = frozenset({"assignment_expression", "augmented_assignment_expression"})

_KEY_MESSAGES = {REQUEST: "key-from-request", FRESH: "key-fresh"}


# A key or pushed value varies per call through these.
_NAMES = frozenset({"identifier", "shorthand_property_identifier"})


@dataclass
class StoreUses:
    """What the code does with one module-level container."""

    shrinks: bool = False
    escapes: bool = False
    # Deletes of a key the same code then adds again (`flow.readds_removed_key`): they renew
    # an entry and bound nothing, and the message names the first.
    renewals: list[Node] = field(default_factory=list)


@dataclass(frozen=True)
class Growth:
    site: Node  # the assignment or call that adds an entry
    varying: list[Node] = field(default_factory=list)  # the key or value expressions
    keyed: bool = False  # `store[key] = v`, `.set(key, v)`, `.add(key)`: ``varying`` is the key


class UnboundedModuleStore(Rule):
    code = "LL005"
    name = "unbounded-module-store"
    summary = "A module-level object, array, Map or Set that request handlers grow for ever."
    precision = "medium"
    messages = {
        "grows-per-request": (
            "Module-level {kind} '{name}' lives as long as the process, and {grower} adds to it "
            "(`{site}`) while nothing ever removes an entry, so it grows with every {unit}. "
            "Bound it (an LRU cache such as lru-cache with `max`/`ttl`), delete entries when "
            "they are done, or keep per-{unit} data on the {unit}."
        ),
        "instance-grows-per-request": (
            "The {kind} in 'this.{name}' belongs to '{instance}', the one '{class_name}' this "
            "module builds, so it lives as long as the process, and {grower} adds to it "
            "(`{site}`) while nothing ever removes an entry, so it grows with every {unit}. "
            "Bound it (an LRU "
            "cache such as lru-cache with `max`/`ttl`), delete entries when they are done, or "
            "keep per-{unit} data on the {unit}."
        ),
        # The only removals delete a key just before it is added again (a lazy expiry).
        "grows-per-request-renewed": (
            "Module-level {kind} '{name}' lives as long as the process, and {grower} adds to "
            "it (`{site}`); its only removal (`{removal}`) deletes a key just before the same "
            "code adds it again, so every key that is not asked for again stays, and it grows "
            "with every {unit}. Bound it (an LRU cache such as lru-cache with `max`/`ttl`), "
            "sweep expired entries on a timer, or keep per-{unit} data on the {unit}."
        ),
        "instance-grows-per-request-renewed": (
            "The {kind} in 'this.{name}' belongs to '{instance}', the one '{class_name}' this "
            "module builds, so it lives as long as the process, and {grower} adds to it "
            "(`{site}`); its only removal (`{removal}`) deletes a key just before the same "
            "code adds it again, so every key that is not asked for again stays, and it grows "
            "with every {unit}. Bound it (an LRU cache such as lru-cache with `max`/`ttl`), "
            "sweep expired entries on a timer, or keep per-{unit} data on the {unit}."
        ),
        "note-grows-here": "grows here, once per {unit}",
        "note-renews-here": "removes a key only when it is asked for again, to add it back",
        "note-registered-here": "{reason}",
        # The {grower} of grows-per-request.
        "grower-handler": "a {unit} handler",
        "grower-per-request": "'{function}', which runs per {unit},",
        "grower-called-from-handler": "'{function}', called from a {unit} handler,",
        # Found by the project-wide link (`check_project`).
        "store-grown-from-module": (
            "'{name}' is a module-level {kind} of '{module}' and lives as long as the process; "
            "this code {reason} and adds to it (`{site}`), while nothing in the project removes "
            "an entry or checks its size, so it grows with every {unit}. Bound it (an LRU "
            "cache such as lru-cache with `max`/`ttl`), delete entries when they are done, or "
            "keep per-{unit} data on the {unit}."
        ),
        "grower-from-module": (
            "'{callee}()' from '{module}' adds to the module store '{store}' there, which "
            "nothing in the project removes from or checks the size of, and this code {reason}, "
            "with {key}: the store grows with every {unit}. Bound '{store}' (an LRU cache such "
            "as lru-cache with `max`/`ttl`) or delete entries when they are done."
        ),
        # The {key} of grower-from-module (``argument_origin``).
        "key-from-request": "a key that comes from the {unit}",
        "key-fresh": "a key that is new on every call",
        "note-store-declared": "'{name}' is declared here and lives as long as the process",
        "note-grows-on-call": "'{store}' grows here on every call of '{callee}()'",
        "note-also-grown": "'{store}' of {module} is also grown here, {rate}",
    }
    tags = ("memory-leak", "global", "cache")
    triggers = (b"{}", b"[]", b"Map(", b"Set(", b"Object.create(null)", b"Map<", b"Set<")
    query = DECLARATIONS
    analyses = FREQUENCY_ANALYSES

    @classmethod
    def applies_to(cls, data: bytes, settings: Settings | None = None) -> bool:
        # Only code that runs per request (or per React mount) is reported, so a file with no
        # handler of any kind cannot have a finding: skip it before the query pass.
        return super().applies_to(data, settings) and may_run_per_call(data)

    def check_project(self, facts: ProjectFacts) -> Iterator[ProjectReport]:
        """A store exported by another module and grown here per request, or a function of
        another module that grows a store of its own, called here per request — when nothing
        anywhere in the project shrinks or size-checks that store."""
        for linked in facts.uses:
            export, use = linked.export, linked.use
            if export is None or not linked.per_request or linked.shrunk_anywhere:
                continue
            # A default export is named as this file names it, not "default".
            shown = use.local or use.imported
            unit = linked.rate.removeprefix("per ")  # request, connection or message
            if export.kind == STORE and use.action == GROW and use.dynamic:
                fields = {"name": shown, "module": linked.path}
                message = self.msg(
                    "store-grown-from-module",
                    **fields,
                    kind=export.label if export.label != "module store" else "object",
                    reason=linked.reason,
                    site=use.snippet.split("\n")[0][:80],
                    unit=unit,
                )
                note = self.msg("note-store-declared", **fields).text
            elif export.kind == GROWER and use.action == CALL:
                # Keyed by the project's own data (a configured provider's name, a row read,
                # a literal): as many entries as that data, however often this runs. The
                # summary records origins in per-request code and in functions that take the
                # request (``argument_origin.takes_request``); elsewhere the key is the project's.
                keyed = key_origin(use.origins, export.key)
                if not keyed:
                    continue
                fields = {"callee": shown, "module": linked.path, "store": export.store}
                message = self.msg(
                    "grower-from-module",
                    **fields,
                    reason=linked.reason,
                    unit=unit,
                    key=self.msg(_KEY_MESSAGES[keyed], unit=unit).text,
                )
                note = self.msg("note-grows-on-call", **fields).text
            else:
                continue
            # One store is one leak, however many per-request callers grow it (as the
            # same-file check reports a store once): the link keeps the first of them.
            store = export.store or export.name
            also = self.msg("note-also-grown", store=store, module=linked.path, rate=linked.rate)
            yield ProjectReport(
                linked,
                message,
                (Related(export.span, note, linked.path),),
                group=f"{linked.path}\0{store}",
                also=also.text,
            )

    def check(self, ctx: FileContext) -> None:
        if ctx.is_test_file or ctx.is_script_file:
            return  # the run, or the one-off program, ends and takes the store with it
        captures = ctx.captures(self.code)
        # Names used as `x[…]`, `x.set/add/push/unshift(…)` or `Object.assign(x, …)` anywhere:
        # a container never used so cannot grow, and needs no reference search at all.
        grown: dict[bytes, list[Node]] = {}
        for node in captures.get("grown", ()):
            grown.setdefault(node.text, []).append(node)
        for declarator in captures.get("declarator", ()):
            name = declarator.child_by_field_name("name")
            if name is None or name.text not in grown:
                continue
            kind = _container_kind(ctx, declarator.child_by_field_name("value"))
            if kind is None or effective_function(ctx.ancestry, declarator) is not None:
                continue
            if not has_handlers(ctx):
                return  # only per-request growth is reported, and nothing here runs per request
            binding = ctx.scopes.resolve(name) if name is not None else None
            if binding is None or name is None or binding.node.id != name.id:
                continue
            # Cheap, syntactic filters first; resolving every use is left to the few stores
            # that some request handler grows (large bundles have thousands of `var t = {}`).
            growth = _per_request_growth(ctx, binding, grown[name.text])
            if not growth:
                continue
            uses = _store_uses(ctx, binding)
            if not uses.shrinks and not uses.escapes:
                self._report(ctx, binding, kind, growth, uses.renewals)
        classes = captures.get("class", ())
        for singleton in _singleton_classes(ctx, classes) if classes and has_handlers(ctx) else ():
            self._check_instance_stores(ctx, *singleton)

    def _check_instance_stores(
        self,
        ctx: FileContext,
        body: Node,
        instance: Binding,
        fields: list[tuple[str, Node, str]],
    ) -> None:
        """Containers in fields of the one instance the module builds of a class, grown per
        request through its methods (`registry.add(req.params.id, …)` in a route)."""
        members = run_query(query(ctx.source.language, THIS_MEMBERS), body).get("member", [])
        # `registry.<field>` through the module's variable: its references are the same for
        # every field, so they are looked up once.
        accessed = [
            member
            for ref in references_to(instance, ctx.scopes, ctx.references)
            if (member := accessed_member(ctx.ancestry, ref)) is not None
        ]
        for field_name, declared, kind in fields:
            uses = [
                use
                for use in this_members(ctx.ancestry, members, body, field_name)
                + [m for m in accessed if member_property(m) == field_name]
                if use.id != declared.id
            ]
            growth = _per_request_growth_of(ctx, uses)
            found = _field_uses(ctx, uses) if growth else None
            if growth and found is not None and not found.shrinks and not found.escapes:
                self._report_instance(
                    ctx, declared, field_name, kind, instance, growth, found.renewals
                )

    def _report(
        self,
        ctx: FileContext,
        binding: Binding,
        kind: str,
        growth: list[tuple[Growth, PerRequest]],
        renewals: list[Node],
    ) -> None:
        self._report_growth(
            ctx, binding.node, "grows-per-request", growth, renewals, kind=kind, name=binding.name
        )

    def _report_instance(
        self,
        ctx: FileContext,
        declared: Node,
        name: str,
        kind: str,
        instance: Binding,
        growth: list[tuple[Growth, PerRequest]],
        renewals: list[Node],
    ) -> None:
        owner = ctx.ancestry.nearest(instance.node, frozenset({"variable_declarator"}))
        made = owner.child_by_field_name("value") if owner is not None else None
        constructor = made.child_by_field_name("constructor") if made is not None else None
        fields = {
            "kind": kind,
            "name": name,
            "instance": instance.name,
            "class_name": text(constructor),
        }
        self._report_growth(ctx, declared, "instance-grows-per-request", growth, renewals, **fields)

    def _report_growth(
        self,
        ctx: FileContext,
        at: Node,
        message_id: str,
        growth: list[tuple[Growth, PerRequest]],
        renewals: list[Node],
        **fields: str,
    ) -> None:
        first, per_request = growth[0]
        scope = _varying_scope(ctx, first, per_request)
        body = scope.child_by_field_name("body") if scope is not None else None
        frequency = how_often(ctx, body if body is not None else first.site)
        unit = frequency.unit if frequency.is_per_request else "request"
        if renewals:
            message_id += "-renewed"
            fields["removal"] = _snippet(renewals[0])
        message = self.msg(
            message_id,
            **fields,
            grower=_describe_grower(ctx, first.site, per_request, unit),
            site=_snippet(first.site),
            unit=unit,
        )
        grows = self.msg("note-grows-here", unit=unit).text
        related = [(g.site, grows) for g, _ in growth[:3]]
        if renewals:
            related.append((renewals[0], self.msg("note-renews-here").text))
        registered = frequency.per_request or per_request
        if frequency.is_per_request and registered.registration is not None:
            reason = self.msg("note-registered-here", reason=frequency.reason).text
            related.append((registered.registration, reason))
        ctx.report(self, at, message, related=tuple(related))


def _describe_grower(ctx: FileContext, site: Node, per_request: PerRequest, unit: str) -> str:
    grower = effective_function(ctx.ancestry, site)
    name = function_name(ctx.ancestry, grower) if grower is not None else None
    if not name:
        return UnboundedModuleStore.msg("grower-handler", unit=unit).text
    if per_request.call is None:
        return UnboundedModuleStore.msg("grower-per-request", function=name, unit=unit).text
    return UnboundedModuleStore.msg("grower-called-from-handler", function=name, unit=unit).text


def _container_kind(ctx: FileContext, value: Node | None) -> str | None:
    """'object', 'array', 'Map' or 'Set' for an empty container literal or constructor."""
    if value is None:
        return None
    if value.type == "object":
        return "object" if value.named_child_count == 0 else None
    if value.type == "array":
        return "array" if value.named_child_count == 0 else None
    if value.type == "new_expression":
        constructor = value.child_by_field_name("constructor")
        if constructor is None or constructor.text not in (b"Map", b"Set"):
            return None
        symbol = ctx.imports.resolve(constructor)
        if symbol is not None and (symbol.is_global("Map") or symbol.is_global("Set")):
            return symbol.path[0]
        return None
    if not (value.text or b"").startswith(b"Object.create(null"):
        return None
    symbol = ctx.imports.resolve(value.child_by_field_name("function"))
    return "object" if symbol is not None and symbol.is_global("Object", "create") else None


# -- stores in fields of a module's one instance --------------------------------------------


def _singleton_classes(
    ctx: FileContext, classes: Iterable[Node]
) -> Iterator[tuple[Node, Binding, list[tuple[str, Node, str]]]]:
    """(class body, the variable holding the module's one instance, its container fields) for
    each class the module builds exactly once (``percall.module_singleton``)."""
    for declaration in classes:
        body = declaration.child_by_field_name("body")
        fields = list(_container_fields(ctx, body)) if body is not None else []
        # A class with no container field holds no store: skip the singleton question.
        if body is None or not fields:
            continue
        instance = module_singleton(ctx, declaration)
        if instance is not None:
            yield body, instance, fields


def _container_fields(ctx: FileContext, body: Node) -> Iterator[tuple[str, Node, str]]:
    """(field name, where it is made, container kind) for each instance field that starts as
    an empty container: a class field `sockets = new Map()`, or `this.sockets = {}` among the
    constructor's own statements."""
    seen: set[str] = set()
    for member in body.named_children:
        if member.type not in FIELD_NODES or is_static_member(member):
            continue
        name = member.child_by_field_name("property") or member.child_by_field_name("name")
        kind = _container_kind(ctx, member.child_by_field_name("value"))
        if name is not None and kind is not None and text(name) not in seen:
            seen.add(text(name))
            yield text(name), name, kind
    constructor = class_method(body, "constructor")
    block = constructor.child_by_field_name("body") if constructor is not None else None
    for statement in block.named_children if block is not None else ():
        assignment = first_named(statement) if statement.type == "expression_statement" else None
        if assignment is None or assignment.type != "assignment_expression":
            continue
        target = assignment.child_by_field_name("left")
        kind = _container_kind(ctx, assignment.child_by_field_name("right"))
        if target is None or target.type != "member_expression" or kind is None:
            continue
        name = member_property(target)
        owner = target.child_by_field_name("object")
        if name and owner is not None and owner.type == "this" and name not in seen:
            seen.add(name)
            yield name, target, kind


def _field_uses(ctx: FileContext, uses: list[Node]) -> StoreUses:
    """Whether any use removes from, resets, size-checks or hands on the field's container."""
    found = StoreUses()
    for use in uses:
        _classify(ctx, destination(ctx, use), found)
        if found.shrinks or found.escapes:
            break
    return found


# -- growth --------------------------------------------------------------------------------


def _per_request_growth(
    ctx: FileContext, binding: Binding, candidates: list[Node]
) -> list[tuple[Growth, PerRequest]]:
    """Places that add a call-dependent entry to the store in code that runs per request.

    ``candidates`` are the identifiers of the store's name in growth position (`x[…]`,
    `x.push(…)`, …) from the query pass: every growth site is among them, so no index of all
    identifiers is needed unless a store really grows per request."""
    start, end = binding.scope_range
    found: list[tuple[Growth, PerRequest]] = []
    for ref in candidates:
        if ref.id == binding.node.id or not (start <= ref.start_byte < end):
            continue
        grown = _grown_per_request_at(ctx, ref)
        if grown is None:
            continue
        resolved = ctx.scopes.resolve(ref, binding.name)
        if resolved is not None and resolved.node.id == binding.node.id:
            found.append(grown)
    return found


def _per_request_growth_of(ctx: FileContext, uses: list[Node]) -> list[tuple[Growth, PerRequest]]:
    """Of the uses of one store (`this.<field>` expressions), those that add a call-dependent
    entry in code that runs per request."""
    return [grown for use in uses if (grown := _grown_per_request_at(ctx, use)) is not None]


def _grown_per_request_at(ctx: FileContext, use: Node) -> tuple[Growth, PerRequest] | None:
    growth = _growth_at(ctx, use)
    if growth is None:
        return None
    frequency = how_often(ctx, growth.site)
    per_request = frequency.per_request
    if not frequency.is_per_request or per_request is None:
        return None
    if not _varies_per_call(ctx, growth, per_request):
        return None
    # The same question the cross-module check asks of a grower's caller (one analysis): a
    # key that is the project's own data (a rate-limit key its caller's function makes, a row
    # read) has as many entries as that data. Pushed values are left to `_varies_per_call`:
    # each push adds one, whatever it is.
    if growth.keyed and not strongest(origin(ctx, key) for key in growth.varying):
        return None
    return growth, per_request


def _growth_at(ctx: FileContext, ref: Node) -> Growth | None:
    """``store[key] = v``, ``store.set(key, v)``/``.add``/``.push``/``.unshift`` or
    ``Object.assign(store, v)`` at this use of the store, if it is one (``flow``'s
    destination of the reference decides)."""
    where = destination(ctx, ref)
    if where.kind == "member-written" and where.use.kind == "subscript":
        subscript = where.use.parent
        assert subscript is not None
        assignment = ctx.ancestry.parent(outermost(ctx.ancestry, subscript))
        index = subscript.child_by_field_name("index")
        if (
            assignment is None
            or assignment.type not in ASSIGNMENTS
            or index is None
            or where.method is not None  # a fixed key: `store['total'] = …`
            or is_bounded_key(index)  # one entry per guild or language: `servers[guildId] = …`
        ):
            return None
        return Growth(assignment, [index], keyed=True)
    if where.kind == "method-call" and where.method in GROWING_METHODS and where.call is not None:
        arguments = call_arguments(where.call)
        if where.method in KEYED_METHODS:
            if not arguments or literal_key(arguments[0]) is not None:
                return None  # a fixed entry
            if is_bounded_key(arguments[0]):
                return None  # one entry per guild or language: `cache.set(lang, …)`
            return Growth(where.call, arguments[:1], keyed=True)
        return Growth(where.call, arguments)
    if where.kind == "argument" and where.index == 0 and where.call is not None:
        callee = where.call.child_by_field_name("function")
        if callee is not None and callee.text == b"Object.assign":
            return Growth(where.call, call_arguments(where.call)[1:])
    return None


def _varies_per_call(ctx: FileContext, growth: Growth, per_request: PerRequest) -> bool:
    """Whether the key (or pushed value) comes from the call: a parameter or local of the
    function that grows the store, not a constant or a value fixed when it was created.

    For a helper called from a handler, a parameter counts only if the handler passes a
    non-literal for it (`matchesRoute(path, '/login')` caches one entry per route literal).
    """
    return _varying_scope(ctx, growth, per_request) is not None


def _varying_scope(ctx: FileContext, growth: Growth, per_request: PerRequest) -> Node | None:
    """The innermost function whose fresh locals make the key vary (its runs are what the
    store grows with: `lastSeen[socket.id]` in a message callback grows per connection)."""
    grower = effective_function(ctx.ancestry, growth.site)
    if grower is None:
        return None
    best: Node | None = None
    # A key from the connection's closure (`sockets[socket.id] = socket` inside
    # `socket.on('message', …)`) is new per connection as much as one of the grower's own.
    fresh = repeating_functions(ctx, growth.site)
    for expression in growth.varying:
        for ident in identifiers_in(expression, _NAMES):
            binding = ctx.scopes.resolve(ident)
            owner = (
                next((f for f in fresh if contains(f, binding.scope)), None) if binding else None
            )
            if binding is None or owner is None:
                continue
            if binding.kind == "param" and per_request.call is not None:
                passed = _argument_for(grower, binding, per_request.call)
                if passed is not None and literal_key(passed) is not None:
                    continue
            if best is None or contains(best, owner):
                best = owner
    return best


def _argument_for(function: Node, binding: Binding, call: Node) -> Node | None:
    parameters = function.child_by_field_name("parameters")
    if parameters is None:
        return None
    arguments = call_arguments(call)
    for index, parameter in enumerate(parameters.named_children):
        if contains(parameter, binding.node):
            return arguments[index] if index < len(arguments) else None
    return None


# -- every use -----------------------------------------------------------------------------


def _store_uses(ctx: FileContext, binding: Binding) -> StoreUses:
    """Whether anything shrinks or size-checks the store, or hands it to code that might:
    decided on ``flow``'s destination of each reference."""
    uses = StoreUses()
    up = ctx.ancestry
    statement = up.parent(binding.declaration)  # the lexical or variable declaration
    if statement is not None and (parent := up.parent(statement)) is not None:
        uses.escapes = parent.type == "export_statement"  # `export const store = new Map()`
        if uses.escapes:
            return uses
    for ref in references_to(binding, ctx.scopes, ctx.references):
        _classify(ctx, destination(ctx, ref), uses)
        if uses.shrinks or uses.escapes:
            break
    return uses


def _classify(ctx: FileContext, where: Destination, uses: StoreUses) -> None:
    kind = where.kind
    if kind == "written":
        uses.shrinks = True  # reassigned: `store = {}`
    elif kind == "member-deleted" or (kind == "method-call" and where.method == "delete"):
        # `delete store[k]`, `store.delete(k)` — unless, before `store.set(k, …)`, it only
        # renews the entry (`if (expired) store.delete(k)`)
        if readds_removed_key(ctx, where.use.node):
            uses.renewals.append(_removal_site(ctx, where))
        else:
            uses.shrinks = True
    elif kind == "method-call":
        uses.shrinks = where.method in SHRINKING_METHODS
    elif kind == "member-written":
        uses.shrinks = where.method == "length"  # `store.length = 0`
    elif kind == "member-compared":
        uses.shrinks = where.method in ("size", "length")  # a size check bounds it
    elif kind == "argument":
        _classify_argument(ctx, where, uses)
    elif where.escapes and not _is_spread(where):
        uses.escapes = True  # returned, exported, aliased: other code may clear it


def _removal_site(ctx: FileContext, where: Destination) -> Node:
    """The `store.delete(k)` call or the `delete store[k]` expression."""
    if where.call is not None:
        return where.call
    member = where.use.parent or where.use.node
    return ctx.ancestry.parent(outermost(ctx.ancestry, member)) or member


def _is_spread(where: Destination) -> bool:
    """`[...store]`, `f(...store)`: a copy of the entries, not the store."""
    return where.use.parent is not None and where.use.parent.type == "spread_element"


def _classify_argument(ctx: FileContext, where: Destination, uses: StoreUses) -> None:
    call = where.call
    if call is None or call.type != "call_expression":
        uses.escapes = True
        return
    symbol = where.callee(ctx)
    path = symbol.path if symbol is not None and symbol.module == "<global>" else None
    if path == ("Object", "assign"):
        return  # growth, found earlier
    if path == ("Object", "keys") and is_compared_length(ctx.ancestry, call):
        uses.shrinks = True  # `Object.keys(store).length > MAX`
    elif path not in READING_FUNCTIONS:
        uses.escapes = True  # handed to code that may clear it


def _snippet(node: Node) -> str:
    first_line = text(node).splitlines()[0] if text(node) else ""
    return first_line if len(first_line) <= 60 else first_line[:57] + "..."
