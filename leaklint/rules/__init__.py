"""The rule registry. One module per rule; the module docstring is the rule's documentation."""

from __future__ import annotations

from leaklint.rules._base import Rule
from leaklint.rules.ll000_parse_error import ParseError
from leaklint.rules.ll001_implicit_global import ImplicitGlobal
from leaklint.rules.ll002_uncleared_interval import UnclearedInterval
from leaklint.rules.ll003_unclosed_client import UnclosedClient
from leaklint.rules.ll004_in_memory_archive import InMemoryArchive
from leaklint.rules.ll005_unbounded_module_store import UnboundedModuleStore
from leaklint.rules.ll006_unreleased_pool_client import UnreleasedPoolClient
from leaklint.rules.ll007_listener_leak import ListenerLeak
from leaklint.rules.ll008_unhandled_pipe import UnhandledPipe
from leaklint.rules.ll009_per_call_singleton import PerCallSingleton
from leaklint.rules.ll010_unclosed_handle import UnclosedHandle
from leaklint.rules.ll011_uncleared_timeout import UnclearedTimeout
from leaklint.rules.ll012_unbounded_read import UnboundedRead
from leaklint.rules.ll100_unused_disable import UnusedDisableDirective

ALL_RULES: tuple[type[Rule], ...] = (
    ParseError,
    ImplicitGlobal,
    UnclearedInterval,
    UnclosedClient,
    InMemoryArchive,
    UnboundedModuleStore,
    UnreleasedPoolClient,
    ListenerLeak,
    UnhandledPipe,
    PerCallSingleton,
    UnclosedHandle,
    UnclearedTimeout,
    UnboundedRead,
    UnusedDisableDirective,
)

RULES_BY_CODE: dict[str, type[Rule]] = {rule.code: rule for rule in ALL_RULES}
RULES_BY_NAME: dict[str, type[Rule]] = {rule.name: rule for rule in ALL_RULES}


def get_rule(code_or_name: str) -> type[Rule] | None:
    key = code_or_name.strip()
    return RULES_BY_CODE.get(key.upper()) or RULES_BY_NAME.get(key.lower())


__all__ = ["ALL_RULES", "RULES_BY_CODE", "RULES_BY_NAME", "Rule", "get_rule"]
