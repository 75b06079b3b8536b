// LL003 unclosed-client (node-redis variant), flagged: createClient() per call, quit() only on
// the happy path; a failing sAdd skips quit() and the connection stays open.
const { createClient } = require('redis');
const {
  intFromEnv,
  redisCommand,
  redisConnectedClients,
  runCase,
  stableCount,
} = require('../../lib/harness');

const stats = { calls: 0, failed: 0 };

async function setCacheBlockedPublicIds(uploadSessionId, sourceFileId) {
  stats.calls += 1;
  try {
    const client = createClient({ url: process.env.REDIS_URL });
    await client.connect();
    await client.sAdd(uploadSessionId.toString(), String(sourceFileId));
    await client.quit();
  } catch (e) {
    stats.failed += 1;
  }
}

runCase(async () => {
  const n = intFromEnv('EVIDENCE_N', 100);
  const port = Number(process.env.REDIS_DEFAULT_PORT);
  await redisCommand(port, ['SET', '0', 'not-a-set']);
  const before = await stableCount(() => redisConnectedClients(port));
  for (let i = 1; i <= n; i += 1) {
    await setCacheBlockedPublicIds(i % 2 === 0 ? 0 : i, 1000 + i);
  }
  const after = await stableCount(() => redisConnectedClients(port));
  return { value: after - before, unit: 'connections', n, details: stats };
});
