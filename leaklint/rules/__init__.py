"""The rule registry. One module per rule; the module docstring is the rule's documentation.

Rules are known by their entry in ``_table.RULE_TABLE`` (code, name, severity, gates) and
their modules imported only when a rule class is needed: a warm run answered from the cache
selects rules and keys its cache by code without importing any of them. ``ALL_RULES``,
``RULES_BY_CODE`` and ``RULES_BY_NAME`` import every rule on first use, a rule's class name
(``from leaklint.rules import ImplicitGlobal``) its own module.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

from leaklint.rules._base import Rule
from leaklint.rules._table import RULE_TABLE, RuleEntry

ENTRIES_BY_CODE: dict[str, RuleEntry] = {entry.code: entry for entry in RULE_TABLE}
ENTRIES_BY_NAME: dict[str, RuleEntry] = {entry.name: entry for entry in RULE_TABLE}
_CODES_BY_CLASS: dict[str, str] = {entry.class_name: entry.code for entry in RULE_TABLE}


def load_rule(code: str) -> type[Rule]:
    """The class of the rule ``code`` (a KeyError for an unknown code), importing its module."""
    entry = ENTRIES_BY_CODE[code]
    module = importlib.import_module(f"{__name__}.{entry.module}")
    rule: type[Rule] = getattr(module, entry.class_name)
    return rule


def load_rules(codes: Iterable[str]) -> list[type[Rule]]:
    return [load_rule(code) for code in codes]


def find_entry(code_or_name: str) -> RuleEntry | None:
    key = code_or_name.strip()
    return ENTRIES_BY_CODE.get(key.upper()) or ENTRIES_BY_NAME.get(key.lower())


def get_rule(code_or_name: str) -> type[Rule] | None:
    entry = find_entry(code_or_name)
    return load_rule(entry.code) if entry is not None else None


class RuleSet(Sequence[type[Rule]]):
    """Rules by code, their classes imported the first time one is read: the rules a run
    used (``RunResult.rules``), which only SARIF and the HTML report look into."""

    def __init__(self, codes: Iterable[str]) -> None:
        self.codes: tuple[str, ...] = tuple(codes)
        self._classes: list[type[Rule]] | None = None

    def _loaded(self) -> list[type[Rule]]:
        if self._classes is None:
            self._classes = load_rules(self.codes)
        return self._classes

    def __len__(self) -> int:
        return len(self.codes)

    @overload
    def __getitem__(self, index: int) -> type[Rule]: ...
    @overload
    def __getitem__(self, index: slice) -> list[type[Rule]]: ...
    def __getitem__(self, index: int | slice) -> type[Rule] | list[type[Rule]]:
        return self._loaded()[index]

    def __iter__(self) -> Iterator[type[Rule]]:
        return iter(self._loaded())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RuleSet):
            return self.codes == other.codes
        return isinstance(other, (list, tuple)) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # mutable-looking, like the list it stands for

    def __repr__(self) -> str:
        return f"RuleSet({list(self.codes)!r})"


def __getattr__(name: str) -> Any:
    """``ALL_RULES`` and the maps by code and name, built (importing every rule) on first
    use; a rule class by its name."""
    if name == "ALL_RULES":
        value: Any = tuple(load_rules(entry.code for entry in RULE_TABLE))
    elif name == "RULES_BY_CODE":
        value = {rule.code: rule for rule in _all_rules()}
    elif name == "RULES_BY_NAME":
        value = {rule.name: rule for rule in _all_rules()}
    elif name in _CODES_BY_CLASS:  # ``from leaklint.rules import ImplicitGlobal``
        value = load_rule(_CODES_BY_CLASS[name])
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def _all_rules() -> tuple[type[Rule], ...]:
    rules: tuple[type[Rule], ...] = globals().get("ALL_RULES") or __getattr__("ALL_RULES")
    return rules


__all__ = [
    "ALL_RULES",
    "RULES_BY_CODE",
    "RULES_BY_NAME",
    "RULE_TABLE",
    "Rule",
    "RuleEntry",
    "RuleSet",
    "find_entry",
    "get_rule",
    "load_rule",
    "load_rules",
]
