"""How fast `leaklint server` answers while someone types, and what open documents cost.

Starts `leaklint server` as a subprocess and drives it with a real LSP client (pytest-lsp,
from the `test` extra), as an editor would:

* latency: a 2,000-line document is opened, then edited in bursts of keystrokes (incremental
  `didChange`s 30 ms apart, the speed of fast typing). For each burst it measures the time
  from the last keystroke to the diagnostics of that version, and subtracts the debounce:
  what remains is what the server adds (parse, rules, JSON-RPC). Target: under 100 ms.
* check: the CPU time of the server's own step (incremental re-parse, rules, findings) for
  the same edits, in this process: unlike wall time it does not grow with the machine's load.
* memory: the server's resident memory with many copies of that document open, and after
  they are closed again.

Run: .venv/bin/python bench/server_latency.py [--bursts 15] [--documents 200]
It is a benchmark, not a test: the numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import LanguageClient

from leaklint.server.app import DEBOUNCE_SECONDS

LINES = 2000
KEYSTROKE_GAP = 0.03

# A realistic mix: route handlers, pool checkouts, listeners, timers, module stores; some leak.
_BLOCK = """\
app.get('/users/{n}', async (req, res) => {{
  const client = await pool.connect();
  const {{ rows }} = await client.query('SELECT * FROM users WHERE id = $1', [req.params.id]);
  client.release();
  cache{n}.set(req.params.id, rows[0]);
  process.on('SIGTERM', () => res.end());
  res.json(rows[0]);
}});

function helper{n}(items) {{
  total{n} = 0;
  for (const item of items) {{
    total{n} += item.price * item.quantity;
  }}
  const timer = setInterval(() => console.log(total{n}), 1000);
  return {{ total: total{n}, timer }};
}}

const cache{n} = new Map();
"""
_HEADER = "import express from 'express';\nimport pg from 'pg';\n\n"
_HEADER += "const app = express();\nconst router = express.Router();\n"
_HEADER += "const pool = new pg.Pool();\n\n"


# Typical code: mostly correct handlers and helpers, a leak in one block out of ten.
_CLEAN_BLOCK = """\
router.post('/orders/{n}', async (req, res, next) => {{
  const client = await pool.connect();
  try {{
    const {{ rows }} = await client.query('SELECT * FROM orders WHERE id = $1', [req.body.id]);
    const total = rows.reduce((sum, row) => sum + row.price * row.quantity, 0);
    res.json({{ id: req.body.id, total, items: rows.map((row) => row.sku) }});
  }} catch (error) {{
    next(error);
  }} finally {{
    client.release();
  }}
}});

export function format{n}(order, locale = 'en') {{
  const formatter = new Intl.NumberFormat(locale, {{ style: 'currency', currency: 'EUR' }});
  const lines = order.items.map((item) => `${{item.sku}}: ${{formatter.format(item.price)}}`);
  if (lines.length === 0) {{
    return 'empty order';
  }}
  return lines.join('\\n');
}}

