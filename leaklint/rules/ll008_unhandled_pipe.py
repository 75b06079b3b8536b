"""## What it does
Flags `src.pipe(dest)`, in code that runs more than once, where one side is a file stream made
in this file (`fs.createReadStream(…)` or `new fs.ReadStream(…)` as the source,
`fs.createWriteStream(…)` or `fs.WriteStream(…)` as the destination, through `require('fs')`,
`node:fs`, `fs-extra`, `graceful-fs`, `fs-promise` or `mz/fs`, renamed or destructured) and
nothing destroys that file stream when the other side fails: the file never calls its
`destroy()`/`close()` (in a `res.on('close')` handler, an `'error'` handler, `finished(…)`), and
never hands it to other code that could (`pipeline(…)`, `finished(…)`, a return). A release in a
listener of `'end'`/`'finish'` (`src.on('end', () => dest.end())`), or in the file stream's own
`'close'` listener, does not count: it runs only when a stream completed by itself. Nor does
reading a data property such as `stream.path`. Chains (`src.pipe(gzip).pipe(res)`) are followed
to their first source.

`pipeline()` and `stream/promises`' `pipeline()` are the fix and are never reported. Test
files and one-off programs (files under `scripts/`, `script/` or `bin/`) are not checked: they
exit when they are done, and their descriptors with them.

## Why is this bad?
`pipe()` forwards data, not errors or closes. Node's stream documentation: "One important
caveat is that if the Readable stream emits an error during processing, the Writable
destination is not closed automatically. If an error occurs, it will be necessary to manually
close each stream in order to prevent memory leaks." The same holds the other way: when the
destination closes first — a client that aborts a download — `pipe()` unpipes and leaves the
file stream paused with its file descriptor open, for good. One descriptor per aborted
request, until the process hits `EMFILE: too many open files`.

## Example
```js
app.get('/download/:name', (req, res) => {
  fs.createReadStream(path.join(dir, req.params.name)).pipe(res); // fd left open on abort
});
```

## Use instead
```js
const { pipeline } = require('stream');

app.get('/download/:name', (req, res) => {
  pipeline(fs.createReadStream(path.join(dir, req.params.name)), res, (error) => {
    if (error) req.log?.warn(error); // both streams are destroyed by now
  });
});
```
"""

from __future__ import annotations

from tree_sitter import Node

from leaklint.analysis.flow import declared_value, destination
from leaklint.analysis.frequency import FREQUENCY_ANALYSES, how_often
from leaklint.analysis.listeners import EMITTER_LISTENING
from leaklint.analysis.nodes import (
    call_arguments,
    enclosing_functions,
    literal_key,
    member_property,
    outermost,
)
from leaklint.analysis.throws import stream_cannot_fail
from leaklint.model.findings import Severity
from leaklint.rules._base import Rule
from leaklint.semantic.context import FileContext
from leaklint.semantic.imports import unwrap
from leaklint.semantic.scope import Binding, references_to

PIPES = """
(call_expression
  function: (member_expression property: (property_identifier) @method)
  (#eq? @method "pipe")) @pipe
"""
# fs-promise and mz/fs wrap the callback API in promises and hand the stream factories
# through unchanged: `fsp.createWriteStream(…)` is fs's (psitransfer's tus uploads).
FS_MODULES = ("fs", "fs-extra", "graceful-fs", "fs-promise", "mz/fs")
# Calls on a stream that release its file descriptor.
RELEASING = frozenset({"destroy", "close", "end"})
# Uses of a stream binding that do not let other code release it.
_STREAM_METHODS = EMITTER_LISTENING | frozenset({"pipe", "setEncoding", "pause", "resume", "write"})
# Properties of a file stream that are plain data: reading one cannot release the stream
# (`fs.readFileSync(pdf.path)`, `{ path: file.path }`), unlike reading a method to pass on.
_DATA_PROPERTIES = frozenset(
    {
        "path",
        "bytesRead",
        "bytesWritten",
        "pending",
        "destroyed",
        "closed",
        "errored",
        "readable",
        "writable",
        "readableEnded",
        "writableEnded",
        "writableFinished",
    }
)
# Events a file stream emits only when it completes by itself: a release in its own listener
# for one (`stream.on('end', () => stream.close())`) never runs when the other side fails first.
_COMPLETION_EVENTS = frozenset({"end", "finish", "close"})


