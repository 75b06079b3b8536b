"""What can throw or reject: the operations whose failure skips a release.

A close that is not in ``finally`` leaks only when something between acquire and close can
fail. Counting every call made messages name operations that cannot fail (a getter, a helper
that builds a string, ``Buffer.from(str)``) while the explicit ``throw`` before the ``try`` went
unnamed. So an operation throws here when it is:

* an ``await`` (the network, the database: what fails in practice), or a ``throw``;
* a call of a function this file cannot see;

and not when it is:

* ``new`` (building a value), logging (``console.*``, ``logger.info`` …);
* a known non-throwing builtin (``Math.*``, ``Date.now()``, ``JSON.stringify`` excepted —
  it throws on cycles — ``String(x)``, ``Array.isArray``, ``Object.keys`` …, ``path.join``);
* a string, number, date or array method (``split``, ``join``, ``toISOString``); a Map, Set or
  array method that clients have too (``get``, ``set``, ``push``) only when the receiver is
  known to be a local value — where it was made decides (``resource_origins``: ``new Map()``,
  ``this.cache = new Map()``, ``[]``), never its name: ``sessions.set(k)`` on an ioredis
  client is I/O, and so is a receiver whose origin is unknown;
* a function of the same file (a declaration, a method of the same class called on ``this``)
  whose body only computes: no ``await``, no ``throw``, and only calls that cannot throw by
  these same rules (a getter that returns a field, a helper that formats a key).

Context decides the rest (calls that set the resource up or release something, bookkeeping in
a ``catch``): ``release_paths`` asks this module only about the operation itself.

A stream fails by emitting ``'error'``; ``stream_cannot_fail`` names the sources that do not:
data held in memory (``Readable.from(buffer)``, ``v8.getHeapSnapshot()``), or a compressor or
pass-through made in this file that the code only ``write()``s values into
(``gzip.write(json); gzip.end()``).
"""

from __future__ import annotations

from tree_sitter import Node

from leaklint.analysis.flow import declared_value
from leaklint.analysis.nodes import (
    FUNCTION_NODES,
    call_arguments,
    class_method,
    is_callee,
    member_property,
    plain_parameters,
    text,
)
from leaklint.analysis.resource_origins import declared_function, value_origin
from leaklint.semantic.context import FileContext
from leaklint.semantic.imports import GLOBAL, unwrap
from leaklint.semantic.scope import references_to

# Global functions and static methods that do not throw on ordinary input.
NON_THROWING_GLOBALS = frozenset(
    {
        ("String",),
        ("Number",),
        ("Boolean",),
        ("Symbol",),
        ("parseInt",),
        ("parseFloat",),
        ("isNaN",),
        ("isFinite",),
        ("setTimeout",),
        ("setInterval",),
        ("setImmediate",),
        ("clearTimeout",),
        ("clearInterval",),
        ("clearImmediate",),
        ("Array", "isArray"),
        ("Array", "from"),
        ("Array", "of"),
        ("Object", "keys"),
        ("Object", "values"),
        ("Object", "entries"),
        ("Object", "assign"),
        ("Object", "freeze"),
        ("Object", "fromEntries"),
        ("Number", "isInteger"),
        ("Number", "isFinite"),
        ("Date", "now"),
        ("Promise", "resolve"),
        ("Promise", "reject"),  # rejects only when awaited, which counts on its own
        ("Buffer", "from"),
        ("Buffer", "alloc"),
        ("Buffer", "byteLength"),
        ("Buffer", "concat"),
        ("Buffer", "isBuffer"),
        ("performance", "now"),
        ("process", "hrtime"),
        ("process", "nextTick"),
        ("crypto", "randomUUID"),
    }
)
NON_THROWING_OBJECTS = frozenset({"Math", "console"})
# Node modules whose synchronous helpers compute from their arguments.
NON_THROWING_MODULES = frozenset({"path", "node:path", "util", "node:util", "url", "node:url"})
# Methods of a logger object (`logger.info(…)`, `this.log.warn(…)`): reporting, not work.
LOG_METHODS = frozenset({"trace", "debug", "info", "log", "warn", "warning", "error", "fatal"})
LOGGER_NAMES = frozenset({"logger", "log", "_logger", "_log", "console"})
# Methods of strings, numbers, dates and arrays that compute locally, whatever the receiver:
# no I/O client has them.
NON_THROWING_METHODS = frozenset(
    {
        "toString",
        "toFixed",
        "toISOString",
        "toLowerCase",
        "toUpperCase",
        "trim",
        "padStart",
        "padEnd",
        "slice",
        "substring",
        "split",
        "join",
        "concat",
        "includes",
        "indexOf",
        "startsWith",
        "endsWith",
        "replace",
        "getTime",
    }
)
# Methods of a Map, Set or array that a client has too (`redis.get(k)`, `client.set(k, v)`,
# `queue.push(job)`): they compute locally only when the receiver is known to be a local value.
COLLECTION_METHODS = frozenset(
    {
        "push",
        "pop",
        "shift",
        "unshift",
        "has",
        "get",
        "set",
        "add",
        "delete",
        "keys",
        "values",
        "entries",
    }
)
# Global constructors of local values, and the literals that make them.
LOCAL_VALUE_CONSTRUCTORS = frozenset(
    {"Map", "Set", "WeakMap", "WeakSet", "Array", "URLSearchParams"}
)
LOCAL_LITERALS = frozenset({"array", "object", "string", "template_string"})
_MAX_DEPTH = 3  # same-file helpers followed this many calls deep


