"""Decorator-routed handlers (analysis/decorators.py): NestJS and friends run per request."""

from __future__ import annotations

from leaklint.model.findings import Finding
from tests.rule_helpers import run_rule

CONTROLLER = (
    "import {{ Controller, {imported} }} from '{module}';\n"
    "const seen: Record<string, number> = {{}};\n"
    "@Controller('users')\n"
    "export class UsersController {{\n"
    "  @{decorator}(':id')\n"
    "  find(id: string) {{\n"
    "    seen[id] = Date.now();\n"
    "  }}\n"
    "}}\n"
)


def ll005(source: str) -> list[Finding]:
    return run_rule("LL005", source, "users.controller.ts")


def reasons(finding: Finding) -> list[str]:
    return [r.message for r in finding.related]


def test_the_reason_names_the_decorator_its_class_and_line() -> None:
    source = CONTROLLER.format(imported="Get", module="@nestjs/common", decorator="Get")
    (finding,) = ll005(source)
    assert "'find', which runs per request," in finding.message
    assert "runs per request: the route handler `@Get()` of `UsersController` on line 5" in (
        reasons(finding)
    )


def test_a_renamed_import_is_the_same_decorator() -> None:
    source = CONTROLLER.format(imported="Get as Read", module="@nestjs/common", decorator="Read")
    (finding,) = ll005(source)
    assert "the route handler `@Read()` of `UsersController` on line 5" in reasons(finding)[-1]


def test_a_namespace_import_resolves_too() -> None:
    source = (
        "import * as common from '@nestjs/common';\n"
        "const seen: string[] = [];\n"
        "@common.Controller()\n"
        "class C {\n"
        "  @common.Post()\n"
        "  add(id: string) { seen.push(id); }\n"
        "}\n"
    )
    (finding,) = ll005(source)
    assert "the route handler `@common.Post()` of `C` on line 5" in reasons(finding)[-1]


def test_a_decorator_of_another_package_or_a_local_function_does_not_count() -> None:
    other = CONTROLLER.format(imported="Get", module="@my/decorators", decorator="Get")
    local = (
        "import { Controller } from '@nestjs/common';\n"
        "function Get(path: string) { return (..._: unknown[]) => undefined; }\n"
        + CONTROLLER.format(imported="Injectable", module="@nestjs/common", decorator="Get").split(
            "\n", 1
        )[1]
    )
    assert ll005(other) == []
    assert ll005(local) == []


def test_a_route_decorator_outside_a_controller_routes_nothing() -> None:
    source = CONTROLLER.format(imported="Get", module="@nestjs/common", decorator="Get").replace(
        "@Controller('users')\n", ""
    )
    assert ll005(source) == []


def test_code_nested_in_a_handler_and_a_helper_it_calls_run_per_request() -> None:
    source = (
        "import { Controller, Get } from '@nestjs/common';\n"
        "const byUser = new Map<string, number>();\n"
        "const byIp = new Map<string, number>();\n"
        "@Controller()\n"
        "export class StatsController {\n"
        "  @Get()\n"
        "  hit(user: string, ip: string) {\n"
        "    [user].forEach(() => this.count(ip));\n"
        "    setImmediate(() => byUser.set(user, 1));\n"
        "  }\n"
        "  private count(ip: string) { byIp.set(ip, 1); }\n"
        "}\n"
    )
    user, ip = sorted(ll005(source), key=lambda f: f.span.line)
    assert "'byUser'" in user.message
    assert "'byIp'" in ip.message and "'count', called from a request handler," in ip.message
    assert reasons(ip)[-1].endswith("`StatsController` on line 6, which calls it on line 8")


def test_job_message_connection_and_tick_handlers() -> None:
    source = (
        "import { WebSocketGateway, SubscribeMessage } from '@nestjs/websockets';\n"
        "import { Processor } from '@nestjs/bullmq';\n"
        "import { Cron } from '@nestjs/schedule';\n"
        "import IORedis from 'ioredis';\n"
        "@WebSocketGateway()\n"
        "export class Chat {\n"
        "  async handleConnection() { const r = new IORedis(); await r.ping(); }\n"
        "  @SubscribeMessage('x')\n"
        "  async onX() { const r = new IORedis(); await r.ping(); }\n"
        "}\n"
        "@Processor('q')\n"
        "export class Worker {\n"
        "  async process() { const r = new IORedis(); await r.ping(); }\n"
        "  async other() { const r = new IORedis(); await r.ping(); }\n"
        "}\n"
        "export class Jobs {\n"
        "  @Cron('* * * * *')\n"
        "  async tick() { const r = new IORedis(); await r.ping(); }\n"
        "}\n"
    )
    findings = run_rule("LL003", source, "chat.gateway.ts")
    units = {
        f.span.line: f.message.split("never closed: every ")[1].split(" ")[0] for f in findings
    }
    assert units == {7: "connection", 9: "message", 13: "job", 14: "call", 18: "tick"}


