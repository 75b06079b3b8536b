// LL006 unreleased-pool-client (layered, across modules), flagged: a route module takes a
// connection from the database module's `getClient()` per request and never releases it, so
// every request keeps one connection checked out and its backend open on the server.
const pg = require('pg');
const { getClient, pool } = require('./db/pool');
const {
  backendsAdded,
  intFromEnv,
  pgConfigFromEnv,
  requestAll,
  runCase,
  startHandler,
} = require('../../lib/harness');

const stats = { calls: 0 };

async function findUpload(req, res) {
  stats.calls += 1;
  const client = await getClient();
  const { rows } = await client.query('SELECT $1::int AS id', [Number(req.url.split('/').pop())]);
  res.end(JSON.stringify(rows[0]));
}

runCase(async () => {
  const n = intFromEnv('EVIDENCE_N', 100);
  const config = pgConfigFromEnv();
  const app = await startHandler(findUpload);
  const added = await backendsAdded(pg, config, async () => {
    await requestAll(app, n, (i) => `/uploads/${i}`);
  });
  const checkedOut = pool.totalCount - pool.idleCount;
  return { value: added, unit: 'backends', n, details: { ...stats, checkedOut } };
});
