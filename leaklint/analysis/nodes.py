"""Small syntax questions the leak rules share: where a value flows, loops, module level.

Everything here looks at a handful of ancestors or children of one node; the rules find
their candidate nodes with the shared query pass first, so none of this walks a whole file.
Parents come from the file's ``Ancestry`` (``up``): ``node.parent`` searches down from the root
and turns a walk up into depth² work on generated code.
"""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from leaklint.analysis.listeners import PERSISTENT_LISTENING
from leaklint.semantic.scope import FUNCTION_NODES, LOOP_NODES, Ancestry, word_spans

# Methods whose callback runs once per element: a body inside one is "in a loop". Besides the
# array methods: lodash/async `each`, mongoose cursors' `eachAsync`.
ITERATION_METHODS = frozenset(
    {"forEach", "map", "flatMap", "reduce", "reduceRight", "each", "eachAsync", "eachSeries"}
)
# Wrappers that do not change which value an expression denotes.
TRANSPARENT = frozenset(
    {
        "parenthesized_expression",
        "as_expression",
        "satisfies_expression",
        "non_null_expression",
        "type_assertion",
    }
)
FIELD_NODES = frozenset({"field_definition", "public_field_definition"})
CLASS_NODES = frozenset({"class_declaration", "class", "abstract_class_declaration"})
STRING_NODES = frozenset({"string", "template_string", "number"})


