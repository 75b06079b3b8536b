// LL006 unreleased-pool-client, callback style, fixed: done() in the query's callback gives the
// client back to the pool after each call, whatever the outcome; the pool reuses it for the
// next call.
const pg = require('pg');
const { backendsAdded, intFromEnv, pgConfigFromEnv, runCase } = require('../../lib/harness');

const config = pgConfigFromEnv();
const n = intFromEnv('EVIDENCE_N', 100);
// As many clients as calls, so that the leak shows as backends rather than as a caller stuck
// waiting for a free client (what production sees once the default max of 10 is used up).
const pool = new pg.Pool({ ...config, max: n + 1, idleTimeoutMillis: 60_000 });
const stats = { calls: 0 };

function shareOf(uploadId, callback) {
  stats.calls += 1;
  pool.connect((err, client, done) => {
    if (err) return callback(err);
    client.query('SELECT $1::int AS id', [uploadId], (error, result) => {
      done();
      callback(error, result && result.rows[0].id);
    });
  });
}

runCase(async () => {
  const added = await backendsAdded(pg, config, async () => {
    for (let i = 1; i <= n; i += 1) {
      await new Promise((resolve, reject) => shareOf(i, (e, v) => (e ? reject(e) : resolve(v))));
    }
  });
  const checkedOut = pool.totalCount - pool.idleCount;
  return { value: added, unit: 'backends', n, details: { ...stats, checkedOut } };
});
