// LL007 listener-leak ('abort' case), flagged: every call listens for 'abort' on the signal
// its caller passes in and never stops. The caller passes one long-lived signal (a shutdown
// signal) to every call, so the signal keeps every call's listener and the job it closes over.
const { getEventListeners } = require('node:events');
const { intFromEnv, runCase, settledHeapUsed, toMB } = require('../../lib/harness');

function runTask(job, signal) {
  return new Promise((resolve, reject) => {
    signal.addEventListener('abort', () => reject(new Error(`job ${job.id} aborted`)));
    setImmediate(() => resolve(job.rows.length));
  });
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
