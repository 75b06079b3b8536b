"""Handlers that frameworks route to by decorator: NestJS and friends.

A NestJS controller method runs for every request although nothing in the file calls it or
registers it with `app.get(…)`: the framework reads its decorators. So the decorator is the
registration, and it counts only when it resolves through the file's imports to the package
that routes by it — a local `function Get()` or a `Get` of another package is not a route.

* `@nestjs/common`: `@Get()` `@Post()` … in a `@Controller()` class — per request;
* `@nestjs/microservices`: `@MessagePattern()`, `@EventPattern()` — per message;
* `@nestjs/websockets`: `@SubscribeMessage()` — per message; `handleConnection()` of a
  `@WebSocketGateway()` class — per connection;
* `@nestjs/event-emitter`: `@OnEvent()` — per event (a message);
* `@nestjs/bull`: `@Process()`; `@nestjs/bullmq`: `process()` of a `@Processor()` class
  (its `WorkerHost.process`) — per job;
* `@nestjs/schedule`: `@Cron()`, `@Interval()` — per tick;
* Egg's tegg: `@HTTPMethod()` in an `@HTTPController()` class — per request; `handle()` of
  an `@Event()` class — per event; `subscribe()` of a `@Schedule()` class — per tick;
* routing-controllers (`@Controller`/`@JsonController`), tsoa (`@Route`), with their HTTP
  method decorators, and GraphQL resolvers of type-graphql and `@nestjs/graphql` (`@Query`,
  `@Mutation`, `@FieldResolver`/`@ResolveField` in a `@Resolver()` class) — per request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tree_sitter import Node

from leaklint.analysis.nodes import FIELD_NODES, superclass, text
from leaklint.semantic.context import FileContext

# What one run of a decorated handler is: the keys `frequency` maps to its rates.
REQUEST, CONNECTION, MESSAGE, JOB, TICK = "request", "connection", "message", "job", "tick"

_TEGG = ("egg", "@eggjs/tegg")
_HTTP_METHODS = ("Get", "Post", "Put", "Patch", "Delete", "All", "Options", "Head")


@dataclass(frozen=True)
class _Route:
    """Method decorators of one package that make a method a handler, and the class
    decorators its class must carry (empty: any class)."""

    modules: tuple[str, ...]
    methods: tuple[str, ...]
    classes: tuple[str, ...]
    per: str
    label: str


_ROUTES = (
    _Route(("@nestjs/common",), _HTTP_METHODS, ("Controller",), REQUEST, "route handler"),
    _Route(
        ("routing-controllers",),
        (*_HTTP_METHODS, "Method"),
        ("Controller", "JsonController"),
        REQUEST,
        "route handler",
    ),
    _Route(("tsoa",), _HTTP_METHODS, ("Route",), REQUEST, "route handler"),
    # Egg's tegg (cnpmcore): `@HTTPMethod({ method, path })` in an `@HTTPController()`.
    _Route(_TEGG, ("HTTPMethod",), ("HTTPController",), REQUEST, "route handler"),
    _Route(
        ("@nestjs/graphql", "type-graphql"),
        ("Query", "Mutation", "FieldResolver", "ResolveField"),
        ("Resolver",),
        REQUEST,
        "GraphQL resolver",
    ),
    _Route(
        ("@nestjs/microservices",),
        ("MessagePattern", "EventPattern"),
        (),
        MESSAGE,
        "message handler",
    ),
    _Route(("@nestjs/websockets",), ("SubscribeMessage",), (), MESSAGE, "WebSocket handler"),
    _Route(("@nestjs/event-emitter",), ("OnEvent",), (), MESSAGE, "event handler"),
    _Route(("@nestjs/bull",), ("Process",), (), JOB, "job processor"),
    _Route(("@nestjs/schedule",), ("Cron", "Interval"), (), TICK, "scheduled job"),
)


@dataclass(frozen=True)
class _ByName:
    """A method that a class decorator makes a handler by the method's name alone."""

    modules: tuple[str, ...]
    class_decorator: str
    method: str
    per: str
    label: str


