"""LL002 details the fixtures cannot state: severities, messages, related locations."""

from __future__ import annotations

import pytest

from leaklint.model.findings import Severity
from leaklint.rules import get_rule
from tests.rule_helpers import run_rule
from tests.rule_tester import Expect, Invalid, RuleTester, Valid


def test_module_level_discarded_interval_is_a_note() -> None:
    (finding,) = run_rule("LL002", "setInterval(tick, 1000);\nfunction tick() {}\n")
    assert finding.severity is Severity.NOTE
    assert "module-level" in finding.message


def test_interval_per_call_of_unseen_callers_is_a_note_naming_the_function() -> None:
    # Callers elsewhere: two fresh audits found such code to be start-up code called once from
    # another module in 16 of 20 and 8 of 10 reports, so the rate is only assumed: a note that
    # says both readings (`--project` settles it, see tests/test_project_once.py).
    (finding,) = run_rule("LL002", "function watch(job) { setInterval(() => job.poll(), 10); }")
    assert finding.severity is Severity.NOTE
    assert finding.message_id == "per-call-discarded-assumed"
    assert "'watch'" in finding.message
    assert "once at start-up, it is one timer" in finding.message


@pytest.mark.parametrize(
    "caller",
    [
        "for (const job of jobs) watch(job);",
        "jobs.forEach((job) => watch(job));",
        "app.get('/watch', (req, res) => { watch(req.body); });",
    ],
)
def test_interval_per_call_shown_by_this_file_is_a_warning(caller: str) -> None:
    # A loop, a per-element callback or a request handler in this file: it runs many times.
    source = f"function watch(job) {{ setInterval(() => job.poll(), 10); }}\n{caller}\n"
    findings = [f for f in run_rule("LL002", source) if f.span.line == 1]
    (finding,) = findings
    assert finding.severity is Severity.WARNING, caller
    assert finding.message_id == "per-call-discarded"
    assert "'watch'" in finding.message


def test_stored_handle_points_at_where_it_is_stored() -> None:
    source = "class A { poll() { this.timer = setInterval(() => this.tick(), 10); } tick() {} }"
    (finding,) = run_rule("LL002", source)
    assert finding.severity is Severity.NOTE  # poll()'s callers are elsewhere: assumed
    assert finding.message_id == "per-call-stored-assumed"
    assert "this.timer" in finding.message
    assert [r.message for r in finding.related] == ["the handle is stored here and never cleared"]


def test_lazily_started_module_timer_is_a_note() -> None:
    source = "let t;\nfunction ensure() { if (!t) t = setInterval(f, 10); }\nfunction f() {}\n"
    (finding,) = run_rule("LL002", source)
    assert finding.severity is Severity.NOTE


def test_effect_message_shows_the_cleanup() -> None:
    source = (
        "import { useEffect } from 'react';\n"
        "export function C() { useEffect(() => { setInterval(f, 10); }, []); return null; }\n"
    )
    (finding,) = run_rule("LL002", source, "c.tsx")
    assert finding.severity is Severity.WARNING
    assert "return () => clearInterval(id)" in finding.message


def test_file_without_the_trigger_is_skipped() -> None:
    rule = get_rule("LL002")
    assert rule is not None
    assert not rule.applies_to(b"setTimeout(f, 10)")
    assert rule.applies_to(b"globalThis.setInterval(f, 10)")


def test_documentation_has_the_ruff_sections() -> None:
    rule = get_rule("uncleared-interval")
    assert rule is not None
    doc = rule.documentation()
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
        assert heading in doc


def test_startup_function_is_a_note_and_says_so() -> None:
    (finding,) = run_rule(
        "LL002", "function bootstrap() { setInterval(f, 10); }\nfunction f() {}\n"
    )
    assert finding.severity is Severity.NOTE
    assert finding.message.startswith("This setInterval() in start-up code")


def test_class_start_method_is_per_instance() -> None:
    # A start-up method runs once per instance: one process-lifetime timer per instance, a
    # note. A fresh audit found 10 false per-call warnings of this kind (MagicMirror modules'
    # start(), a Discord client's login(), a once-listener's run()).
    source = "class W { start() { setInterval(() => this.tick(), 10); } tick() {} }"
    (finding,) = run_rule("LL002", source)
    assert finding.severity is Severity.NOTE
    (ordinary,) = run_rule("LL002", source.replace("start()", "poll()"))
    assert ordinary.message_id == "per-call-discarded-assumed"  # per call, callers elsewhere


