"""The RuleTester must fail on every kind of difference it claims to check."""

from __future__ import annotations

import pytest

from tests.rule_tester import Expect, Invalid, RuleTester, Valid

TESTER = RuleTester("LL001")
LEAK = "function f() {\n  leaked = 1;\n}\n"
RIGHT = Expect(
    message_id="process-global",
    data={"name": "leaked"},
    line=2,
    column=3,
    end_line=2,
    end_column=9,
    severity="error",
    related=[],
)


def test_a_matching_case_passes() -> None:
    TESTER.verify(Invalid(LEAK, [RIGHT]))
    TESTER.verify(Valid("function f() {\n  const kept = 1;\n}\n"))


@pytest.mark.parametrize(
    ("wrong", "complaint"),
    [
        (Expect(column=4), "column: expected 4, got 3"),
        (Expect(line=1), "line: expected 1, got 2"),
        (Expect(end_column=8), "end_column: expected 8, got 9"),
        (Expect(severity="warning"), "severity: expected 'warning', got 'error'"),
        (Expect(message_id="strict-reference-error"), "message_id: expected"),
        (Expect(message_id="no-such-id"), "LL001 has no message id 'no-such-id'"),
        (Expect(message_id="process-global", data={"name": "other"}), "from message_id and data"),
        (Expect(data={"name": "leaked"}), "data is given without a message_id"),
        (Expect(message="'leaked' is assigned."), "message: expected"),
        (Expect(related=[(2, 3, "here")]), "related: expected"),
    ],
)
def test_each_difference_fails_the_case(wrong: Expect, complaint: str) -> None:
    with pytest.raises(AssertionError, match="finding 0") as caught:
        TESTER.verify(Invalid(LEAK, [wrong]))
    assert complaint in str(caught.value)


def test_a_missing_or_extra_finding_fails() -> None:
    with pytest.raises(AssertionError, match="expected 2 finding"):
        TESTER.verify(Invalid(LEAK, [RIGHT, RIGHT]))
    with pytest.raises(AssertionError, match="expected 0 finding"):
        TESTER.verify(Invalid(LEAK, []))


def test_a_reported_valid_case_fails_and_shows_the_finding() -> None:
    with pytest.raises(AssertionError, match=r"must stay silent") as caught:
        TESTER.verify(Valid(LEAK))
    assert "2:3 error [process-global] 'leaked' is assigned" in str(caught.value)


def test_settings_and_filename_reach_the_rule() -> None:
    browser = Valid("function f() {\n  leaked = 1;\n}\n", settings={"globals": ("leaked",)})
    TESTER.verify(browser)
    page = Invalid(LEAK, [Expect(message_id="page-global")], filename="public/js/app.js")
    TESTER.verify(page)


def test_cases_are_pytest_params_with_readable_ids() -> None:
    params = TESTER.cases(valid=["a;"], invalid=[Invalid(LEAK, [RIGHT])])
    assert [p.id for p in params] == ["valid[0]", "invalid[0]"]
    assert params[0].values == (Valid("a;"),)