class UnhandledPipe(Rule):
    code = "LL008"
    name = "unhandled-pipe"
    summary = "A file stream piped with .pipe() is left open when the other side errors or closes."
    severity = Severity.WARNING
    # CodeQL's vocabulary: very-high, high, medium, low (measured: docs/rules-corpus.md).
    # 2 of 7 right on real code (docs/rules-corpus.md): most pipes are in one-off scripts.
    precision = "medium"
    preview = True
    tags = ("resource-leak", "streams", "file-descriptors")
    triggers = (b".pipe(",)
    query = PIPES
    analyses = FREQUENCY_ANALYSES
    messages = {
        "source-left-open": (
            "This pipes a file read stream into '{dest}', and nothing destroys the file stream "
            "when '{dest}' closes or errors first (a client that aborts): pipe() then unpipes "
            "and leaves it paused with its file descriptor open: one more open descriptor "
            "{rate}. Use "
            "pipeline(), which destroys both streams, or destroy the file stream on "
            "'{dest}''s 'close'."
        ),
        "destination-left-open": (
            "This pipes '{src}' into a file write stream, and nothing closes the file stream "
            "when '{src}' errors: pipe() does not end the destination on an error, so its file "
            "descriptor stays open: one more open descriptor {rate}. Use pipeline(), which "
            "destroys both "
            "streams."
        ),
    }

    def check(self, ctx: FileContext) -> None:
        if ctx.is_test_file or ctx.is_script_file:
            # A test run or a one-off script exits when it is done: a descriptor its error
            # path leaves open goes with it (audits: every such report was harmless).
            return
        for pipe in ctx.captures(self.code).get("pipe", ()):
            arguments = call_arguments(pipe)
            if not arguments or len(arguments) > 2 or _piped_on(ctx, pipe):
                continue
            frequency = how_often(ctx, pipe)
            if not frequency.repeats:
                continue
            source = _first_source(pipe)
            dest = arguments[0]
            rate = frequency.rate.value
            src = _receiver(pipe)
            if (
                _is_fs_stream(ctx, source, "createReadStream")
                and _left_open(ctx, source)
                and not (unwrap(src) == source and stream_cannot_fail(ctx, dest))
            ):
                message = self.msg("source-left-open", dest=_shown(ctx, dest), rate=rate)
                ctx.report(self, pipe, message)
            elif (
                _is_fs_stream(ctx, dest, "createWriteStream")
                and _left_open(ctx, dest)
                and not stream_cannot_fail(ctx, source)
            ):
                message = self.msg("destination-left-open", src=_shown(ctx, src), rate=rate)
                ctx.report(self, pipe, message)


def _piped_on(ctx: FileContext, pipe: Node) -> bool:
    """`a.pipe(b)` inside `a.pipe(b).pipe(c)`: the chain is judged once, at its last pipe."""
    where = destination(ctx, pipe)
    return where.kind == "method-call" and where.method == "pipe"


def _receiver(pipe: Node) -> Node | None:
    callee = pipe.child_by_field_name("function")
    return callee.child_by_field_name("object") if callee is not None else None


def _first_source(pipe: Node) -> Node | None:
    """`a.pipe(b).pipe(c)` → a; `a.on('error', f).pipe(b)` → a (on() returns the stream)."""
    node = unwrap(_receiver(pipe))
    while node is not None and node.type == "call_expression":
        callee = node.child_by_field_name("function")
        if member_property(callee) not in ("pipe", "on", "once"):
            break
        node = unwrap(callee.child_by_field_name("object") if callee is not None else None)
    return node


def _shown(ctx: FileContext, node: Node | None) -> str:
    if node is None:
        return "the destination"
    shown = ctx.text(node)
    return shown if len(shown) <= 40 else shown[:37] + "..."


# The classes behind the factories: `new fs.WriteStream(path)`, or `fs.WriteStream(path)`,
# which Node still lets one call without `new`.
_STREAM_CLASSES = {"createReadStream": "ReadStream", "createWriteStream": "WriteStream"}


def _is_fs_stream(ctx: FileContext, node: Node | None, factory: str) -> bool:
    node = unwrap(node)
    if node is not None and node.type == "identifier":
        node = unwrap(declared_value(ctx, node))
    if node is None or node.type not in ("call_expression", "new_expression"):
        return False
    field = "function" if node.type == "call_expression" else "constructor"
    symbol = ctx.imports.resolve(node.child_by_field_name(field))
    if symbol is None:
        return False
    if node.type == "call_expression" and symbol.matches(FS_MODULES, (factory,)):
        return True
    return symbol.matches(FS_MODULES, (_STREAM_CLASSES[factory],))


