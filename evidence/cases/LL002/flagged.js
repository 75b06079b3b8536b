// LL002 uncleared-interval, flagged: every call starts an interval and drops its handle, so
// the timer (and the job it closes over) lives until the process exits.
const { activeTimers, intFromEnv, runCase, settledHeapUsed, toMB } = require('../../lib/harness');

function handleInterval(job) {
  const array1 = [1, 2, 3];
  const array2 = array1.map(() => ({}));
  job.ticks += array2.length;
}

function watchJob(job) {
  setInterval(handleInterval, 1000, job);
}

function runJob(id) {
  // Per-job state (8k numbers): what a forgotten timer keeps reachable.
  const job = { id, ticks: 0, rows: new Array(8_192).fill(id) };
  watchJob(job);
  return job.rows.length;
}

runCase(async () => {
  const n = intFromEnv('EVIDENCE_N', 200);
  const timersBefore = activeTimers();
  const heapBefore = await settledHeapUsed();
  for (let i = 0; i < n; i += 1) runJob(i);
  const heapAfter = await settledHeapUsed();
  return {
    value: activeTimers() - timersBefore,
    unit: 'timers',
    n,
    details: { heap_mb: toMB(heapAfter - heapBefore) },
  };
});
