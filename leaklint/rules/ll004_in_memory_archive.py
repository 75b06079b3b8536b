"""## What it does
Flags a zip archive built in memory — `new AdmZip()` with no argument (adm-zip) or
`new JSZip()` (jszip) — whose entries are added inside a loop: `for`, `for…of`, `for…in`,
`while`, `do…while`, or a callback of `forEach`/`map`/`flatMap`/`reduce`/`each`/`eachAsync`.

`AdmZip` and `JSZip` are recognised through `import`/`require` (default, named, namespace,
renamed), never by name: a local class called `AdmZip` is not the library.

Not flagged: one entry added outside a loop, or in a loop over a list written in the code
(`for (const name of ['a', 'b'])`, a `const REPORTS = [...] as const` of the file: a fixed
number of entries, not one per row); `new AdmZip(path)` or `new AdmZip(buffer)`, which
reads an existing archive; an archive created inside the loop itself (one small archive per
batch — the fix in the production incident LL004 comes from); a JSZip archive generated as a
`'blob'`, which only
exists in a browser ("download all" buttons), where no server's heap is at stake; and a JSZip
archive whose entries in the loop are all streams (`fs.createReadStream(path)`,
`s3.getObject(…).createReadStream()`, any call named `…Stream()` or `.stream()`) and that is
written with `generateNodeStream()`: JSZip
pauses each input stream and reads it only while generating, one entry at a time, so the heap
holds about one file, not the data set (`generateAsync()` still builds the whole zip).

Where the number of entries has a bound it is not flagged either: a loop over the rows of a read
whose rows are capped (`repo.find({ take: 100 })`, `.find().limit(500)`, a `limit`/`take`
option, knex's `.first()`: `reads.row_cap`). Nor is an archive built in the user's browser tab
(a file `classify` calls browser code, or one that imports a browser UI framework — `lit`,
`@lit/…`, `@polymer/…`, `react-dom`; not `react` or `react-dom/server`, which server-side
rendering imports): a "download all" dialog's zip is freed after the download, and no server's
heap is at stake. Nor one built in a test file, once per test run from the test's own data.

A command-line program — a file that starts with a Node shebang (`#!/usr/bin/env node`) or
lives under `scripts/` or `bin/` — builds its archive once per run and exits, so what it holds
is freed with it: packing the few build artefacts it names is silent. It is still flagged when
the loop runs over a whole table or collection read in the file (`await Order.find()`, LL012's
unbounded reads): one run then holds every row and every entry at once, and a large data set
runs it out of memory; the message says that, not "per request".

An archive kept on the instance (`this.zip = new AdmZip()` in a constructor, or a class field
`zip = new AdmZip()`) is followed through `this.zip` in the class's methods (arrow functions
included; a `function` callback has a `this` of its own). An archive filled by a helper called
from a loop is not followed.

## Why is this bad?
Both libraries keep every entry, compressed and usually uncompressed too, in the JavaScript
heap until the archive is written out by `writeZip()`, `toBuffer()` or `generateAsync()`.
Together with the rows it was built from (typically fetched all at once), the archive grows
with the size of the data set — in the production incident this rule comes from (described
in a conference talk on Node.js memory leaks), a cron job died with "JavaScript heap out of
memory" exporting 57,740 records into one `AdmZip`.

## Example
```ts
const rows = await repo.find(); // every row at once
const zip = new AdmZip();
for (const row of rows) {
  zip.addFile(`${row.id}.xml`, Buffer.from(row.xml, 'utf8'));
}
zip.writeZip(`./archive/${code}.zip`);
```

## Use instead
Stream the archive to disk and fetch the rows in batches:
```ts
import archiver from 'archiver';

const archive = archiver('zip');
archive.pipe(fs.createWriteStream(`./archive/${code}.zip`));
for (let offset = 0; ; offset += LIMIT) {
  const rows = await repo.find({ skip: offset, take: LIMIT });
  if (rows.length === 0) break;
  for (const row of rows) archive.append(row.xml, { name: `${row.id}.xml` });
}
await archive.finalize();
```
`yazl` works the same way. If an in-memory library must stay, build many small archives, one
per batch, instead of one large one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tree_sitter import Node

from leaklint.analysis.flow import destination
from leaklint.analysis.nodes import (
    FIELD_NODES,
    THIS_MEMBERS,
    assignment_target,
    call_arguments,
    contains,
    instance_class_body,
    literal_key,
    loop_ancestors,
    member_property,
    text,
    this_members,
    value_parent,
)
from leaklint.analysis.reads import Read, row_cap, unbounded_read
from leaklint.rules._base import Rule
from leaklint.semantic.context import FileContext
from leaklint.semantic.imports import unwrap, unwrap_awaited
from leaklint.semantic.scope import Binding, references_to
from leaklint.syntax.parsing import query, run_query

CONSTRUCTIONS = "(new_expression constructor: (_) @class) @new"


@dataclass(frozen=True)
class ZipLibrary:
    module: str
    article: str  # "an AdmZip", for the message
    # Methods that add an entry, with the number of arguments below which the call only reads
    # (`zip.file(name)` returns an entry; `zip.file(name, data)` adds one).
    adders: dict[str, int]
    outputs: frozenset[str]
    # Methods returning a view of the same archive that entries can be added through.
    views: frozenset[str] = frozenset()


ADM_ZIP = ZipLibrary(
    module="adm-zip",
    article="an AdmZip",
    adders={
        "addFile": 1,
        "addLocalFile": 1,
        "addLocalFileAsync": 1,
        "addLocalFolder": 1,
        "addLocalFolderAsync": 1,
        "addLocalFolderAsync2": 1,
        "addLocalFolderPromise": 1,
    },
    outputs=frozenset({"writeZip", "writeZipPromise", "toBuffer", "toBufferPromise"}),
)
JSZIP = ZipLibrary(
    module="jszip",
    article="a JSZip",
    adders={"file": 2},
    outputs=frozenset({"generateAsync", "generateNodeStream", "generateInternalStream"}),
    views=frozenset({"folder"}),
)
LIBRARIES = (ADM_ZIP, JSZIP)
_MAX_VIEW_DEPTH = 4


class InMemoryArchive(Rule):
    code = "LL004"
    name = "in-memory-archive"
    summary = "A zip archive built in memory entry by entry in a loop grows with the data set."
    # Fresh audits 6-10: 3 of 7 right, 2 debatable (capped exports), 2 wrong (a build CLI, a
    # browser export) (docs/rules-corpus.md): not "high" on applications. The two wrong ones'
    # classes (one-off programs, browser UI modules) and capped reads are silent since.
    precision = "medium"
    tags = ("memory-leak", "heap", "archive")
    triggers = (b"adm-zip", b"jszip")
    query = CONSTRUCTIONS
    messages = {
        "built-in-memory": (
            "'{name}' is {archive} archive built in memory: every entry added in the loop, and "
            "the data passed to it, stays in the heap until the archive is written, so memory "
            "grows with the number of rows. Stream the archive to disk with archiver or yazl, "
            "and fetch the rows in batches (LIMIT/OFFSET or a cursor)."
        ),
        "built-once-from-rows": (
            "'{name}' is {archive} archive built in memory once per run ({reason}), but from "
            "every {unit} of {target}: each entry, and the data read for it, stays in the heap "
            "until the archive is written, so a large data set runs the program out of memory. "
            "Stream the archive to disk with archiver or yazl, and fetch the rows in batches "
            "(LIMIT/OFFSET or a cursor)."
        ),
        "note-entry-added": "an entry is added here, once per iteration",
        "note-still-in-memory": "the whole archive is still in memory here",
    }

    def check(self, ctx: FileContext) -> None:
        for creation in ctx.captures(self.code).get("new", ()):
            library = _library_created(ctx, creation, creation.child_by_field_name("constructor"))
            if library is not None:
                self._check_archive(ctx, creation, library)

    def _check_archive(self, ctx: FileContext, creation: Node, library: ZipLibrary) -> None:
        up = ctx.ancestry
        if any(True for _ in loop_ancestors(up, creation)):
            return  # a new archive per iteration: one batch at a time
        holder = _archive_holder(ctx, creation)
        if holder is None:
            return
        if isinstance(holder, InstanceArchive):
            name = f"this.{holder.name}"
            adds, outputs = _calls_on(ctx, holder.uses(ctx), library)
        else:
            name = holder.name
            adds, outputs = _archive_calls(ctx, holder, library)
        looped = [add for add in adds if _in_loop_outside(ctx, add, creation)]
        if not looped or any(_generates_browser_blob(out) for out in outputs):
            return
        if ctx.builds_a_page:
            return  # built in the user's tab for a download: no server heap at stake
        if ctx.is_test_file:
            return  # built once per test run from the test's own few files or rows
        if library is JSZIP and _streams_through(ctx, looped, outputs):
            return
        sources = [_rows_added(ctx, add, creation) for add in looped]
        if all(rows.capped for rows in sources):
            return  # `find({ take: 100 })`: a bounded number of entries
        read = next((rows.read for rows in sources if rows.read is not None), None)
        once = _runs_once_per_process(ctx)
        if once is not None and read is None:
            return  # a test or a CLI zipping a few files it names: built once, then freed
        added = self.msg("note-entry-added").text
        in_memory = self.msg("note-still-in-memory").text
        related = [(add, added) for add in looped[:3]]
        related += [(out, in_memory) for out in outputs[:1]]
        if once is not None and read is not None:
            message = self.msg(
                "built-once-from-rows",
                name=name,
                archive=library.article,
                reason=once,
                target=read.target,
                unit=read.unit,
            )
        else:
            message = self.msg("built-in-memory", name=name, archive=library.article)
        ctx.report(self, creation, message, related=tuple(related))


@dataclass(frozen=True)
class RowsAdded:
    """What the loops around one added entry iterate over."""

    capped: bool  # a read whose rows are capped (`take: 100`, `.limit(500)`)
    read: Read | None  # a read of a whole table or collection


def _rows_added(ctx: FileContext, add: Node, creation: Node) -> RowsAdded:
    capped = False
    read: Read | None = None
    for loop in loop_ancestors(ctx.ancestry, add):
        if contains(loop, creation):
            break
        call = _iterated_read(ctx, loop)
        if call is None:
            continue
        capped = capped or row_cap(call) is not None
        read = read or unbounded_read(ctx, call)
    return RowsAdded(capped, read)


def _iterated_read(ctx: FileContext, loop: Node) -> Node | None:
    """The call whose result ``loop`` iterates: `for (const row of await repo.find())`, or
    `rows.forEach(…)` after `const rows = await repo.find()`."""
    iterated = unwrap_awaited(_iterated(loop))
    if iterated is not None and iterated.type == "identifier":
        iterated = unwrap_awaited(ctx.scopes.declared_value(iterated))
    return iterated if iterated is not None and iterated.type == "call_expression" else None


def _iterated(loop: Node) -> Node | None:
    if loop.type == "for_in_statement":
        return loop.child_by_field_name("right")
    if loop.type == "call_expression":  # `rows.forEach(…)`
        callee = loop.child_by_field_name("function")
        return callee.child_by_field_name("object") if callee is not None else None
    return None


def _runs_once_per_process(ctx: FileContext) -> str | None:
    """Why this file's code runs once per process, because of what the file is: a
    command-line program (a shebang, under `scripts/` or `bin/`). An archive built there is
    freed when the program exits; only its size can hurt."""
    program = ctx.one_off_program
    return f"a program that runs once and exits: {program}" if program else None


def _library_created(
    ctx: FileContext, creation: Node, constructor: Node | None
) -> ZipLibrary | None:
    """The zip library ``creation`` makes a new, empty archive of, if any."""
    symbol = ctx.imports.resolve(constructor)
    if symbol is None:
        return None
    for library in LIBRARIES:
        if not symbol.matches(library.module, ()):
            continue
        if library is ADM_ZIP and call_arguments(creation):
            return None  # `new AdmZip(pathOrBuffer)` opens an existing archive
        return library
    return None


@dataclass(frozen=True)
class InstanceArchive:
    """An archive kept on the instance: `this.<name>` inside the methods of one class."""

    name: str
    class_body: Node

    def uses(self, ctx: FileContext) -> list[Node]:
        """Every `this.<name>` in the class whose `this` is the instance."""
        compiled = query(ctx.source.language, THIS_MEMBERS)
        members = run_query(compiled, self.class_body).get("member", [])  # the class's subtree only
        return this_members(ctx.ancestry, members, self.class_body, self.name)


def _archive_holder(ctx: FileContext, creation: Node) -> Binding | InstanceArchive | None:
    """The variable, or the instance property, that the new archive is kept in."""
    node, parent = value_parent(ctx.ancestry, creation)
    target = assignment_target(node, parent)
    if target is None:
        return None
    if target.type == "identifier":
        return ctx.scopes.resolve(target)
    if parent is not None and parent.type in FIELD_NODES:  # class field `zip = new AdmZip()`
        body = ctx.ancestry.parent(parent)
        if body is not None and body.type == "class_body" and text(target):
            return InstanceArchive(text(target), body)
        return None
    if target.type == "member_expression" and _is_this(target.child_by_field_name("object")):
        name = member_property(target)
        body = instance_class_body(ctx.ancestry, target)
        if name and body is not None:
            return InstanceArchive(name, body)
    return None


def _is_this(node: Node | None) -> bool:
    return node is not None and node.type == "this"


def _archive_calls(
    ctx: FileContext, binding: Binding, library: ZipLibrary, depth: int = 0
) -> tuple[list[Node], list[Node]]:
    """Calls that add entries to the archive (directly or through a folder view) and that
    write it out."""
    refs = references_to(binding, ctx.scopes, ctx.references)
    return _calls_on(ctx, refs, library, depth)


def _calls_on(
    ctx: FileContext, receivers: Iterable[Node], library: ZipLibrary, depth: int = 0
) -> tuple[list[Node], list[Node]]:
    adds: list[Node] = []
    outputs: list[Node] = []
    for ref in receivers:
        call, method = _method_call_on(ctx, ref)
        while call is not None and method in library.views:
            view_binding = _assigned_binding(ctx, call)
            if view_binding is not None and depth < _MAX_VIEW_DEPTH:
                more_adds, _ = _archive_calls(ctx, view_binding, library, depth + 1)
                adds += more_adds
            call, method = _method_call_on(ctx, call)  # zip.folder('a').file(…)
        if call is None:
            continue
        if method in library.adders and len(call_arguments(call)) >= library.adders[method]:
            adds.append(call)
        elif method in library.outputs:
            outputs.append(call)
    return adds, outputs


def _method_call_on(ctx: FileContext, receiver: Node) -> tuple[Node | None, str | None]:
    """For ``receiver.method(…)``: the call and the method name (``flow.destination``)."""
    where = destination(ctx, receiver)
    if where.kind != "method-call":
        return None, None
    return where.call, where.method


def _assigned_binding(ctx: FileContext, value: Node) -> Binding | None:
    node, parent = value_parent(ctx.ancestry, value)
    target = assignment_target(node, parent)
    if target is None or target.type != "identifier":
        return None
    binding = ctx.scopes.resolve(target)
    return binding if binding is not None and text(binding.node) == text(target) else None


def _generates_browser_blob(output: Node) -> bool:
    """``generateAsync({ type: 'blob' })`` only works in a browser: a "download all" button
    zips files the page already holds, and no Node server's heap is at stake."""
    options = call_arguments(output)[:1]
    if not options or options[0].type != "object":
        return False
    for pair in options[0].named_children:
        if pair.type == "pair" and text(pair.child_by_field_name("key")) == "type":
            return literal_key(pair.child_by_field_name("value")) == "blob"
    return False


