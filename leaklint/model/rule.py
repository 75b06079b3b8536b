"""What the layers below the rules need to know of a rule: its identity, its default severity
and its share of the file's query pass. The rules implement it (``leaklint.rules._base.Rule``);
``FileContext`` takes it, so that the semantic layer never imports the rules."""

from __future__ import annotations

from typing import Protocol

from leaklint.model.findings import Severity


class RuleIdentity(Protocol):
    code: str
    name: str
    severity: Severity
    query: str