def text(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", "replace")


def first_named(node: Node) -> Node | None:
    """The first named child, or None (``named_child(0)`` raises on a bare ``return;``)."""
    return node.named_children[0] if node.named_child_count else None


def call_arguments(call: Node) -> list[Node]:
    """The argument expressions of a call or ``new`` (comments left out)."""
    arguments = call.child_by_field_name("arguments")
    if arguments is None or arguments.type != "arguments":
        return []
    return [child for child in arguments.named_children if child.type != "comment"]


def member_property(node: Node | None) -> str | None:
    """``b`` for ``a.b``, ``a?.b``, ``a.#b`` and ``a['b']``; None otherwise."""
    if node is None:
        return None
    if node.type == "member_expression":
        prop = node.child_by_field_name("property")
        return text(prop) if prop is not None else None
    if node.type == "subscript_expression":
        return literal_key(node.child_by_field_name("index"))
    return None


def literal_key(node: Node | None) -> str | None:
    """The value of a string/number literal or substitution-free template, else None."""
    if node is None:
        return None
    if node.type == "number":
        return text(node)
    if node.type == "string":
        return "".join(text(c) for c in node.named_children if c.type == "string_fragment")
    if node.type == "template_string" and not any(
        c.type == "template_substitution" for c in node.named_children
    ):
        return "".join(text(c) for c in node.named_children if c.type == "string_fragment")
    return None


def outermost(up: Ancestry, node: Node) -> Node:
    """``node`` with the parentheses and TypeScript casts around it."""
    parent = up.parent(node)
    while parent is not None and parent.type in TRANSPARENT:
        node = parent
        parent = up.parent(node)
    return node


def accessed_member(up: Ancestry, ref: Node) -> Node | None:
    """The member expression `ref.<name>` whose object ``ref`` is, if ``ref`` is read that way."""
    member = up.parent(ref)
    if member is None or member.type != "member_expression":
        return None
    return member if member.child_by_field_name("object") == ref else None


def is_callee(up: Ancestry, node: Node) -> bool:
    parent = up.parent(node)
    return (
        parent is not None
        and parent.type in ("call_expression", "new_expression")
        and parent.child_by_field_name(
            "function" if parent.type == "call_expression" else "constructor"
        )
        == node
    )


def is_iife(up: Ancestry, function: Node) -> bool:
    """``(function () {…})()``, ``!function(){}()``, ``(() => {…})()``, ``(function(){}).call()``.

    Bundlers (UMD, Rollup, CoffeeScript, Babel loose mode) wrap whole modules in one, so its
    body runs exactly once: for these rules it is module level.
    """
    node = outermost(up, function)
    if is_callee(up, node):
        return True
    parent = up.parent(node)
    if parent is not None and parent.type == "member_expression":
        prop = member_property(parent)
        if prop in ("call", "apply") and is_callee(up, outermost(up, parent)):
            return True
    return False


def enclosing_functions(up: Ancestry, node: Node) -> Iterator[Node]:
    """Functions, methods and arrows around ``node``, innermost first."""
    for ancestor in up.ancestors(node):
        if ancestor.type in FUNCTION_NODES:
            yield ancestor


def effective_function(up: Ancestry, node: Node) -> Node | None:
    """The innermost function around ``node`` that can run more than once.

    Looked through, because they run as part of the code around them: immediately invoked
    wrappers, ``forEach``/``map``/``reduce`` callbacks, and one-shot callbacks
    (``promise.then(cb)``, ``server.listen(port, cb)``, ``setTimeout(cb)``, an error-first
    ``fs.readdir(dir, (err, files) => …)``, ``async.eachLimit``'s completion callback…).
    None means the code runs once, at module level (an instance field initialiser is not
    module level: it runs per ``new``).
    """
    for current in up.ancestors(node):
        if (
            current.type in FUNCTION_NODES
            and not is_iife(up, current)
            and iteration_call(up, current) is None
            and not is_one_shot_callback(up, current)
        ):
            return current
        if current.type in FIELD_NODES and not is_static_member(current):
            return current
    return None


# Calls that run their callback at most once: `.then(cb)`, `server.listen(port, cb)`,
# `emitter.once('ready', cb)`, `setTimeout(cb)`, `process.nextTick(cb)`, jQuery's
# `$(document).ready(cb)`.
ONE_SHOT_CALLS = frozenset(
    {
        "then",
        "ready",
        "catch",
        "finally",
        "listen",
        "once",
        "setTimeout",
        "setImmediate",
        "nextTick",
        "queueMicrotask",
    }
)


# Lifecycle events an emitter fires once: `client.on('ready', cb)`, `server.on('listening', cb)`,
# a page's `document.addEventListener('DOMContentLoaded', cb)` (only documents fire it).
ONE_SHOT_EVENTS = frozenset({"ready", "listening", "DOMContentLoaded"})
# Event names given as members of an events enum, by the name the library gives them:
# discord.js's `Events.ClientReady` is 'ready' (v14), `Constants.Events.CLIENT_READY` (v13).
# Only members whose value is a one-shot lifecycle event: `Events.ShardReady` fires again for
# every shard that reconnects.
_EVENT_ENUM_MEMBERS = {"ClientReady": "ready", "CLIENT_READY": "ready"}


def event_name(node: Node | None) -> str | None:
    """The event an `on`/`once` call names: a string (`'ready'`), or a member of an `Events`
    enum whose value is known (`Events.ClientReady` → 'ready')."""
    literal = literal_key(node)
    if literal is not None or node is None or node.type != "member_expression":
        return literal
    enum = node.child_by_field_name("object")
    enum_name = (
        member_property(enum) if enum is not None and enum.type != "identifier" else text(enum)
    )
    if enum_name != "Events":
        return None
    return _EVENT_ENUM_MEMBERS.get(member_property(node) or "")


# Fired once per page by these receivers only (an image or a script fires 'load' per load).
_PAGE_ONCE_EVENTS = {"window": frozenset({"load"})}


def is_one_shot_callback(up: Ancestry, function: Node) -> bool:
    outer = outermost(up, function)
    arguments = up.parent(outer)
    if arguments is not None and arguments.type == "object":
        return _is_once_module_handler(up, outer, arguments)
    if arguments is not None and arguments.type == "pair":
        holder = up.parent(arguments)
        return holder is not None and _is_once_module_handler(up, arguments, holder)
    if arguments is None or arguments.type != "arguments":
        return False
    call = up.parent(arguments)
    if call is None or call.type != "call_expression":
        return False
    callee = call.child_by_field_name("function")
    name = member_property(callee) if callee is not None and callee.type != "identifier" else None
    if name is None and text(callee) in ("$", "jQuery") and len(call_arguments(call)) == 1:
        return True  # `$(function () { … })`: jQuery's DOM-ready, once per page
    if name in PERSISTENT_LISTENING:
        listed = call_arguments(call)
        if listed and event_name(listed[0]) in ONE_SHOT_EVENTS:
            return True
        receiver = text(callee.child_by_field_name("object")) if callee is not None else ""
        if listed and literal_key(listed[0]) in _PAGE_ONCE_EVENTS.get(receiver, ()):
            return True  # `window.addEventListener('load', cb)`: once per page
        if name == "addEventListener" and len(listed) > 2 and _says_once(listed[2]):
            return True  # `target.addEventListener(type, cb, { once: true })`
    if (name or text(callee)) in ONE_SHOT_CALLS:
        return True
    if (name or text(callee)) in SUBSCRIBING_CALLS:
        return False
    return is_completion_callback(call, outer, function, name)


# Calls whose callback runs for every event, message, route hit or file change: an error-first
# `(err, msg)` signature there (NATS subscriptions, Express error middleware) is no promise of
# a single call.
SUBSCRIBING_CALLS = frozenset(
    {
        *PERSISTENT_LISTENING,
        "subscribe",
        "psubscribe",
        "watch",
        "watchFile",
        "consume",
        "use",
        "route",
        "all",
        "get",
        "post",
        "put",
        "patch",
        "delete",
        "del",
    }
)
# Node's error-first convention: the callback that receives `(err, result)` is called once,
# with the outcome of the operation.
ERROR_PARAMETERS = frozenset({"err", "error", "er"})
# The async library's collection and control-flow functions (async, neo-async): their last
# argument is the completion callback, called once after every iteration or task is done.
ASYNC_FLOW_METHODS = frozenset(
    {
        "each",
        "eachLimit",
        "eachSeries",
        "eachOf",
        "eachOfLimit",
        "eachOfSeries",
        "forEachLimit",
        "forEachSeries",
        "forEachOf",
        "map",
        "mapLimit",
        "mapSeries",
        "mapValues",
        "series",
        "parallel",
        "parallelLimit",
        "waterfall",
        "whilst",
        "doWhilst",
        "until",
        "doUntil",
        "times",
        "timesLimit",
        "timesSeries",
        "retry",
        "forever",
        "auto",
    }
)


def is_completion_callback(call: Node, outer: Node, function: Node, method: str | None) -> bool:
    """``function`` (``outer`` with its parentheses) is the callback a call hands its outcome
    to, once: the last argument, taking an error first (`fs.readdir(dir, (err, files) => …)`),
    or the last of two or more arguments of an async-library call
    (`async.eachLimit(items, 10, iteratee, () => …)`)."""
    listed = call_arguments(call)
    if not listed or listed[-1] != outer:
        return False
    if first_parameter_name(function) in ERROR_PARAMETERS:
        return True
    return method in ASYNC_FLOW_METHODS and len(listed) >= 2


def plain_parameters(function: Node) -> list[Node] | None:
    """The parameters' identifiers, or None when one is a pattern, a default or a rest."""
    single = function.child_by_field_name("parameter")  # `client => …`
    if single is not None:
        return [single] if single.type == "identifier" else None
    parameters = function.child_by_field_name("parameters")
    if parameters is None:
        return None
    found: list[Node] = []
    for parameter in parameters.named_children:
        if parameter.type in ("required_parameter", "optional_parameter"):
            parameter = parameter.child_by_field_name("pattern") or parameter
        if parameter.type != "identifier":
            return None
        found.append(parameter)
    return found


def first_parameter_name(function: Node) -> str | None:
    """`err` for `(err, rows) => …`, `function (err) {}` and `err => …`."""
    single = function.child_by_field_name("parameter")
    if single is not None:
        return text(single) if single.type == "identifier" else None
    parameters = function.child_by_field_name("parameters")
    if parameters is None or not parameters.named_children:
        return None
    first = parameters.named_children[0]
    if first.type in ("required_parameter", "optional_parameter"):  # TypeScript
        first = first.child_by_field_name("pattern") or first
    return text(first) if first.type == "identifier" else None


def _says_once(options: Node) -> bool:
    """An options object `{ once: true }`."""
    if options.type != "object":
        return False
    for pair in options.named_children:
        if pair.type == "pair" and text(pair.child_by_field_name("key")) == "once":
            return text(pair.child_by_field_name("value")) == "true"
    return False


def _is_once_module_handler(up: Ancestry, member: Node, holder: Node) -> bool:
    """`{ name: 'ready', once: true, execute(client) { … } }`: the event-module shape of
    Discord.js (and Slack Bolt) bots, whose loader registers `execute` with `client.once`."""
    if holder.type != "object" or not _says_once(holder):
        return False
    if member.type == "method_definition":
        return text(member.child_by_field_name("name")) in ("execute", "run", "handler")
    if member.type == "pair":
        return text(member.child_by_field_name("key")) in ("execute", "run", "handler")
    return False


def is_static_member(member: Node) -> bool:
    return any(child.type == "static" for child in member.children)


def superclass(declaration: Node | None) -> Node | None:
    """The expression a class extends (`class Repo extends BaseRepo`), if any."""
    for heritage in declaration.named_children if declaration is not None else ():
        if heritage.type != "class_heritage":
            continue
        clause = next((c for c in heritage.named_children if c.type == "extends_clause"), None)
        # TypeScript wraps the base in an extends clause; JavaScript puts it directly here.
        base = (clause or heritage).named_children
        return base[0] if base else None
    return None


def class_method(body: Node | None, name: str, *, instance_only: bool = False) -> Node | None:
    """The method ``name`` (the first of that name) of the class body ``body``; with
    ``instance_only``, static methods do not count (`this.name()` cannot reach them)."""
    for member in body.named_children if body is not None else ():
        if (
            member.type == "method_definition"
            and text(member.child_by_field_name("name")) == name
            and not (instance_only and is_static_member(member))
        ):
            return member
    return None


# Every `this.<x>` of a subtree (a query): what ``this_members`` picks from.
THIS_MEMBERS = "(member_expression object: (this)) @member"


def instance_class_body(up: Ancestry, node: Node) -> Node | None:
    """The class body whose instance `this` is at ``node``: arrow functions keep the `this` of
    the method around them; any other function has its own."""
    for ancestor in up.ancestors(node):
        if ancestor.type == "arrow_function":
            continue
        if ancestor.type in ("method_definition", *FIELD_NODES):
            body = up.parent(ancestor)
            return body if body is not None and body.type == "class_body" else None
        if ancestor.type in FUNCTION_NODES or ancestor.type in ("class_body", "program"):
            return None
    return None


def this_members(
    up: Ancestry, members: Iterator[Node] | list[Node], body: Node, name: str
) -> list[Node]:
    """Of ``members`` (`this.<x>` expressions, from a query over ``body``), every `this.<name>`
    whose `this` is the instance of the class ``body`` belongs to."""
    return [
        member
        for member in members
        if member_property(member) == name and instance_class_body(up, member) == body
    ]


def loop_ancestors(up: Ancestry, node: Node, stop: Node | None = None) -> Iterator[Node]:
    """Loops and per-element callbacks around ``node``, innermost first, up to ``stop``.

    A callback passed to ``forEach``/``map``/``reduce``… yields the call that iterates.
    """
    for current in up.ancestors(node):
        if stop is not None and current.id == stop.id:
            return
        if current.type in LOOP_NODES:
            yield current
        elif current.type in FUNCTION_NODES:
            iterating = iteration_call(up, current)
            if iterating is not None:
                yield iterating


def iteration_call(up: Ancestry, function: Node) -> Node | None:
    """The ``xs.forEach(…)``-style call ``function`` is the callback of, if any."""
    node = outermost(up, function)
    arguments = up.parent(node)
    if arguments is None or arguments.type != "arguments":
        return None
    call = up.parent(arguments)
    if call is None or call.type != "call_expression":
        return None
    if member_property(call.child_by_field_name("function")) in ITERATION_METHODS:
        return call
    return None


def identifiers_in(node: Node, kinds: frozenset[str] = frozenset({"identifier"})) -> list[Node]:
    """Every node of ``kinds`` (identifiers by default) in ``node``'s subtree."""
    found: list[Node] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type in kinds:
            found.append(current)
        stack.extend(current.named_children)
    return found


def contains(outer: Node, inner: Node) -> bool:
    return outer.start_byte <= inner.start_byte and inner.end_byte <= outer.end_byte


def word_occurrences(data: bytes, word: str) -> Iterator[tuple[int, int]]:
    """Byte ranges where ``word`` occurs as a whole identifier."""
    return word_occurrences_within(data, word, 0, len(data))


def word_occurrences_within(
    data: bytes, word: str, start: int, end: int
) -> Iterator[tuple[int, int]]:
    """``word_occurrences`` in ``data[start:end]`` (offsets into ``data``, nothing copied)."""
    return word_spans(data, word.encode(), start, end, _IDENTIFIER_GLUE)


# Bytes that, before a word, make it part of a longer identifier or a `#private` name.
_IDENTIFIER_GLUE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$#")


# -- where a value goes ----------------------------------------------------------------------

_VALUE_OPERATORS = frozenset({"||", "??", "&&"})


def value_parent(up: Ancestry, expr: Node) -> tuple[Node, Node | None]:
    """The expression that carries ``expr``'s value onward, and the node that consumes it.

    Parentheses and casts, ternary branches, ``a || b`` / ``a ?? b`` operands and the last
    expression of a sequence all pass the value through unchanged.
    """
    node = expr
    while True:
        parent = up.parent(node)
        if parent is None:
            return node, None
        if not _passes_value_through(parent, node):
            return node, parent
        node = parent


def _passes_value_through(parent: Node, child: Node) -> bool:
    kind = parent.type
    if kind in TRANSPARENT:
        return True
    if kind == "ternary_expression":
        return parent.child_by_field_name("condition") != child
    if kind == "binary_expression":
        return text(parent.child_by_field_name("operator")) in _VALUE_OPERATORS
    return kind == "sequence_expression" and parent.named_children[-1] == child


def assignment_target(node: Node, parent: Node | None) -> Node | None:
    """The left side or declared name that receives ``node``'s value, if it is assigned."""
    if parent is None:
        return None
    if parent.type == "variable_declarator" and parent.child_by_field_name("value") == node:
        return parent.child_by_field_name("name")
    if (
        parent.type in ("assignment_expression", "augmented_assignment_expression")
        and parent.child_by_field_name("right") == node
    ):
        return parent.child_by_field_name("left")
    if parent.type in FIELD_NODES and parent.child_by_field_name("value") == node:
        return parent.child_by_field_name("property") or parent.child_by_field_name("name")
    return None


def is_discarded(parent: Node | None, node: Node) -> bool:
    """The value is computed for its side effect only: an expression statement or ``void``."""
    if parent is None:
        return False
    if parent.type == "expression_statement":
        return True
    if parent.type == "sequence_expression":  # not its last element: value dropped
        return True
    return parent.type == "unary_expression" and text(parent.child_by_field_name("operator")) == (
        "void"
    )


def this_method(call: Node) -> str | None:
    """`name` of a call `this.name(…)`; None for any other call."""
    callee = call.child_by_field_name("function")
    if callee is None or callee.type != "member_expression":
        return None
    receiver = callee.child_by_field_name("object")
    if receiver is None or receiver.type != "this":
        return None
    return member_property(callee)


def function_name(up: Ancestry, function: Node) -> str | None:
    """The name a function is known by: declared, method, or the variable/key it is bound to."""
    name = function.child_by_field_name("name")
    if name is not None:
        return text(name)
    node, parent = value_parent(up, function)
    if parent is None:
        return None
    target = assignment_target(node, parent)
    if target is not None and text(target) == "module.exports":
        return "module.exports"  # not "exports": the module's one export, as its code says
    if target is not None:
        return member_property(target) or text(target)
    if parent.type == "pair" and parent.child_by_field_name("value") == node:
        return text(parent.child_by_field_name("key"))
    return None


# Keys drawn from a small, fixed domain rather than from requests, users or messages: a Discord
# bot keeps per-guild state (`queues.set(guild.id, …)`, `servers[guildId] = …`), which grows
# with the servers the bot has joined, not with the traffic; an i18n cache holds one entry per
# language (`cache.set(lang, messages)`).
_BOUNDED_KEYS = frozenset(
    {"guild", "guildId", "guild_id", "guildID", "lang", "language", "locale", "languageCode"}
)


def is_bounded_key(key: Node) -> bool:
    """`guild`, `guildId`, `guild.id`, `interaction.guild.id`, `lang`, `req.locale`: a store
    keyed by it holds one entry per Discord server or per language (``_BOUNDED_KEYS``)."""
    while key.type in ("parenthesized_expression", "non_null_expression", "as_expression"):
        inner = key.named_child(0)
        if inner is None:
            return False
        key = inner
    if key.type == "identifier":
        return text(key) in _BOUNDED_KEYS
    if key.type != "member_expression":
        return False
    prop = member_property(key)
    if prop in _BOUNDED_KEYS:
        return True
    owner = key.child_by_field_name("object")
    return prop == "id" and owner is not None and is_bounded_key(owner)
