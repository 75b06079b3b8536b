"""Which code runs per request, per message or per connection, rather than once at startup.

Growing a module-level store or adding a `process` listener is harmless in a function that
runs once (`main()`, `init()`, a plugin registration) and a leak in one that runs for every
request. Nothing in a single file says how often a function is called, so the rules use the
conventions server code is written in:

* a parameter named like a request, response, context, socket or job
  (`req`, `res`, `ctx`, `reply`, `socket`, `ws`, `job`, …), as Express, Koa, Fastify,
  Next.js API routes, Nest middleware, ws/socket.io and queue workers all name them;
* a callback registered as a route or middleware (`app.get(path, fn)`, `router.use(fn)`) or
  for a per-connection/per-message event (`server.on('request' | 'connection' | 'message')`);
* code nested inside such a function, or a named function of the same file that one of them
  calls (one level deep).

Measured on a corpus of ~490 npm packages (docs/rules-corpus.md), where module-level caches,
registries and warn-once sets are filled by functions called a bounded number of times, this
keeps only code that runs per request.
"""

from __future__ import annotations

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
from leaklint.scope import pattern_identifiers, references_to

# `msg`/`message` are left out on purpose: in libraries they name a warning's text
# (`emitWarningOnce(message)`), and warn-once sets are bounded by the code's own strings.
HANDLER_PARAMETERS = frozenset(
    {"req", "request", "res", "response", "reply", "ctx", "socket", "ws", "job"}
)
ROUTE_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "del", "all", "head", "options", "use", "route"}
)
PER_CALL_EVENTS = frozenset({"request", "connection", "message", "upgrade", "data", "job"})
SUBSCRIBING_METHODS = frozenset({"on", "addListener", "addEventListener", "once", "process"})
EFFECT_HOOKS = (("useEffect",), ("useLayoutEffect",), ("useInsertionEffect",))
REACT_MODULES = ("react", "preact/hooks", "preact/compat")


def request_handler(ctx: FileContext, node: Node) -> Node | None:
    """The function around ``node`` that runs per request/message/connection, if any."""
    functions = list(enclosing_functions(node))
    for function in functions:
        if is_handler(function):
            return function
    for function in functions:
        caller = _handler_calling(ctx, function)
        if caller is not None:
            return caller
    return None


def is_handler(function: Node) -> bool:
    return _has_handler_parameter(function) or _is_registered_callback(function)


def _has_handler_parameter(function: Node) -> bool:
    parameters = function.child_by_field_name("parameters")
    if parameters is None:
        parameter = function.child_by_field_name("parameter")  # `req => …`
        return parameter is not None and text(parameter) in HANDLER_PARAMETERS
    for child in parameters.named_children:
        for ident in pattern_identifiers(child):
            if text(ident) in HANDLER_PARAMETERS:
                return True
    return False


def _is_registered_callback(function: Node) -> bool:
    outer = outermost(function)
    arguments = outer.parent
    if arguments is None or arguments.type != "arguments" or arguments.parent is None:
        return False
    call = arguments.parent
    method = member_property(call.child_by_field_name("function"))
    if method in ROUTE_METHODS:
        return True
    if method in SUBSCRIBING_METHODS:
        first = call_arguments(call)[:1]
        return bool(first) and literal_key(first[0]) in PER_CALL_EVENTS
    return False


def _handler_calling(ctx: FileContext, function: Node) -> Node | None:
    """A handler in this file that calls ``function`` by name (one level of the call graph)."""
    name_node = _name_node(function)
    if name_node is None:
        return None
    binding = ctx.scopes.resolve(name_node)
    if binding is None:
        return None
    for ref in references_to(binding, ctx.scopes, ctx.references):
        for caller in enclosing_functions(ref):
            if is_handler(caller):
                return caller
    return None


def _name_node(function: Node) -> Node | None:
    name = function.child_by_field_name("name")
    if name is not None and name.type == "identifier":
        return name
    _, parent = value_parent(function)
    if parent is not None and parent.type == "variable_declarator":
        declared = parent.child_by_field_name("name")
        if declared is not None and declared.type == "identifier":
            return declared
    return None


def effect_callback(ctx: FileContext, node: Node) -> Node | None:
    """The innermost function around ``node`` that is passed to React's useEffect."""
    for function in enclosing_functions(node):
        outer = outermost(function)
        arguments = outer.parent
        if arguments is None or arguments.type != "arguments" or arguments.parent is None:
            continue
        hook = arguments.parent
        if hook.type != "call_expression" or call_arguments(hook)[:1] != [outer]:
            continue
        symbol = ctx.imports.resolve(hook.child_by_field_name("function"))
        if symbol is not None and symbol.matches(REACT_MODULES, *EFFECT_HOOKS):
            return function
    return None
