// LL006 unreleased-pool-client, flagged: a client checked out of the pool per call and released
// only on the happy path; when the query throws, release() is skipped, the client stays checked
// out and its backend stays open on the server.
const pg = require('pg');
const { backendsAdded, intFromEnv, pgConfigFromEnv, runCase } = require('../../lib/harness');

const config = pgConfigFromEnv();
const n = intFromEnv('EVIDENCE_N', 100);
// The pool is allowed as many clients as there are calls, so that the leak shows as backends
// on the server rather than as callers stuck waiting for a client (which is what happens in
// production once the default max of 10 is reached).
const pool = new pg.Pool({ ...config, max: n + 1, idleTimeoutMillis: 60_000 });
const stats = { calls: 0, failed: 0 };

async function recordShare(uploadId, parts) {
  stats.calls += 1;
  try {
    const client = await pool.connect();
    await client.query('SELECT $1::int / $2::int AS share', [uploadId, parts]);
    client.release();
  } catch (e) {
    stats.failed += 1;
  }
}

runCase(async () => {
  const added = await backendsAdded(pg, config, async () => {
    // parts = 0 on every other call: "division by zero" raised by the server.
    for (let i = 1; i <= n; i += 1) await recordShare(i, i % 2);
  });
  const checkedOut = pool.totalCount - pool.idleCount;
  return { value: added, unit: 'backends', n, details: { ...stats, checkedOut } };
});
