"""LL000 as users read it: which message, where."""

from __future__ import annotations

import pytest

from tests.rule_tester import Expect, Invalid, RuleTester, Valid

LL000 = RuleTester("LL000")


@pytest.mark.parametrize(
    "case",
    LL000.cases(
        valid=["function f() {\n  return 1;\n}\n"],
        invalid=[
            Invalid(
                "const a = 1;\nconst = 2;\n",
                [Expect(message_id="syntax-error", line=2, severity="warning")],
            ),
            Invalid(
                "function f( {\n  return 1;\n}\n",
                [
                    Expect(
                        message_id="syntax-error",
                        data={"what": "unexpected syntax"},
                        line=1,
                        column=1,
                        severity="warning",
                    )
                ],
            ),
        ],
    ),
)
def test_ll000_cases(case: Valid | Invalid) -> None:
    LL000.verify(case)
