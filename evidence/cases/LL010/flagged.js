// LL010 unclosed-handle, flagged: every job starts its own worker thread and watches its
// output directory, and ends both only when the job succeeds. A job that fails (half of them
// here: the worker reports a corrupt image) leaves the thread running — a whole V8 isolate
// waiting for its next message — and the watcher open, for as long as the process lives.
const fs = require('node:fs');
const { Worker } = require('node:worker_threads');
const { intFromEnv, liveHandles, runCase, settle } = require('../../lib/harness');

const RESIZER = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (job) => {
  parentPort.postMessage(job.corrupt ? { error: 'corrupt image ' + job.id } : { ok: job.id });
});
`;

function runJob(worker, job) {
  return new Promise((resolve, reject) => {
    worker.once('message', (reply) => (reply.error ? reject(new Error(reply.error)) : resolve(reply)));
    worker.postMessage(job);
  });
}

async function resize(job, outputDir) {
  const worker = new Worker(RESIZER, { eval: true });
  const watcher = fs.watch(outputDir, () => {});
  const result = await runJob(worker, job); // rejects for a corrupt image: nothing below runs
  watcher.close();
  await worker.terminate();
  return result;
}

runCase(async () => {
  const n = intFromEnv('EVIDENCE_N', 40);
  const outputDir = fs.mkdtempSync('/tmp/leaklint-ll010-');
  const before = liveHandles();
  let failed = 0;
  for (let i = 0; i < n; i += 1) {
    await resize({ id: i, corrupt: i % 2 === 1 }, outputDir).catch(() => (failed += 1));
  }
  await settle();
  const after = liveHandles();
  fs.rmSync(outputDir, { recursive: true, force: true });
  return {
    value: after.threads - before.threads,
    unit: 'threads',
    n,
    details: { failed, calls: n, watchers: after.watchers - before.watchers, fds: after.fds - before.fds },
  };
});
