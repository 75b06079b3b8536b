"""Helpers of another module that a checkout is handed to (``RELEASER`` exports, ``Use.helper``),
classes across modules (a base class's per-call client factory), async factories, and how a
cross-module message names a default export."""

from __future__ import annotations

from pathlib import Path

from leaklint.config import Settings
from leaklint.model.project import CHECKOUT, RELEASER, FileSummary
from leaklint.pipeline.discovery import discover
from leaklint.pipeline.engine import check_path, rules_for, run
from tests.fixture_harness import PROJECTS


def summary_of(tmp_path: Path, name: str, code: str) -> FileSummary:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(code, encoding="utf-8")
    settings = Settings(root=tmp_path, project=True)
    result = check_path(path, settings, rules_for(settings), summarise=True)
    assert result.summary is not None
    return FileSummary.from_dict(result.summary)


def findings(case: str) -> list[tuple[str, int, str, str]]:
    folder = PROJECTS / case
    settings = Settings(root=folder, preview=True, project=True)
    result = run(discover([folder], settings), settings, use_cache=False)
    return [(Path(f.path).name, f.span.line, f.rule, f.message) for f in result.findings]


def test_a_function_that_releases_its_argument_is_a_release_helper(tmp_path: Path) -> None:
    summary = summary_of(
        tmp_path,
        "db.ts",
        """
import { Pool, PoolClient } from 'pg';
export const pool = new Pool();
export function done(label: string, client: PoolClient): void {
  console.log(label);
  client.release();
}
export function trace(client: PoolClient): void {
  console.log(client.processID);
}
""",
    )
    done = summary.export("done")
    assert done is not None and (done.kind, done.store) == (RELEASER, "1")
    assert summary.export("trace") is None


def test_a_checkout_records_the_imported_helper_it_is_handed_to(tmp_path: Path) -> None:
    summary = summary_of(
        tmp_path,
        "route.js",
        """
const { pool, done } = require('./db');
app.get('/', async (req, res) => {
  const client = await pool.connect();
  await client.query('select 1');
  done('route', client);
});
""",
    )
    (checkout,) = [u for u in summary.uses if u.action == CHECKOUT]
    assert checkout.helper == "./db\x00done\x001"
    assert not checkout.handled


def test_a_release_helper_of_another_module_releases_and_a_tracer_does_not() -> None:
    assert findings("pg-release-helper") == []
    (flagged,) = findings("pg-release-helper-keeps")
    assert flagged[:3] == ("orders.js", 7, "LL006")


def test_a_subclass_calls_its_base_class_factory_method_in_another_module() -> None:
    """`class UserRepository extends Repository` (re-exported from the base's module):
    `this.getClient()` is the base's per-call factory, unless the class has its own."""
    (flagged,) = findings("base-repo-client")
    assert flagged[:3] == ("user.repository.ts", 5, "LL003")
    assert flagged[3].startswith("'this.getClient()' from '")
    assert "base-repo-client/src/repositories/base.repository.ts' creates" in flagged[3]
    assert findings("base-repo-client-closed") == []


def test_an_exported_class_lists_its_per_call_factory_methods(tmp_path: Path) -> None:
    summary = summary_of(
        tmp_path,
        "base.js",
        """
const Redis = require('ioredis');
class Base {
  getClient() { return new Redis(); }
  shared() { return this.client ??= new Redis(); }
  static make() { return new Redis(); }
}
module.exports = Base;
""",
    )
    assert [e.name for e in summary.exports] == ["default.getClient"]


def test_an_async_factory_that_connects_is_followed_into_await_across_modules() -> None:
    """`async function connectDb() { const c = new Client(); await c.connect(); return c }`
    (same file: fixtures/LL003/async_factory.js) called per request in another module."""
    (flagged,) = findings("async-factory")
    assert flagged[:3] == ("orders.ts", 6, "LL003")
    assert flagged[3].startswith("'connectDb()' from '")
    assert findings("async-factory-closed") == []


def test_a_default_exported_store_is_named_as_the_importing_file_names_it() -> None:
    """`const cache = require('../lib/cache')` of `module.exports = new PageCache()`: the
    message says 'cache', not 'default'."""
    (flagged,) = findings("class-singleton-cache")
    assert flagged[:3] == ("pages.js", 7, "LL005")
    assert flagged[3].startswith("'cache' is a module-level PageCache instance of '")
    assert "'default'" not in flagged[3]