_STREAMING_OUTPUTS = frozenset({"generateNodeStream", "generateInternalStream"})


def _streams_through(ctx: FileContext, adds: list[Node], outputs: list[Node]) -> bool:
    """Every entry added is a stream and every output is a stream: JSZip then reads one
    entry at a time while it writes the zip out."""
    if not outputs or not all(_method_name(out) in _STREAMING_OUTPUTS for out in outputs):
        return False
    return all(_is_read_stream(ctx, (call_arguments(add)[1:2] or [None])[0]) for add in adds)


def _method_name(call: Node) -> str | None:
    callee = call.child_by_field_name("function")
    if callee is None:
        return None
    if callee.type == "member_expression":
        return member_property(callee)
    return text(callee) if callee.type == "identifier" else None


def _is_read_stream(ctx: FileContext, value: Node | None) -> bool:
    """`fs.createReadStream(…)`, `Readable.from(…)`, a call named like a stream maker
    (`s3.getObject(p).createReadStream()`, `await storage.downloadAsStream(f)`, `got.stream(u)`),
    or a local variable holding one."""
    value = unwrap_awaited(value)
    if value is None:
        return False
    if value.type == "identifier":
        return _is_read_stream(ctx, ctx.scopes.declared_value(value))
    if value.type != "call_expression":
        return False
    name = _method_name(value) or ""
    if name == "stream" or name.endswith("Stream"):
        return True
    symbol = ctx.imports.resolve(value.child_by_field_name("function"))
    return symbol is not None and symbol.matches(("stream", "node:stream"), ("Readable", "from"))


def _in_loop_outside(ctx: FileContext, add: Node, creation: Node) -> bool:
    """Whether ``add`` repeats in a loop over data that does not also repeat the archive's
    creation."""
    return any(
        not contains(loop, creation) and not _over_literal_list(ctx, loop)
        for loop in loop_ancestors(ctx.ancestry, add)
    )


def _over_literal_list(ctx: FileContext, loop: Node) -> bool:
    """`for (const name of ['a', 'b'])`, or over a `const REPORTS = [...] as const` of the file:
    a fixed number of entries written in the code, not one per row of a data set."""
    iterated = unwrap(_iterated(loop))
    if iterated is not None and iterated.type == "identifier":
        iterated = unwrap(ctx.scopes.declared_value(iterated, const_only=True))
    return (
        iterated is not None
        and iterated.type == "array"
        # `[...rows]` is the data again, not a list written in the code
        and not any(child.type == "spread_element" for child in iterated.named_children)
    )
