"""Which code runs per request, per message or per connection, rather than once at startup.

Growing a module-level store or adding a `process` listener is harmless in a function that
runs once (`main()`, `init()`, a plugin registration) and a leak in one that runs for every
request. Nothing in a single file says how often a function is called, so the rules use the
conventions server code is written in:

* a request/response pair of parameters — `(req, res)`, `(request, reply)`, `(err, req, res,
  next)` — as Express, Node's http, Fastify and Next.js API routes name them, or Koa's
  `(ctx, next)`;
* a Next.js route handler (`export async function GET(request)`) or `getServerSideProps`;
* a callback registered as a route or middleware (`app.get('/path', fn)`, `router.use(fn)`) or
  for a per-connection/per-message event (`server.on('request' | 'connection' | 'message')`);
* code nested inside such a function, or a named function of the same file that one of them
  calls (one level deep).

A lone `res` or `socket` parameter is not enough: `new Promise((res, rej) => …)` and
connection helpers in client libraries use those names in code that runs once. On ~490 npm
packages plus ~900 packages of server applications (docs/rules-corpus.md) these conventions
left only code that does run per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from tree_sitter import Node

from leaklint.context import FileContext
from leaklint.rules._syntax import (
    call_arguments,
    enclosing_functions,
    literal_key,
    member_property,
    outermost,
    text,
    value_parent,
)
from leaklint.scope import Ancestry, pattern_identifiers, references_to

REQUEST_NAMES = frozenset({"req", "request"})
RESPONSE_NAMES = frozenset({"res", "response", "reply"})
ROUTE_HANDLER_NAMES = frozenset(
    {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "getServerSideProps"}
)
# `.get` also reads caches (`cache.get(key, loader)`): it needs a path as its first argument.
ROUTE_METHODS = frozenset({"post", "put", "patch", "delete", "del", "all", "head", "options"})
MIDDLEWARE_METHODS = frozenset({"use", "route"})
PER_CALL_EVENTS = frozenset({"request", "connection", "message", "upgrade"})
SUBSCRIBING_METHODS = frozenset({"on", "addListener", "addEventListener", "once"})
EFFECT_HOOKS = (("useEffect",), ("useLayoutEffect",), ("useInsertionEffect",))
REACT_MODULES = ("react", "preact/hooks", "preact/compat")


@dataclass(frozen=True)
class PerRequest:
    """Why code runs per request: the handler, and the call from it when one level away."""

    handler: Node
    call: Node | None = None  # `helper(…)` inside the handler, when the code is in `helper`


def request_context(ctx: FileContext, node: Node) -> PerRequest | None:
    """The handler that makes ``node`` run per request/message/connection, if any."""
    up = ctx.ancestry
    functions = list(enclosing_functions(up, node))
    for function in functions:
        if is_handler(ctx, function):
            return PerRequest(function)
    for function in functions:
        found = _handler_calling(ctx, function)
        if found is not None:
            return found
    return None


def is_handler(ctx: FileContext, function: Node) -> bool:
    return (
        _has_handler_parameters(function)
        or _is_route_export(function)
        or _is_registered_callback(ctx.ancestry, function)
    )


def _parameter_names(function: Node) -> list[str]:
    parameters = function.child_by_field_name("parameters")
    if parameters is None:
        single = function.child_by_field_name("parameter")  # `req => …`
        return [text(single)] if single is not None else []
    names: list[str] = []
    for child in parameters.named_children:
        idents = list(pattern_identifiers(child))
        names.append(text(idents[0]) if len(idents) == 1 else "")
    return names


def _has_handler_parameters(function: Node) -> bool:
    names = _parameter_names(function)
    for first, second in pairwise(names):
        if first in REQUEST_NAMES and second in RESPONSE_NAMES:
            return True
    return names[:2] == ["ctx", "next"]


def _is_route_export(function: Node) -> bool:
    name = function.child_by_field_name("name")
    return name is not None and text(name) in ROUTE_HANDLER_NAMES


def _is_registered_callback(up: Ancestry, function: Node) -> bool:
    outer = outermost(up, function)
    arguments = up.parent(outer)
    if arguments is None or arguments.type != "arguments":
        return False
    call = up.parent(arguments)
    if call is None or call.type != "call_expression":
        return False
    method = member_property(call.child_by_field_name("function"))
    first = call_arguments(call)[:1]
    if method in ROUTE_METHODS or method in MIDDLEWARE_METHODS:
        return True
    if method == "get":
        path = literal_key(first[0]) if first else None
        return path is not None and path.startswith("/")
    if method in SUBSCRIBING_METHODS:
        return bool(first) and literal_key(first[0]) in PER_CALL_EVENTS
    return False


def _handler_calling(ctx: FileContext, function: Node) -> PerRequest | None:
    """A handler in this file that calls ``function`` by name (one level of the call graph)."""
    up = ctx.ancestry
    name_node = _name_node(up, function)
    if name_node is None:
        return None
    binding = ctx.scopes.resolve(name_node)
    if binding is None:
        return None
    for ref in references_to(binding, ctx.scopes, ctx.references):
        outer = outermost(up, ref)
        parent = up.parent(outer)
        call = parent if parent is not None and parent.type == "call_expression" else None
        for caller in enclosing_functions(up, ref):
            if is_handler(ctx, caller):
                return PerRequest(caller, call)
    return None


def _name_node(up: Ancestry, function: Node) -> Node | None:
    name = function.child_by_field_name("name")
    if name is not None and name.type == "identifier":
        return name
    _, parent = value_parent(up, function)
    if parent is not None and parent.type == "variable_declarator":
        declared = parent.child_by_field_name("name")
        if declared is not None and declared.type == "identifier":
            return declared
    return None


def effect_callback(ctx: FileContext, node: Node) -> Node | None:
    """The innermost function around ``node`` that is passed to React's useEffect."""
    up = ctx.ancestry
    for function in enclosing_functions(up, node):
        outer = outermost(up, function)
        arguments = up.parent(outer)
        if arguments is None or arguments.type != "arguments":
            continue
        hook = up.parent(arguments)
        if hook is None or hook.type != "call_expression":
            continue
        if call_arguments(hook)[:1] != [outer]:
            continue
        symbol = ctx.imports.resolve(hook.child_by_field_name("function"))
        if symbol is not None and symbol.matches(REACT_MODULES, *EFFECT_HOOKS):
            return function
    return None
