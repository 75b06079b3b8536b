// LL007 listener-leak, flagged: every request subscribes an inline handler to a module-level
// emitter and never unsubscribes. Each handler closes over its request's context, so the
// emitter keeps every request ever served reachable.
const { EventEmitter } = require('node:events');
const { intFromEnv, requestAll, runCase, settledHeapUsed, startHandler, toMB } = require('../../lib/harness');

const configBus = new EventEmitter();

async function renderPage(req, res) {
  const ctx = { url: req.url, stale: false, body: `<main>${req.url}</main>`.padEnd(50_000, '.') };
  configBus.on('reload', () => {
    ctx.stale = true;
  });
  await new Promise((resolve) => setImmediate(resolve));
  res.end(ctx.body);
}

runCase(async () => {
  const n = intFromEnv('EVIDENCE_N', 200);
  const app = await startHandler(renderPage);
  await requestAll(app, 5, (i) => `/warmup/${i}`);
  const listenersBefore = configBus.listenerCount('reload');
  const before = await settledHeapUsed();
  await requestAll(app, n, (i) => `/page/${i}`);
  const after = await settledHeapUsed();
  return {
    value: configBus.listenerCount('reload') - listenersBefore,
    unit: 'listeners',
    n,
    details: { heap_mb: toMB(after - before) },
  };
});
