// LL003 unclosed-client (pg variant), fixed: end() in finally, so a failed query closes too.
const pg = require('pg');
const { intFromEnv, pgBackends, pgConfigFromEnv, runCase, stableCount } = require('../../lib/harness');

const { Client } = pg;
const config = pgConfigFromEnv();
const stats = { calls: 0, failed: 0 };

async function recordShare(uploadId, parts) {
  stats.calls += 1;
  const client = new Client(config);
  try {
    await client.connect();
    await client.query('SELECT $1::int / $2::int AS share', [uploadId, parts]);
  } catch (e) {
    stats.failed += 1;
  } finally {
    await client.end();
  }
}

runCase(async () => {
  const n = intFromEnv('EVIDENCE_N', 100);
  const before = await stableCount(() => pgBackends(pg, config));
  for (let i = 1; i <= n; i += 1) await recordShare(i, i % 2);
  const after = await stableCount(() => pgBackends(pg, config));
  return { value: after - before, unit: 'backends', n, details: stats };
});
