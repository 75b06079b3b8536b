"""## What it does
Flags infrastructure that is meant to be created once per process, created instead in code that
runs per request, per connection, per message or per timer tick:

* a keep-alive HTTP agent: `new http.Agent({ keepAlive: true })` (or `https`), any
  `agentkeepalive` agent, an undici `Agent`, `Pool` or `BalancedPool`;
* a winston logger with a file, HTTP or stream transport, or one that handles exceptions or
  rejections (`winston.createLogger({ transports: [new winston.transports.File(…)] })`);
* a pino transport or destination (`pino.transport(…)`, `pino.destination(…)`,
  `pino({ transport: … })`);
* an `http-proxy-middleware` proxy (`createProxyMiddleware(…)`).

Constructors and factories are resolved through `require`/`import` (renamed, destructured,
`node:` prefixed), never by name. How often the code runs is leaklint's one frequency answer:
module level, start-up code (`main()`, `init()`), lazy initialisation (`if (!agent) agent = …`)
and constructors are fine; a route handler, a `(req, res)` function, a function one of them
calls, a `socket.on('message')` callback or a `setInterval` callback are not. An object the file
destroys or closes (`agent.destroy()`, `logger.close()`, `pool.close()`) or caches in a map or
property (`agents[host] = new Agent(…)`) is not reported. An agent without `keepAlive` closes its
sockets after each response and is not reported either.

## Why is this bad?
These objects own operating-system resources that outlive the request that made them. A
keep-alive agent keeps its sockets open after the response to reuse them, so an agent per
request leaves one or more idle connections (and file descriptors) behind per request, until
the server or the kernel gives up: "EMFILE: too many open files", `ECONNRESET` storms,
thousands of sockets in `ss -s`. A winston file transport opens a file descriptor per logger; a
pino transport starts a worker thread per call; `http-proxy-middleware` creates a proxy server
per call and subscribes it to the HTTP server's `'close'` event, so the server keeps every proxy
ever made (chimurai/http-proxy-middleware#954, #909). None of them is closed by anything
when the request ends.

## Example
```js
const https = require('https');

app.get('/price', async (req, res) => {
  const agent = new https.Agent({ keepAlive: true }); // a pool of sockets per request
  res.json(await fetchPrice(req.query.id, { agent }));
});
```

## Use instead
```js
const https = require('https');
const agent = new https.Agent({ keepAlive: true }); // one pool, shared by every request

app.get('/price', async (req, res) => {
  res.json(await fetchPrice(req.query.id, { agent }));
});
```
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tree_sitter import Node

from leaklint.analysis.flow import destination, stored_on
from leaklint.analysis.frequency import FREQUENCY_ANALYSES, Frequency, Rate, how_often
from leaklint.analysis.nodes import (
    assignment_target,
    call_arguments,
    literal_key,
    member_property,
    text,
)
from leaklint.model.findings import Severity
from leaklint.rules._base import Rule
from leaklint.semantic.context import FileContext
from leaklint.semantic.scope import references_to

CONSTRUCTIONS = """
(new_expression constructor: (_) @callee) @made
(call_expression function: (_) @callee) @made
"""
# Methods that end the object's resources: when the file calls one, the object is managed.
RELEASING_METHODS = frozenset({"destroy", "close", "end", "flush", "terminate", "unref"})
# winston transports that hold an OS resource (a file descriptor, sockets); Console does not.
RESOURCE_TRANSPORTS = frozenset({"File", "DailyRotateFile", "Http", "Stream"})
EXCEPTION_KEYS = frozenset(
    {"exceptionHandlers", "rejectionHandlers", "handleExceptions", "handleRejections"}
)
REPEATING_RATES = frozenset(
    {Rate.PER_REQUEST, Rate.PER_CONNECTION, Rate.PER_MESSAGE, Rate.PER_TICK}
)


@dataclass(frozen=True)
class Kind:
    """One kind of per-process infrastructure."""

    modules: tuple[str, ...]
    paths: tuple[tuple[str, ...], ...]
    label: str  # how the message names it
    consequence: str  # the message id saying what each extra one keeps
    # Whether this construction holds a resource (options decide for agents and loggers).
    holds_resource: Callable[[Node], bool]


def _always(_made: Node) -> bool:
    return True


def _keep_alive(made: Node) -> bool:
    """`new http.Agent({ keepAlive: true })`: only a keep-alive agent keeps idle sockets (a
    plain one closes each socket when its request is done). Options this file cannot read are
    not assumed to be keep-alive."""
    options = _first_object(made)
    value = _property(options, "keepAlive") if options is not None else None
    return value is not None and text(value) not in ("false", "0", "undefined", "null")


def _logger_with_resources(made: Node) -> bool:
    """A winston logger whose options open a file, socket or stream transport, or handle
    exceptions (which adds `process` listeners)."""
    options = _first_object(made)
    if options is None:
        return False
    for pair in options.named_children:
        if (
            pair.type == "pair"
            and text(pair.child_by_field_name("key")) in EXCEPTION_KEYS
            and text(pair.child_by_field_name("value")) != "false"
        ):
            return True
    transports = _property(options, "transports")
    return transports is not None and _names_resource_transport(transports)


def _pino_with_transport(made: Node) -> bool:
    """`pino({ transport: { target } })`: pino starts the transport's worker thread itself."""
    options = _first_object(made)
    return options is not None and _property(options, "transport") is not None


