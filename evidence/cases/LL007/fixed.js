// LL007 listener-leak, fixed: the handler is removed when the request is done, so the emitter
// holds only the requests in flight.
const { EventEmitter } = require('node:events');
const { intFromEnv, requestAll, runCase, settledHeapUsed, startHandler, toMB } = require('../../lib/harness');

const configBus = new EventEmitter();

async function renderPage(req, res) {
  const ctx = { url: req.url, stale: false, body: `<main>${req.url}</main>`.padEnd(50_000, '.') };
  const onReload = () => {
    ctx.stale = true;
  };
  configBus.on('reload', onReload);
  try {
    await new Promise((resolve) => setImmediate(resolve));
    res.end(ctx.body);
  } finally {
    configBus.removeListener('reload', onReload);
  }
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