# Streams that neither error nor close before the other side is done: a hash digests whatever
# it is given (`fs.createReadStream(f).pipe(crypto.createHash('sha1'))`), and a Readable made
# in memory from the stream module (`Readable.from(buffer)`, `new Readable({ read() {…} })`)
# fails only if this code makes it fail.
def _left_open(ctx: FileContext, stream: Node | None) -> bool:
    """Nothing in the file can release this file stream: it is written in place, or kept in a
    variable that no `destroy()`/`close()` reaches and that no other code receives."""
    node = unwrap(stream)
    if node is None:
        return False
    if node.type != "identifier":
        # Written in place: only its own chained calls can reach it.
        return True
    binding = ctx.scopes.resolve(node)
    if binding is None:
        return False
    for ref in references_to(binding, ctx.scopes, ctx.references):
        if ref.id == binding.node.id:
            continue
        if _released_or_handed_on(ctx, ref) and not _in_own_completion_listener(ctx, ref, binding):
            return False
    return True


def _in_own_completion_listener(ctx: FileContext, ref: Node, binding: Binding) -> bool:
    """``ref`` is inside a listener that the same stream's `on`/`once` registers for a
    completion event: it runs when the file stream ends by itself, which is the path that
    leaks nothing (codimd: `stream.on('end', () => stream.close())` before `.pipe(res)`)."""
    up = ctx.ancestry
    for function in enclosing_functions(up, ref):
        call = _listener_registration(ctx, function)
        if call is None:
            continue
        event, *rest = call_arguments(call) or [None]
        receiver = call.child_by_field_name("function").child_by_field_name("object")
        if (
            rest[:1] == [outermost(up, function)]
            and literal_key(event) in _COMPLETION_EVENTS
            and receiver is not None
            and receiver.type == "identifier"
            and ctx.scopes.resolve(receiver) == binding
        ):
            return True
    return False


def _released_or_handed_on(ctx: FileContext, ref: Node) -> bool:
    """Whether this use of the stream may release it, decided on ``flow``'s destination."""
    where = destination(ctx, ref)
    if where.kind == "method-call":
        if where.method in RELEASING:
            # A release that runs only when a stream ended well (`src.on('end', () =>
            # dest.end())`) or while data flows (a size limit in `req.on('data')`) never runs
            # when the other side fails: it does not cover the error path.
            return not _runs_only_without_failure(ctx, ref)
        return where.method not in _STREAM_METHODS
    if where.kind in ("member-read", "member-compared") and where.method in _DATA_PROPERTIES:
        return False
    if where.use.kind == "member":
        return True  # a property read or a method passed on: assume it may be released
    if where.kind in ("argument", "new-argument"):
        # `x.pipe(file)`: the destination of another pipe is no hand-off.
        return where.callee_method != "pipe"
    return where.escapes


# Events whose listeners never run when the other side fails: fired only when a stream ended
# well ('end', 'finish') or while data flows ('data', 'readable', 'drain', 'progress').
_NO_FAILURE_EVENTS = frozenset({"end", "finish", "data", "readable", "drain", "progress"})


def _runs_only_without_failure(ctx: FileContext, node: Node) -> bool:
    """``node`` runs inside a listener of one of ``_NO_FAILURE_EVENTS`` (the nearest listener
    around it decides: `res.on('close', () => src.destroy())` is the fix, not this)."""
    function = ctx.enclosing_function(node)
    while function is not None:
        call = _listener_registration(ctx, function)
        if call is not None:
            listed = call_arguments(call)
            return bool(listed) and literal_key(listed[0]) in _NO_FAILURE_EVENTS
        function = ctx.enclosing_function(function)
    return False


def _listener_registration(ctx: FileContext, function: Node) -> Node | None:
    """The `x.on(event, function)` or `x.once(event, function)` call that ``function`` is the
    listener of, if any."""
    arguments = ctx.ancestry.parent(outermost(ctx.ancestry, function))
    call = ctx.ancestry.parent(arguments) if arguments is not None else None
    if arguments is None or arguments.type != "arguments" or call is None:
        return None
    callee = call.child_by_field_name("function")
    if call.type != "call_expression" or member_property(callee) not in EMITTER_LISTENING:
        return None
    return call


__all__ = ["UnhandledPipe"]
