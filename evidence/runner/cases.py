"""The evidence cases: what each flagged/fixed pair measures and what difference it must show.

Every expectation is written so that it can fail: the flagged program has to leak in
proportion to the number of calls, and the fixed twin has to stay at (or near) zero.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MB = 1024 * 1024

RULE_NAMES = {
    "LL001": "implicit-global",
    "LL002": "uncleared-interval",
    "LL003": "unclosed-client",
    "LL004": "in-memory-archive",
    "LL005": "unbounded-module-store",
    "LL006": "unreleased-pool-client",
    "LL007": "listener-leak",
    "LL008": "unhandled-pipe",
    "LL009": "per-call-singleton",
    "LL010": "unclosed-handle",
    "LL011": "uncleared-timeout",
    "LL012": "unbounded-read",
}


@dataclass(frozen=True)
class Measurement:
    """The JSON line one case program prints."""

    value: float
    unit: str
    n: int
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Measurement:
        return cls(
            value=float(data["value"]),
            unit=str(data["unit"]),
            n=int(data["n"]),
            details=dict(data.get("details") or {}),
        )


# (flagged, fixed) -> list of reasons the pair does not show the expected difference.
Check = Callable[[Measurement, Measurement], list[str]]


def _at_least(label: str, value: float, bound: float) -> list[str]:
    return [] if value >= bound else [f"{label}={value:g} < {bound:g}"]


def _at_most(label: str, value: float, bound: float) -> list[str]:
    return [] if value <= bound else [f"{label}={value:g} > {bound:g}"]


def _half_failed(measurement: Measurement, label: str) -> list[str]:
    # The operation must really throw on half of the calls, or the pair proves nothing.
    failed = int(measurement.details.get("failed", -1))
    expected = measurement.n // 2
    return [] if failed == expected else [f"{label} failed calls={failed}, expected {expected}"]


def check_implicit_global(flagged: Measurement, fixed: Measurement) -> list[str]:
    return _at_least("flagged", flagged.value, 1) + _at_most("fixed", fixed.value, 0)


def check_timers(flagged: Measurement, fixed: Measurement) -> list[str]:
    # One live interval per call, each keeping its 8k-element job (~64 KB) reachable.
    heap_floor = 0.5 * flagged.n * 8_192 * 8 / MB
    return (
        _at_least("flagged", flagged.value, flagged.n)
        + _at_most("fixed", fixed.value, 0)
        + _at_least("flagged heap_mb", float(flagged.details.get("heap_mb", 0)), heap_floor)
        + _at_most("fixed heap_mb", float(fixed.details.get("heap_mb", 0)), 2.0)
    )


def check_connections(flagged: Measurement, fixed: Measurement) -> list[str]:
    # Half the calls throw and each of those leaves exactly one connection open; a couple
    # of slack for connections the server has not yet seen go away.
    return (
        _half_failed(flagged, "flagged")
        + _half_failed(fixed, "fixed")
        + _at_least("flagged", flagged.value, flagged.n // 2 - 2)
        + _at_most("fixed", fixed.value, 1)
    )


def check_pool(flagged: Measurement, fixed: Measurement) -> list[str]:
    # The fixed pool keeps one idle client (one backend) for reuse: that is the pool working.
    return (
        _half_failed(flagged, "flagged")
        + _half_failed(fixed, "fixed")
        + _at_least("flagged", flagged.value, flagged.n // 2 - 2)
        + _at_most("fixed", fixed.value, 2)
    )


def check_every_call(flagged: Measurement, fixed: Measurement) -> list[str]:
    # Every flagged call keeps its connection (a client, or a pool's checked-out client); the
    # fixed twin closes it, or its pool reuses one client.
    return _at_least("flagged", flagged.value, flagged.n - 2) + _at_most("fixed", fixed.value, 2)


def check_archive(flagged: Measurement, fixed: Measurement) -> list[str]:
    # AdmZip holds the inputs, the compressed entries and the final buffer at once; the
    # streaming version's peak does not grow with the data. Require that the in-memory
    # archive costs at least half the data set more than streaming.
    data_mb = flagged.n * int(flagged.details.get("record_bytes", 0)) / MB
    return _at_least("flagged - fixed", flagged.value - fixed.value, 0.5 * data_mb)


def check_store(flagged: Measurement, fixed: Measurement) -> list[str]:
    # Every page stays in the unbounded store; the bounded one keeps at most 10 pages.
    page_mb = float(flagged.details.get("page_kb", 0)) * 1000 / MB
    return _at_least("flagged", flagged.value, 0.8 * flagged.n * page_mb) + _at_most(
        "fixed", fixed.value, 10 * page_mb + 2.5
    )


def check_listeners(flagged: Measurement, fixed: Measurement) -> list[str]:
    # One listener per request, each closing over a ~50 KB request context.
    heap_floor = 0.5 * flagged.n * 50_000 / MB
    return (
        _at_least("flagged", flagged.value, flagged.n)
        + _at_most("fixed", fixed.value, 0)
        + _at_least("flagged heap_mb", float(flagged.details.get("heap_mb", 0)), heap_floor)
        + _at_most("fixed heap_mb", float(fixed.details.get("heap_mb", 0)), 2.0)
    )


def check_fds(flagged: Measurement, fixed: Measurement) -> list[str]:
    # One file descriptor left open per aborted download; pipeline() closes every one.
    return _at_least("flagged", flagged.value, flagged.n - 2) + _at_most("fixed", fixed.value, 2)


def check_sockets(flagged: Measurement, fixed: Measurement) -> list[str]:
    # One idle keep-alive connection left open per request by its own agent; the shared agent
    # reuses one (two if a request overlaps the next one's start).
    return _at_least("flagged", flagged.value, flagged.n - 2) + _at_most("fixed", fixed.value, 2)


def check_read(flagged: Measurement, fixed: Measurement) -> list[str]:
    # Both exports must write every row; reading them all at once holds the whole table as
    # objects, keyset batches one batch: the flagged peak must exceed the fixed one by at least
    # half the table's size. The fixed export may grow by what V8 lets garbage reach before it
    # collects (about 45 MB measured at 10k, 40k and 100k rows: it does not grow with M), not
    # by the table.
    data_mb = flagged.n * int(flagged.details.get("row_bytes", 0)) / MB
    problems = []
    for label, measurement in (("flagged", flagged), ("fixed", fixed)):
        rows = int(measurement.details.get("rows", -1))
        if rows != measurement.n:
            problems.append(f"{label} exported {rows} rows, expected {measurement.n}")
    return (
        problems
        + _at_least("flagged - fixed", flagged.value - fixed.value, 0.5 * data_mb)
        + _at_most("fixed - rss_before", fixed.value - _rss_before(fixed), 64)
    )


def _rss_before(measurement: Measurement) -> float:
    return float(measurement.details.get("rss_before_mb", 0))


def check_handles(flagged: Measurement, fixed: Measurement) -> list[str]:
    # Half the jobs fail and each of those leaves its worker thread running and its watcher
    # open; the fixed twin ends both in `finally`.
    watchers = float(flagged.details.get("watchers", 0)), float(fixed.details.get("watchers", 0))
    return (
        _half_failed(flagged, "flagged")
        + _half_failed(fixed, "fixed")
        + _at_least("flagged", flagged.value, flagged.n // 2)
        + _at_most("fixed", fixed.value, 0)
        + _at_least("flagged watchers", watchers[0], flagged.n // 2)
        + _at_most("fixed watchers", watchers[1], 0)
    )


@dataclass(frozen=True)
class Case:
    """One flagged/fixed pair under evidence/cases/<case_id>/."""

    case_id: str
    rule: str
    measures: str
    check: Check
    size_env: str = "EVIDENCE_N"  # the environment variable that sets N (or M)
    default_size: int = 100
    servers: tuple[str, ...] = ()  # "redis", "postgres"

    def secondary(self, measurement: Measurement) -> str:
        """The extra numbers a case reports, for the table's last column."""
        details = measurement.details
        parts = []
        if "heap_mb" in details:
            parts.append(f"heap {details['heap_mb']:+g} MB")
        if "failed" in details:
            parts.append(f"{details['failed']}/{details.get('calls', measurement.n)} calls threw")
        if "clients" in details:
            parts.append(f"{details['clients']} clients made")
        if "checkedOut" in details:
            parts.append(f"{details['checkedOut']} checked out")
        if "zip_mb" in details:
            parts.append(f"zip {details['zip_mb']} MB")
        if "rows" in details:
            parts.append(f"{details['rows']} rows exported")
        if "entries" in details:
            parts.append(f"{details['entries']} entries")
        if "watchers" in details:
            parts.append(f"{details['watchers']:+} fs.watch watchers")
        if "fds" in details:
            parts.append(f"{details['fds']:+} open fds")
        if "names" in details:
            parts.append("globals: " + (", ".join(details["names"]) or "none"))
        return "; ".join(parts)


