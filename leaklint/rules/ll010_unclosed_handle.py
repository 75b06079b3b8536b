"""## What it does
Flags an operating-system handle opened in code that runs more than once and not closed on
every path:

* a worker thread, `new Worker(…)` from `worker_threads`, never `terminate()`d;
* a file watcher: `fs.watch(…)` (`close()`), `fs.watchFile(path, …)` (`fs.unwatchFile(path)`),
  chokidar's `watch(…)` / `new FSWatcher(…)` (`close()`);
* a server that listens: `net.createServer`, `http.createServer`, `https.createServer`,
  `http2.createServer`/`createSecureServer` (`close()`);
* a child process from `child_process.spawn`/`fork` that this code kills on the way it expects
  (`child.kill()`) but leaves running on another path — a `throw`, an early `return`, a failed
  `await`. A child that is never killed runs to completion on its own and is not reported.
* a headless browser, Playwright's `chromium`/`firefox`/`webkit.launch()` or Puppeteer's
  `launch()` (`close()`): a process tree that, unlike a child process, never ends on its own.

Names are resolved through `require`/`import` (`node:` prefixed, destructured, renamed,
`import chokidar from 'chokidar'`), never by text. How often the code runs is leaklint's one
frequency answer: module level, start-up code (`main()`, `init()`), code a once-guard runs
once, and a one-shot callback at module level open a handle once per process and are not
reported. A handle that is *never* closed is reported in code that runs per request, per
connection, per message, per timer tick or per effect run; in a function whose callers this
file does not show it is usually the process's own (a `--watch` mode, a `startWatching()`)
and is not. A handle the code closes on some paths lives for one call by its own account, so
a path that skips the close is reported wherever the code runs more than once.

Not reported: a handle closed on every path (a `finally`, the `catch` and after the `try`);
anything in a one-off program under `scripts/`, `script/` or `bin/` (it exits when its job is
done); a
handle whose close is handed to other code (`ws.on('close', () => watcher.close())`, a
`stop()` method closing `this.watcher`); one that changes owner — returned, yielded, stored
on `this`, an object, an array or an outer variable, passed to another function; a worker
whose `'exit'` the code listens for (`worker.on('exit', …)`, `once(worker, 'exit')`: it is
expected to end on its own, as in Node's one-shot task example); a server that never
`listen()`s (it holds no socket); pools such as `piscina` and `workerpool`, which own their
threads. `fs.watchFile(path)` counts as unwatched when an `fs.unwatchFile` call with the same
path (the same variable, or the same text) runs on every path, or runs in another function
(a `'close'` handler). In test files only handles that are never closed are reported.

`{ persistent: false }` is **not** a release: it only stops the watcher from keeping the
process alive, and the watcher still holds its inotify/kqueue descriptor and its listener, so
such a watcher is reported like any other.

## Why is this bad?
Each of these holds a kernel resource that nothing frees until the process exits. A worker
thread is a whole V8 isolate with its own heap and event loop (about 10 MB at least); a worker
per request that waits for messages is never collected, and the process is OOM-killed every
few hours. Each `fs.watch` holds an inotify descriptor (Linux allows 8,192 watches per user by
default: `ENOSPC: System limit for number of file watchers reached`), each chokidar watcher
several; a watcher per websocket connection ends in `EMFILE: too many open files`. A server
per call that is never closed keeps its port and socket (`EADDRINUSE` on the next call). A
child that a failed step leaves running keeps its memory, pipes and process-table entry.

## Example
```js
const { Worker } = require('node:worker_threads');

async function resize(image) {
  const worker = new Worker('./resize-worker.js');
  const result = await runJob(worker, image); // throws → the thread keeps running
  worker.terminate();
  return result;
}
```

## Use instead
```js
const { Worker } = require('node:worker_threads');

async function resize(image) {
  const worker = new Worker('./resize-worker.js');
  try {
    return await runJob(worker, image);
  } finally {
    await worker.terminate();
  }
}
```
or keep a pool of threads for the whole process (`piscina`, `workerpool`), and one watcher per
file at module level with a close on shutdown.
"""

from __future__ import annotations

from leaklint.analysis.frequency import how_often
from leaklint.analysis.resource_table import BROWSER, CHILD, SERVER, WATCHER, WORKER
from leaklint.analysis.resources import ACQUISITION_QUERY, Leak
from leaklint.model.findings import Message, Severity
from leaklint.rules._resource_rule import ResourceRule, Words
from leaklint.semantic.context import FileContext

# How the messages speak of each kind (the engine's words are the same for all of them).
WORDS = {
    WORKER: Words(
        "started",
        "terminated",
        "terminate",
        "every {unit} leaves a thread running, with its own V8 heap and event loop, until the "
        "process exits",
        ", or run the work in a thread pool (piscina, workerpool) shared by every call",
    ),
    WATCHER: Words(
        "opened",
        "closed",
        "close",
        "every {unit} leaves a watcher open, holding a file descriptor (inotify watches run "
        "out: EMFILE, ENOSPC) and its listener's closure",
        ", or keep one watcher per path at module level",
    ),
    SERVER: Words(
        "created",
        "closed",
        "close",
        "every {unit} leaves a server listening, holding its port and socket (EADDRINUSE, EMFILE)",
    ),
    CHILD: Words(
        "spawned",
        "killed",
        "kill",
        "the child process is left running on that path, with its memory and pipes, and "
        "nothing waits for it",
    ),
    BROWSER: Words(
        "launched",
        "closed",
        "close",
        "every {unit} leaves a browser running — a process tree with hundreds of MB of memory — "
        "until the process exits",
        ", or launch one browser for the process and open a page per call",
    ),
}


class UnclosedHandle(ResourceRule):
    code = "LL010"
    name = "unclosed-handle"
    summary = (
        "A worker thread, file watcher, server or child process opened per call is not closed "
        "on every path."
    )
    severity = Severity.WARNING
    # CodeQL's vocabulary: very-high, high, medium, low (measured: docs/rules-corpus.md).
    precision = "medium"
    preview = True
    tags = ("resource-leak", "file-descriptors", "threads")

    query = ACQUISITION_QUERY
    kind = (WORKER, WATCHER, SERVER, CHILD, BROWSER)
    acquired, released, release_noun = "opened", "closed", "close"
    consequence = WORDS[WATCHER].consequence

    messages = {
        **ResourceRule.messages,
        "never-unwatched": (
            "`{call}` starts polling `{key}` here and nothing calls `fs.unwatchFile({key})`: "
            "{consequence}. Call `fs.unwatchFile({key})` on every path (or in the handler that "
            "ends this {unit}), or watch the file once at module level."
        ),
    }

    def words(self, kind: str) -> Words:
        return WORDS.get(kind, WORDS[WATCHER])

    def check(self, ctx: FileContext) -> None:
        if ctx.is_script_file:
            return  # every handle of a one-off program dies with it when its job is done
        super().check(ctx)

    def message(self, ctx: FileContext, leak: Leak) -> Message:
        if leak.key is None or not leak.never_released:
            return super().message(ctx, leak)
        # `fs.watchFile(path, f)` returns nothing to close: the path is what gets unwatched.
        unit = _unit(ctx, leak)
        callee = leak.acquisition.child_by_field_name("function")
        call = f"{ctx.text(callee)}(…)" if callee is not None else "fs.watchFile(…)"
        consequence = self.words(leak.kind).consequence.replace("{unit}", unit)
        return self.msg(
            "never-unwatched", call=call, key=leak.key, consequence=consequence, unit=unit
        )


def _unit(ctx: FileContext, leak: Leak) -> str:
    return how_often(ctx, leak.acquisition).unit
