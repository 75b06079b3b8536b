// LL007 listener-leak (process variant), flagged: every request registers an inline SIGTERM
// handler on `process` to flush its context on shutdown, and never removes it.
const { intFromEnv, requestAll, runCase, settledHeapUsed, startHandler, toMB } = require('../../lib/harness');

const flushed = [];

async function handleUpload(req, res) {
  const ctx = { url: req.url, rows: new Array(6_250).fill(req.url) };
  process.on('SIGTERM', () => {
    flushed.push(ctx.url);
  });
  await new Promise((resolve) => setImmediate(resolve));
  res.end('stored');
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
