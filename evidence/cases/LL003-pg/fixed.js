// LL003 unclosed-client (pg variant), fixed: end() in finally, so a failed query closes too.
const pg = require('pg');
const { backendsAdded, intFromEnv, pgConfigFromEnv, runCase } = require('../../lib/harness');

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
  const added = await backendsAdded(pg, config, async () => {
    for (let i = 1; i <= n; i += 1) await recordShare(i, i % 2);
  });
  return { value: added, unit: 'backends', n, details: stats };
});
