// LL006 unreleased-pool-client, fixed: release() in finally, so the client goes back to the
// pool whether or not the query throws; the pool reuses it for the next call.
const pg = require('pg');
const { intFromEnv, pgBackends, pgConfigFromEnv, runCase, stableCount } = require('../../lib/harness');

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
  const before = await stableCount(() => pgBackends(pg, config));
  for (let i = 1; i <= n; i += 1) await recordShare(i, i % 2);
  const after = await stableCount(() => pgBackends(pg, config));
  const checkedOut = pool.totalCount - pool.idleCount;
  return { value: after - before, unit: 'backends', n, details: { ...stats, checkedOut } };
});
