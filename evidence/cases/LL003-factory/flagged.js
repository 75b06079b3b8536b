// LL003 unclosed-client (factory variant), flagged: a factory of the file makes a new ioredis
// client on every call, and the caller reads with it and never closes it. Nothing fails here:
// every call leaves one connection open on the server.
const Redis = require('ioredis');
const { intFromEnv, redisConnectedClients, runCase, stableCount } = require('../../lib/harness');

const stats = { calls: 0, clients: 0 };

function makeRedis() {
  stats.clients += 1;
  const client = new Redis(process.env.REDIS_URL);
  client.on('error', () => {});
  return client;
}

async function getFlag(name) {
  stats.calls += 1;
  const redis = makeRedis();
  return redis.get(name);
}

runCase(async () => {
  const n = intFromEnv('EVIDENCE_N', 100);
  const port = Number(process.env.REDIS_DEFAULT_PORT);
  const before = await stableCount(() => redisConnectedClients(port));
  for (let i = 1; i <= n; i += 1) {
    await getFlag(`flag:${i}`);
  }
  const after = await stableCount(() => redisConnectedClients(port));
  return { value: after - before, unit: 'connections', n, details: stats };
});
