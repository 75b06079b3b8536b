// LL003 unclosed-client (node-redis variant), fixed: quit() in finally.
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
  const client = createClient({ url: process.env.REDIS_URL });
  try {
    await client.connect();
    await client.sAdd(uploadSessionId.toString(), String(sourceFileId));
  } catch (e) {
    stats.failed += 1;
  } finally {
    if (client.isOpen) await client.quit();
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
