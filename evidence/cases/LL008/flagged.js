// LL008 unhandled-pipe, flagged: every download pipes a file stream into the response with
// .pipe(). A client that aborts closes the response; pipe() unpipes and leaves the file stream
// paused with its file descriptor open, for good.
const fs = require('node:fs');
const { abortedDownloads, bigTempFile, intFromEnv, openFds, runCase, startHandler } = require('../../lib/harness');

let file;

function download(req, res) {
  fs.createReadStream(file).pipe(res);
}

runCase(async () => {
  const n = intFromEnv('EVIDENCE_N', 100);
  file = bigTempFile(8);
  const app = await startHandler(download);
  await abortedDownloads(app, 2, (i) => `/warmup/${i}`);
  const before = openFds();
  await abortedDownloads(app, n, (i) => `/file/${i}`);
  return { value: openFds() - before, unit: 'fds', n, details: {} };
});