_BY_NAME = (
    _ByName(
        ("@nestjs/websockets",),
        "WebSocketGateway",
        "handleConnection",
        CONNECTION,
        "connection handler",
    ),
    _ByName(("@nestjs/bullmq",), "Processor", "process", JOB, "job processor"),
    # tegg: `handle()` of an `@Event(name)` class per event, `subscribe()` of a `@Schedule()`.
    _ByName(_TEGG, "Event", "handle", MESSAGE, "event handler"),
    _ByName(
        (*_TEGG, "egg/schedule", "@eggjs/tegg/schedule"),
        "Schedule",
        "subscribe",
        TICK,
        "scheduled job",
    ),
)

# A file none of these packages is named in has no decorated handler: skip it without a walk.
# One pattern per name, each starting with a literal: Python's re scans fast for a literal,
# while an alternation of several tests every byte (0.18 s on typescript.js's 9 MB, against
# about 0.1 s for the five together), and the filter reads every file of a run.
FRAMEWORK_PATTERNS = (
    re.compile(
        rb"@nestjs/(?:common|microservices|websockets|bull|bullmq|schedule|graphql|event-emitter)"
    ),
    re.compile(rb"routing-controllers"),
    re.compile(rb"type-graphql"),
    re.compile(rb"tsoa"),
    re.compile(rb"from\s*['\"](?:egg|@eggjs/tegg)"),
)


def mentions_a_framework(data: bytes) -> bool:
    return any(pattern.search(data) for pattern in FRAMEWORK_PATTERNS)


@dataclass(frozen=True)
class DecoratedHandler:
    """A method the framework calls, and why: the decorator (or, for a handler known by its
    name, the class decorator) that makes it one."""

    method: Node
    decorator: Node
    per: str  # REQUEST, CONNECTION, MESSAGE, JOB or TICK

    label: str
    class_name: str | None
    by_name: bool = False

    def describe(self, ctx: FileContext) -> str:
        """'the route handler `@Get()` of `UsersController` on line 12'."""
        line = ctx.source.position(self.decorator.start_byte).line
        if self.by_name:  # 'the job processor `process()` of the `@Processor()` class `Mail`'
            name = text(self.method.child_by_field_name("name"))
            owner = f" `{self.class_name}`" if self.class_name else ""
            shown = f"`{name}()` of the `{_shown(self.decorator)}` class{owner}"
            return f"the {self.label} {shown} on line {line}"
        owner = f" of `{self.class_name}`" if self.class_name else ""
        return f"the {self.label} `{_shown(self.decorator)}`{owner} on line {line}"


def decorated_handler(ctx: FileContext, method: Node) -> DecoratedHandler | None:
    """The decorator that makes ``method`` (a `method_definition`) a framework handler."""
    if method.type != "method_definition":
        return None
    body = method.parent
    declaration = body.parent if body is not None else None
    if body is None or declaration is None or body.type != "class_body":
        return None
    method_decorators = _method_decorators(method)
    class_decorators = _class_decorators(declaration)
    class_name = text(declaration.child_by_field_name("name")) or None
    for decorator in method_decorators:
        for route in _ROUTES:
            if not _resolves_to(ctx, decorator, route.modules, route.methods):
                continue
            if route.classes and not any(
                _resolves_to(ctx, d, route.modules, route.classes) for d in class_decorators
            ):
                continue
            return DecoratedHandler(method, decorator, route.per, route.label, class_name)
    name = text(method.child_by_field_name("name"))
    for by_name in _BY_NAME:
        if name != by_name.method:
            continue
        for decorator in class_decorators:
            if _resolves_to(ctx, decorator, by_name.modules, (by_name.class_decorator,)):
                return DecoratedHandler(
                    method, decorator, by_name.per, by_name.label, class_name, by_name=True
                )
    return None


def _method_decorators(method: Node) -> list[Node]:
    """The decorators written just before a method: in the grammar they are its siblings in
    the class body, not its children."""
    found: list[Node] = [c for c in method.named_children if c.type == "decorator"]
    sibling = method.prev_named_sibling
    while sibling is not None and sibling.type == "decorator":
        found.append(sibling)
        sibling = sibling.prev_named_sibling
    return found