KINDS: tuple[Kind, ...] = (
    Kind(("http", "https"), (("Agent",),), "keep-alive HTTP agent", "agent", _keep_alive),
    Kind(
        ("agentkeepalive",),
        ((), ("HttpAgent",), ("HttpsAgent",)),
        "keep-alive HTTP agent",
        "agent",
        _always,
    ),
    Kind(
        ("undici",),
        (("Agent",), ("Pool",), ("BalancedPool",)),
        "undici dispatcher",
        "dispatcher",
        _always,
    ),
    Kind(
        ("winston",),
        (("createLogger",), ("Logger",)),
        "winston logger",
        "logger",
        _logger_with_resources,
    ),
    Kind(("pino",), (("transport",),), "pino transport", "pino-transport", _always),
    Kind(("pino",), (("destination",),), "pino destination", "pino-destination", _always),
    Kind(
        ("pino",),
        ((), ("pino",)),
        "pino logger with a transport",
        "pino-transport",
        _pino_with_transport,
    ),
    Kind(
        ("http-proxy-middleware",),
        (("createProxyMiddleware",), ("legacyCreateProxyMiddleware",), ()),
        "proxy middleware",
        "proxy",
        _always,
    ),
)


class PerCallSingleton(Rule):
    code = "LL009"
    name = "per-call-singleton"
    summary = (
        "Infrastructure meant to be created once (a keep-alive agent, a logger transport, a "
        "proxy) is created in code that runs per request."
    )
    severity = Severity.WARNING
    # CodeQL's vocabulary: very-high, high, medium, low (measured: docs/rules-corpus.md).
    precision = "medium"
    preview = True
    tags = ("memory-leak", "sockets")
    triggers = (b"Agent", b"Pool", b"winston", b"pino", b"http-proxy-middleware")
    query = CONSTRUCTIONS
    analyses = FREQUENCY_ANALYSES
    messages = {
        "per-call": (
            "A new {what} is created here, in code that {reason}. {consequence} Create it once "
            "(at module level or in start-up code) and share it."
        ),
        "agent": (
            "Each agent keeps its own idle keep-alive sockets open after the response, so "
            "connections and file descriptors pile up with every run (EMFILE)."
        ),
        "dispatcher": (
            "Each dispatcher keeps its own pool of keep-alive connections, so sockets pile up "
            "with every run."
        ),
        "logger": (
            "Each logger opens its own transports (file descriptors, sockets, process "
            "listeners), which nothing closes."
        ),
        "pino-transport": "Each transport starts a worker thread of its own, which nothing ends.",
        "pino-destination": "Each destination opens a file descriptor, which nothing closes.",
        "proxy": (
            "Each proxy middleware creates its own proxy server and, on its first request, "
            "adds a 'close' listener to the HTTP server that keeps it alive (Node warns with "
            "MaxListenersExceededWarning after 10)."
        ),
    }

    def check(self, ctx: FileContext) -> None:
        for made in ctx.captures(self.code).get("made", ()):
            kind = _kind_of(ctx, made)
            if kind is None or not kind.holds_resource(made):
                continue
            frequency = how_often(ctx, made)
            if frequency.rate not in REPEATING_RATES or _managed(ctx, made):
                continue
            self._report(ctx, made, kind, frequency)

    def _report(self, ctx: FileContext, made: Node, kind: Kind, frequency: Frequency) -> None:
        message = self.msg(
            "per-call",
            what=kind.label,
            reason=frequency.reason,
            consequence=self.msg(kind.consequence).text,
        )
        ctx.report(self, made, message)


