// LL002 uncleared-interval, fixed: the handle is kept and cleared in stop() when the job ends.
const { activeTimers, intFromEnv, runCase, settledHeapUsed, toMB } = require('../../lib/harness');

function handleInterval(job) {
  const array1 = [1, 2, 3];
  const array2 = array1.map(() => ({}));
  job.ticks += array2.length;
}

function watchJob(job) {
  const handle = setInterval(handleInterval, 1000, job);
  return {
    stop() {
      clearInterval(handle);
    },
  };
}

function runJob(id) {
  const job = { id, ticks: 0, rows: new Array(8_192).fill(id) };
  const watcher = watchJob(job);
  try {
    return job.rows.length;
  } finally {
    watcher.stop();
  }
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
