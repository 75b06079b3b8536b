"""LL007 details the fixtures cannot state: messages for inline handlers and per-call reasons."""

from __future__ import annotations

import pytest

from leaklint.rules.ll007_listener_leak import ListenerLeak
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


PREVIEW = {"preview": True}
ABORT_ON_CALLERS_SIGNAL = """\
function get(url, signal) {
  return new Promise((resolve, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason));
    fetch(url, { signal }).then(resolve, reject);
  });
}
"""


@pytest.mark.parametrize(
    "case",
    LL007.cases(
        valid=[
            Valid(code, settings=PREVIEW)
            for code in [
                # Removed with the same function, once, or on a signal made in the call.
                "function f(signal) {\n  const h = () => 1;\n"
                "  signal.addEventListener('abort', h);\n"
                "  return () => signal.removeEventListener('abort', h);\n}",
                "function f(signal) { signal.addEventListener('abort', g, { once: true }); }",
                "function f() {\n  const c = new AbortController();\n"
                "  c.signal.addEventListener('abort', () => 1);\n}",
                # Module level runs once; a parameter that is not a signal by its name.
                "const c = new AbortController();\nc.signal.addEventListener('abort', () => 1);",
                "function f(request) { request.addEventListener('abort', () => 1); }",
            ]
        ]
        + [
            # A request's own signal, a controller made for this call; and test code.
            Valid(
                "function f(req) { req.signal.addEventListener('abort', () => 1); }",
                settings=PREVIEW,
            ),
            Valid(
                "function f(abortController) {\n"
                "  abortController.signal.addEventListener('abort', () => 1);\n}",
                settings=PREVIEW,
            ),
            Valid(ABORT_ON_CALLERS_SIGNAL, filename="get.test.js", settings=PREVIEW),
            # Without --preview the case is not reported at all.
            ABORT_ON_CALLERS_SIGNAL,
        ],
        invalid=[
            Invalid(
                ABORT_ON_CALLERS_SIGNAL,
                [
                    Expect(
                        message_id="abort-never-removed",
                        data={
                            "signal": "signal",
                            "owner": "a signal the caller passed in, which may outlive this call",
                            "inline": ListenerLeak.messages["inline-handler"],
                        },
                        line=3,
                        column=5,
                        severity="warning",
                    )
                ],
                settings=PREVIEW,
            ),
            # Removing a different function removes nothing.
            Invalid(
                "function f(opts) {\n  opts.signal.addEventListener('abort', () => 1);\n"
                "  opts.signal.removeEventListener('abort', other);\n}\nfunction other() {}",
                [Expect(message_id="abort-never-removed", line=2)],
                settings=PREVIEW,
            ),
            Invalid(
                "const shutdown = new AbortController();\n"
                "exports.run = (job) => shutdown.signal.addEventListener('abort', job.stop);",
                [
                    Expect(
                        message_id="abort-never-removed",
                        data={
                            "signal": "shutdown.signal",
                            "owner": "a module-level signal, shared by every call",
                            "inline": "",
                        },
                        line=2,
                    )
                ],
                settings=PREVIEW,
            ),
        ],
    ),
)
def test_ll007_abort_listeners(case: Valid | Invalid) -> None:
    LL007.verify(case)


def test_frequency_is_asked_only_of_adds_on_a_long_lived_emitter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """How often code runs is the costliest question LL007 asks: an add on an emitter made by
    the same call (a local `new EventEmitter()`, a `req`) is dismissed without it."""
    import leaklint.rules.ll007_listener_leak as ll007

    asked: list[int] = []
    real = ll007.how_often

    def counting(ctx: object, node: object) -> object:
        asked.append(1)
        return real(ctx, node)  # type: ignore[arg-type]

    monkeypatch.setattr(ll007, "how_often", counting)
    source = (
        "const { EventEmitter } = require('events');\n"
        "app.get('/', (req, res) => {\n"
        "  const local = new EventEmitter();\n"
        "  local.on('x', () => res.end());\n"
        "  req.on('close', () => res.end());\n"
        "});\n"
    )
    assert run_rule("LL007", source) == []
    assert asked == []
