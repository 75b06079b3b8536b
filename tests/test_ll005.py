"""LL005 details the fixtures cannot state: where it reports, related growth sites, messages."""

from __future__ import annotations

import pytest

from tests.rule_helpers import run_rule
from tests.rule_tester import Expect, Invalid, RuleTester, Valid


def test_reported_at_the_declaration_with_growth_sites_related() -> None:
    source = (
        "const store = {};\n"
        "module.exports = function handler(req, res) {\n"
        "  store[req.params.id] = req.body;\n"
        "  store[req.query.id] = req.query;\n"
        "};\n"
    )
    (finding,) = run_rule("LL005", source)
    assert (finding.span.line, finding.span.column) == (1, 7)
    assert [r.span.line for r in finding.related] == [3, 4]
    assert "'handler', which runs per request," in finding.message
    assert "store[req.params.id] = req.body" in finding.message


def test_helper_called_from_a_handler_is_named_as_such() -> None:
    source = (
        "const seen = new Set();\n"
        "function track(id) { seen.add(id); }\n"
        "app.get('/', (req, res) => { track(req.ip); res.end(); });\n"
    )
    (finding,) = run_rule("LL005", source)
    assert "'track', called from a request handler," in finding.message


def test_growth_outside_request_code_is_not_reported() -> None:
    # A memo or plugin registry filled by a function nothing shows to run per request.
    source = (
        "const formats = {};\n"
        "export function formatFor(locale) {\n"
        "  return formats[locale] ??= new Intl.NumberFormat(locale);\n"
        "}\n"
    )
    assert run_rule("LL005", source, "f.mjs") == []


def test_module_level_forEach_fills_a_registry() -> None:
    source = (
        "const byName = {};\n"
        "['a', 'b'].forEach((name) => { byName[name] = name; });\n"
        "app.get('/', (req, res) => res.send(byName[req.query.name]));\n"
    )
    assert run_rule("LL005", source) == []


LL005 = RuleTester("LL005")
HANDLER_GROWS_A_MAP = """\
const express = require('express');
const app = express();
const seen = new Map();
app.get('/', (req, res) => {
  seen.set(req.query.id, Date.now());
  res.end();
});
"""


@pytest.mark.parametrize(
    "case",
    LL005.cases(
        valid=[
            HANDLER_GROWS_A_MAP.replace(
                "  res.end();", "  res.end();\n  seen.delete(req.query.id);"
            )
        ],
        invalid=[
            Invalid(
                HANDLER_GROWS_A_MAP,
                [
                    Expect(
                        message_id="grows-per-request",
                        data={
                            "kind": "Map",
                            "name": "seen",
                            "grower": "a request handler",
                            "site": "seen.set(req.query.id, Date.now())",
                            "unit": "request",
                        },
                        line=3,
                        column=7,
                        end_column=11,
                        severity="warning",
                        related=[
                            (5, 3, "grows here, once per request"),
                            (4, 1, "runs per request: registered by `app.get('/')` on line 4"),
                        ],
                    )
                ],
            ),
        ],
    ),
)
def test_ll005_cases(case: Valid | Invalid) -> None:
    LL005.verify(case)
