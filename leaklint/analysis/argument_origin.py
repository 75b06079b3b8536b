"""Where a value in per-request code comes from: the request, a fresh value, or the project.

A store keyed by what a request sends (`req.params.id`, a socket message's `room`) or by a
value new on every call (`Date.now()`, `uuid()`) grows with every request; one keyed by the
project's own data (a provider name from its configuration, a row it read, a literal, a loop
over a fixed list) has as many entries as that data, however often the code runs. LL005 reports
a store grown per request from another module only for the first two (audit 10: peppermint's
OAuth clients memoised per configured provider, balena-supervisor's per-app cache).

``origin`` answers for one expression, following what this file shows:

* the request: a request-like parameter of a handler (`req`, Koa's `ctx`, a message or a
  connection, a destructured `({ body, params })`), a parameter named `req` / `request` / `ctx`
  of any function, and what is derived from one — members (`req.params.id`), methods called on
  one (`req.get('host')`, `id.trim()`), conversions (`String(x)`, `parseInt(x)`), template
  strings, concatenations, object or array literals holding one, locals assigned from one
  (``flow.declared_value``), the element of a loop or per-element callback over one;
* fresh per call: `Date.now()`, `new Date()`, `Math.random()`, `crypto.randomUUID()`,
  `uuid()` / `v4()` / `nanoid()` and the like, a counter `n++`;
* anything else is the project's: a literal, a module constant, `process.env`, a config
  value, the result of any other call (a DB read), `this.x`. Unknown is never "from the
  request": precision first.

A parameter of a function of this file that a handler calls (``percall.request_context`` finds
the call, one level) is followed into that call's argument.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from tree_sitter import Node

from leaklint.analysis.flow import declared_value
from leaklint.analysis.nodes import call_arguments, member_property, text
from leaklint.analysis.percall import REQUEST_NAMES, RESPONSE_NAMES, request_context
from leaklint.analysis.resource_origins import returned_values
from leaklint.semantic.context import FileContext
from leaklint.semantic.imports import unwrap_awaited
from leaklint.semantic.scope import Binding, pattern_identifiers

REQUEST = "r"  # what the request (message, connection) sends, or derives from it
FRESH = "f"  # a value new on every call
PROJECT = ""  # bounded by the project's own code and data (or unknown)
_NOTHING_PASSED: Mapping[int, str] = {}

# Koa's and tRPC's context parameter carries the request (`ctx.params`, `ctx.request.body`).
_REQUEST_PARAMETERS = REQUEST_NAMES | {"ctx"}
# A handler's parameters that are not what the client sends: its callbacks, and its response,
# which is an object new on every request (`clients.add(res)` grows per request) whose members
# (`res.locals.user`) are whatever the project's middleware put there.
_CALLBACK_PARAMETERS = frozenset({"next", "done", "cb", "callback", "err", "error"})
# Calls whose result is new on every call, by their callee as written.
_FRESH_CALLS = frozenset(
    {
        "Date.now",
        "Math.random",
        "performance.now",
        "crypto.randomUUID",
        "crypto.randomBytes",
        "randomUUID",
        "randomBytes",
        "uuid",
        "uuidv1",
        "uuidv4",
        "uuid.v1",
        "uuid.v4",
        "v1",
        "v4",
        "nanoid",
        "cuid",
        "ulid",
        "createId",
        "process.hrtime",
        "process.hrtime.bigint",
        "ObjectId",
    }
)
_FRESH_CONSTRUCTORS = frozenset({"Date", "ObjectId"})
# Global functions that hand back a form of their first argument.
_CONVERSIONS = frozenset(
    {
        "String",
        "Number",
        "parseInt",
        "parseFloat",
        "BigInt",
        "encodeURIComponent",
        "decodeURIComponent",
        "JSON.parse",
        "JSON.stringify",
        "Buffer.from",
    }
)
# Methods that hand back a form of the value they are called on (a string's, an array's, a
# date's) or read what the request carries (Express's `req.get('host')`, `req.header(…)`): any
# other method of a request-derived object (`pluginData.state.bans.find(id)`, `ctx.db.get(k)`,
# `req.models.User.findOne()`) reads the project's data.
_FORM_METHODS = frozenset(
    {
        *("toString", "toLowerCase", "toUpperCase", "toLocaleLowerCase", "toLocaleUpperCase"),
        *("trim", "trimStart", "trimEnd", "normalize", "padStart", "padEnd", "repeat"),
        *("split", "slice", "substring", "substr", "replace", "replaceAll", "concat", "at"),
        *("join", "toISOString", "toJSON", "getTime", "valueOf", "toFixed"),
        *("get", "header", "param", "cookie"),
    }
)
# Per-element callbacks: their first parameter is an element of the receiver.
_ELEMENT_METHODS = frozenset({"forEach", "map", "filter", "flatMap", "some", "every", "find"})
_COMPARISONS = frozenset({"===", "!==", "==", "!=", "<", "<=", ">", ">=", "instanceof", "in"})
_DEPTH = 6  # locals followed through locals: enough for real code, and no cycle runs away


def origin(
    ctx: FileContext,
    expression: Node | None,
    depth: int = 0,
    followed: bool = False,
    passed: Mapping[int, str] = _NOTHING_PASSED,
) -> str:
    """REQUEST, FRESH or PROJECT for ``expression`` (see the module's description);
    ``followed``: already through one call of a handler into a function of this file;
    ``passed``: inside a function of this file whose result is asked for, what its call passes
    for each parameter (by the parameter's declaring node)."""
    node = unwrap_awaited(expression)
    if node is None or depth > _DEPTH:
        return PROJECT
    kind = node.type
    if kind in ("identifier", "shorthand_property_identifier"):  # `{ id }` is `{ id: id }`
        return _identifier_origin(ctx, node, depth, followed, passed)
    if kind in ("member_expression", "subscript_expression"):
        # `config[req.params.name]` is one of the config's values: the object decides; a
        # member of a fresh object (`res.locals`) is not itself new.
        # A member chain is finite and cannot cycle: its steps do not spend the depth, which
        # counts locals followed (`(ctx.update as any).chat_member.new_chat_member.user.id`).
        found = origin(ctx, node.child_by_field_name("object"), depth, followed, passed)
        return REQUEST if found == REQUEST else PROJECT
    if kind == "call_expression":
        return _call_origin(ctx, node, depth, followed, passed)
    if kind == "new_expression":
        constructor = node.child_by_field_name("constructor")
        return FRESH if text(constructor) in _FRESH_CONSTRUCTORS else PROJECT
    if kind == "update_expression":
        return FRESH  # `nextId++`: a new number every call
    if kind == "binary_expression" and _operator(node) in _COMPARISONS:
        return PROJECT  # `req.query.all === 'true'`: two values, whatever is compared
    if kind in ("template_string", "binary_expression", "ternary_expression", "array"):
        return strongest(origin(ctx, part, depth + 1, followed, passed) for part in _operands(node))
    if kind == "object":
        return strongest(
            origin(ctx, value, depth + 1, followed, passed) for _, value in object_entries(node)
        )
    return PROJECT


def _operator(node: Node) -> str:
    operator = node.child_by_field_name("operator")
    return text(operator) if operator is not None else ""


def strongest(origins: Iterable[str]) -> str:
    """REQUEST if any part comes from the request, else FRESH if any is fresh."""
    found = set(origins)
    if REQUEST in found:
        return REQUEST
    return FRESH if FRESH in found else PROJECT


def object_entries(node: Node) -> list[tuple[str, Node]]:
    """(key, value) of an object literal; "*" for a spread (`{ ...req.body }`)."""
    entries: list[tuple[str, Node]] = []
    for entry in node.named_children:
        if entry.type == "shorthand_property_identifier":
            entries.append((text(entry), entry))
        elif entry.type == "pair":
            key, value = entry.child_by_field_name("key"), entry.child_by_field_name("value")
            if key is not None and value is not None:
                entries.append((text(key).strip("'\"`"), value))
        elif entry.type == "spread_element" and entry.named_children:
            entries.append(("*", entry.named_children[0]))
    return entries


def _operands(node: Node) -> list[Node]:
    if node.type == "template_string":
        return [
            child.named_children[0]
            for child in node.named_children
            if child.type == "template_substitution" and child.named_children
        ]
    if node.type == "ternary_expression":
        return [
            branch
            for branch in (
                node.child_by_field_name("consequence"),
                node.child_by_field_name("alternative"),
            )
            if branch is not None
        ]
    return list(node.named_children)


def _call_origin(
    ctx: FileContext, call: Node, depth: int, followed: bool, passed: Mapping[int, str]
) -> str:
    callee = call.child_by_field_name("function")
    name = text(callee) if callee is not None else ""
    if name in _FRESH_CALLS:
        return FRESH
    if name in _CONVERSIONS:
        arguments = call_arguments(call)
        return origin(ctx, arguments[0], depth + 1, followed, passed) if arguments else PROJECT
    if callee is not None and callee.type == "identifier" and not passed:
        return _local_result_origin(ctx, call, callee, depth, followed)
    if callee is not None and callee.type == "member_expression":
        # `req.get('host')`, `req.params.id.toLowerCase()`, `new Date().toISOString()`: a
        # form of the request or of the fresh value; any other method (`db.find(id)`) gives
        # the project's data.
        if member_property(callee) not in _FORM_METHODS:
            return PROJECT
        return origin(ctx, callee.child_by_field_name("object"), depth + 1, followed, passed)
    return PROJECT


def _local_result_origin(
    ctx: FileContext, call: Node, callee: Node, depth: int, followed: bool
) -> str:
    """What a function of this file returns, given what this call passes it: unkey's
    `getCountCacheKey(ctx.workspace.id, params)` returns `JSON.stringify({ workspaceId, … })`
    of its parameters, so the request's (one call deep: its own calls are the project's)."""
    function = _local_function(ctx, callee)
    if function is None:
        return PROJECT
    arguments = call_arguments(call)
    passed: dict[int, str] = {}
    for index, parameter in enumerate(_parameters(function)):
        letter = (
            origin(ctx, arguments[index], depth + 1, followed) if index < len(arguments) else ""
        )
        for name in pattern_identifiers(parameter):
            passed[name.id] = letter
    if not any(passed.values()):
        return PROJECT  # nothing of the request goes in, so none comes out
    returned = returned_values(function) or _expression_body(function)
    return strongest(origin(ctx, value, depth + 1, True, passed) for value in returned)


def _local_function(ctx: FileContext, callee: Node) -> Node | None:
    """The function declaration (or `const f = (…) => …`) of this file ``callee`` names."""
    binding = ctx.scopes.resolve(callee)
    if binding is None or binding.declaration is None:
        return None
    declaration = binding.declaration
    if declaration.type in ("function_declaration", "generator_function_declaration"):
        return declaration
    value = declaration.child_by_field_name("value")
    if declaration.type == "variable_declarator" and value is not None:
        return value if value.type in ("arrow_function", "function_expression") else None
    return None


def _expression_body(function: Node) -> list[Node]:
    """`(a) => a.id`: the body of an arrow function that is an expression."""
    body = function.child_by_field_name("body")
    return [body] if body is not None and body.type != "statement_block" else []


def _identifier_origin(
    ctx: FileContext, ident: Node, depth: int, followed: bool, passed: Mapping[int, str]
) -> str:
    binding = ctx.scopes.resolve(ident)
    if binding is None:
        return PROJECT  # a global (`process`) or an undeclared name
    if binding.kind == "param":
        return _parameter_origin(ctx, binding, depth, followed, passed)
    if binding.kind not in ("const", "let", "var"):
        return PROJECT
    if ctx.enclosing_function(binding.node) is None:
        return PROJECT  # a module-level name: the same value for every request
    looped = _loop_source(ctx, binding)
    if looped is not None:
        return origin(ctx, looped, depth + 1, followed, passed)
    value = declared_value(ctx, binding.node)
    if value is None:
        value = _destructured_from(ctx, binding)
    return origin(ctx, value, depth + 1, followed, passed) if value is not None else PROJECT


def _destructured_from(ctx: FileContext, binding: Binding) -> Node | None:
    """`const { id } = req.params`: the value a destructured local is taken from."""
    declaration = binding.declaration
    if declaration is None or declaration.type != "variable_declarator":
        return None
    name = declaration.child_by_field_name("name")
    if name is None or name.type not in ("object_pattern", "array_pattern"):
        return None
    return declaration.child_by_field_name("value")


def _loop_source(ctx: FileContext, binding: Binding) -> Node | None:
    """`for (const x of xs)`: ``xs``, the collection a loop variable is an element of."""
    up = ctx.ancestry
    node: Node | None = binding.node
    while node is not None and node.type not in ("for_in_statement", "statement_block"):
        node = up.parent(node)
    if node is None or node.type != "for_in_statement":
        return None
    left = node.child_by_field_name("left")
    if left is None or not (left.start_byte <= binding.node.start_byte < left.end_byte):
        return None
    return node.child_by_field_name("right")


def _parameter_origin(
    ctx: FileContext, binding: Binding, depth: int, followed: bool, passed: Mapping[int, str]
) -> str:
    if binding.node.id in passed:
        return passed[binding.node.id]
    function = ctx.enclosing_function(binding.node)
    if function is None:
        return PROJECT
    index = _parameter_index(function, binding.node)
    if index is None:
        return PROJECT  # a default value's name, or a parameter shape not followed
    top = _top_parameter_name(function, index)
    if top in _REQUEST_PARAMETERS:
        return REQUEST
    element = _element_of(ctx, function, index)
    if element is not None:
        return origin(ctx, element, depth + 1, followed, passed)
    per_request = request_context(ctx, binding.node)
    if per_request is None:
        return PROJECT
    if per_request.handler.id == function.id:
        if top in RESPONSE_NAMES:
            return FRESH
        return PROJECT if top in _CALLBACK_PARAMETERS else REQUEST
    if per_request.call is not None and not followed:
        # A function of this file a handler calls: what the handler passes for it (one level).
        arguments = call_arguments(per_request.call)
        return origin(ctx, arguments[index], depth + 1, True) if index < len(arguments) else PROJECT
    return PROJECT


def _parameters(function: Node) -> list[Node]:
    parameters = function.child_by_field_name("parameters")
    if parameters is None:
        single = function.child_by_field_name("parameter")  # `req => …`
        return [single] if single is not None else []
    return [p for p in parameters.named_children if p.type != "comment"]


def _parameter_index(function: Node, declared: Node) -> int | None:
    for index, parameter in enumerate(_parameters(function)):
        if parameter.start_byte <= declared.start_byte < parameter.end_byte:
            return index
    return None


def takes_request(function: Node | None) -> bool:
    """Whether ``function`` has a parameter named for the request (`req`, `request`, `ctx`):
    its calls' arguments may come from the request even where its own file cannot tell how
    often it runs (a helper every caller hands its `ctx`, in another module: shieldy's
    `handleNewChatMember(ctx)`, audit 11)."""
    if function is None:
        return False
    return any(
        _top_parameter_name(function, index) in _REQUEST_PARAMETERS
        for index in range(len(_parameters(function)))
    )


def _top_parameter_name(function: Node, index: int) -> str:
    """The name of the parameter at ``index`` (`req` of `req: Request`); "" for a pattern."""
    parameter = _parameters(function)[index]
    if parameter.type in ("required_parameter", "optional_parameter"):
        parameter = parameter.child_by_field_name("pattern") or parameter
    if parameter.type == "assignment_pattern":
        parameter = parameter.child_by_field_name("left") or parameter
    return text(parameter) if parameter.type == "identifier" else ""


def _element_of(ctx: FileContext, function: Node, index: int) -> Node | None:
    """`items.forEach((item) => …)`: ``items``, for the callback's first parameter."""
    if index != 0:
        return None
    arguments = ctx.ancestry.parent(function)
    call = ctx.ancestry.parent(arguments) if arguments is not None else None
    if arguments is None or arguments.type != "arguments" or call is None:
        return None
    callee = call.child_by_field_name("function")
    if callee is None or callee.type != "member_expression":
        return None
    if member_property(callee) not in _ELEMENT_METHODS:
        return None
    return callee.child_by_field_name("object")


def argument_origins(ctx: FileContext, call: Node) -> str:
    """``Use.origins`` of a call: "0=r", "1.id=f", … for each argument (and each property of
    an object literal argument, "1.*" for a spread) that comes from the request or is fresh
    per call, joined by ","; the project's arguments are left out."""
    found: list[str] = []
    for index, argument in enumerate(call_arguments(call)):
        node = unwrap_awaited(argument)
        if node is not None and node.type == "object":
            for key, value in object_entries(node):
                letter = origin(ctx, value)
                if letter and not any(c in key for c in ",="):  # the separators of the field
                    found.append(f"{index}.{key}={letter}")
            continue
        letter = origin(ctx, argument)
        if letter:
            found.append(f"{index}={letter}")
    return ",".join(found)


def key_origin(origins: str, key: str) -> str:
    """What ``argument_origins`` says of the argument a grower keys its store by (``key``:
    "0", "1.id", or "" when the key is not a parameter's — then any argument's)."""
    entries = dict(entry.rsplit("=", 1) for entry in origins.split(",") if "=" in entry)
    if not key:
        return strongest(entries.values())
    index, _, prop = key.partition(".")
    if prop and any(path.startswith(index + ".") for path in entries):
        # An object literal argument: its own property, or a spread that may hold it.
        return entries.get(key) or entries.get(f"{index}.*", PROJECT)
    if not prop:
        return strongest(v for path, v in entries.items() if path.partition(".")[0] == index)
    return entries.get(index, PROJECT)
