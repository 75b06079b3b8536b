"""LL006 as users read it: which message, where, with which related locations."""

from __future__ import annotations

import pytest

from tests.rule_tester import Expect, Invalid, RuleTester, Valid

LL006 = RuleTester("LL006")
RELEASED_OUTSIDE_FINALLY = """\
const { Pool } = require('pg');
const pool = new Pool();
async function f() {
  const client = await pool.connect();
  const r = await client.query('select 1');
  client.release();
  return r;
}
"""


@pytest.mark.parametrize(
    "case",
    LL006.cases(
        valid=[
            RELEASED_OUTSIDE_FINALLY.replace(
                "  const r = await client.query('select 1');\n  client.release();\n  return r;\n",
                "  try {\n    return await client.query('select 1');\n"
                "  } finally {\n    client.release();\n  }\n",
            )
        ],
        invalid=[
            Invalid(
                RELEASED_OUTSIDE_FINALLY,
                [
                    Expect(
                        message_id="release-not-in-finally",
                        data={
                            "label": "pg pool client",
                            "name": "client",
                            "released": "released",
                            "release": "client.release()",
                            "trigger": "await client.query('select 1')",
                            "trigger_line": 5,
                            "release_noun": "release",
                            "consequence": "the pool loses a connection for good until it runs out",
                        },
                        line=4,
                        column=24,
                        end_column=38,
                        severity="warning",
                        related=[
                            (
                                6,
                                3,
                                "this release is skipped when `await client.query('select 1')` "
                                "throws: move it into `finally`",
                            ),
                            (5, 13, "can throw while 'client' is open"),
                        ],
                    )
                ],
            ),
        ],
    ),
)
def test_ll006_cases(case: Valid | Invalid) -> None:
    LL006.verify(case)
