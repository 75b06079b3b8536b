// LL003 unclosed-client (pg variant), flagged: a PostgreSQL client per call, ended only on the
// happy path; when the query throws, end() is skipped and the server keeps the backend.
const pg = require('pg');
const { backendsAdded, intFromEnv, pgConfigFromEnv, runCase } = require('../../lib/harness');

const { Client } = pg;
const config = pgConfigFromEnv();
const stats = { calls: 0, failed: 0 };

async function recordShare(uploadId, parts) {
  stats.calls += 1;
  try {
    const client = new Client(config);
    await client.connect();
    await client.query('SELECT $1::int / $2::int AS share', [uploadId, parts]);
    await client.end();
  } catch (e) {
    stats.failed += 1;
  }
}

runCase(async () => {
  const n = intFromEnv('EVIDENCE_N', 100);
  const added = await backendsAdded(pg, config, async () => {
    // parts = 0 on every other call: "division by zero" raised by the server.
    for (let i = 1; i <= n; i += 1) await recordShare(i, i % 2);
  });
  return { value: added, unit: 'backends', n, details: stats };
});