def test_a_singleton_providers_on_module_init_runs_once_a_request_scoped_one_does_not() -> None:
    source = (
        "import { Injectable, Scope } from '@nestjs/common';\n"
        "import IORedis from 'ioredis';\n"
        "@Injectable()\n"
        "export class Warm {\n"
        "  async onModuleInit() { const r = new IORedis(); await r.ping(); }\n"
        "}\n"
        "@Injectable({ scope: Scope.REQUEST })\n"
        "export class PerRequest {\n"
        "  async onModuleInit() { const r = new IORedis(); await r.ping(); }\n"
        "}\n"
    )
    findings = run_rule("LL003", source, "warm.service.ts")
    assert [f.span.line for f in findings] == [9]


def test_a_singleton_providers_constructor_runs_once_a_scoped_or_hand_built_one_does_not() -> None:
    source = (
        "import { Injectable, Scope } from '@nestjs/common';\n"
        "import IORedis from 'ioredis';\n"
        "@Injectable()\n"
        "export class Warm {\n"
        "  constructor() { const r = new IORedis(); r.ping(); }\n"
        "}\n"
        "@Injectable({ scope: Scope.REQUEST })\n"
        "export class PerRequest {\n"
        "  constructor() { const r = new IORedis(); r.ping(); }\n"
        "}\n"
        "@Injectable()\n"
        "export class ByHand {\n"
        "  constructor() { const r = new IORedis(); r.ping(); }\n"
        "}\n"
        "export const one = () => new ByHand();\n"
    )
    findings = run_rule("LL003", source, "warm.service.ts")
    assert [f.span.line for f in findings] == [9, 13]


def test_tegg_routes_events_and_schedules() -> None:
    source = (
        "import { Event, HTTPController, HTTPMethod, HTTPMethodEnum } from 'egg';\n"
        "import { Schedule } from 'egg/schedule';\n"
        "const byName: Record<string, number> = {};\n"
        "const byEvent = new Set<string>();\n"
        "@HTTPController()\n"
        "export class PackageController {\n"
        "  @HTTPMethod({ method: HTTPMethodEnum.GET, path: '/:name' })\n"
        "  async show(name: string) { byName[name] = 1; }\n"
        "}\n"
        "@Event('PACKAGE_ADDED')\n"
        "export class OnAdded {\n"
        "  async handle(name: string) { byEvent.add(name); }\n"
        "}\n"
        "@Schedule({ type: 'worker', scheduleData: { interval: 1000 } })\n"
        "export class Sweep {\n"
        "  async subscribe() { byEvent.clear(); }\n"
        "}\n"
    )
    by_name, by_event = sorted(
        ll005(source.replace("byEvent.clear();", "")), key=lambda f: f.span.line
    )
    assert (
        "the route handler `@HTTPMethod()` of `PackageController` on line 7"
        in (reasons(by_name)[-1])
    )
    assert reasons(by_event)[-1] == (
        "runs per message: the event handler `handle()` of the `@Event()` class `OnAdded`"
        " on line 10"
    )
    # The scheduled sweep empties the set: bounded.
    assert [f.message.split("'")[1] for f in ll005(source)] == ["byName"]


def test_an_event_emitter_listener_runs_per_event() -> None:
    source = (
        "import { OnEvent } from '@nestjs/event-emitter';\n"
        "const received: string[] = [];\n"
        "export class Hooks {\n"
        "  @OnEvent('hook:message:received')\n"
        "  onMessage(id: string) { received.push(id); }\n"
        "}\n"
    )
    (finding,) = ll005(source)
    assert reasons(finding)[-1] == (
        "runs per message: the event handler `@OnEvent()` of `Hooks` on line 4"
    )


def test_the_framework_filter_is_the_one_alternation_it_replaced_and_scans_by_literal() -> None:
    import re

    from leaklint.analysis.decorators import FRAMEWORK_PATTERNS, mentions_a_framework

    alternation = re.compile(
        rb"@nestjs/(?:common|microservices|websockets|bull|bullmq|schedule|graphql|event-emitter)"
        rb"|routing-controllers|type-graphql|tsoa|from\s*['\"](?:egg|@eggjs/tegg)"
    )
    samples = [
        b"import { Controller } from '@nestjs/common';",
        b"import { Processor } from '@nestjs/bullmq'",
        b"@nestjs/core only",
        b"import { JsonController } from 'routing-controllers'",
        b"import { Resolver } from 'type-graphql'",
        b"import { Route } from 'tsoa'",
        b"import { HTTPController } from '@eggjs/tegg'",
        b"const { Controller } = require('egg')",
        b'import { Controller } from "egg"',
        b"from  'eggs-benedict'",
        b"const app = express(); app.get('/', (req, res) => res.end())",
        b"",
    ]
    for data in samples:
        assert mentions_a_framework(data) == bool(alternation.search(data)), data
    # Each starts with a literal: an alternation or a leading class makes `re` test every byte.
    assert all(p.pattern[:1].isalpha() or p.pattern[:1] == b"@" for p in FRAMEWORK_PATTERNS)
