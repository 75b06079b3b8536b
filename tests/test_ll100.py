"""LL100 as users read it: which message, where."""

from __future__ import annotations

import pytest

from tests.rule_tester import Expect, Invalid, RuleTester, Valid

LL100 = RuleTester("LL100")


@pytest.mark.parametrize(
    "case",
    LL100.cases(
        # A directive for a rule that did not run is not judged (LL100 runs alone here).
        valid=["// leaklint-disable-next-line LL001\nconst a = 1;\n"],
        invalid=[
            Invalid(
                "const a = 1;\n// leaklint-disable-next-line LL999\nconst b = 2;\n",
                [
                    Expect(
                        message_id="unknown-rule",
                        data={"names": "'LL999'", "directive": "leaklint-disable-next-line"},
                        line=2,
                        column=1,
                        end_column=36,
                        severity="warning",
                    )
                ],
            ),
        ],
    ),
)
def test_ll100_cases(case: Valid | Invalid) -> None:
    LL100.verify(case)
