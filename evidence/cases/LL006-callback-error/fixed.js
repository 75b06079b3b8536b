// LL006 unreleased-pool-client, callback style, fixed: done() first in the query's callback, so
// the client goes back to the pool whether the query failed or not.
const pg = require('pg');
const { backendsAdded, intFromEnv, pgConfigFromEnv, runCase } = require('../../lib/harness');

const config = pgConfigFromEnv();
const n = intFromEnv('EVIDENCE_N', 100);
// As many clients as calls, so that the leak shows as backends rather than as a caller stuck
// waiting for a free client.
const pool = new pg.Pool({ ...config, max: n + 1, idleTimeoutMillis: 60_000 });
const stats = { calls: 0, failed: 0 };

function shareOf(uploadId, parts, callback) {
  stats.calls += 1;
  pool.connect((err, client, done) => {
    if (err) return callback(err);
    client.query('SELECT $1::int / $2::int AS share', [uploadId, parts], (error, result) => {
      done();
      if (error) return callback(error);
      callback(null, result.rows[0].share);
    });
  });
}

runCase(async () => {
  const added = await backendsAdded(pg, config, async () => {
    // parts = 0 on every other call: "division by zero" raised by the server.
    for (let i = 1; i <= n; i += 1) {
      await new Promise((resolve) =>
        shareOf(i, i % 2, (error) => {
          if (error) stats.failed += 1;
          resolve();
        }),
      );
    }
  });
  const checkedOut = pool.totalCount - pool.idleCount;
  return { value: added, unit: 'backends', n, details: { ...stats, checkedOut } };
});