def test_a_function_guarded_by_an_early_return_runs_its_timer_once() -> None:
    # trigger.dev's gracefulExit: `if (done) return; done = true;` then a poll until exit.
    source = (
        "let done = false;\n"
        "function gracefulExit() {\n"
        "  if (done) return;\n"
        "  done = true;\n"
        "  setInterval(() => process.exit(0), 1000);\n"
        "}\n"
        "process.on('SIGTERM', gracefulExit);\n"
    )
    (finding,) = run_rule("LL002", source)
    assert finding.severity is Severity.NOTE


def test_an_early_return_on_another_condition_is_no_guard() -> None:
    source = (
        "let calls = 0;\n"
        "function poll(job) {\n"
        "  if (!job) return;\n"
        "  calls = calls + 1;\n"
        "  setInterval(() => job.poll(), 1000);\n"
        "}\n"
    )
    (finding,) = run_rule("LL002", source)
    assert finding.message_id == "per-call-discarded-assumed"  # per call, not the once note


def test_a_reentrancy_lock_is_no_once_guard() -> None:
    source = (
        "let busy = false;\n"
        "function tick(job) {\n"
        "  if (busy) return;\n"
        "  busy = true;\n"
        "  setInterval(() => job.poll(), 1000);\n"
        "  busy = false;\n"
        "}\n"
    )
    (finding,) = run_rule("LL002", source)
    assert finding.message_id == "per-call-discarded-assumed"  # per call, not the once note


def test_jquery_ready_callbacks_run_once_per_page() -> None:
    for wrapper in ("$(function () { %s });", "$(document).ready(function () { %s });"):
        source = wrapper % "setInterval(refresh, 1000);" + "\nfunction refresh() {}\n"
        (finding,) = run_rule("LL002", source)
        assert finding.severity is Severity.NOTE, wrapper


LL002 = RuleTester("LL002")


@pytest.mark.parametrize(
    "case",
    LL002.cases(
        valid=[
            "function f() {\n  const t = setInterval(g, 10);\n"
            "  return () => clearInterval(t);\n}\n",
            "setInterval(tick, 1000).unref();\nfunction tick() {}\n",
        ],
        invalid=[
            Invalid(
                "setInterval(tick, 1000);\nfunction tick() {}\n",
                [Expect(message_id="module-discarded", line=1, column=1, severity="note")],
            ),
            Invalid(
                "function watch(job) {\n  setInterval(() => job.poll(), 10);\n}\n",
                [
                    Expect(
                        message_id="per-call-discarded-assumed",
                        data={"runs": "every call of 'watch'"},
                        line=2,
                        column=3,
                        end_column=36,
                        severity="note",
                    )
                ],
            ),
            Invalid(
                "function watch(job) {\n  setInterval(() => job.poll(), 10);\n}\n"
                "for (const job of jobs) watch(job);\n",
                [
                    Expect(
                        message_id="per-call-discarded",
                        data={"runs": "every call of 'watch'"},
                        line=2,
                        column=3,
                        end_column=36,
                        severity="warning",
                    )
                ],
            ),
            Invalid(
                "class A {\n  poll() {\n    this.timer = setInterval(() => this.tick(), 10);\n"
                "  }\n  tick() {}\n}\n",
                [
                    Expect(
                        message_id="per-call-stored-assumed",
                        data={"handle": "this.timer", "runs": "every call of 'poll'"},
                        line=3,
                        column=18,
                        severity="note",
                        related=[(3, 5, "the handle is stored here and never cleared")],
                    )
                ],
            ),
            Invalid(
                "class A {\n  start() {\n    this.timer = setInterval(() => this.tick(), 10);\n"
                "  }\n  tick() {}\n}\n",
                [
                    Expect(
                        message_id="startup-instance-stored",
                        data={"handle": "this.timer", "function": "'start'"},
                        line=3,
                        column=18,
                        severity="note",
                    )
                ],
            ),
        ],
    ),
)
def test_ll002_cases(case: Valid | Invalid) -> None:
    LL002.verify(case)


def test_a_constructor_interval_says_it_runs_per_instance_not_per_call() -> None:
    # Audits read "on every call of 'constructor'" as misleading: a class built once keeps one
    # timer, one built per request one per request; the message says which it depends on.
    source = "class DeltaCache {\n  constructor() { setInterval(() => this.prune(), 1000); }\n}\n"
    (finding,) = run_rule("LL002", source)
    assert "starts a new timer for every new instance of 'DeltaCache'" in finding.message


def test_a_handler_interval_names_its_unit() -> None:
    source = (
        "const express = require('express');\nconst app = express();\n"
        "app.get('/x', function onRequest(req, res) { setInterval(() => res.write('.'), 10); });\n"
    )
    (finding,) = run_rule("LL002", source)
    assert "for every request handled by 'onRequest'" in finding.message
