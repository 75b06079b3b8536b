// The Redis factory module the route modules of this case share: every call makes a new
// ioredis client. Whether that leaks is decided by the caller in another module.
const Redis = require('ioredis');

function createRedis() {
  const client = new Redis(process.env.REDIS_URL);
  client.on('error', () => {});
  return client;
}

module.exports = { createRedis };
