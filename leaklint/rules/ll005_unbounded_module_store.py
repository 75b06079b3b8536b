"""## What it does
Flags a module-level container — `{}`, `[]`, `new Map()`, `new Set()` or
`Object.create(null)` — that code inside a function grows with a dynamic key or value
(`store[key] = v`, `.set(key, v)`, `.add(v)`, `.push(v)`, `.unshift(v)`,
`Object.assign(store, v)`) while nothing in the file ever shrinks it: no `delete store[k]`,
`.delete()`, `.clear()`, `.shift()`, `.pop()`, `.splice()`, `length = 0`, reassignment, nor a
size check (`store.size > MAX`, `Object.keys(store).length >= MAX`).

The finding is reported at the declaration, with the places that grow it as related
locations.

Not flagged: `WeakMap`/`WeakSet` and LRU caches (`lru-cache`, `quick-lru`, …), which are
bounded by design; stores filled only at module top level (registries, lookup tables); fixed
keys (`store.total = …`, `store.set('config', …)`); and a store that leaves the file —
exported, returned, or passed to another function — since code elsewhere may clear it.

## Why is this bad?
A module is loaded once and lives as long as the process, and so does every object its
top-level variables hold. A function that runs per request, per message or per call and adds
an entry under a new key each time makes that object grow for ever: the talk's Next.js
proxy kept a `store` object that every request added a page to, and the server's heap grew by
~30 MB per crawl of the site until it died.

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

from dataclasses import dataclass, field

from tree_sitter import Node, QueryCursor

from leaklint.context import FileContext
from leaklint.parsing import query
from leaklint.rules._base import Rule
from leaklint.rules._percall import request_handler
from leaklint.rules._syntax import (
    call_arguments,
    contains,
    effective_function,
    escapes,
    function_name,
    is_callee,
    literal_key,
    member_property,
    outermost,
    text,
)
from leaklint.scope import Binding, references_to

DECLARATIONS = """
(variable_declarator
  name: (identifier) @name
  value: [(object) (array) (new_expression) (call_expression)] @value)
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
COMPARISONS = frozenset({"<", "<=", ">", ">=", "===", "!==", "==", "!="})


@dataclass
class StoreUses:
    """What the code does with one module-level container."""

    growth: list[Node] = field(default_factory=list)
    shrinks: bool = False
    escapes: bool = False


class UnboundedModuleStore(Rule):
    code = "LL005"
    name = "unbounded-module-store"
    summary = "A module-level object, array, Map or Set that functions grow and nothing shrinks."
    precision = "medium"
    tags = ("memory-leak", "global", "cache")
    triggers = (b"{}", b"[]", b"Map(", b"Set(", b"Object.create(null)", b"Map<", b"Set<")

    def check(self, ctx: FileContext) -> None:
        cursor = QueryCursor(query(ctx.source.language, DECLARATIONS))
        for _, captures in cursor.matches(ctx.tree.root_node):
            name, value = captures["name"][0], captures["value"][0]
            kind = _container_kind(ctx, value)
            if kind is None or effective_function(name) is not None:
                continue
            binding = ctx.scopes.resolve(name)
            if binding is None or binding.node.id != name.id:
                continue
            uses = _store_uses(ctx, binding)
            if uses.shrinks or uses.escapes or not uses.growth:
                continue
            per_request = [
                (site, handler)
                for site in uses.growth
                if (handler := request_handler(ctx, site)) is not None
            ]
            if per_request:
                self._report(ctx, binding, kind, per_request)

    def _report(
        self, ctx: FileContext, binding: Binding, kind: str, growth: list[tuple[Node, Node]]
    ) -> None:
        first, handler = growth[0]
        where = _describe_grower(first, handler)
        ctx.report(
            self,
            binding.node,
            f"Module-level {kind} '{binding.name}' lives as long as the process, and {where} "
            f"adds to it (`{_snippet(first)}`) while nothing ever removes an entry, so it grows "
            "with every request. Bound it (an LRU cache such as lru-cache with `max`/`ttl`), "
            "delete entries when they are done, or keep per-request data on the request.",
            related=tuple((site, "grows here, once per request") for site, _ in growth[:3]),
        )


def _describe_grower(site: Node, handler: Node) -> str:
    grower = effective_function(site)
    name = function_name(grower) if grower is not None else None
    if grower is not None and contains(handler, grower):
        return f"'{name}', which runs per request," if name else "a request handler"
    return f"'{name}', called from a request handler," if name else "a request handler"


