"""Which rules run: select / extend-select / ignore, by code, code prefix, name or ALL."""

from __future__ import annotations

from collections.abc import Iterable

from leaklint.rules import RULE_TABLE, Rule, RuleEntry, get_rule, load_rules


def _matches(selector: str, rule: type[Rule] | RuleEntry) -> bool:
    selector = selector.strip()
    if selector.upper() == "ALL":
        return True
    if selector.lower() == rule.name:
        return True
    return rule.code.startswith(selector.upper())


def rule_matches(selector: str, rule: type[Rule]) -> bool:
    """Whether a selector (code, code prefix, rule name or ALL) names ``rule``."""
    return _matches(selector, rule)


def validate_codes(selectors: Iterable[str]) -> None:
    for selector in selectors:
        if not selector.strip():
            continue
        if not any(_matches(selector, rule) for rule in RULE_TABLE):
            known = ", ".join(rule.code for rule in RULE_TABLE)
            raise ValueError(f"unknown rule or prefix '{selector}' (rules: {known}, or ALL)")


def selected_rules(
    select: Iterable[str],
    extend_select: Iterable[str],
    ignore: Iterable[str],
    *,
    preview: bool = False,
) -> list[type[Rule]]:
    return load_rules(selected_codes(select, extend_select, ignore, preview=preview))


def selected_codes(
    select: Iterable[str],
    extend_select: Iterable[str],
    ignore: Iterable[str],
    *,
    preview: bool = False,
) -> list[str]:
    """The codes ``selected_rules`` returns the classes of, from the rule table alone: no
    rule module is imported."""
    select = [s for s in select if s.strip()]
    extend = [s for s in extend_select if s.strip()]
    ignore = [s for s in ignore if s.strip()]
    chosen = []
    for rule in RULE_TABLE:
        if select:
            # Naming a rule explicitly turns it on even if it is preview or off by default;
            # ALL and prefixes respect the preview gate, as in ruff.
            explicit = any(s.upper() == rule.code or s.lower() == rule.name for s in select)
            on = explicit or (
                any(_matches(s, rule) for s in select) and (preview or not rule.preview)
            )
        else:
            on = rule.default_enabled and (preview or not rule.preview)
        if any(_matches(s, rule) for s in extend):
            on = True
        if any(_matches(s, rule) for s in ignore):
            on = False
        if on:
            chosen.append(rule.code)
    return chosen


def parse_code_list(value: str | None) -> tuple[str, ...] | None:
    """A CLI comma list (``LL001,LL003``) into a tuple, validated."""
    if value is None:
        return None
    codes = tuple(part.strip() for part in value.split(",") if part.strip())
    validate_codes(codes)
    return codes


__all__ = [
    "get_rule",
    "parse_code_list",
    "rule_matches",
    "selected_codes",
    "selected_rules",
    "validate_codes",
]