def _class_decorators(declaration: Node) -> list[Node]:
    """A class's decorators: its children, or the export statement's (`@Controller() export
    class …` and `export @Controller() class …` parse differently)."""
    found = [c for c in declaration.named_children if c.type == "decorator"]
    parent = declaration.parent
    if parent is not None and parent.type == "export_statement":
        found.extend(c for c in parent.named_children if c.type == "decorator")
    return found


def _decorator_callee(decorator: Node) -> Node | None:
    """`Get` in `@Get(':id')` and in `@Get`; `common.Get` in `@common.Get()`."""
    expression = decorator.named_children[0] if decorator.named_children else None
    if expression is not None and expression.type == "call_expression":
        expression = expression.child_by_field_name("function")
    return expression


def _resolves_to(
    ctx: FileContext, decorator: Node, modules: tuple[str, ...], names: tuple[str, ...]
) -> bool:
    symbol = ctx.imports.resolve(_decorator_callee(decorator))
    return symbol is not None and symbol.matches(modules, *((n,) for n in names))


def _shown(decorator: Node) -> str:
    """`@Get()` for `@Get(':id')`: the name as written, not the arguments."""
    callee = _decorator_callee(decorator)
    called = bool(decorator.named_children) and decorator.named_children[0].type == (
        "call_expression"
    )
    return f"@{text(callee)}{'()' if called else ''}"


# Hooks Nest calls once for each provider instance; a provider is a singleton unless its
# decorator asks for another scope (request-scoped providers get no such hooks at all).
_ONCE_HOOKS = frozenset({"onModuleInit", "onApplicationBootstrap"})
_NEST_PROVIDERS = (
    "Injectable",
    "Controller",
    "Module",
    "Resolver",
    "WebSocketGateway",
    "Processor",
)
_NEST_MODULES = (
    "@nestjs/common",
    "@nestjs/graphql",
    "@nestjs/websockets",
    "@nestjs/bull",
    "@nestjs/bullmq",
)


def nest_lifecycle_hook(ctx: FileContext, method: Node) -> str | None:
    """'`onModuleInit()` of the NestJS provider `CacheWarmer`' when ``method`` is a one-shot
    lifecycle hook of a singleton provider, else None."""
    if method.type != "method_definition":
        return None
    name = text(method.child_by_field_name("name"))
    if name not in _ONCE_HOOKS:
        return None
    class_name = _singleton_provider(ctx, method.parent)
    return None if class_name is None else f"`{name}()` of the NestJS provider `{class_name}`"


# Angular builds a component (or directive) each time its view is shown and destroys it with
# the view: its init hooks run once per view, and whatever they start outlives the instance
# unless `ngOnDestroy` ends it (YoutubeDL-Material's update dialog, audit 10).
_ANGULAR_VIEW_CLASSES = ("Component", "Directive")
_ANGULAR_INIT_HOOKS = frozenset({"ngOnInit", "ngAfterViewInit", "ngAfterContentInit"})


def _hook_and_class(method: Node, hooks: frozenset[str]) -> tuple[str, Node | None]:
    """``method``'s name and the class declaring it, when it is a method named one of
    ``hooks``; the class is None otherwise."""
    if method.type != "method_definition":
        return "", None
    name = text(method.child_by_field_name("name"))
    body = method.parent
    if name not in hooks or body is None or body.type != "class_body":
        return name, None
    return name, body.parent


def angular_view_hook(ctx: FileContext, method: Node) -> str | None:
    """'`ngOnInit()` of the Angular component `UpdateDialog`' when ``method`` is an init hook
    of a class decorated `@Component()` or `@Directive()` from @angular/core, else None."""
    if b"@angular/core" not in ctx.source.data:
        return None
    name, declaration = _hook_and_class(method, _ANGULAR_INIT_HOOKS)
    if declaration is None:
        return None
    for decorator in _class_decorators(declaration):
        for kind in _ANGULAR_VIEW_CLASSES:
            if _resolves_to(ctx, decorator, ("@angular/core",), (kind,)):
                class_name = text(declaration.child_by_field_name("name"))
                return f"`{name}()` of the Angular {kind.lower()} `{class_name}`"
    return None


