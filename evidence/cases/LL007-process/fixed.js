// LL007 listener-leak (process variant), fixed: one SIGTERM listener registered once at module
// load; requests only join and leave the set of contexts it flushes.
const { intFromEnv, requestAll, runCase, settledHeapUsed, startHandler, toMB } = require('../../lib/harness');

const flushed = [];
const inFlight = new Set();

function flushAll() {
  for (const ctx of inFlight) flushed.push(ctx.url);
}
process.on('SIGTERM', flushAll);

async function handleUpload(req, res) {
  const ctx = { url: req.url, rows: new Array(6_250).fill(req.url) };
  inFlight.add(ctx);
  try {
    await new Promise((resolve) => setImmediate(resolve));
    res.end('stored');
  } finally {
    inFlight.delete(ctx);
  }
}

runCase(async () => {
  const n = intFromEnv('EVIDENCE_N', 200);
  const app = await startHandler(handleUpload);
  await requestAll(app, 5, (i) => `/warmup/${i}`);
  const listenersBefore = process.listenerCount('SIGTERM');
  const before = await settledHeapUsed();
  await requestAll(app, n, (i) => `/upload/${i}`);
  const after = await settledHeapUsed();
  return {
    value: process.listenerCount('SIGTERM') - listenersBefore,
    unit: 'listeners',
    n,
    details: { heap_mb: toMB(after - before), flushed: flushed.length },
  };
});
