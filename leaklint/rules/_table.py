"""What the registry knows of every rule without importing its module.

Selecting rules, keying the result cache and answering a warm run need only a rule's code,
name, default severity and gates; importing the 14 rule modules (and the analyses behind
them) was a third of a warm run's start-up. The class is imported when a file is actually
checked, or when its documentation is asked for (``leaklint rule``, SARIF, the HTML report).
``tests/test_rule_table.py`` compares this table with the classes, so it cannot drift.
"""

from __future__ import annotations

from typing import NamedTuple

from leaklint.model.findings import Severity


class RuleEntry(NamedTuple):
    code: str
    name: str
    module: str  # under leaklint.rules
    class_name: str
    severity: Severity
    default_enabled: bool
    preview: bool


_W, _E = Severity.WARNING, Severity.ERROR

# In code order: the order ``ALL_RULES`` and every selection lists rules in.
RULE_TABLE: tuple[RuleEntry, ...] = (
    RuleEntry("LL000", "parse-error", "ll000_parse_error", "ParseError", _W, True, False),
    RuleEntry(
        "LL001", "implicit-global", "ll001_implicit_global", "ImplicitGlobal", _E, True, False
    ),
    RuleEntry(
        "LL002",
        "uncleared-interval",
        "ll002_uncleared_interval",
        "UnclearedInterval",
        _W,
        True,
        False,
    ),
    RuleEntry(
        "LL003", "unclosed-client", "ll003_unclosed_client", "UnclosedClient", _W, True, False
    ),
    RuleEntry(
        "LL004", "in-memory-archive", "ll004_in_memory_archive", "InMemoryArchive", _W, True, False
    ),
    RuleEntry(
        "LL005",
        "unbounded-module-store",
        "ll005_unbounded_module_store",
        "UnboundedModuleStore",
        _W,
        True,
        False,
    ),
    RuleEntry(
        "LL006",
        "unreleased-pool-client",
        "ll006_unreleased_pool_client",
        "UnreleasedPoolClient",
        _W,
        True,
        False,
    ),
    RuleEntry("LL007", "listener-leak", "ll007_listener_leak", "ListenerLeak", _W, True, False),
    RuleEntry("LL008", "unhandled-pipe", "ll008_unhandled_pipe", "UnhandledPipe", _W, True, True),
    RuleEntry(
        "LL009",
        "per-call-singleton",
        "ll009_per_call_singleton",
        "PerCallSingleton",
        _W,
        True,
        True,
    ),
    RuleEntry(
        "LL010", "unclosed-handle", "ll010_unclosed_handle", "UnclosedHandle", _W, True, True
    ),
    RuleEntry(
        "LL011", "uncleared-timeout", "ll011_uncleared_timeout", "UnclearedTimeout", _W, True, False
    ),
    RuleEntry("LL012", "unbounded-read", "ll012_unbounded_read", "UnboundedRead", _W, True, True),
    RuleEntry(
        "LL100",
        "unused-disable-directive",
        "ll100_unused_disable",
        "UnusedDisableDirective",
        _W,
        False,
        False,
    ),
)
