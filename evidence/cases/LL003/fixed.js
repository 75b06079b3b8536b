// LL003 unclosed-client, fixed: the same service, with disconnect() in finally so that a
// failed sadd closes the connection too.
const Redis = require('ioredis');
const {
  intFromEnv,
  redisCommand,
  redisConnectedClients,
  runCase,
  stableCount,
} = require('../../lib/harness');

const stats = { calls: 0, failed: 0 };

class UploadCacheService {
  async setCacheBlockedPublicIds(uploadSessionId, sourceFileId) {
    stats.calls += 1;
    const client = new Redis({
      host: process.env.REDIS_DEFAULT_HOST,
      port: +(process.env.REDIS_DEFAULT_PORT ?? 6379),
    });
    try {
      await client.sadd(uploadSessionId.toString(), sourceFileId);
    } catch (e) {
      stats.failed += 1;
    } finally {
      client.disconnect();
    }
  }
}

runCase(async () => {
  const n = intFromEnv('EVIDENCE_N', 100);
  const port = Number(process.env.REDIS_DEFAULT_PORT);
  await redisCommand(port, ['SET', '0', 'not-a-set']);
  const before = await stableCount(() => redisConnectedClients(port));
  const service = new UploadCacheService();
  for (let i = 1; i <= n; i += 1) {
    await service.setCacheBlockedPublicIds(i % 2 === 0 ? 0 : i, 1000 + i);
  }
  const after = await stableCount(() => redisConnectedClients(port));
  return { value: after - before, unit: 'connections', n, details: stats };
});
