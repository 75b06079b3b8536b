"""LL007 details the fixtures cannot state: messages for inline handlers and per-call reasons."""

from __future__ import annotations

import pytest

from tests.rule_helpers import run_rule
from tests.rule_tester import Expect, Invalid, RuleTester, Valid


def test_inline_handler_is_called_out() -> None:
    source = "app.get('/', function stream(req, res) { process.on('SIGTERM', () => res.end()); });"
    (finding,) = run_rule("LL007", source)
    assert "'stream', which runs per request," in finding.message
    assert "a 'SIGTERM' listener to 'process'" in finding.message
    assert "inline function" in finding.message


def test_named_handler_is_not_called_inline() -> None:
    source = (
        "const { EventEmitter } = require('events');\n"
        "const bus = new EventEmitter();\n"
        "app.get('/', (req, res) => { bus.on('x', onX); function onX() { res.end(); } });\n"
    )
    (finding,) = run_rule("LL007", source)
    assert "the module-level 'bus'" in finding.message
    assert "inline function" not in finding.message


def test_removal_for_another_event_does_not_count() -> None:
    source = (
        "app.get('/', (req, res) => {\n"
        "  const h = () => res.end();\n"
        "  process.on('SIGTERM', h);\n"
        "  process.off('SIGINT', h);\n"
        "});\n"
    )
    (finding,) = run_rule("LL007", source)
    assert finding.span.line == 3


def test_startup_function_is_not_reported() -> None:
    source = "function init() { process.on('SIGTERM', () => process.exit(0)); }\ninit();\n"
    assert run_rule("LL007", source) == []


def test_dom_targets_are_not_said_to_print_a_node_warning() -> None:
    source = (
        "import { useEffect } from 'react';\n"
        "export function C() {\n"
        "  useEffect(() => { window.addEventListener('resize', () => {}); }, []);\n"
        "  return null;\n"
        "}\n"
    )
    (finding,) = run_rule("LL007", source, "c.jsx")
    assert "MaxListenersExceededWarning" not in finding.message


LL007 = RuleTester("LL007")
PER_REQUEST_SIGTERM = (
    "app.get('/', function stream(req, res) {\n  process.on('SIGTERM', () => res.end());\n});\n"
)


@pytest.mark.parametrize(
    "case",
    LL007.cases(
        valid=[PER_REQUEST_SIGTERM.replace("process.on(", "process.once(")],
        invalid=[
            Invalid(
                PER_REQUEST_SIGTERM,
                [
                    Expect(
                        message_id="never-removed",
                        line=2,
                        column=3,
                        end_column=41,
                        severity="warning",
                    )
                ],
            ),
        ],
    ),
)
def test_ll007_cases(case: Valid | Invalid) -> None:
    LL007.verify(case)