def _container_kind(ctx: FileContext, value: Node) -> str | None:
    """'object', 'array', 'Map' or 'Set' for an empty container literal or constructor."""
    if value.type == "object":
        return "object" if value.named_child_count == 0 else None
    if value.type == "array":
        return "array" if value.named_child_count == 0 else None
    if value.type == "new_expression":
        symbol = ctx.imports.resolve(value.child_by_field_name("constructor"))
        if symbol is not None and (symbol.is_global("Map") or symbol.is_global("Set")):
            return symbol.path[0]
        return None
    symbol = ctx.imports.resolve(value.child_by_field_name("function"))
    arguments = call_arguments(value)
    if (
        symbol is not None
        and symbol.is_global("Object", "create")
        and len(arguments) == 1
        and arguments[0].type == "null"
    ):
        return "object"
    return None


def _store_uses(ctx: FileContext, binding: Binding) -> StoreUses:
    uses = StoreUses()
    for ref in references_to(binding, ctx.scopes, ctx.references):
        _classify(ctx, outermost(ref), ref, uses)
        if uses.shrinks or uses.escapes:
            break
    return uses


def _classify(ctx: FileContext, node: Node, ref: Node, uses: StoreUses) -> None:
    parent = node.parent
    if parent is None:
        return
    kind = parent.type
    if _is_assigned(node):
        uses.shrinks = True  # reassigned: `store = {}`
        return
    if kind == "subscript_expression" and parent.child_by_field_name("object") == node:
        _classify_subscript(parent, uses)
        return
    if kind == "member_expression" and parent.child_by_field_name("object") == node:
        _classify_member(ctx, parent, uses)
        return
    if kind == "arguments":
        _classify_argument(ctx, node, parent, uses)
        return
    if kind == "for_in_statement" or kind == "spread_element":
        return  # iterating or copying reads it
    if escapes(ref):
        uses.escapes = True


def _classify_subscript(subscript: Node, uses: StoreUses) -> None:
    outer = outermost(subscript)
    parent = outer.parent
    if parent is None:
        return
    if parent.type == "unary_expression" and text(parent.child_by_field_name("operator")) == (
        "delete"
    ):
        uses.shrinks = True
        return
    if (
        parent.type in ("assignment_expression", "augmented_assignment_expression")
        and parent.child_by_field_name("left") == outer
        and literal_key(subscript.child_by_field_name("index")) is None
        and effective_function(parent) is not None
    ):
        uses.growth.append(parent)


def _classify_member(ctx: FileContext, member: Node, uses: StoreUses) -> None:
    prop = member_property(member)
    outer = outermost(member)
    parent = outer.parent
    if parent is None or prop is None:
        return
    if is_callee(outer):
        call = parent
        if prop in SHRINKING_METHODS:
            uses.shrinks = True
        elif prop in GROWING_METHODS and effective_function(call) is not None:
            arguments = call_arguments(call)
            if prop in KEYED_METHODS and arguments and literal_key(arguments[0]) is not None:
                return
            uses.growth.append(call)
        return
    if parent.type == "unary_expression" and text(parent.child_by_field_name("operator")) == (
        "delete"
    ):
        uses.shrinks = True
    elif prop == "length" and _is_assigned(outer):
        uses.shrinks = True  # `store.length = 0`
    elif prop in ("size", "length") and _is_compared(outer):
        uses.shrinks = True  # a size check: the code bounds it somehow


def _classify_argument(ctx: FileContext, node: Node, arguments: Node, uses: StoreUses) -> None:
    call = arguments.parent
    if call is None or call.type != "call_expression":
        uses.escapes = True
        return
    symbol = ctx.imports.resolve(call.child_by_field_name("function"))
    path = symbol.path if symbol is not None and symbol.module == "<global>" else None
    if path == ("Object", "assign"):
        first = call_arguments(call)[:1]
        if first and outermost(first[0]) == node and effective_function(call) is not None:
            uses.growth.append(call)
        return
    if path == ("Object", "keys") and _is_compared_length(call):
        uses.shrinks = True  # `Object.keys(store).length > MAX`
        return
    if path in READING_FUNCTIONS:
        return
    uses.escapes = True  # handed to code that may clear it


def _is_assigned(node: Node) -> bool:
    parent = node.parent
    return (
        parent is not None
        and parent.type in ("assignment_expression", "augmented_assignment_expression")
        and parent.child_by_field_name("left") == node
    )


def _is_compared(node: Node) -> bool:
    parent = outermost(node).parent
    return (
        parent is not None
        and parent.type == "binary_expression"
        and text(parent.child_by_field_name("operator")) in COMPARISONS
    )


def _is_compared_length(call: Node) -> bool:
    member = outermost(call).parent
    return (
        member is not None
        and member.type == "member_expression"
        and member_property(member) == "length"
        and _is_compared(member)
    )


def _snippet(node: Node) -> str:
    first_line = text(node).splitlines()[0] if text(node) else ""
    return first_line if len(first_line) <= 60 else first_line[:57] + "..."
