"""What one file tells the rest of the project: a small, JSON-serialisable summary.

A summary is computed from one file's tree by ``leaklint.analysis.summary`` (in the same parse
as the file's own check), cached with the file's result, and linked with the others by
``leaklint.pipeline.project.graph``. It never holds a tree node: only names, kinds and spans,
so that the whole project's summaries stay small (a few hundred bytes a file) and a partial
run can build the graph from the cache without parsing anything.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, TypeVar

from leaklint.model.decoding import (
    DecodeError,
    expect_bool,
    expect_int,
    expect_list,
    expect_object,
    expect_str,
)
from leaklint.model.findings import Message, Related, Span

_T = TypeVar("_T")

# What an export denotes.
FACTORY = "factory"  # a function that returns a client it has just created, on every call
CLIENT_INSTANCE = "client"  # a client made once, at module level
POOL_INSTANCE = "pool"  # a connection pool made once, at module level
EMITTER = "emitter"  # a long-lived EventEmitter made at module level
STORE = "store"  # a module-level container ({}, [], Map, Set)
GROWER = "grower"  # a function that grows a module store from its arguments
MODEL = "model"  # a database model or collection made at module level (LL012 reads it)
SUBSCRIBER = "subscriber"  # a function that adds a listener to a module emitter, never removed
RELEASER = "releaser"  # a function that releases the connection it is given (``Export.store``)
# Between the helpers of one ``Use.helper`` (a character no specifier or name holds).
HELPER_SEPARATOR = "\x01"
# A function that returns a connection it has just taken out of a pool of its module, on every
# call (node-postgres' documented `getClient()`): the caller holds a checkout (``Export.store``:
# the pool's local name).
CHECKOUT_FACTORY = "checkout-factory"

# What a file does with an imported name.
CALL = "call"  # calls it
GROW = "grow"  # adds to it (`.set`, `.add`, `.push`, `store[key] = …`)
SHRINK = "shrink"  # removes from it or checks its size: it is bounded somewhere
LISTEN = "listen"  # adds a listener to it (`bus.on('update', …)`)
CHECKOUT = "checkout"  # takes a connection out of it (`pool.connect()`, `getConnection()`)
READ = "read"  # reads a whole table through it (`Order.find()`; ``Use.reads`` says for what)
NEW = "new"  # constructs it (`new Pinger()`): the class's constructor runs
# Mentions it other than by calling or constructing it (`app.use(handler)`, `class B extends
# A`, `module.exports = { f }`): code this file hands it to may run it any number of times.
# ``imported`` "*": a module loaded inside a function, whose names are not followed.
PASS = "pass"

# The key under which a class's constructor is a callee (``Use.caller``, ``Conditional.export``).
CONSTRUCTOR_PREFIX = "new:"


@dataclass(frozen=True)
class Export:
    name: str  # the name other modules import ("default" for a default export)
    kind: str
    label: str  # what it is, for messages: "ioredis client", "Map"
    span: Span  # where the thing is made (the `new Redis()` in a factory) or declared
    store: str = ""  # GROWER: the store's local name; STORE: its own; RELEASER: the argument
    shrunk: bool = False  # STORE / GROWER: this file removes from the store or bounds it
    # GROWER: the parameter its key comes from, "0" (`set(name, …)`) or "1.id" (`set(config.id,
    # …)`) for a property of one; "" when the key is not a parameter's.
    key: str = ""


@dataclass(frozen=True)
class ReExport:
    """``export { a as b } from './m'`` (name b, imported a) or ``export * from './m'``
    (name and imported "*")."""

    name: str
    specifier: str
    imported: str


@dataclass(frozen=True)
class Use:
    """One use of an imported name, with how often the code around it runs."""

    specifier: str  # as written in the import
    imported: str  # the imported name ("default" for a default import)
    action: str  # CALL, GROW or SHRINK
    span: Span
    rate: str  # ``frequency.Rate`` value
    reason: str  # why that rate, for messages
    repeats: bool
    # CALL / CHECKOUT: the caller closes or releases the result, returns it or stores it.
    handled: bool = False
    dynamic: bool = True  # GROW / CALL of a grower: the key or value varies per call
    context: str = ""  # the enclosing function's dotted name (fingerprints)
    snippet: str = ""
    caller: str = ""  # the exported name of the function this use is in, if any
    # READ: the libraries (comma-separated) for which the call reads a whole collection if the
    # imported name is theirs: `find()` is one for a mongoose model, not for a TypeORM entity.
    reads: str = ""
    # CALL / NEW: inside a loop of the code that makes it (`for (…) start()`): more than once
    # however often that code runs.
    looped: bool = False
    # CHECKOUT, or CALL (of what may be a checkout factory), not handled here: the imported
    # functions the result is handed to, each as "specifier NUL name NUL argument index",
    # joined by HELPER_SEPARATOR (a `release(client)` helper of another module among them).
    helper: str = ""
    # For a default import: the name this file gives it (`import cache from './cache'`), which
    # messages show instead of "default".
    local: str = ""
    # CALL whose result the caller keeps in a variable and closes (or releases): the operation
    # that can throw while it is open and skip the close (`await client.raw(sql)` (line 48));
    # "" when every path closes it. The link decides what the callee makes (LL003, LL006).
    unclosed_by: str = ""
    # CALL: the arguments that are literals, as "0" or "1.id" (a literal property of an object
    # literal), comma-separated: a grower keyed by one of them adds the same entry every call
    # (`incrementDebugCounter('cache:hit')`), as LL005 decides for a helper of the same file.
    constants: str = ""
    # CALL in code that repeats: the arguments that come from the request ("r") or are new on
    # every call ("f"), as "0=r" or "1.id=f" (a property of an object literal argument, "1.*"
    # for a spread), comma-separated (``argument_origin.argument_origins``): a grower keyed by
    # any other argument has as many entries as the project's own data (LL005).
    origins: str = ""


@dataclass(frozen=True)
class Suppressed:
    """A ``leaklint-disable`` directive, so findings made at link time honour it."""

    codes: tuple[str, ...]  # empty: every rule
    line: int | None  # None: the whole file
    justification: str = ""
    comment_line: int = 0  # where the comment is (LL100 reports an unused one there)
    kind: str = ""  # "disable", "disable-line" or "disable-next-line"


@dataclass(frozen=True)
class Conditional:
    """One of the file's own findings whose verdict rests on "per call" (or "per instance") of
    an exported function (or class) that only other modules call: what it becomes when the link
    finds that every caller in the project runs once (``export`` runs once too). An empty
    ``message_id``: the finding goes (a client made once per process is no leak); else it
    becomes a note with this message (LL002's module-level wording). A finding reported as a
    note because its rate was only assumed (LL002) also says what it becomes when the link
    finds a caller that runs per request (``repeat_message_id``: a warning)."""

    rule: str
    span: Span  # the finding's
    export: str  # the exported name, or CONSTRUCTOR_PREFIX + the exported class's name
    message_id: str = ""
    message: str = ""
    repeat_message_id: str = ""
    repeat_message: str = ""


@dataclass(frozen=True)
class StoredHandle:
    """One of the file's own findings (LL002) about a timer handle that the exported function
    ``export`` stores on the property ``prop`` of an object (`this.timer`, `trigger.timer`).
    When another module installs ``export`` as a method of a prototype (`Handler.prototype.start
    = start`), the object's other methods live in other files, and a clear there is one this
    file cannot see: the finding goes when a method installed on the same prototype clears
    ``prop`` — for a timer started once (``once``: the finding says it runs for the life of the
    process), any such method; for one started per call, only one that ``export`` itself calls
    (``calls``: its `this.m()` methods, comma-separated), since then each call stops the timer
    it replaces."""

    rule: str
    span: Span  # the finding's
    export: str
    prop: str
    once: bool = False
    calls: str = ""


@dataclass(frozen=True)
class Method:
    """``owner.prototype.name = imported`` at module level, ``imported`` from ``specifier``: an
    exported function of another module installed as a method (Gladys keeps each method of a
    class in a file of its own)."""

    owner: str  # the constructor's name as written
    name: str  # the method's name
    specifier: str
    imported: str


@dataclass(frozen=True)
class Clearing:
    """The exported function ``export`` passes ``<object>.<prop>`` to clearInterval() or
    clearTimeout(), for each of ``props`` (comma-separated)."""

    export: str
    props: str


@dataclass(frozen=True)
class FileSummary:
    # Every name this file exports from its own code (what `exports` classifies is a subset):
    # the link follows re-export chains to the file that defines a name.
    names: tuple[str, ...] = ()
    exports: tuple[Export, ...] = ()
    reexports: tuple[ReExport, ...] = ()
    uses: tuple[Use, ...] = ()
    directives: tuple[Suppressed, ...] = ()
    conditional: tuple[Conditional, ...] = ()
    # Bare package specifiers whose imported names' mentions were not followed (to save the
    # scan on npm packages): if one is a workspace package of the project, nothing it exports
    # can be shown to run once.
    unfollowed: tuple[str, ...] = ()
    handles: tuple[StoredHandle, ...] = ()
    methods: tuple[Method, ...] = ()
    clearings: tuple[Clearing, ...] = ()

    @property
    def is_empty(self) -> bool:
        """Tells the project nothing (directives only matter for findings in its uses)."""
        return not (
            self.names
            or self.exports
            or self.reexports
            or self.uses
            or self.conditional
            or self.unfollowed
            or self.handles
            or self.methods
            or self.clearings
        )

    def export(self, name: str) -> Export | None:
        return next((e for e in self.exports if e.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        """What the cache keeps: a dict of the fields, each record a *row* — its fields'
        values in declaration order, a span as [line, column, end line, end column] — and
        each directive a dict. Rows, because the field names repeated in every record were
        more than half of a cached summary's bytes (uses: 18 of the corpus's 21.7 MB of
        cache), which every run reads and every run after an edit writes again."""
        return {
            "names": self.names,
            "exports": tuple(_record_row(e) for e in self.exports),
            "reexports": tuple(_record_row(r) for r in self.reexports),
            "uses": tuple(_record_row(u) for u in self.uses),
            "directives": tuple(_record_dict(d) for d in self.directives),
            "conditional": tuple(_record_row(c) for c in self.conditional),
            "unfollowed": self.unfollowed,
            "handles": tuple(_record_row(h) for h in self.handles),
            "methods": tuple(_record_row(m) for m in self.methods),
            "clearings": tuple(_record_row(c) for c in self.clearings),
        }

    @classmethod
    def from_dict(cls, data: Any) -> FileSummary:
        """The inverse of ``to_dict``: a DecodeError for anything ``to_dict`` does not write
        (the result cache reads it back from a file anybody can edit)."""
        data = expect_object(data, _keys(cls), "summary")
        return cls(
            names=tuple(
                expect_str(n, "exported name") for n in expect_list(data["names"], "names")
            ),
            exports=tuple(
                _decode(Export, e, "export") for e in expect_list(data["exports"], "exports")
            ),
            reexports=tuple(
                _decode(ReExport, r, "re-export")
                for r in expect_list(data["reexports"], "reexports")
            ),
            uses=tuple(_decode(Use, u, "use") for u in expect_list(data["uses"], "uses")),
            directives=tuple(_directive(d) for d in expect_list(data["directives"], "directives")),
            conditional=tuple(
                _decode(Conditional, c, "conditional finding")
                for c in expect_list(data["conditional"], "conditional")
            ),
            unfollowed=tuple(
                expect_str(u, "package specifier")
                for u in expect_list(data["unfollowed"], "unfollowed")
            ),
            handles=tuple(
                _decode(StoredHandle, h, "stored handle")
                for h in expect_list(data["handles"], "handles")
            ),
            methods=tuple(
                _decode(Method, m, "method") for m in expect_list(data["methods"], "methods")
            ),
            clearings=tuple(
                _decode(Clearing, c, "clearing")
                for c in expect_list(data["clearings"], "clearings")
            ),
        )


def _record_row(record: Any) -> list[Any]:
    """One flat summary record as a row (see ``FileSummary.to_dict``)."""
    return [
        [value.line, value.column, value.end_line, value.end_column]
        if isinstance(value, Span)
        else value
        for value in map(record.__getattribute__, _FIELD_NAMES[type(record)])
    ]


def _record_dict(record: Any) -> dict[str, Any]:
    """One flat summary record as ``asdict`` gives it: its spans as dicts, other values as
    they are (strings, bools, ints, None and tuples of strings are immutable: nothing to copy)."""
    out = {}
    for name in _FIELD_NAMES[type(record)]:
        value = getattr(record, name)
        out[name] = _span_dict(value) if isinstance(value, Span) else value
    return out


def _span_dict(span: Span) -> dict[str, int]:
    """``asdict(span)``, written out: ``asdict`` recursed through every span of every record
    (a tenth of a project run's summarising once the rest was cut)."""
    return {
        "line": span.line,
        "column": span.column,
        "end_line": span.end_line,
        "end_column": span.end_column,
    }


def _keys(cls: type) -> frozenset[str]:
    return frozenset(f.name for f in fields(cls))


def _decode(cls: type[_T], data: Any, what: str) -> _T:
    """A flat summary record from its row: every field a string, a bool or a span (by its
    annotation). After an edit the link decodes the summaries of the changed files' part of
    the project (tens of thousands of records in a large one), so a value of the exact type
    is taken as it is, and only anything else goes through the checks that name what is
    wrong."""
    kinds = _RECORD_FIELDS[cls]
    if type(data) is not list or len(data) != len(kinds):
        data = expect_list(data, what)
        if len(data) != len(kinds):
            raise DecodeError(f"{what}: expected {len(kinds)} fields, got {len(data)}")
    values: list[Any] = []
    for value, (name, kind) in zip(data, kinds, strict=True):
        if kind == "span":
            values.append(_span(value, f"{what} {name}"))
        elif kind == "bool":
            values.append(value if type(value) is bool else expect_bool(value, f"{what} {name}"))
        else:
            values.append(value if type(value) is str else expect_str(value, f"{what} {name}"))
    return cls(*values)


def _span(value: Any, what: str) -> Span:
    """A span from its row [line, column, end line, end column], each an int ≥ 1."""
    if type(value) is list and len(value) == 4 and all(type(n) is int and n >= 1 for n in value):
        return Span(*value)
    raise DecodeError(f"{what}: expected [line, column, end line, end column], each at least 1")


def _field_kind(annotation: Any) -> str:
    if annotation in ("Span", Span):
        return "span"
    return "bool" if annotation in ("bool", bool) else "str"


def _directive(data: Any) -> Suppressed:
    data = expect_object(data, _keys(Suppressed), "directive")
    line = data["line"]
    return Suppressed(
        tuple(expect_str(c, "directive code") for c in expect_list(data["codes"], "codes")),
        None if line is None else expect_int(line, "directive line", minimum=1),
        expect_str(data["justification"], "directive justification"),
        expect_int(data["comment_line"], "directive comment line", minimum=0),
        expect_str(data["kind"], "directive kind"),
    )


_FIELD_NAMES: dict[type, tuple[str, ...]] = {
    cls: tuple(f.name for f in fields(cls))
    for cls in (Export, ReExport, Use, Suppressed, Conditional, StoredHandle, Method, Clearing)
}

# What ``_decode`` reads of each record class, worked out once: ``dataclasses.fields`` per
# record was a fifth of decoding the summaries when one edited file makes the link run again.
_RECORD_FIELDS: dict[type, tuple[tuple[str, str], ...]] = {
    cls: tuple((f.name, _field_kind(f.type)) for f in fields(cls))
    for cls in (Export, ReExport, Use, Conditional, StoredHandle, Method, Clearing)
}

PER_REQUEST_RATES = frozenset({"per request", "per connection", "per message"})


@dataclass(frozen=True)
class Linked:
    """A use of an imported name after the link: what the name denotes in the module that
    defines it, and how often the use runs once callers in other modules are counted."""

    use: Use
    path: str  # the defining module, as displayed
    export: Export | None  # None: defined there, but nothing leaklint follows
    rate: str
    reason: str
    shrunk_anywhere: bool = False  # STORE / GROWER targets: bounded somewhere in the project
    # CHECKOUT: handed to a helper of another module that releases it (``RELEASER``).
    released_by_helper: bool = False

    @property
    def repeats(self) -> bool:
        return self.rate != "once per process"

    @property
    def per_request(self) -> bool:
        return self.rate in PER_REQUEST_RATES


@dataclass(frozen=True)
class ProjectFacts:
    """What the link tells one file's rules (``Rule.check_project``)."""

    path: str  # as displayed
    uses: tuple[Linked, ...] = ()


@dataclass(frozen=True)
class ProjectReport:
    """A finding a rule makes from linked facts: at ``linked.use.span`` in the using file.

    ``group``: reports of one rule that name the same problem (one store grown from several
    callers) share it, and the link makes them one finding — the first by path and line —
    that lists the other places as related locations, each with its ``also`` text."""

    linked: Linked
    message: Message
    related: tuple[Related, ...] = ()
    group: str = ""
    also: str = ""