_REACT_MODULES = ("react", "preact", "preact/compat")
_REACT_COMPONENT_CLASSES = ("Component", "PureComponent")
# Hooks a class component runs each time React mounts it (and each update: more often still).
_REACT_MOUNT_HOOKS = frozenset({"componentDidMount", "componentDidUpdate"})


# Asked of every file LL007 may check: the names as bytes once, not per file.
_VIEW_HOOK_NAMES = tuple(n.encode() for n in sorted(_ANGULAR_INIT_HOOKS | _REACT_MOUNT_HOOKS))


def may_have_view_hooks(data: bytes) -> bool:
    """A byte test: can this file have an Angular init hook or a React mount hook at all?"""
    return any(name in data for name in _VIEW_HOOK_NAMES)


def react_mount_hook(ctx: FileContext, method: Node) -> str | None:
    """'`componentDidMount()` of the React component `CardFlinger`' when ``method`` is a mount
    or update hook of a class that extends React's `Component`/`PureComponent`, else None:
    React makes an instance per mounted element, so the hook runs per view, not once (the
    React twin of ``angular_view_hook``; secret-hitler, audit 11)."""
    if b"react" not in ctx.source.data:
        return None
    name, declaration = _hook_and_class(method, _REACT_MOUNT_HOOKS)
    if declaration is None:
        return None
    base = superclass(declaration)
    symbol = ctx.imports.resolve(base) if base is not None else None
    if symbol is None or symbol.module not in _REACT_MODULES:
        return None
    if tuple(symbol.path) not in {(c,) for c in _REACT_COMPONENT_CLASSES} | {
        ("default", c) for c in _REACT_COMPONENT_CLASSES
    }:
        return None
    class_name = text(declaration.child_by_field_name("name"))
    return f"`{name}()` of the React component `{class_name}`"


def nest_singleton_constructor(ctx: FileContext, function: Node) -> str | None:
    """'the NestJS provider `LoginAttempts`' when ``function`` is the constructor (or a field
    initialiser) of a singleton provider, else None: Nest's injector builds a default-scoped
    provider once per application, so its construction runs once per process — unless this
    file also builds the class itself with `new`."""
    if function.type == "method_definition":
        if text(function.child_by_field_name("name")) != "constructor":
            return None
    elif function.type not in FIELD_NODES:
        return None
    class_name = _singleton_provider(ctx, function.parent)
    if class_name is None:
        return None
    if re.search(rb"\bnew\s+" + re.escape(class_name.encode()) + rb"\b", ctx.source.data):
        return None
    return f"the NestJS provider `{class_name}`"


def _singleton_provider(ctx: FileContext, body: Node | None) -> str | None:
    """The name of the class whose body is ``body`` when a NestJS provider decorator without
    a scope (`@Injectable()`, `@Controller()` …) makes it a singleton, else None."""
    if body is None or body.type != "class_body" or not names_a_framework(ctx):
        return None
    declaration = body.parent
    if declaration is None:
        return None
    for decorator in _class_decorators(declaration):
        if _resolves_to(ctx, decorator, _NEST_MODULES, _NEST_PROVIDERS) and not _scoped(decorator):
            return text(declaration.child_by_field_name("name")) or None
    return None


def names_a_framework(ctx: FileContext) -> bool:
    """Whether the file names a decorator-routing framework at all: searched once per file,
    not once per method asked about (how_often asks for every function)."""
    return ctx.memo("decorators.names-a-framework", lambda: mentions_a_framework(ctx.source.data))


def _scoped(decorator: Node) -> bool:
    """`@Injectable({ scope: Scope.REQUEST })`: an instance per request or per consumer."""
    return b"scope" in (decorator.text or b"")


__all__ = [
    "FRAMEWORK_PATTERNS",
    "DecoratedHandler",
    "angular_view_hook",
    "decorated_handler",
    "may_have_view_hooks",
    "mentions_a_framework",
    "names_a_framework",
    "nest_lifecycle_hook",
    "nest_singleton_constructor",
    "react_mount_hook",
]