def can_throw(ctx: FileContext, op: Node, depth: int = 0) -> bool:
    """Whether the operation ``op`` (a call, ``new``, ``await`` or ``throw``) can throw or
    reject, by the rules of the module docstring."""
    node = _unwrap(op)
    if node is None:
        return False
    if node.type in ("call_expression", "await_expression") and _rejection_handled(
        ctx, node, depth
    ):
        return False
    if node.type == "await_expression":
        return not _awaits_a_plain_wait(ctx, node, depth)
    if node.type == "throw_statement":
        return True
    if node.type == "new_expression":
        return False
    if node.type != "call_expression":
        return False
    return _call_can_throw(ctx, node, depth)


def _rejection_handled(ctx: FileContext, node: Node, depth: int) -> bool:
    """`await job.finished().catch(() => ({}))`: a promise chain ended by a `.catch()` whose
    handler cannot throw does not reject, and the calls that make the promise fail by
    rejecting into that handler (a promise-returning call is why one writes `.catch()`), so
    neither the `await`, the `.catch()` nor the calls of its chain skip a release (fStikBot's
    queue poll, audit 11: the message named that `await` as the failing step)."""
    if node.type == "await_expression":
        awaited = _unwrap(node.named_children[0]) if node.named_child_count else None
        return awaited is not None and _caught(ctx, awaited, depth)
    if _caught(ctx, node, depth):
        return True
    up = ctx.ancestry
    child, parent = node, up.parent(node)
    while parent is not None and parent.type in _CHAIN_PARTS:
        callee = (
            parent.child_by_field_name("function") if parent.type == "call_expression" else None
        )
        if callee is not None and callee.id == child.id and _caught(ctx, parent, depth):
            return True
        child, parent = parent, up.parent(parent)
    return False


# What a call can sit in and still be part of the promise a `.catch()` ends: its receiver's
# member chain, call arguments (`Promise.race([a(), b()])`), arrays and parentheses.
_CHAIN_PARTS = frozenset(
    {
        "member_expression",
        "call_expression",
        "arguments",
        "array",
        "parenthesized_expression",
        "await_expression",
    }
)


def _caught(ctx: FileContext, call: Node, depth: int) -> bool:
    """``call`` is `p.catch(handler)` (or `p.then(onDone, handler)`) with a handler that
    cannot throw: a function written in place or of this file whose own operations cannot,
    or a logger's method (`.catch(console.error)`)."""
    if call.type != "call_expression":
        return False
    callee = _unwrap(call.child_by_field_name("function"))
    method = (
        member_property(callee)
        if callee is not None and callee.type == "member_expression"
        else None
    )
    arguments = call_arguments(call)
    if method == "catch" and len(arguments) == 1:
        handler = arguments[0]
    elif method == "then" and len(arguments) == 2:
        handler = arguments[1]
    else:
        return False
    handler = _unwrap(handler)
    if handler is None:
        return False
    if handler.type == "member_expression":
        return _is_logging(handler)
    if handler.type not in ("arrow_function", "function_expression"):
        handler = _same_file_function(ctx, handler) if handler.type == "identifier" else None
    if handler is None or depth >= _MAX_DEPTH:
        return False
    body = handler.child_by_field_name("body")
    return body is not None and not any(
        can_throw(ctx, op, depth + 1) for op in _own_operations(body)
    )


