"""LL003 as users read it: which message, where, with which related locations."""

from __future__ import annotations

import pytest

from tests.rule_tester import Expect, Invalid, RuleTester, Valid

LL003 = RuleTester("LL003")
NEVER_CLOSED = """\
const Redis = require('ioredis');
async function f(key) {
  const client = new Redis();
  return client.get(key);
}
"""
CLOSED_OUTSIDE_FINALLY = """\
const Redis = require('ioredis');
async function f(key) {
  const client = new Redis();
  const v = await client.get(key);
  await client.quit();
  return v;
}
"""
CLOSED_IN_FINALLY = """\
const Redis = require('ioredis');
async function f(key) {
  const client = new Redis();
  try {
    return await client.get(key);
  } finally {
    await client.quit();
  }
}
"""
MODULE_LEVEL_CLIENT = "const Redis = require('ioredis');\nconst shared = new Redis();\n"


@pytest.mark.parametrize(
    "case",
    LL003.cases(
        valid=[
            CLOSED_IN_FINALLY,
            "const Redis = require('ioredis');\nconst shared = new Redis();\n",
        ],
        invalid=[
            Invalid(
                NEVER_CLOSED,
                [
                    Expect(
                        message=(
                            "The ioredis client 'client' is created here and never closed: every "
                            "call leaves a connection open on the server. Call `client.quit()` in "
                            "a `finally` block, or create one client at module level and reuse it."
                        ),
                        message_id="never-released",
                        line=3,
                        column=18,
                        end_line=3,
                        end_column=29,
                        severity="warning",
                        related=[],
                    )
                ],
            ),
            Invalid(
                CLOSED_OUTSIDE_FINALLY,
                [
                    Expect(
                        message_id="release-not-in-finally",
                        data={
                            "label": "ioredis client",
                            "name": "client",
                            "released": "closed",
                            "release": "client.quit()",
                            "trigger": "await client.get(key)",
                            "trigger_line": 4,
                            "release_noun": "close",
                            "consequence": "every call leaves a connection open on the server",
                        },
                        line=3,
                        column=18,
                        severity="warning",
                        related=[
                            (
                                5,
                                9,
                                "this close is skipped when `await client.get(key)` throws: "
                                "move it into `finally`",
                            ),
                            (4, 13, "can throw while 'client' is open"),
                        ],
                    )
                ],
            ),
        ],
    ),
)
def test_ll003_cases(case: Valid | Invalid) -> None:
    LL003.verify(case)
