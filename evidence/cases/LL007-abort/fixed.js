// LL007 listener-leak ('abort' case), fixed: the same calls on the same long-lived signal, with
// the listener removed in `finally` when the work settles, so nothing of a call stays on it.
const { getEventListeners } = require('node:events');
const { intFromEnv, runCase, settledHeapUsed, toMB } = require('../../lib/harness');

async function runTask(job, signal) {
  let onAbort;
  try {
    return await new Promise((resolve, reject) => {
      onAbort = () => reject(new Error(`job ${job.id} aborted`));
      signal.addEventListener('abort', onAbort);
      setImmediate(() => resolve(job.rows.length));
    });
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

runCase(async () => {
  const n = intFromEnv('EVIDENCE_N', 200);
  const shutdown = new AbortController();
  const before = await settledHeapUsed();
  for (let i = 0; i < n; i += 1) {
    // Per-job state (8k numbers, ~64 KB): what a forgotten listener keeps alive.
    await runTask({ id: i, rows: new Array(8_192).fill(i) }, shutdown.signal);
  }
  const after = await settledHeapUsed();
  return {
    value: getEventListeners(shutdown.signal, 'abort').length,
    unit: 'listeners',
    n,
    details: { heap_mb: toMB(after - before) },
  };
});
