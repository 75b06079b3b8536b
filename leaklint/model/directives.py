"""A ``leaklint-disable`` comment as the pipeline found it, and what it covers.

Data only: finding the comments and deciding what they suppress is the pipeline's work
(``leaklint.pipeline.suppressions``); LL100 reads directives to report the useless ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tree_sitter import Node

from leaklint.model.findings import Finding


@dataclass
class Directive:
    kind: str  # "disable" (whole file), "disable-line" or "disable-next-line"
    node: Node
    codes: tuple[str, ...]  # canonical rule codes; empty means every rule
    unknown: tuple[str, ...]  # words that name no rule: they can never suppress anything
    justification: str
    line: int | None  # the line it covers; None for a whole-file directive
    used_codes: set[str] = field(default_factory=set)
    used: bool = False

    def covers(self, finding: Finding) -> bool:
        if self.line is not None and finding.span.line != self.line:
            return False
        return not self.codes or finding.rule in self.codes