CASES: tuple[Case, ...] = (
    Case(
        "LL001",
        "LL001",
        "names added to `globalThis` after N calls of the seed's `calculateArea`",
        check_implicit_global,
    ),
    Case(
        "LL002",
        "LL002",
        "live timers (`process.getActiveResourcesInfo()`) after N jobs, and retained heap",
        check_timers,
        default_size=200,
    ),
    Case(
        "LL003",
        "LL003",
        "Redis connections (`INFO clients`) after N calls of the seed's service "
        "(ioredis), half of them throwing",
        check_connections,
        servers=("redis",),
    ),
    Case(
        "LL003-pg",
        "LL003",
        "PostgreSQL backends (`sum(numbackends)` from `pg_stat_database`) after N calls "
        "with a pg `Client` each, half of them throwing",
        check_connections,
        servers=("postgres",),
    ),
    Case(
        "LL003-node-redis",
        "LL003",
        "Redis connections (`INFO clients`) after N calls with a node-redis `createClient()` "
        "each, half of them throwing",
        check_connections,
        servers=("redis",),
    ),
    Case(
        "LL003-factory",
        "LL003",
        "Redis connections (`INFO clients`) after N calls that each take a new ioredis client "
        "from a factory function of the file",
        check_every_call,
        servers=("redis",),
    ),
    Case(
        "LL003-redis-module",
        "LL003",
        "Redis connections (`INFO clients`) after N requests whose route module takes a new "
        "ioredis client from the Redis factory module (`lib/redis.js`) each (across modules)",
        check_every_call,
        servers=("redis",),
    ),
    Case(
        "LL003-pg-module",
        "LL003",
        "PostgreSQL backends (`sum(numbackends)` from `pg_stat_database`) after N requests "
        "whose repository asks a database module's `connect()` for a connection: a new pg "
        "`Client` per call versus one connected once (across modules)",
        check_every_call,
        servers=("postgres",),
    ),
    Case(
        "LL004",
        "LL004",
        "peak RSS (`ru_maxrss`) while archiving M records of 100 KB: AdmZip vs archiver",
        check_archive,
        size_env="EVIDENCE_M",
        default_size=1500,
    ),
    Case(
        "LL005",
        "LL005",
        "heap retained (`heapUsed` after `gc()`) after N requests for distinct 100 KB pages",
        check_store,
        default_size=200,
    ),
    Case(
        "LL006",
        "LL006",
        "PostgreSQL backends (`sum(numbackends)` from `pg_stat_database`) after N calls "
        "with a pooled client each, half of them throwing",
        check_pool,
        servers=("postgres",),
    ),
    Case(
        "LL006-pg-module",
        "LL006",
        "PostgreSQL backends after N requests whose route takes a connection from the "
        "database module's `getClient()` (a pool checkout) and never releases it, versus "
        "released in `finally` (across modules)",
        check_every_call,
        servers=("postgres",),
    ),
    Case(
        "LL006-callback",
        "LL006",
        "PostgreSQL backends after N calls that each check a client out with "
        "`pool.connect((err, client, done) => …)`",
        check_every_call,
        servers=("postgres",),
    ),
    Case(
        "LL006-callback-error",
        "LL006",
        "PostgreSQL backends after N calls whose query callback returns on an error before "
        "`done()`, half of them failing",
        check_pool,
        servers=("postgres",),
    ),
    Case(
        "LL007",
        "LL007",
        "listeners on a module-level EventEmitter after N requests, and retained heap",
        check_listeners,
        default_size=200,
    ),
    Case(
        "LL007-process",
        "LL007",
        "`process` SIGTERM listeners after N requests, and retained heap",
        check_listeners,
        default_size=200,
    ),
    Case(
        "LL007-abort",
        "LL007",
        "'abort' listeners on one long-lived `AbortSignal` after N calls that each listen on "
        "the signal their caller passes in (`--preview` case), and retained heap",
        check_listeners,
        default_size=200,
    ),
    Case(
        "LL008",
        "LL008",
        "open file descriptors (`/proc/self/fd`) after N downloads of an 8 MB file piped into "
        "the response, each aborted by the client after its first chunk",
        check_fds,
    ),
    Case(
        "LL009",
        "LL009",
        "connections held open at a keep-alive upstream after N requests that each make "
        "`new http.Agent({ keepAlive: true })`, and open fds",
        check_sockets,
        default_size=200,
    ),
    Case(
        "LL010",
        "LL010",
        "live threads (`/proc/self/task`) and `fs.watch` watchers after N jobs that each start "
        "a worker thread and a watcher and end them on success only, half of them failing",
        check_handles,
        default_size=40,
    ),
    Case(
        "LL011",
        "LL011",
        "live timers (`process.getActiveResourcesInfo()`) after N calls that race their work "
        "against a 60 s timeout, and retained heap",
        check_timers,
        default_size=200,
    ),
    Case(
        "LL012",
        "LL012",
        "peak RSS (`ru_maxrss`) while exporting M PostgreSQL rows of 2 KB through knex: one "
        "select of the whole table vs keyset batches of 1,000 (`where id > last … limit`)",
        check_read,
        size_env="EVIDENCE_M",
        default_size=40_000,
        servers=("postgres",),
    ),
)


def select_cases(only: list[str] | None) -> list[Case]:
    """Cases whose rule or case id is in `only` (all cases when `only` is empty)."""
    if not only:
        return list(CASES)
    wanted = {item.strip().upper() for entry in only for item in entry.split(",") if item.strip()}
    chosen = [c for c in CASES if c.rule.upper() in wanted or c.case_id.upper() in wanted]
    unknown = wanted - {c.rule.upper() for c in CASES} - {c.case_id.upper() for c in CASES}
    if unknown:
        raise ValueError(f"unknown rule or case: {', '.join(sorted(unknown))}")
    return chosen