def _awaits_a_plain_wait(ctx: FileContext, awaited: Node, depth: int) -> bool:
    """`await new Promise((resolve) => setTimeout(resolve, ms))`: a promise whose executor
    takes no `reject` and does nothing that can throw besides calling `resolve` cannot reject
    (a test's pause, a back-off delay), so the `await` leaves nothing open on an error path."""
    value = _unwrap(awaited.named_children[0]) if awaited.named_child_count else None
    if value is None or value.type != "new_expression":
        return False
    constructor = value.child_by_field_name("constructor")
    symbol = ctx.imports.resolve(constructor) if constructor is not None else None
    if symbol is None or symbol.module != GLOBAL or tuple(symbol.path) != ("Promise",):
        return False
    arguments = call_arguments(value)
    if len(arguments) != 1 or arguments[0].type not in ("arrow_function", "function_expression"):
        return False
    executor = arguments[0]
    found = plain_parameters(executor)
    parameters = [text(parameter) for parameter in found] if found is not None else None
    if parameters is None or len(parameters) > 1:
        return False  # a `reject` it may call, or a pattern this cannot read
    body = executor.child_by_field_name("body")
    if body is None:
        return False
    for op in _own_operations(body):
        is_call = op.type == "call_expression"
        callee = _unwrap(op.child_by_field_name("function")) if is_call else None
        if callee is not None and callee.type == "identifier" and text(callee) in parameters:
            continue  # `resolve()`
        if can_throw(ctx, op, depth):
            return False
    return True


def _call_can_throw(ctx: FileContext, call: Node, depth: int) -> bool:
    callee = _unwrap(call.child_by_field_name("function"))
    if callee is None:
        return True
    if callee.type == "member_expression" and _is_logging(callee):
        return False
    symbol = ctx.imports.resolve(callee)
    if symbol is not None:
        if symbol.module == GLOBAL and (
            tuple(symbol.path) in NON_THROWING_GLOBALS
            or (symbol.path and symbol.path[0] in NON_THROWING_OBJECTS)
        ):
            return False
        if symbol.module in NON_THROWING_MODULES:
            return False
    if callee.type == "member_expression":
        method = member_property(callee)
        receiver = callee.child_by_field_name("object")
        if method in NON_THROWING_METHODS:
            return False  # `key.split(':')`, `list.join(',')`
        # `this.cache.get(k)` on a Map is bookkeeping; a client's `redis.get(k)` is I/O, and
        # so is a receiver this file cannot place: it may be either.
        if method in COLLECTION_METHODS and receiver is not None and is_local_value(ctx, receiver):
            return False
    local = _same_file_function(ctx, callee)
    if local is not None and depth < _MAX_DEPTH:
        return function_can_throw(ctx, local, depth + 1)
    return True


def function_can_throw(ctx: FileContext, function: Node, depth: int = 0) -> bool:
    """Whether calling ``function`` can throw: an ``await`` or ``throw`` in its own body (not
    in nested functions), or a call that can."""
    memo: dict[int, bool] = ctx.memo("throws.function", dict)
    if function.id in memo:
        return memo[function.id]
    memo[function.id] = True  # a recursive helper: assume the worst while looking
    body = function.child_by_field_name("body")
    if _is_async(function):
        # An async function never throws at the call: it rejects, and a rejection is seen
        # where the promise is awaited — which counts there, as every `await` does.
        result = False
    elif body is None:
        result = True
    else:
        result = any(can_throw(ctx, op, depth) for op in _own_operations(body))
    memo[function.id] = result
    return result


def can_throw_after(ctx: FileContext, block: Node, node: Node) -> bool:
    """Whether an operation of ``block`` (not of the functions written in it) that starts
    after ``node`` ends can throw or reject: whether a `catch` of that block can run after
    ``node`` did."""
    return any(
        op.start_byte >= node.end_byte and can_throw(ctx, op) for op in _own_operations(block)
    )


def _own_operations(body: Node) -> list[Node]:
    found: list[Node] = []
    stack = [body]
    while stack:
        current = stack.pop()
        if current.type in FUNCTION_NODES and current.id != body.id:
            continue
        if current.type in ("call_expression", "await_expression", "throw_statement"):
            found.append(current)
        stack.extend(current.named_children)
    return found


def _is_async(function: Node) -> bool:
    return any(child.type == "async" for child in function.children)


def _same_file_function(ctx: FileContext, callee: Node) -> Node | None:
    """The function a callee names in this file: `helper(…)`, or `this.method(…)` of the
    enclosing class."""
    if callee.type == "identifier":
        binding = ctx.scopes.resolve(callee)
        return declared_function(binding) if binding is not None else None
    if callee.type == "member_expression":
        receiver = callee.child_by_field_name("object")
        name = member_property(callee)
        if receiver is None or receiver.type != "this" or name is None:
            return None
        return class_method(ctx.ancestry.nearest(callee, frozenset({"class_body"})), name)
    return None


