// LL003 unclosed-client, flagged: the seed's UploadCacheService. A Redis client per call,
// disconnected only on the happy path; when sadd throws, disconnect() is skipped and the
// connection stays open on the server.
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
    try {
      const client = new Redis({
        host: process.env.REDIS_DEFAULT_HOST,
        port: +(process.env.REDIS_DEFAULT_PORT ?? 6379),
      });
      await client.sadd(uploadSessionId.toString(), sourceFileId);
      client.disconnect();
    } catch (e) {
      stats.failed += 1;
    }
  }
}

runCase(async () => {
  const n = intFromEnv('EVIDENCE_N', 100);
  const port = Number(process.env.REDIS_DEFAULT_PORT);
  // Session 0's key holds a string, so SADD on it fails with WRONGTYPE: a real server-side
  // error for every other call, as in the seed's try/catch case.
  await redisCommand(port, ['SET', '0', 'not-a-set']);
  const before = await stableCount(() => redisConnectedClients(port));
  const service = new UploadCacheService();
  for (let i = 1; i <= n; i += 1) {
    await service.setCacheBlockedPublicIds(i % 2 === 0 ? 0 : i, 1000 + i);
  }
  const after = await stableCount(() => redisConnectedClients(port));
  return { value: after - before, unit: 'connections', n, details: stats };
});
