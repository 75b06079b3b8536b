"""LL001 details the fixtures cannot state: messages."""

from __future__ import annotations

import pytest

from tests.rule_helpers import run_rule
from tests.rule_tester import Expect, Invalid, RuleTester, Valid


def test_a_server_write_is_a_process_global_shared_between_requests() -> None:
    (finding,) = run_rule("LL001", "function f() { leaked = 1; }\n", "lib/app.js")
    assert "shared between requests" in finding.message


def test_a_script_served_to_browsers_makes_a_page_global() -> None:
    (finding,) = run_rule("LL001", "function f() { leaked = 1; }\n", "public/js/app.js")
    assert "global object (window)" in finding.message
    assert "requests" not in finding.message


def test_a_class_in_a_browser_script_is_strict_code() -> None:
    source = "class A { m() { leaked = 1; } }\n"
    (finding,) = run_rule("LL001", source, "public/js/app.js")
    assert "ReferenceError" in finding.message


LL001 = RuleTester("LL001")


@pytest.mark.parametrize(
    "case",
    LL001.cases(
        valid=[
            "function f(w, h) {\n  const area = w * h;\n  return area;\n}\n",
            "let count = 0;\nfunction f() {\n  count++;\n}\n",
        ],
        invalid=[
            Invalid(
                "function f(w, h) {\n  area = w * h;\n  count++;\n}\n",
                [
                    Expect(
                        message_id="process-global",
                        data={"name": "area"},
                        line=2,
                        column=3,
                        end_line=2,
                        end_column=7,
                        severity="error",
                    ),
                    Expect(
                        message_id="read-and-written",
                        data={"name": "count"},
                        line=3,
                        column=3,
                        end_column=8,
                        severity="error",
                    ),
                ],
                filename="lib/a.js",
            ),
        ],
    ),
)
def test_ll001_cases(case: Valid | Invalid) -> None:
    LL001.verify(case)
