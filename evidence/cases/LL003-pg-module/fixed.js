// LL003 unclosed-client (layered, across modules), fixed: the same repository module, with a
// database module (`db/connect-once.js`) that connects once and returns that one client on
// every call: the fix is in the module that makes the connection, not in its caller.
const pg = require('pg');
const { connect } = require('./db/connect-once');
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
  const db = await connect();
  const { rows } = await db.query('SELECT $1::int AS id', [Number(req.url.split('/').pop())]);
  res.end(JSON.stringify(rows[0]));
}

runCase(async () => {
  const n = intFromEnv('EVIDENCE_N', 100);
  const config = pgConfigFromEnv();
  const app = await startHandler(findUpload);
  const added = await backendsAdded(pg, config, async () => {
    await requestAll(app, n, (i) => `/uploads/${i}`);
  });
  return { value: added, unit: 'backends', n, details: stats };
});
