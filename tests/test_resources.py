"""LL003/LL006 and the acquire/release engine: the seed case, configured resources, near misses."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from leaklint.analysis.resource_table import configured_specs, file_may_use
from leaklint.config import ResourceSpec, Settings
from leaklint.pipeline.engine import check_source
from leaklint.pipeline.selection import selected_rules
from leaklint.syntax.source import SourceFile, is_script_file, is_test_file
from tests.rule_helpers import run_rule

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "LL003"
LEAKLINT = Path(sys.executable).with_name("leaklint")


def findings(code: str, name: str = "service.ts", settings: Settings | None = None, rules=None):
    source = SourceFile.from_bytes(Path(name), textwrap.dedent(code).encode(), name)
    selected = selected_rules(rules or ("LL003", "LL006"), (), ())
    return check_source(source, settings or Settings(root=Path(".")), selected)


def lines(code: str, **kwargs) -> list[tuple[int, str]]:
    return [(f.span.line, f.rule) for f in findings(code, **kwargs)]


# -- the seed --------------------------------------------------------------------------------

SEED_SERVICE = """\
import Redis from 'ioredis';

export class UploadCacheService {
  protected async setCacheBlockedPublicIds(uploadSessionId: number, sourceFileId: number) {
    try {
      const client = new Redis({ host: process.env.REDIS_DEFAULT_HOST });
      await client.sadd(uploadSessionId.toString(), sourceFileId);
      client.disconnect();
    } catch (e) {
      console.log((e as Error).message);
    }
  }
}
"""


def test_seed_case_names_the_throwing_operation_and_points_at_the_close() -> None:
    [finding] = findings(SEED_SERVICE)
    assert (finding.rule, finding.span.line) == ("LL003", 6)
    assert "not in a `finally` block" in finding.message
    assert "if `await client.sadd(…)` (line 7) throws" in finding.message
    assert "`client.disconnect()`" in finding.message
    close, operation = finding.related
    assert close.span.line == 8 and "skipped" in close.message
    assert operation.span.line == 7 and "can throw" in operation.message


def test_seed_fix_with_finally_is_silent() -> None:
    fixed = """\
    import Redis from 'ioredis';
    export async function f(id: number, file: number) {
      const client = new Redis();
      try {
        await client.sadd(id.toString(), file);
      } catch (e) {
        console.log((e as Error).message);
      } finally {
        client.disconnect();
      }
    }
    """
    assert lines(fixed) == []


def test_seed_examples_through_the_real_cli() -> None:
    """The seed's two files, kept verbatim among the fixtures."""
    paths = [str(FIXTURES / "seed_redis_per_call.service.ts"), str(FIXTURES / "seed_datasource.ts")]
    done = subprocess.run(
        [
            str(LEAKLINT),
            "check",
            "--no-cache",
            "--select",
            "LL003,LL006",
            "--format",
            "json",
            *paths,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(done.stdout)
    flagged = {(Path(f["path"]).name, f["line"]) for f in report["findings"]}
    # redis-per-call is the leak; datasource.ts is a module-level client and stays silent.
    assert flagged == {("seed_redis_per_call.service.ts", 7)}
    assert report["findings"][0]["related"], "SARIF relatedLocations come from here"


# -- configured resources -------------------------------------------------------------------

AMQP_CONFIG = """\
[[resources]]
module = "amqplib"
acquire = "connect"
release = ["close"]

[[resources]]
module = "amqplib"
acquire = "createChannel"
release = ["close"]
kind = "pool"
"""

AMQP_CODE = """\
const amqp = require('amqplib');

async function publish(message) {
  const connection = await amqp.connect(process.env.AMQP_URL);
  const channel = await connection.createChannel();
  await channel.sendToQueue('jobs', Buffer.from(message));
  await channel.close();
  await connection.close();
}

async function publishSafely(message) {
  const connection = await amqp.connect(process.env.AMQP_URL);
  try {
    const channel = await connection.createChannel();
    try {
      await channel.sendToQueue('jobs', Buffer.from(message));
    } finally {
      await channel.close();
    }
  } finally {
    await connection.close();
  }
}

// A channel of the process's one connection: nothing closes it with its owner.
let shared;
async function publishShared(message) {
  shared = shared || (await amqp.connect(process.env.AMQP_URL));
  const channel = await shared.createChannel();
  await channel.sendToQueue('jobs', Buffer.from(message));
  await channel.close();
}

module.exports = { publish, publishSafely, publishShared };
"""


def _amqp_project(root: Path) -> None:
    (root / "leaklint.toml").write_text(AMQP_CONFIG, encoding="utf-8")
    (root / "src").mkdir()
    (root / "src" / "queue.js").write_text(AMQP_CODE, encoding="utf-8")


def test_configured_resources_through_the_real_cli(tmp_path: Path) -> None:
    _amqp_project(tmp_path)
    args = ["check", "--select", "LL003,LL006", "--format", "json"]
    done = subprocess.run(
        [str(LEAKLINT), *args, "--config", "leaklint.toml", "src"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    got = sorted((f["rule"], f["line"]) for f in report["findings"])
    # publish(): the channel belongs to a connection the same call opens, so it goes with its
    # owner, which LL003 judges; publishShared(): a channel of the long-lived connection.
    assert got == [("LL003", 4), ("LL006", 29)]
    messages = {f["rule"]: f["message"] for f in report["findings"]}
    assert "amqplib connect" in messages["LL003"]
    assert "`await connection.createChannel()`" in messages["LL003"]
    assert "amqplib createChannel" in messages["LL006"]


def test_without_the_configuration_amqplib_is_not_a_resource(tmp_path: Path) -> None:
    _amqp_project(tmp_path)
    (tmp_path / "leaklint.toml").unlink()
    done = subprocess.run(
        [str(LEAKLINT), "check", "--select", "LL003,LL006", "src"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_configured_acquire_may_be_a_dotted_constructor() -> None:
    settings = Settings(
        root=Path("."),
        resources=(ResourceSpec("@acme/db", "new Client", ("shutdown",), "client"),),
    )
    code = """\
    import { Client } from '@acme/db';
    export async function f() {
      const db = new Client();
      await db.ping();
      await db.shutdown();
    }
    export async function g() {
      const db = new Client();
      try { await db.ping(); } finally { await db.shutdown(); }
    }
    """
    assert lines(code, settings=settings) == [(3, "LL003")]


# -- near misses ----------------------------------------------------------------------------


def test_a_local_class_named_redis_is_not_ioredis() -> None:
    code = """\
    class Redis { get() { return 1; } }
    export async function f() {
      const client = new Redis();
      await client.get();
    }
    """
    assert lines(code) == []


def test_a_shadowed_import_is_not_the_library() -> None:
    code = """\
    import Redis from 'ioredis';
    export async function f(Redis) {
      const client = new Redis();
      await client.get('k');
    }
    """
    assert lines(code) == []


def test_a_users_own_connect_is_not_a_pool_checkout() -> None:
    code = """\
    import { Pool, Client } from 'pg';
    import { broker } from './broker';
    const pool = new Pool();
    export async function f(socket) {
      const link = await broker.connect();
      await link.send('x');
      const conn = await socket.connect();
      await conn.write('x');
      const client = new Client();
      await client.connect();
      try { await client.query('x'); } finally { await client.end(); }
    }
    """
    assert lines(code) == []


def test_an_imported_pool_counts_when_the_function_releases_the_checkout() -> None:
    code = """\
    import { pool } from './db';
    export async function f() {
      const client = await pool.connect();
      await client.query('SELECT 1');
      client.release();
    }
    export async function g() {
      const client = await pool.connect();
      await client.query('SELECT 1');
    }
    """
    [finding] = findings(code)
    assert (finding.rule, finding.span.line) == ("LL006", 3)
    assert finding.message.startswith("The pool client 'client'")  # the library is unknown


def test_pg_sasl_start_session_is_not_a_mongodb_session() -> None:
    code = """\
    const sasl = require('./crypto/sasl');
    function auth(mechanisms) {
      const session = sasl.startSession(mechanisms);
      return session.mechanism;
    }
    function probe() {
      sasl.startSession(['SCRAM-SHA-256']);
    }
    """
    assert lines(code, name="client.js") == []


def test_mongoose_session_ended_only_on_success_is_reported() -> None:
    code = """\
    import mongoose from 'mongoose';
    export async function order(data) {
      const session = await mongoose.startSession();
      session.startTransaction();
      await mongoose.model('Order').create([data], { session });
      await session.commitTransaction();
      session.endSession();
    }
    """
    [finding] = findings(code)
    assert (finding.rule, finding.span.line) == ("LL006", 3)
    assert "if `await mongoose.model('Order').create(…)` (line 5) throws" in finding.message
    assert "the session stays open" in finding.message


def test_await_using_disposes_of_the_client() -> None:
    code = """\
    import { Pool } from 'pg';
    const pool = new Pool();
    export async function f() {
      await using client = await pool.connect();
      await client.query('SELECT 1');
    }
    """
    assert lines(code) == []
    assert lines(code, name="service.js") == []


def test_return_before_release_is_reported_with_its_line() -> None:
    code = """\
    import { Pool } from 'pg';
    const pool = new Pool();
    export async function f(id) {
      const client = await pool.connect();
      if (!id) {
        return null;
      }
      client.release();
    }
    """
    [finding] = findings(code)
    assert "the `return` on line 6" in finding.message


def test_release_in_catch_and_after_try_is_every_path() -> None:
    code = """\
    import { Pool } from 'pg';
    const pool = new Pool();
    export async function f() {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
      } catch (error) {
        logger.error(error);
        client.release(error);
        throw error;
      }
      client.release();
    }
    """
    assert lines(code) == []


def test_rollback_that_can_throw_before_the_release_in_catch_is_reported() -> None:
    code = """\
    import { Pool } from 'pg';
    const pool = new Pool();
    export async function f() {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        client.release();
      } catch (error) {
        await client.query('ROLLBACK');
        client.release();
        throw error;
      }
    }
    """
    [finding] = findings(code)
    assert "`await client.query('ROLLBACK')`" in finding.message


# -- test files -----------------------------------------------------------------------------

TEST_CODE = """\
import { Pool } from 'pg';
const pool = new Pool();
it('reads', async () => {
  const client = await pool.connect();
  expect((await client.query('SELECT 1')).rows).toHaveLength(1);
  client.release();
});
it('forgets', async () => {
  const client = await pool.connect();
  await client.query('SELECT 1');
});
"""


def test_test_files_report_only_what_is_never_released() -> None:
    assert lines(TEST_CODE, name="db.test.ts") == [(9, "LL006")]
    assert lines(TEST_CODE, name="db.ts") == [(4, "LL006"), (9, "LL006")]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("src/db.test.ts", True),
        ("src/db.spec.js", True),
        ("test/helpers.ts", True),
        ("src/__tests__/pool.js", True),
        ("app/user.e2e-spec.ts", True),
        ("src/test-setup.ts", True),
        ("jest.setup.js", True),
        ("src/testing.ts", False),
        ("src/contest/db.ts", False),
        ("src/latest.ts", False),
        ("src/db.ts", False),
    ],
)
def test_is_test_file(path: str, expected: bool) -> None:
    assert is_test_file(Path(path)) is expected


# -- the table ------------------------------------------------------------------------------


def test_prefilter_needs_a_quoted_module_or_a_method_call() -> None:
    clients, checkouts = configured_specs(())
    assert file_may_use(b"import Redis from 'ioredis'", clients)
    assert file_may_use(b'require("mysql2/promise")', clients)
    assert not file_may_use(b"const png = 'image.png'; // pg", clients)
    assert file_may_use(b"const c = await pool\n  .connect()", checkouts)
    assert not file_may_use(b"socket.disconnect()", checkouts)


# -- start-up code that runs once ------------------------------------------------------------

_START = """\
const Redis = require('ioredis');
{definition}
{call}
"""


@pytest.mark.parametrize(
    ("definition", "call", "reported"),
    [
        ("async function main() { const r = new Redis(); await r.ping(); }", "main();", False),
        (
            "const main = async () => { const r = new Redis(); await r.ping(); };",
            "main().catch(() => {});",
            False,
        ),
        (
            "async function main() { const r = new Redis(); await r.ping(); }",
            "if (require.main === module) main();",
            False,
        ),
        ("", "(async () => { const r = new Redis(); await r.ping(); })();", False),
        # Not once: called twice, in a loop, from another function, exported, or a callback.
        (
            "async function main() { const r = new Redis(); await r.ping(); }",
            "main(); main();",
            True,
        ),
        (
            "async function main() { const r = new Redis(); await r.ping(); }",
            "for (const x of [1, 2]) main();",
            True,
        ),
        (
            "async function main() { const r = new Redis(); await r.ping(); }",
            "function go() { main(); }",
            True,
        ),
        (
            "async function main() { const r = new Redis(); await r.ping(); }",
            "main(); module.exports = main;",
            True,
        ),
        # A one-shot callback at module level runs once, for every rule alike (LL002 said so,
        # LL003 said "every call leaves a connection open"): one client for the process.
        ("", "setTimeout(async () => { const r = new Redis(); await r.ping(); }, 10);", False),
        # A per-tick callback does run again and again.
        ("", "setInterval(async () => { const r = new Redis(); await r.ping(); }, 10);", True),
        # Called once from start-up code that runs once; or from it, but in a loop.
        (
            "async function init() { const r = new Redis(); await r.ping(); }\n"
            "async function main() { await init(); }",
            "main();",
            False,
        ),
        (
            "async function init() { const r = new Redis(); await r.ping(); }\n"
            "async function main() { for (const x of [1, 2]) await init(); }",
            "main();",
            True,
        ),
        (
            "async function init() { const r = new Redis(); await r.ping(); }\n"
            "function handler(req, res) { init(); }",
            "require('http').createServer(handler);",
            True,
        ),
    ],
)
def test_clients_made_by_start_up_code_that_runs_once_live_for_the_process(
    definition: str, call: str, reported: bool
) -> None:
    code = _START.format(definition=definition, call=call)
    assert bool(lines(code, name="start.js", rules=("LL003",))) is reported


def test_a_close_in_finally_whose_try_starts_too_late_is_explained_so() -> None:
    source = (
        "const Redis = require('ioredis');\n"
        "async function check(container) {\n"
        "  const redis = new Redis();\n"
        "  const id = container.getId();\n"
        "  try {\n"
        "    await redis.set(id, 1);\n"
        "  } finally {\n"
        "    await redis.quit();\n"
        "  }\n"
        "}\n"
        "module.exports = check;\n"
    )
    (finding,) = run_rule("LL003", source)
    assert "in a `finally` block, but `container.getId()` (line 4) runs before" in finding.message
    assert "Start the `try` right after 'redis' is created." in finding.message


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("scripts/export_users.mjs", True),
        ("services/web/scripts/history/resync.mjs", True),
        ("bin/build-tools.js", True),
        ("script/release.js", True),
        ("src/scripts.js", False),
        ("src/scripting/run.js", False),
        ("lib/binary.js", False),
        ("scripts.js", False),
        ("packages/docs/pages/.vitepress/config.js", True),
        ("webpack.config.js", True),
        ("web/vite.config.mts", True),
        ("src/config.js", False),
        ("lib/config/index.js", False),
        ("src/app.configure.js", False),
    ],
)
def test_is_script_file(path: str, expected: bool) -> None:
    assert is_script_file(Path(path)) is expected


# -- a kind is one table entry ---------------------------------------------------------------


def test_a_new_kind_is_one_table_entry_and_the_rule_words(monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/architecture.md's worked example, verbatim: a `dgram` socket kind added with one
    entry and its words finds a per-message socket and leaves a module-level one alone, with no
    change to the engine."""
    from leaklint.analysis import resource_table
    from leaklint.rules import ll010_unclosed_handle as ll010
    from leaklint.rules._resource_rule import Words

    entry = resource_table.ClientSpec(
        ("dgram",),
        (("createSocket",),),
        ("close",),
        "UDP socket",
        kind="socket",
        listener_callback=True,
        lives_for_the_process=True,
    )
    source = (
        "const dgram = require('node:dgram');\n"
        "const shared = dgram.createSocket('udp4');\n"
        "socket.on('message', (msg) => {\n"
        "  const s = dgram.createSocket('udp4', () => {});\n"
        "  s.send(msg, 41234, 'localhost');\n"
        "});\n"
    )
    assert run_rule("LL010", source) == []  # not a kind yet
    monkeypatch.setattr(resource_table, "BUILTIN_HANDLES", (*resource_table.BUILTIN_HANDLES, entry))
    monkeypatch.setattr(ll010.UnclosedHandle, "kind", (*ll010.UnclosedHandle.kind, "socket"))
    words = Words("opened", "closed", "close", "every {unit} leaves a UDP socket open")
    monkeypatch.setitem(ll010.WORDS, "socket", words)
    found = run_rule("LL010", source)
    assert [(f.span.line, f.message) for f in found] == [
        (
            4,
            "The UDP socket 's' is opened here and never closed: every message leaves a UDP "
            "socket open. Call `s.close()` in a `finally` block.",
        )
    ]
