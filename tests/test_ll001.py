"""LL001 details the fixtures cannot state: messages."""

from __future__ import annotations

from tests.rule_helpers import run_rule


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
