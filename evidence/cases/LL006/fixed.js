// LL006 unreleased-pool-client, fixed: release() in finally, so the client goes back to the
// pool whether or not the query throws; the pool reuses it for the next call.
const pg = require('pg');
const { backendsAdded, intFromEnv, pgConfigFromEnv, runCase } = require('../../lib/harness');

const config = pgConfigFromEnv();
const n = intFromEnv('EVIDENCE_N', 100);
const pool = new pg.Pool({ ...config, max: n + 1, idleTimeoutMillis: 60_000 });
const stats = { calls: 0, failed: 0 };

async function recordShare(uploadId, parts) {
  stats.calls += 1;
  const client = await pool.connect();
  try {
    await client.query('SELECT $1::int / $2::int AS share', [uploadId, parts]);
  } catch (e) {
    stats.failed += 1;
  } finally {
    client.release();
  }
}

runCase(async () => {
  const added = await backendsAdded(pg, config, async () => {
    for (let i = 1; i <= n; i += 1) await recordShare(i, i % 2);
  });
  const checkedOut = pool.totalCount - pool.idleCount;
  return { value: added, unit: 'backends', n, details: { ...stats, checkedOut } };
});
