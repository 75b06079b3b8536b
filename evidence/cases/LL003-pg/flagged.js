// LL003 unclosed-client (pg variant), flagged: a PostgreSQL client per call, ended only on the
// happy path; when the query throws, end() is skipped and the server keeps the backend.
const pg = require('pg');
const { intFromEnv, pgBackends, pgConfigFromEnv, runCase, stableCount } = require('../../lib/harness');

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
  const before = await stableCount(() => pgBackends(pg, config));
  // parts = 0 on every other call: "division by zero" raised by the server.
  for (let i = 1; i <= n; i += 1) await recordShare(i, i % 2);
  const after = await stableCount(() => pgBackends(pg, config));
  return { value: after - before, unit: 'backends', n, details: stats };
});
