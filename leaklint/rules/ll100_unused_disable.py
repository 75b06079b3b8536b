"""## What it does
Reports a `leaklint-disable`, `leaklint-disable-line` or `leaklint-disable-next-line` comment
that suppressed nothing in this run, or the codes in it that suppressed nothing, and codes
that name no leaklint rule at all.

It is off by default; turn it on with `--report-unused-disables` (or select `LL100`). Codes of
rules that did not run (not selected, or turned off for the file by `per-file-ignores`) are
not reported, since the run cannot tell whether they would still be needed.

## Why is this bad?
A directive outlives the leak it was written for: once the code is fixed, the comment stays
and silently hides the next leak on that line. Reporting unused directives keeps the list of
exceptions honest, as ESLint's `--report-unused-disable-directives` and ruff's `RUF100` do.

## Example
```js
// leaklint-disable-next-line LL003 -- closed in shutdown()
const total = items.length; // nothing here opens a client any more
```

## Use instead
```js
const total = items.length;
```
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from leaklint.model.findings import Message, Severity
from leaklint.rules._base import Rule

if TYPE_CHECKING:
    from leaklint.model.directives import Directive
    from leaklint.semantic.context import FileContext


class UnusedDisableDirective(Rule):
    code = "LL100"
    name = "unused-disable-directive"
    summary = "A leaklint-disable comment suppresses nothing and would hide a future leak."
    severity = Severity.WARNING
    precision = "very-high"
    tags = ("suppression", "maintainability")
    default_enabled = False
    # The work happens after every other rule has reported (see suppressions.py); a file
    # without a directive has nothing to check.
    triggers = (b"leaklint-disable",)
    messages = {
        "unknown-rule": (
            "Unknown rule {names} in {directive} directive: it can never suppress anything."
        ),
        "unused": "Unused {directive} directive (no problems were reported).",
        "unused-codes": "Unused {directive} directive (no problems were reported from {codes}).",
    }

    def check(self, ctx: FileContext) -> None:
        """Nothing to do while rules run: ``report_unused`` is called once they all have."""

    def report_unused(self, ctx: FileContext, directives: list[Directive], ran: set[str]) -> None:
        for directive in directives:
            message = self._problem(directive, ran)
            if message is not None:
                ctx.report(self, directive.node, message)

    @classmethod
    def _problem(cls, directive: Directive, ran: set[str]) -> Message | None:
        what = f"leaklint-{directive.kind}"
        if directive.unknown:
            names = ", ".join(f"'{word}'" for word in directive.unknown)
            return cls.msg("unknown-rule", names=names, directive=what)
        if not directive.codes:
            if directive.used:
                return None
            return cls.msg("unused", directive=what)
        unused = [c for c in directive.codes if c in ran and c not in directive.used_codes]
        if not unused:
            return None
        return cls.msg("unused-codes", directive=what, codes=", ".join(unused))
