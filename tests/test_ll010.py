"""LL010 as users read it: which handles, resolved how, released how, and the look-alikes
that stay silent."""

from __future__ import annotations

import pytest

from tests.rule_tester import Expect, Invalid, RuleTester, Valid

LL010 = RuleTester("LL010")

WORKER = "const { Worker } = require('worker_threads');\n"


def _per_call(body: str, imports: str = WORKER) -> str:
    return f"{imports}module.exports.run = function run(input) {{\n{body}\n}};\n"


def _per_request(body: str, imports: str = WORKER) -> str:
    return f"{imports}app.get('/x', (input, res) => {{\n{body}\n}});\n"


NEVER_TERMINATED = _per_request("  const w = new Worker('./job.js');\n  w.postMessage(input);")
NEVER_TERMINATED_MESSAGE = (
    "The worker thread 'w' is started here and never terminated: every request leaves a thread "
    "running, with its own V8 heap and event loop, until the process exits. Call "
    "`w.terminate()` in a `finally` block, or run the work in a thread pool (piscina, "
    "workerpool) shared by every call."
)
WATCH_FILE = (
    "const fs = require('fs');\n"
    "module.exports = (req, res) => {\n"
    "  fs.watchFile(req.query.f, () => res.write('x'));\n"
    "};\n"
)


@pytest.mark.parametrize(
    "case",
    LL010.cases(
        valid=[
            # Module level and start-up code: once per process.
            WORKER + "const w = new Worker('./job.js');",
            WORKER + "function main() {\n  const w = new Worker('./job.js');\n  w.ref();\n}\n"
            "main();",
            # Terminated in finally, returned, stored on this, handed to a 'close' handler.
            _per_call(
                "  const w = new Worker('./job.js');\n  try { w.postMessage(input); }\n"
                "  finally { w.terminate(); }"
            ),
            _per_call("  return new Worker('./job.js');"),
            _per_call("  this.worker = new Worker('./job.js');"),
            _per_call(
                "  const w = new Worker('./job.js');\n  input.on('close', () => w.terminate());"
            ),
            # The code waits for it to exit: it ends on its own.
            _per_call("  const w = new Worker('./job.js');\n  w.once('exit', input);"),
            # A class of this file with the same name.
            "class Worker {}\nmodule.exports = () => { const w = new Worker(); w.go(); };",
            # Pools own their threads.
            _per_call(
                "  const pool = new Piscina({ filename: './job.js' });\n  pool.run(input);",
                "const Piscina = require('piscina');\n",
            ),
            # Never closed where the callers are unknown: meant to live for the process.
            _per_call("  const w = new Worker('./job.js');\n  w.postMessage(input);"),
            _per_call(
                "  chokidar.watch(input).on('all', console.log);",
                "const chokidar = require('chokidar');\n",
            ),
            # `return server.listen(port)` returns the server itself (koa's `listen()`).
            _per_request(
                "  const s = http.createServer(input);\n  return s.listen(0);",
                "const http = require('http');\n",
            ),
            # A server that never listens; a child process nobody kills (runs to completion).
            _per_call(
                "  const s = http.createServer(input);\n  s.emit('request');",
                "const http = require('http');\n",
            ),
            _per_call(
                "  const c = spawn('ls');\n  c.stdout.pipe(process.stdout);",
                "const { spawn } = require('child_process');\n",
            ),
            # Unwatched with the same path in the handler that ends the request.
            "const fs = require('fs');\nmodule.exports = (req, res) => {\n"
            "  const f = req.query.f;\n  fs.watchFile(f, () => res.write('x'));\n"
            "  res.on('close', () => fs.unwatchFile(f));\n};\n",
        ],
        invalid=[
            Invalid(
                NEVER_TERMINATED,
                [
                    Expect(
                        message=NEVER_TERMINATED_MESSAGE,
                        message_id="never-released",
                        line=3,
                        column=13,
                        end_column=35,
                        severity="warning",
                    )
                ],
            ),
            Invalid(
                WATCH_FILE,
                [Expect(message_id="never-unwatched", line=3, column=3, severity="warning")],
            ),
            # Resolved through renamed and `node:` imports.
            Invalid(
                _per_request(
                    "  const w = watchDir(input, () => {});\n  w.on('error', console.error);",
                    "const { watch: watchDir } = require('node:fs');\n",
                ),
                [Expect(message_id="never-released", line=3)],
            ),
            Invalid(
                _per_request(
                    "  const w = chokidar.watch(input);\n  w.on('add', console.log);",
                    "import chokidar from 'chokidar';\n",
                ),
                [Expect(message_id="never-released", line=3)],
            ),
            # `persistent: false` still holds the descriptor.
            Invalid(
                _per_request(
                    "  const w = fs.watch(input, { persistent: false });\n  w.on('change', f);",
                    "const fs = require('fs');\n",
                ),
                [Expect(message_id="never-released", line=3)],
            ),
            # A child the code kills on success only.
            Invalid(
                _per_call(
                    "  const c = fork('./helper.js');\n  if (!input) throw new Error('no');\n"
                    "  c.kill();",
                    "const { fork } = require('child_process');\n",
                ),
                [Expect(message_id="throw-skips-release", line=3)],
            ),
        ],
    ),
)
def test_ll010_cases(case: Valid | Invalid) -> None:
    LL010.verify(case)
