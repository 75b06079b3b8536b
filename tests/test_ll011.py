"""LL011 as users read it: which timers race a promise uncleared, and which look-alikes do not."""

from __future__ import annotations

import pytest

from tests.rule_tester import Expect, Invalid, RuleTester, Valid

LL011 = RuleTester("LL011")
RACE = """\
function withTimeout(work, ms) {
  return Promise.race([
    work,
    new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), ms)),
  ]);
}
"""
RACE_MESSAGE = (
    "This timer races the other promises of `Promise.race` on line 2 and is never cleared: "
    "when they settle first, it stays scheduled for its whole delay (ms) and keeps its callback "
    "and everything that holds alive: one more such timer per call. Keep its handle and "
    "clearTimeout() it in a finally, or use AbortSignal.timeout()."
)
KEPT = """\
async function f(work, ms) {
  let t;
  const timeout = new Promise((resolve) => { t = setTimeout(resolve, ms); });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    CLEAR;
  }
}
"""


@pytest.mark.parametrize(
    "case",
    LL011.cases(
        valid=[
            KEPT.replace("CLEAR", "clearTimeout(t)"),
            KEPT.replace("CLEAR", "require('timers').clearTimeout(t)"),
            # A race at module level runs once.
            "Promise.race([a, new Promise((r) => setTimeout(r, 10))]);",
            # A shadowing setTimeout, a shadowing Promise.
            "function f(w) {\n  const setTimeout = (fn) => fn();\n"
            "  return Promise.race([w, new Promise((r) => setTimeout(r))]);\n}",
            "const Promise = require('bluebird');\n"
            "function f(w) { return Promise.race([w, new Promise((r) => setTimeout(r, 9))]); }",
            # timers/promises with a signal, or options this file cannot read.
            "const { setTimeout: d } = require('timers/promises');\n"
            "function f(w, signal) { return Promise.race([w, d(10, 0, { signal })]); }",
            "const { setTimeout: d } = require('timers/promises');\n"
            "function f(w, opts) { return Promise.race([w, d(10, 0, opts)]); }",
            "const { promisify } = require('util');\nconst sleep = promisify(setTimeout);\n"
            "function f(w, signal) { return Promise.race([w, sleep(10, 0, { signal })]); }",
            # Test code runs its races a bounded number of times.
            Valid(RACE, filename="timeout.test.js"),
            # The handle is handed to the caller, who may clear it.
            "function f(w, keep) {\n"
            "  return Promise.race([w, new Promise((r) => keep(setTimeout(r, 9)))]);\n}",
        ],
        invalid=[
            Invalid(
                RACE,
                [
                    Expect(
                        message=RACE_MESSAGE,
                        message_id="never-cleared",
                        line=4,
                        column=32,
                        severity="warning",
                        related=[(2, 10, "the race this timer loses when the work settles first")],
                    )
                ],
            ),
            # Cleared, but a different handle.
            Invalid(
                KEPT.replace("CLEAR", "clearTimeout(work)"),
                [Expect(message_id="never-cleared", line=3)],
            ),
            Invalid(
                "import { setTimeout as sleep } from 'node:timers/promises';\n"
                "export const f = (w) => Promise.race([w, sleep(1000)]);\n",
                [Expect(message_id="promise-timer", line=2, column=42)],
                filename="snippet.mjs",
            ),
            # util.promisify(setTimeout) is timers/promises' timer (require, node: prefix,
            # written in place or kept in a const); a signal would cancel it.
            Invalid(
                "const util = require('node:util');\n"
                "const sleep = util.promisify(global.setTimeout);\n"
                "function f(w) { return Promise.race([w, sleep(10)]); }\n"
                "function g(w) {\n"
                "  return Promise.race([w, require('util').promisify(setTimeout)(9)]);\n}\n",
                [
                    Expect(message_id="promisified-timer", line=3, column=41),
                    Expect(message_id="promisified-timer", line=5, column=27),
                ],
            ),
        ],
    ),
)
def test_ll011_cases(case: Valid | Invalid) -> None:
    LL011.verify(case)
