// LL008 unhandled-pipe, fixed: the same downloads through stream.pipeline(), which destroys
// the file stream (and closes its descriptor) when the response closes early.
const fs = require('node:fs');
const { pipeline } = require('node:stream');
const { abortedDownloads, bigTempFile, intFromEnv, openFds, runCase, startHandler } = require('../../lib/harness');

let file;

function download(req, res) {
  pipeline(fs.createReadStream(file), res, () => {});
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