def _kind_of(ctx: FileContext, made: Node) -> Kind | None:
    callee = made.child_by_field_name(
        "constructor" if made.type == "new_expression" else "function"
    )
    symbol = ctx.imports.resolve(callee)
    if symbol is None:
        return None
    return next((kind for kind in KINDS if symbol.matches(kind.modules, *kind.paths)), None)


def _first_object(made: Node) -> Node | None:
    arguments = call_arguments(made)
    return arguments[0] if arguments and arguments[0].type == "object" else None


def _property(options: Node, key: str) -> Node | None:
    """The value of `key` in an object literal (`{ key }` shorthand counts)."""
    for entry in options.named_children:
        if entry.type == "pair" and literal_key(entry.child_by_field_name("key")) == key:
            return entry.child_by_field_name("value")
        if entry.type == "pair" and text(entry.child_by_field_name("key")) == key:
            return entry.child_by_field_name("value")
        if entry.type == "shorthand_property_identifier" and text(entry) == key:
            return entry
    return None


def _names_resource_transport(transports: Node) -> bool:
    """A `new winston.transports.File(…)` (or DailyRotateFile, Http, Stream) in the list;
    a transport list this file cannot read counts as holding one."""
    if transports.type not in ("array", "new_expression"):
        return transports.type not in ("object",)
    stack = [transports]
    while stack:
        node = stack.pop()
        if node.type == "new_expression":
            constructor = node.child_by_field_name("constructor")
            name = member_property(constructor) if constructor is not None else None
            if (name or text(constructor)) in RESOURCE_TRANSPORTS:
                return True
        stack.extend(node.named_children)
    return False


def _managed(ctx: FileContext, made: Node) -> bool:
    """The object is closed by the file, or cached rather than dropped: `agent.destroy()`,
    `agents[host] = new Agent()`, `agents.set(host, new Agent())` (``flow`` says where it
    goes)."""
    where = destination(ctx, made)
    if where.kind == "argument":
        return where.callee_method == "set"  # a cache keyed by host or tenant
    target = assignment_target(where.use.node, where.use.parent)
    if target is None:
        return False
    if target.type in ("member_expression", "subscript_expression"):
        # `agents[host] = …`, `this.agent = …`: kept on an object that outlives the run, where
        # the next run finds it again. `req.log = …` keeps it on the request, made per run.
        return stored_on(ctx, target, how_often(ctx, made).function) in ("this", "outer")
    if target.type != "identifier":
        return False
    binding = ctx.scopes.resolve(target)
    if binding is None:
        return False
    return any(_is_released(ctx, ref) for ref in references_to(binding, ctx.scopes, ctx.references))


def _is_released(ctx: FileContext, ref: Node) -> bool:
    """`ref.destroy()`, `ref.close()`… anywhere in the file (a `finally`, a `'close'` handler)."""
    where = destination(ctx, ref)
    return where.kind == "method-call" and where.method in RELEASING_METHODS


__all__ = ["KINDS", "PerCallSingleton"]
