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
* ws's `verifyClient` option (`new WebSocket.Server({ verifyClient(info, cb) { … } })`),
  which ws calls for every upgrade request, before the connection exists;
* a tRPC procedure's resolver (`publicProcedure.input(schema).query(async ({ ctx, input }) =>
  …)`, `.mutation(fn)`, `.subscription(fn)`), known by the builder chain it ends: its root is
  named `procedure` or `…Procedure` (`t.procedure`, an exported `protectedProcedure`), which
  tRPC's own documentation and every router built on it name so;
* a Discord bot's command or event handler: a parameter named `interaction`, a prefix
  command's `(message, args)`, a Sapphire-style method, a parameter typed with discord.js's
  `…Interaction` or `Message` (resolved through the imports), or a command's
  `execute({ interaction })` / `run({ inter })` destructuring its interaction;
* code nested inside such a function, or a named function of the same file that one of them
  calls (one level deep), or a method one of them calls on the module's one instance of its
  class (`const presence = new Presence()`, then `presence.join(…)` in a route).

A lone `res` or `socket` parameter is not enough: `new Promise((res, rej) => …)` and
connection helpers in client libraries use those names in code that runs once. On ~490 npm
packages plus ~900 packages of server applications (docs/rules-corpus.md) these conventions
left only code that does run per request.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise

from tree_sitter import Node, QueryCursor

from leaklint.analysis.decorators import (
    FRAMEWORK_PATTERNS,
    DecoratedHandler,
    decorated_handler,
    names_a_framework,
)
from leaklint.analysis.listeners import LISTENING, query_alternatives
from leaklint.analysis.nodes import (
    FUNCTION_NODES,
    call_arguments,
    enclosing_functions,
    first_named,
    function_name,
    identifiers_in,
    is_callee,
    is_static_member,
    literal_key,
    member_property,
    outermost,
    text,
    this_method,
    value_parent,
)
from leaklint.semantic.context import FileContext, SharedQuery
from leaklint.semantic.scope import (
    Ancestry,
    Binding,
    IntervalIndex,
    pattern_identifiers,
    references_to,
)
from leaklint.syntax.parsing import query

REQUEST_NAMES = frozenset({"req", "request"})
RESPONSE_NAMES = frozenset({"res", "response", "reply"})
# A Discord bot's command handlers run once per interaction or command message: a function
# with a parameter named `interaction`, or a method of the names Sapphire and most bot
# templates route commands to. Either counts only in a file that uses discord.js's
# interaction API or names Discord (``_names_discord``): the names alone are not specific.
INTERACTION_PARAMETERS = frozenset({"interaction"})
# A prefix ("message") command of the discord.js guide's handler, `execute(message, args)` or
# `run(client, message, args, …)`: the message, then the words parsed from it.
MESSAGE_COMMAND_PARAMETERS = ("message", "args")
COMMAND_METHODS = frozenset(
    {"messageRun", "chatInputRun", "contextMenuRun", "autocompleteRun", "interactionRun"}
)
DISCORD_COMMAND_EVENT = "interaction"
# A parameter typed with one of these discord.js classes is a command's or event's argument:
# `execute(intr: ChatInputCommandInteraction)`, `process(msg: Message)` (KevinNovak's template
# names it `intr`). Only through the imports: a `Message` of another library is not one.
DISCORD_MODULES = ("discord.js",)
DISCORD_MESSAGE_TYPES = frozenset({"Message"})
DISCORD_INTERACTION_SUFFIX = "Interaction"
# A command object's entry points, which bot loaders call per command (`command.execute({
# inter, client })` in Music-bot): a destructured `inter`/`interaction` there is the command's.
COMMAND_ENTRY_POINTS = frozenset({"execute", "run"})
DESTRUCTURED_INTERACTIONS = frozenset({"inter", "interaction"})
# tRPC: the methods that give a procedure its resolver, and how its builders are named.
TRPC_RESOLVER_METHODS = frozenset({"query", "mutation", "subscription"})
TRPC_PROCEDURE_EVENT = "trpc-procedure"
# ws's server option, called per upgrade request: a function given as `verifyClient` in the
# options object of a `new` expression (`new WebSocket.Server({ server, verifyClient })`).
VERIFY_CLIENT_OPTION = "verifyClient"
VERIFY_CLIENT_EVENT = "verify-client"
# Besides the words `Discord` and `discord` (``_names_discord``): the interaction API.
_DISCORD_INTERACTION_API = re.compile(
    rb"interaction\.(?:reply|deferReply|editReply|followUp|options|showModal|deferUpdate"
    rb"|isChatInputCommand|isButton|customId|guild|member|user|channel)\b"
)
ROUTE_HANDLER_NAMES = frozenset(
    {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "getServerSideProps"}
)
_ROUTE_HANDLER_BYTES = frozenset(name.encode() for name in ROUTE_HANDLER_NAMES)
# `.get` also reads caches (`cache.get(key, loader)`): it needs a path as its first argument.
ROUTE_METHODS = frozenset({"post", "put", "patch", "delete", "del", "all", "head", "options"})
MIDDLEWARE_METHODS = frozenset({"use", "route"})
PER_CALL_EVENTS = frozenset(
    # Node's http/net/ws servers; Discord.js clients' per-message and per-interaction events.
    {"request", "connection", "message", "upgrade", "messageCreate", "interactionCreate"}
)
SUBSCRIBING_METHODS = LISTENING
EFFECT_HOOKS = (("useEffect",), ("useLayoutEffect",), ("useInsertionEffect",))
REACT_MODULES = ("react", "preact/hooks", "preact/compat")


@dataclass(frozen=True)
class PerRequest:
    """Why code runs per request: the handler, and the call from it when one level away."""

    handler: Node
    call: Node | None = None  # `helper(…)` inside the handler, when the code is in `helper`
    # The call that registered the handler (`io.on('connection', fn)`, `app.post('/x', fn)`;
    # for ws's option, its `verifyClient` key), and its event name for `on`-style
    # registrations; None for handlers known by parameters.
    registration: Node | None = None
    event: str | None = None
    # For a method a framework routes to by decorator (`@Get()` in a `@Controller()`): which.
    decorated: DecoratedHandler | None = None


# Every function (to find those with handler parameters) and every call that may register a
# callback, so that handlers are found from the shared query pass, with no walk up the tree
# per identifier. Rules that ask `request_context` (or `frequency.how_often`) list `PERCALL`
# in their `analyses`. One pattern per node type: a grammar drops the patterns naming types it
# lacks (`function`).
PERCALL_QUERY = """
(function_declaration) @percall_function
(function_expression) @percall_function
(function) @percall_function
(arrow_function) @percall_function
(method_definition) @percall_function
(generator_function_declaration) @percall_function
(generator_function) @percall_function
(call_expression
  function: (member_expression property: (property_identifier) @percall_method)
  arguments: (arguments [(function_expression) (arrow_function) (generator_function)])
  (#any-of? @percall_method
    "get" "post" "put" "patch" "delete" "del" "all" "head" "options" "use" "route"
    "query" "mutation" "subscription"
    {listening})) @percall_registration
""".replace("{listening}", query_alternatives(LISTENING))
PERCALL = SharedQuery("percall", PERCALL_QUERY)


# A byte-level superset of the conventions above, so rules that need a handler can skip a file
# before their patterns join the shared query pass. No pattern starts with `\b`: Python's re
# only scans fast for a pattern that starts with a literal, and a superset is all a filter needs.
_REQUEST_WORD = re.compile(rb"req(?:uest)?\b")
_RESPONSE_WORDS = (re.compile(rb"res(?:ponse)?\b"), re.compile(rb"reply\b"))
_KOA_WORDS = (re.compile(rb"ctx\b"), re.compile(rb"next\b"))
# One pattern per word where an alternation would lead: `(?:GET|POST|…)\b` has no literal to
# search for, so `re` tries a match at every G, P, D … of the file (0.34 against 0.25 s over the
# benchmark corpus; the event names 0.55 against 0.24 s). `\.(?:post|…)` leads with `.`: kept.
_EXPORTED_HANDLERS = (
    *(b"GET", b"POST", b"PUT", b"PATCH", b"DELETE", b"HEAD", b"OPTIONS"),
    b"getServerSideProps",
)
_EVENT_WORDS = (
    *(b"request", b"connection", b"message", b"upgrade"),
    *(b"messageCreate", b"interactionCreate"),
)
_OTHER_SIGNS = (
    *(re.compile(name + rb"\b") for name in _EXPORTED_HANDLERS),  # exports
    re.compile(rb"\.(?:post|put|patch|delete|del|all|head|options|use|route)\s*\("),  # routes
    re.compile(rb"\.get\s*\(\s*['\"`]/"),  # app.get('/path', …)
    *(re.compile(event + rb"['\"`]") for event in _EVENT_WORDS),
    re.compile(rb"use(?:Layout|Insertion)?Effect\b"),  # React effects (LL007)
    *FRAMEWORK_PATTERNS,  # decorator-routed handlers (NestJS, routing-controllers, tsoa …)
    re.compile(rb"rocedure\b"),  # tRPC procedures: `publicProcedure.query(…)`, `t.procedure`
    re.compile(rb"verifyClient\b"),  # ws's per-upgrade `verifyClient` option
)


@lru_cache(maxsize=1)  # LL005 and LL007 ask about the same file one after the other
def may_run_per_call(data: bytes) -> bool:
    """Whether a file can contain any handler ``request_context`` would recognise."""
    if _may_have_handler_parameters(data):
        return True
    return any(p.search(data) for p in _OTHER_SIGNS) or _names_discord(data)


def has_handlers(ctx: FileContext) -> bool:
    """Whether the file has any handler: without one no code of it runs per request, message
    or connection (``request_context`` is None for every node), so a rule that reports only
    such code can stop before asking anything else."""
    return bool(_handlers(ctx))


def request_context(ctx: FileContext, node: Node) -> PerRequest | None:
    """The handler that makes ``node`` run per request/message/connection, if any."""
    handlers = _handlers(ctx)
    if not handlers:
        return None
    handler = _innermost_containing(ctx, node)
    if handler is not None:
        return _per_request(ctx, handler)
    memo = _memo(ctx).calling
    for function in enclosing_functions(ctx.ancestry, node):
        if function.id not in memo:
            memo[function.id] = _handler_calling(ctx, handlers, function)
        found = memo[function.id]
        if found is not None:
            return found
    return None


@dataclass
class _Memo:
    """Answers remembered for one file, shared by the rules that ask."""

    handlers: list[Node] | None = None
    registrations: dict[int, tuple[Node, str | None]] = field(default_factory=dict)
    handler_index: IntervalIndex | None = None
    in_handlers: dict[bytes, list[Node]] | None = None
    calling: dict[int, PerRequest | None] = field(default_factory=dict)
    decorated: dict[int, DecoratedHandler] = field(default_factory=dict)
    this_calls: dict[int, dict[str, tuple[Node, Node]]] = field(default_factory=dict)
    singletons: dict[int, Binding | None] = field(default_factory=dict)
    discord_types: dict[int, str] = field(default_factory=dict)


def _memo(ctx: FileContext) -> _Memo:
    return ctx.memo("percall", _Memo)


def _per_request(ctx: FileContext, handler: Node, call: Node | None = None) -> PerRequest:
    memo = _memo(ctx)
    decorated = memo.decorated.get(handler.id)
    if decorated is not None:
        return PerRequest(handler, call, decorated.decorator, None, decorated)
    registration, event = memo.registrations.get(handler.id, (None, None))
    return PerRequest(handler, call, registration, event)


def _handlers(ctx: FileContext) -> list[Node]:
    """Every handler function of the file, in source order."""
    memo = _memo(ctx)
    if memo.handlers is None:
        captures = ctx.captures(PERCALL)
        functions = captures.get("percall_function", ())
        found = {f.id: f for f in _named_or_parametered_handlers(ctx.source.data, functions)}
        if _names_discord(ctx.source.data):
            for function in functions:
                if function.id in found:
                    continue
                because = _discord_command(ctx, function)
                if because is not None:
                    found[function.id] = function
                    memo.registrations[function.id] = (None, DISCORD_COMMAND_EVENT)
                    if because:
                        memo.discord_types[function.id] = because
        for call in captures.get("percall_registration", ()):
            for callback in _registered_callbacks(call):
                found[callback.id] = callback
                memo.registrations[callback.id] = (call, _event_name(call))
        if VERIFY_CLIENT_OPTION.encode() in ctx.source.data:
            for function in functions:
                option = _verify_client_option(ctx.ancestry, function)
                if option is not None:
                    found[function.id] = function
                    memo.registrations[function.id] = (option, VERIFY_CLIENT_EVENT)
        for method in _decorated_methods(ctx, captures.get("percall_function", ())):
            found[method.method.id] = method.method
            memo.decorated[method.method.id] = method
        memo.handlers = sorted(found.values(), key=lambda f: f.start_byte)
        memo.handler_index = IntervalIndex(memo.handlers)
    return memo.handlers


@lru_cache(maxsize=1)  # asked by ``may_run_per_call`` and again by ``_handlers``
def _names_discord(data: bytes) -> bool:
    """Whether the file names Discord or uses the interaction API. The names by ``in``
    (twice as fast as a regular expression of the same literal), the API only where
    `interaction.` occurs."""
    if b"Discord" in data or b"discord" in data:
        return True
    return b"interaction." in data and _DISCORD_INTERACTION_API.search(data) is not None


def _decorated_methods(ctx: FileContext, functions: Iterable[Node]) -> list[DecoratedHandler]:
    """The methods a framework routes to by decorator (none unless the file names one of
    those frameworks: most files have methods, few have these imports)."""
    if not names_a_framework(ctx):
        return []
    found = (decorated_handler(ctx, f) for f in functions if f.type == "method_definition")
    return [handler for handler in found if handler is not None]


def _innermost_containing(ctx: FileContext, node: Node) -> Node | None:
    """The innermost handler around ``node`` (handlers nest or are disjoint)."""
    index = _memo(ctx).handler_index
    if index is None:
        return None
    return index.innermost_containing(node.start_byte, node.end_byte, exclude=node.id)


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


def _named_or_parametered_handlers(data: bytes, functions: Iterable[Node]) -> list[Node]:
    """The functions that are handlers by their parameters or by their exported name.

    Asked of every function of a file (70,000 on the benchmark corpus, most of them in files
    with neither kind), so the file's bytes decide first whether either kind can occur: a
    parameter named `req` and one named `res` need those words in the file (the regular
    expressions of ``may_run_per_call``), a route export its name."""
    by_parameters = _may_have_handler_parameters(data)
    by_name = any(name in data for name in _ROUTE_HANDLER_BYTES)
    if not (by_parameters or by_name):
        return []
    return [
        f
        for f in functions
        if (by_parameters and _has_handler_parameters(f)) or (by_name and _is_route_export(f))
    ]


@lru_cache(maxsize=1)  # ``may_run_per_call`` asked it of the same file just before
def _may_have_handler_parameters(data: bytes) -> bool:
    """Whether some function of the file can have `(req, res)`-like or `(ctx, next)`
    parameters: both words, as whole words, somewhere in it."""
    if _REQUEST_WORD.search(data) and any(p.search(data) for p in _RESPONSE_WORDS):
        return True
    return all(p.search(data) for p in _KOA_WORDS)


def _has_handler_parameters(function: Node) -> bool:
    parameters = function.child_by_field_name("parameters")
    if parameters is None or parameters.named_child_count < 2:
        return False  # `req => …` or `(req) => …`: a pair is needed
    # The names' bytes before the names: decoding each parameter of every function of a
    # large bundle cost more than the rest of the handler search.
    written = parameters.text or b""
    if not (b"req" in written and (b"res" in written or b"reply" in written)) and not (
        b"ctx" in written and b"next" in written
    ):
        return False
    names = _parameter_names(function)
    for first, second in pairwise(names):
        if first in REQUEST_NAMES and second in RESPONSE_NAMES:
            return True
    return names[:2] == ["ctx", "next"]


def _discord_command(ctx: FileContext, function: Node) -> str | None:
    """Why ``function`` is a Discord command or event handler, or None: "" for its names
    (`execute(interaction)`, `async run(client, interaction)`, `chatInputRun(interaction)`, a
    prefix command's `run(client, message, args)`, a command's `execute({ inter, client })`),
    or the discord.js class a parameter is typed with (`execute(intr:
    ChatInputCommandInteraction)`, `process(msg: Message)`)."""
    names = _parameter_names(function)
    if INTERACTION_PARAMETERS.intersection(names):
        return ""
    message, args = MESSAGE_COMMAND_PARAMETERS
    if message in names and args in names[names.index(message) + 1 :]:
        return ""
    name = function.child_by_field_name("name") if function.type == "method_definition" else None
    if name is not None and text(name) in COMMAND_METHODS:
        return ""
    if _destructures_an_interaction(ctx, function):
        return ""
    return discord_parameter_type(ctx, function)


def discord_handler_type(ctx: FileContext, handler: Node) -> str | None:
    """The discord.js class whose parameter made ``handler`` a Discord handler (the reason a
    message gives), when no name did."""
    return _memo(ctx).discord_types.get(handler.id)


def discord_parameter_type(ctx: FileContext, function: Node) -> str | None:
    """The discord.js class a parameter of ``function`` is annotated with (`intr:
    ChatInputCommandInteraction`, `msg: Message<true> | PartialMessage`, `Discord.Message`):
    its name, or None. A type that the imports do not tie to discord.js does not count."""
    parameters = function.child_by_field_name("parameters")
    for parameter in parameters.named_children if parameters is not None else ():
        annotation = parameter.child_by_field_name("type")
        for named in _annotated_types(annotation):
            found = _discord_class(ctx, named)
            if found is not None:
                return found
    return None


def _annotated_types(annotation: Node | None) -> list[Node]:
    """The types an annotation names at its top: each member of a union, the generic's own
    name (`Message` of `Message<true>`), not type arguments (`Collection<string, Message>` is
    a collection)."""
    if annotation is None:
        return []
    pending = list(annotation.named_children) if annotation.type == "type_annotation" else []
    found: list[Node] = []
    while pending:
        current = pending.pop(0)  # in source order: a message names the first such type
        if current.type in ("union_type", "parenthesized_type"):
            pending.extend(current.named_children)
        elif current.type == "generic_type":
            pending.extend(current.named_children[:1])
        elif current.type in ("type_identifier", "nested_type_identifier"):
            found.append(current)
    return found


def _discord_class(ctx: FileContext, named: Node) -> str | None:
    """`Message` or `…Interaction` when ``named`` (a type name, maybe `Discord.Message`)
    resolves through the imports to discord.js's class of that name."""
    if named.type == "nested_type_identifier":
        module, name = named.named_children[0], named.named_children[-1]
    else:
        module, name = None, named
    wanted = text(name)
    if wanted not in DISCORD_MESSAGE_TYPES and not wanted.endswith(DISCORD_INTERACTION_SUFFIX):
        return None
    binding = ctx.scopes.resolve(module if module is not None else name)
    symbol = ctx.imports.binding_symbol(binding) if binding is not None else None
    if symbol is None or symbol.module not in DISCORD_MODULES:
        return None
    path = (*symbol.normalised, wanted) if module is not None else symbol.normalised
    return wanted if path == (wanted,) else None


def _destructures_an_interaction(ctx: FileContext, function: Node) -> bool:
    """A command's `execute({ inter, client })` / `run({ interaction })`: a destructured
    parameter holding `inter` or `interaction`, of a function named as a command's entry point
    (a method, a `key: function` or `key: () =>` of the command object)."""
    if function_name(ctx.ancestry, function) not in COMMAND_ENTRY_POINTS:
        return False
    parameters = function.child_by_field_name("parameters")
    for parameter in parameters.named_children if parameters is not None else ():
        pattern = parameter.child_by_field_name("pattern") or parameter
        if pattern.type != "object_pattern":
            continue
        if any(text(i) in DESTRUCTURED_INTERACTIONS for i in pattern_identifiers(pattern)):
            return True
    return False


def _is_route_export(function: Node) -> bool:
    name = function.child_by_field_name("name")
    # Bytes: the names are ASCII, and a decoded name equals one only if its bytes do.
    return name is not None and name.text in _ROUTE_HANDLER_BYTES


def _registered_callbacks(call: Node) -> list[Node]:
    """The callbacks ``call`` registers to run per request: ``app.post('/x', fn)``,
    ``router.use(fn)``, ``app.get('/path', fn)``, ``server.on('connection', fn)``."""
    method = member_property(call.child_by_field_name("function"))
    arguments = call_arguments(call)
    first = literal_key(arguments[0]) if arguments else None
    if method == "get":
        registers = first is not None and first.startswith("/")  # not `cache.get(key, load)`
    elif method in SUBSCRIBING_METHODS:
        registers = first in PER_CALL_EVENTS
    elif method in TRPC_RESOLVER_METHODS:
        registers = _is_trpc_resolver(call)
    else:
        registers = method in ROUTE_METHODS or method in MIDDLEWARE_METHODS
    if not registers:
        return []
    return [a for a in arguments if _unwrap(a).type in FUNCTION_NODES]


def _verify_client_option(up: Ancestry, function: Node) -> Node | None:
    """The `verifyClient` key of the pair (or method) that gives ``function`` to a `new`
    expression's options object (`verifyClient: fn`, `verifyClient(info, cb) {…}`): ws's server
    calls it per upgrade request. Only a function written in place: a name given there is a
    binding the rules would have to follow, and no audited repository wrote one."""
    holder = function if function.type == "method_definition" else up.parent(function)
    if holder is None:
        return None
    if holder.type == "pair":
        value = holder.child_by_field_name("value")
        if value is None or value.id != function.id:
            return None
    elif holder.id != function.id:
        return None
    key = holder.child_by_field_name("key" if holder.type == "pair" else "name")
    name = text(key) if key is not None and key.type == "property_identifier" else literal_key(key)
    if name != VERIFY_CLIENT_OPTION:
        return None
    options = up.parent(holder)
    arguments = up.parent(options) if options is not None and options.type == "object" else None
    new = up.parent(arguments) if arguments is not None and arguments.type == "arguments" else None
    return key if new is not None and new.type == "new_expression" else None


def _event_name(call: Node) -> str | None:
    """`'connection'` for `io.on('connection', fn)`; None for routes and middleware."""
    method = member_property(call.child_by_field_name("function"))
    if method in TRPC_RESOLVER_METHODS:
        return TRPC_PROCEDURE_EVENT if _is_trpc_resolver(call) else None
    if method not in SUBSCRIBING_METHODS:
        return None
    arguments = call_arguments(call)
    return literal_key(arguments[0]) if arguments else None


def _is_trpc_resolver(call: Node) -> bool:
    """`publicProcedure.input(schema).query(async ({ ctx, input }) => …)`: a resolver, the one
    argument of `.query`/`.mutation`/`.subscription`, at the end of a builder chain whose root
    is named like a tRPC procedure builder (`t.procedure`, `protectedProcedure`,
    `permissionRequiredProcedure.requiresPermission('admin')`). A knex or mongoose `.query(fn)`
    and a jQuery-like builder have roots of other names, and two arguments or none."""
    callee = call.child_by_field_name("function")
    if member_property(callee) not in TRPC_RESOLVER_METHODS or len(call_arguments(call)) != 1:
        return False
    root = _procedure_builder_root(callee)
    if root.type == "member_expression":
        name = member_property(root)
    else:
        name = text(root) if root.type == "identifier" else None
    return name is not None and (name == "procedure" or name.endswith("Procedure"))


def trpc_procedure_label(call: Node) -> str:
    """`protectedProcedure.….query()` for a resolver's registration, `t.procedure.query()`
    when nothing sits between: a message names the procedure without its input schema."""
    callee = call.child_by_field_name("function")
    root = _procedure_builder_root(callee) if callee is not None else call
    method = member_property(callee) or "query"
    receiver = callee.child_by_field_name("object") if callee is not None else None
    between = "" if receiver is not None and receiver.id == root.id else ".…"
    return f"{text(root)}{between}.{method}()"


def _procedure_builder_root(callee: Node) -> Node:
    """The start of a builder chain: `t.procedure` for `t.procedure.input(a).use(b).query`;
    the receiver of the callee when the chain has no call in it."""
    receiver = callee.child_by_field_name("object")
    while receiver is not None and receiver.type == "call_expression":
        function = receiver.child_by_field_name("function")
        if function is None or function.type != "member_expression":
            return receiver
        receiver = function.child_by_field_name("object")
    return receiver if receiver is not None else callee


def _unwrap(node: Node) -> Node:
    while node.type == "parenthesized_expression" and (inner := first_named(node)) is not None:
        node = inner
    return node


def _handler_calling(ctx: FileContext, handlers: list[Node], function: Node) -> PerRequest | None:
    """A handler in this file that calls ``function`` by name (one level of the call graph),
    or, for a method, on the module's one instance of its class."""
    decorated = _decorated_method_calling(ctx, function)
    if decorated is not None:
        return decorated
    up = ctx.ancestry
    if function.type == "method_definition":
        return _handler_calling_singleton_method(ctx, function)
    name_node = _name_node(up, function)
    if name_node is None:
        return None
    name = text(name_node)
    for ref in _identifiers_in_handlers(ctx).get(name_node.text or b"", ()):
        if ref.id == name_node.id:
            continue
        # Ranges first, names last: resolving every same-named identifier of a minified
        # bundle costs minutes, and almost none of them sits in a handler.
        handler = _innermost_containing(ctx, ref)
        if handler is None:
            continue
        binding = ctx.scopes.resolve(ref, name)
        if binding is None or binding.node.id != name_node.id:
            continue
        outer = outermost(up, ref)
        parent = up.parent(outer)
        call = parent if parent is not None and parent.type == "call_expression" else None
        return _per_request(ctx, handler, call)
    return None


def _handler_calling_singleton_method(ctx: FileContext, method: Node) -> PerRequest | None:
    """A handler in this file that calls ``method`` on the one instance the module builds of
    its class (`const registry = new Registry()`, then `registry.add(req.params.id, …)` in a
    route): that method runs per request, as a function called by name from one would."""
    name = method.child_by_field_name("name")
    body = method.parent
    owner = body.parent if body is not None and body.type == "class_body" else None
    if name is None or owner is None or is_static_member(method):
        return None
    instance = module_singleton(ctx, owner)
    if instance is None:
        return None
    up = ctx.ancestry
    for ref in _identifiers_in_handlers(ctx).get(instance.node.text or b"", ()):
        member = up.parent(ref)
        if (
            member is None
            or member.type != "member_expression"
            or member.child_by_field_name("object") != ref
            or member_property(member) != text(name)
            or not is_callee(up, member)
        ):
            continue
        handler = _innermost_containing(ctx, ref)
        resolved = ctx.scopes.resolve(ref, instance.name)
        if handler is None or resolved is None or resolved.node.id != instance.node.id:
            continue
        return _per_request(ctx, handler, up.parent(member))
    return None


def module_singleton(ctx: FileContext, declaration: Node) -> Binding | None:
    """The variable holding the one instance this module builds of the class ``declaration``
    declares: `const registry = new Registry()` at module level, outside loops, the class's only
    mention, and the class not exported — so the instance, and every field it holds, lives as
    long as the process. None for any other class (built elsewhere too, or per call)."""
    memo = _memo(ctx).singletons
    if declaration.id not in memo:
        memo[declaration.id] = _module_singleton(ctx, declaration)
    return memo[declaration.id]


def _module_singleton(ctx: FileContext, declaration: Node) -> Binding | None:
    up = ctx.ancestry
    name = declaration.child_by_field_name("name")
    if declaration.type != "class_declaration" or name is None:
        return None
    if up.nearest(declaration, frozenset({"export_statement"})) is not None:
        return None
    # Bytes first: one `new Name` in the whole file, or no singleton (resolving every mention of
    # every class name cost ~5 % of a cold run over the npm corpus).
    if ctx.source.data.count(b"new " + (name.text or b"")) != 1:
        return None
    binding = ctx.scopes.resolve(name)
    if binding is None or binding.node.id != name.id:
        return None
    uses = list(references_to(binding, ctx.scopes, ctx.references))
    made = up.parent(uses[0]) if len(uses) == 1 else None
    if (
        made is None
        or made.type != "new_expression"
        or made.child_by_field_name("constructor") != uses[0]
    ):
        return None
    declarator = up.parent(made)
    if declarator is None or declarator.type != "variable_declarator":
        return None
    variable = declarator.child_by_field_name("name")
    statement = up.parent(declarator)
    if (
        variable is None
        or variable.type != "identifier"
        or statement is None
        or statement.type != "lexical_declaration"
        or not text(statement).startswith("const")
        or up.parent(statement) != ctx.tree.root_node
    ):
        return None
    return ctx.scopes.resolve(variable)


def _decorated_method_calling(ctx: FileContext, method: Node) -> PerRequest | None:
    """A decorated handler of the same class that calls ``method`` as `this.method(…)`: a
    controller's private helper runs per request too (same class only; a service of another
    class is the project analysis' job)."""
    memo = _memo(ctx)
    body = method.parent
    if method.type != "method_definition" or not memo.decorated or body is None:
        return None
    if body.id not in memo.this_calls:
        memo.this_calls[body.id] = _this_calls_from_handlers(memo, body)
    found = memo.this_calls[body.id].get(text(method.child_by_field_name("name")))
    return _per_request(ctx, *found) if found is not None else None


def _this_calls_from_handlers(memo: _Memo, body: Node) -> dict[str, tuple[Node, Node]]:
    """`this.<name>(…)` calls made by the decorated handlers of one class body, by name: the
    first handler and call for each (one pass per class, not one per method asked about)."""
    calls: dict[str, tuple[Node, Node]] = {}
    for handler in sorted(memo.decorated.values(), key=lambda h: h.method.start_byte):
        if handler.method.parent is None or handler.method.parent.id != body.id:
            continue
        for call in identifiers_in(handler.method, frozenset({"call_expression"})):
            name = this_method(call)
            if name is not None:
                calls.setdefault(name, (handler.method, call))
    return calls


def _identifiers_in_handlers(ctx: FileContext) -> dict[bytes, list[Node]]:
    """Identifiers inside any handler, by name, from a query run over the handlers' byte
    ranges only: in a large bundle, indexing every identifier of the file to find calls from
    two small handlers cost more than checking the whole file."""
    memo = _memo(ctx)
    if memo.in_handlers is None:
        found: dict[bytes, list[Node]] = {}
        cursor = QueryCursor(query(ctx.source.language, "(identifier) @id"))
        reach = -1
        for handler in memo.handlers or ():
            if handler.end_byte <= reach:
                continue  # nested in a handler already searched
            reach = handler.end_byte
            cursor.set_byte_range(handler.start_byte, handler.end_byte)
            for node in cursor.captures(handler).get("id", ()):
                found.setdefault(node.text, []).append(node)
        # A cursor's captures are not in source order (their order moved with the process's
        # memory layout): the first call from a handler, which messages name by its line,
        # must be the first in the file.
        for nodes in found.values():
            nodes.sort(key=lambda node: node.start_byte)
        memo.in_handlers = found
    return memo.in_handlers


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
