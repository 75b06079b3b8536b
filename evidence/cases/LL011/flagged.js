// LL011 uncleared-timeout, flagged: every call races its work against a 60 s timeout and never
// clears the timer when the work wins. Each timer stays scheduled, and its callback keeps the
// call's context (the request it would report as timed out) reachable, for the whole minute.
const { activeTimers, intFromEnv, runCase, settledHeapUsed, toMB } = require('../../lib/harness');

function withTimeout(work, ms, context) {
  return Promise.race([
    work,
    new Promise((_, reject) =>
      setTimeout(() => reject(new Error(`${context.operation} timed out after ${ms} ms`)), ms),
    ),
  ]);
}

async function lookup(id) {
  // Per-call state (8k numbers, ~64 KB): what a forgotten timer keeps alive.
  const context = { operation: `lookup ${id}`, rows: new Array(8_192).fill(id) };
  const work = new Promise((resolve) => setImmediate(resolve, context.rows.length));
  return withTimeout(work, 60_000, context);
}

runCase(async () => {
  const n = intFromEnv('EVIDENCE_N', 200);
  const timersBefore = activeTimers();
  const heapBefore = await settledHeapUsed();
  for (let i = 0; i < n; i += 1) await lookup(i);
  const heapAfter = await settledHeapUsed();
  return {
    value: activeTimers() - timersBefore,
    unit: 'timers',
    n,
    details: { heap_mb: toMB(heapAfter - heapBefore) },
  };
});
