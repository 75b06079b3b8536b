// The database module of both twins: one pg pool for the process, and node-postgres'
// documented `getClient()` helper, which hands a checked-out connection to its caller.
const pg = require('pg');
const { intFromEnv, pgConfigFromEnv } = require('../../../lib/harness');

// As many clients as requests, so that the leak shows as backends rather than as a request
// stuck waiting for a free client (what production sees once the default max of 10 is used).
const pool = new pg.Pool({
  ...pgConfigFromEnv(),
  max: intFromEnv('EVIDENCE_N', 100) + 1,
  idleTimeoutMillis: 60_000,
});

async function getClient() {
  const client = await pool.connect();
  return client;
}

module.exports = { pool, getClient };