def _is_logging(callee: Node) -> bool:
    """`console.log(…)`, `logger.info(…)`, `this.logger.warn(…)`, `log.error(…)`."""
    if member_property(callee) not in LOG_METHODS:
        return False
    receiver = callee.child_by_field_name("object")
    if receiver is None:
        return False
    name = member_property(receiver) if receiver.type == "member_expression" else text(receiver)
    return name is not None and name.lower().lstrip("_") in {n.lstrip("_") for n in LOGGER_NAMES}


def is_local_value(ctx: FileContext, receiver: Node) -> bool:
    """Whether ``receiver`` is known to be a Map, Set, array, object or string made in this
    file (`const seen = new Map()`, `this.cache = new Map()`, `const list = []`), by where its
    value was made (``resource_origins``); a library value (a client, a pool) or one whose
    origin is unknown is not."""
    origin = value_origin(ctx, receiver)
    if origin is not None:
        return origin.module == GLOBAL and origin.path[:1] in {
            (n,) for n in LOCAL_VALUE_CONSTRUCTORS
        }
    return _declared_literal(ctx, receiver)


def _declared_literal(ctx: FileContext, node: Node) -> bool:
    """A literal, or a name declared with one (`const list = []`)."""
    node = _unwrap(node)
    if node is None:
        return False
    if node.type in LOCAL_LITERALS:
        return True
    if node.type == "identifier":
        value = _unwrap(declared_value(ctx, node))
        return value is not None and value.type in LOCAL_LITERALS
    return False


def _unwrap(node: Node | None) -> Node | None:
    while node is not None and node.type == "parenthesized_expression":
        node = node.named_child(0)
    return node


# Streams that only transform what they are given: compressing cannot fail on any input
# (decompressing can: not listed), and a PassThrough passes bytes on.
_TRANSFORMS_THAT_CANNOT_FAIL = (
    ("zlib", ("createGzip",)),
    ("zlib", ("createDeflate",)),
    ("zlib", ("createDeflateRaw",)),
    ("zlib", ("createBrotliCompress",)),
    ("stream", ("PassThrough",)),
)
# A Readable made here (`Readable.from(values)`, or `Readable()` whose `_read` pushes this
# code's buffer) fails only if this code makes it fail; a heap snapshot is serialised by V8
# from this process's own heap, with no I/O behind it.
_IN_MEMORY_SOURCES = (
    *(
        (module, path)
        for module in ("stream", "readable-stream")
        for path in (("Readable", "from"), ("Readable",))
    ),
    ("v8", ("getHeapSnapshot",)),
)
# A digest is a sink that only computes: it neither errors nor closes before its source ends.
_IN_MEMORY_SINKS = (("crypto", ("createHash",)), ("crypto", ("createHmac",)))
# What the code may do with such a transform and still be the only writer of its data.
_WRITER_METHODS = frozenset({"write", "end", "pipe", "on", "once", "setEncoding"})


def stream_cannot_fail(ctx: FileContext, source: Node | None) -> bool:
    """Whether ``source`` is a stream that emits no ``'error'`` in practice: ``Readable.from(…)``
    of values, or a compressor / ``PassThrough`` declared in this file whose every use is a
    ``write()``/``end()`` of values, a listener, or piping it on — nothing is piped into it."""
    node = unwrap(source)
    if node is None:
        return False
    if node.type == "call_expression" and _made_by(
        ctx, node, _IN_MEMORY_SOURCES + _IN_MEMORY_SINKS
    ):
        return True
    if node.type != "identifier":
        return False
    binding = ctx.scopes.resolve(node)
    value = unwrap(ctx.scopes.declared_value(node))
    if binding is None or value is None or value.type not in ("call_expression", "new_expression"):
        return False
    if _made_by(ctx, value, _IN_MEMORY_SOURCES + _IN_MEMORY_SINKS):
        return True
    if not _made_by(ctx, value, _TRANSFORMS_THAT_CANNOT_FAIL):
        return False
    up = ctx.ancestry
    for ref in references_to(binding, ctx.scopes, ctx.references):
        if ref.id == binding.node.id:
            continue
        member = up.parent(ref)
        if (
            member is None
            or member.type != "member_expression"
            or member.child_by_field_name("object") != ref
            or member_property(member) not in _WRITER_METHODS
            or not is_callee(up, member)
        ):
            return False  # piped into, handed on, or used in a way this cannot follow
    return True


def _made_by(
    ctx: FileContext, value: Node, makers: tuple[tuple[str, tuple[str, ...]], ...]
) -> bool:
    field = "constructor" if value.type == "new_expression" else "function"
    symbol = ctx.imports.resolve(value.child_by_field_name(field))
    return symbol is not None and any(symbol.matches(m, path) for m, path in makers)
