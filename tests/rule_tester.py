"""A RuleTester in the manner of ESLint's: a rule, code that must stay silent (``valid``) and
code that must be reported (``invalid``) with the findings it must produce.

    TESTER = RuleTester("LL002")

    @pytest.mark.parametrize("case", TESTER.cases(
        valid=["const t = setInterval(f, 10); clearInterval(t);"],
        invalid=[Invalid("function f() { setInterval(g, 10); }",
                         [Expect(message_id="per-call-discarded",
                                 data={"runs": "every call of 'f'"},
                                 line=1, column=16, severity="warning")])],
    ))
    def test_ll002(case): TESTER.verify(case)

An invalid case lists every finding, in file order (as ESLint requires), and each expectation
checks only what it states: ``message`` (the exact text), ``message_id`` (with ``data``, the
text must also be that template filled in), position, severity, related locations. The rule
runs alone, through the engine's per-file step, so an exception fails the case.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pytest

from leaklint.config import Settings
from leaklint.model.findings import Finding, Severity
from leaklint.pipeline.engine import check_source
from leaklint.pipeline.selection import selected_rules
from leaklint.rules import Rule, get_rule
from leaklint.syntax.source import SourceFile


@dataclass(frozen=True)
class Expect:
    """One finding an invalid case must produce; ``None`` fields are not checked."""

    message: str | None = None
    message_id: str | None = None
    data: Mapping[str, object] | None = None  # the template's fields, with message_id
    line: int | None = None
    column: int | None = None
    end_line: int | None = None
    end_column: int | None = None
    severity: Severity | str | None = None
    related: Sequence[tuple[int, int, str]] | None = None  # (line, column, message) each


@dataclass(frozen=True)
class Valid:
    code: str
    filename: str = "snippet.js"
    settings: Mapping[str, Any] = field(default_factory=dict)  # Settings overrides


@dataclass(frozen=True)
class Invalid:
    code: str
    errors: Sequence[Expect]
    filename: str = "snippet.js"
    settings: Mapping[str, Any] = field(default_factory=dict)


Case = Valid | Invalid


class RuleTester:
    def __init__(self, rule: str | type[Rule]) -> None:
        found = get_rule(rule) if isinstance(rule, str) else rule
        assert found is not None, f"no rule {rule!r}"
        self.rule: type[Rule] = found

    def cases(
        self, *, valid: Sequence[str | Valid] = (), invalid: Sequence[Invalid] = ()
    ) -> list[Any]:
        """pytest params, one per case, with ids ``valid[0]``, ``invalid[2]``, …"""
        params = [
            pytest.param(Valid(case) if isinstance(case, str) else case, id=f"valid[{number}]")
            for number, case in enumerate(valid)
        ]
        params += [
            pytest.param(case, id=f"invalid[{number}]") for number, case in enumerate(invalid)
        ]
        return params

    def findings(self, case: Case) -> list[Finding]:
        rules = selected_rules((self.rule.code,), (), (), preview=True)
        path = Path(case.filename)
        source = SourceFile.from_bytes(path, case.code.encode("utf-8"))
        return check_source(source, Settings(**dict(case.settings)), rules)

    def verify(self, case: Case) -> None:
        found = self.findings(case)
        if isinstance(case, Valid):
            assert not found, f"{self.rule.code} must stay silent on:\n{case.code}\n" + _listed(
                found
            )
            return
        assert len(found) == len(case.errors), (
            f"{self.rule.code}: expected {len(case.errors)} finding(s), got {len(found)}:\n"
            + _listed(found)
        )
        for number, (finding, expect) in enumerate(zip(found, case.errors, strict=True)):
            problems = self._mismatches(finding, expect)
            assert not problems, f"finding {number} ({_one(finding)}):\n  " + "\n  ".join(problems)

    def _mismatches(self, finding: Finding, expect: Expect) -> list[str]:
        problems: list[str] = []
        if expect.data is not None and expect.message_id is None:
            problems.append("data is given without a message_id to format it with")
        if expect.message_id is not None:
            if expect.message_id not in self.rule.messages:
                problems.append(f"{self.rule.code} has no message id '{expect.message_id}'")
            elif expect.data is not None:
                wanted = self.rule.msg(expect.message_id, **dict(expect.data)).text
                _compare(problems, "message (from message_id and data)", finding.message, wanted)
        actual = {
            "message": finding.message,
            "message_id": finding.message_id,
            "line": finding.span.line,
            "column": finding.span.column,
            "end_line": finding.span.end_line,
            "end_column": finding.span.end_column,
            "severity": finding.severity.value,
            "related": [(r.span.line, r.span.column, r.message) for r in finding.related],
        }
        for item in fields(Expect):
            wanted = getattr(expect, item.name)
            if wanted is None or item.name == "data":
                continue
            if item.name == "severity":
                wanted = Severity(wanted).value
            if item.name == "related":
                wanted = [tuple(entry) for entry in wanted]
            _compare(problems, item.name, actual[item.name], wanted)
        return problems


def _compare(problems: list[str], what: str, actual: object, wanted: object) -> None:
    if actual != wanted:
        problems.append(f"{what}: expected {wanted!r}, got {actual!r}")


def _one(finding: Finding) -> str:
    return (
        f"{finding.span.line}:{finding.span.column} {finding.severity.value} "
        f"[{finding.message_id}] {finding.message}"
    )


def _listed(findings: list[Finding]) -> str:
    return "".join(f"  {_one(f)}\n" for f in findings)
