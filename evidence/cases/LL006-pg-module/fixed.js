// LL006 unreleased-pool-client (layered, across modules), fixed: the same route and the same
// database module; the route releases the connection in `finally`, so the pool lends the one
// connection out again on the next request.
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
  try {
    const id = Number(req.url.split('/').pop());
    const { rows } = await client.query('SELECT $1::int AS id', [id]);
    res.end(JSON.stringify(rows[0]));
  } finally {
    client.release();
  }
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
