// LL011 uncleared-timeout, fixed: the same race, with the timer's handle kept and cleared in
// `finally`, so a call that wins leaves no timer and nothing of its context behind.
const { activeTimers, intFromEnv, runCase, settledHeapUsed, toMB } = require('../../lib/harness');

async function withTimeout(work, ms, context) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${context.operation} timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
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
