// LL003 unclosed-client (layered, across modules), fixed: the route module quits the client
// it took from the Redis factory module (`lib/redis.js`), in a `finally` block.
const { createRedis } = require('./lib/redis');
const {
  intFromEnv,
  redisConnectedClients,
  requestAll,
  runCase,
  stableCount,
  startHandler,
} = require('../../lib/harness');

const stats = { calls: 0 };

async function flagRoute(req, res) {
  stats.calls += 1;
  const redis = createRedis();
  try {
    const value = await redis.get(`flag:${req.url.split('/').pop()}`);
    res.end(String(value));
  } finally {
    await redis.quit();
  }
}

runCase(async () => {
  const n = intFromEnv('EVIDENCE_N', 100);
  const port = Number(process.env.REDIS_DEFAULT_PORT);
  const app = await startHandler(flagRoute);
  const before = await stableCount(() => redisConnectedClients(port));
  await requestAll(app, n, (i) => `/flags/${i}`);
  const after = await stableCount(() => redisConnectedClients(port));
  return { value: after - before, unit: 'connections', n, details: { ...stats, clients: stats.calls } };
});