"""


def document(lines: int = LINES, dense: bool = False) -> str:
    """``lines`` lines of Express code; ``dense``: a leak every few lines (420 findings in
    2,000 lines, far more than real code has), otherwise about one per 200 lines."""
    parts = [_HEADER]
    n = 0
    while sum(p.count("\n") for p in parts) < lines:
        leaky = dense or n % 10 == 9
        parts.append((_BLOCK if leaky else _CLEAN_BLOCK).format(n=n))
        n += 1
    return "".join(parts)


def check_cpu_ms(dense: bool, edits: int = 10) -> list[float]:
    """CPU time of ``check_document`` after one-character edits, re-parsing incrementally."""
    from leaklint.config import Settings
    from leaklint.server.documents import OpenDocument, check_document
    from leaklint.syntax.source import Language

    text = document(dense=dense)
    root = Path(tempfile.gettempdir())
    state = OpenDocument("file:///bench.js", root / "bench.js", Language.JAVASCRIPT)
    check_document(state, text, Settings(root=root), lambda *_: None)
    times = []
    for edit in range(edits):
        at = len(text) // 2 + edit * 17
        edited = text[:at] + "x" + text[at:]
        start = time.process_time()
        check_document(state, edited, Settings(root=root), lambda *_: None)
        times.append((time.process_time() - start) * 1000)
    return times


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# When the diagnostics of (uri, version) arrived; closing publishes version None.
_arrivals: dict[tuple[str, int | None], float] = {}


def _client() -> LanguageClient:
    client = LanguageClient(converter_factory=default_converter)

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def _record(client: LanguageClient, params: types.PublishDiagnosticsParams) -> None:
        _arrivals[(params.uri, params.version)] = time.perf_counter()

    return client


async def _arrival(uri: str, version: int | None) -> float:
    while (uri, version) not in _arrivals:
        await asyncio.sleep(0.001)
    return _arrivals[(uri, version)]


def _open(client: LanguageClient, uri: str, text: str) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="javascript", version=1, text=text
            )
        )
    )


def _insert(client: LanguageClient, uri: str, version: int, line: int, char: str) -> None:
    at = types.Position(line=line, character=0)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(start=at, end=at), text=char
                )
            ],
        )
    )


async def measure_latency(
    client: LanguageClient, root: Path, bursts: int, dense: bool
) -> list[float]:
    text = document(dense=dense)
    uri = (root / ("dense.js" if dense else "typical.js")).as_uri()
    _open(client, uri, text)
    await _arrival(uri, 1)
    version, latencies = 1, []
    for burst in range(bursts):
        line = 40 + burst * 97 % (LINES - 80)  # a different place each time
        for char in "// typing":
            version += 1
            _insert(client, uri, version, line, char)
            last = time.perf_counter()
            await asyncio.sleep(KEYSTROKE_GAP)
        latencies.append((await _arrival(uri, version) - last - DEBOUNCE_SECONDS) * 1000)
        # Put the line back as it was, so every burst edits the same-sized file.
        version += 1
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        await _arrival(uri, version)
    return latencies


async def measure_memory(client: LanguageClient, root: Path, count: int) -> tuple[int, int, int]:
    pid = client._server.pid  # type: ignore[union-attr]
    before = rss_kb(pid)
    text = document()
    uris = [(root / f"copy{i}.js").as_uri() for i in range(count)]
    for uri in uris:
        _open(client, uri, text)
        await _arrival(uri, 1)
    opened = rss_kb(pid)
    for uri in uris:
        client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
    for uri in uris:
        await _arrival(uri, None)
    return before, opened, rss_kb(pid)


async def main(bursts: int, documents: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / "leaklint.toml").write_text("", encoding="utf-8")
        client = _client()
        await client.start_io(sys.executable, "-m", "leaklint.cli", "server")
        await client.initialize_session(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(),
                root_uri=root.as_uri(),
                workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="bench")],
            )
        )
        typical = await measure_latency(client, root, bursts, dense=False)
        dense = await measure_latency(client, root, bursts, dense=True)
        before, opened, closed = await measure_memory(client, root, documents)
        await client.shutdown_session()
        await client.stop()
    for name, latencies, dense_text in (("typical", typical, False), ("dense", dense, True)):
        text = document(dense=dense_text)
        print(
            f"{name} document ({text.count(chr(10))} lines, {len(text.encode())} bytes): "
            f"after the last keystroke and the {DEBOUNCE_SECONDS * 1000:.0f} ms debounce, "
            f"median {statistics.median(latencies):.0f} ms, max {max(latencies):.0f} ms "
            f"({bursts} bursts)"
        )
        cpu = check_cpu_ms(dense_text)
        print(
            f"  the server's check of one edit: median {statistics.median(cpu):.0f} ms CPU, "
            f"max {max(cpu):.0f} ms"
        )
    print(
        f"server RSS: {before / 1024:.0f} MB with one document, {opened / 1024:.0f} MB with "
        f"{documents} typical documents more open, {closed / 1024:.0f} MB after closing them"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bursts", type=int, default=15)
    parser.add_argument("--documents", type=int, default=200)
    options = parser.parse_args()
    asyncio.run(main(options.bursts, options.documents))
