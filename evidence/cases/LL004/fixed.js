// LL004 in-memory-archive, fixed: archiver streams each entry into the zip file on disk; the
// next record is read only once the previous entry has been written, so memory stays flat.
const fs = require('node:fs');
const path = require('node:path');
const archiver = require('archiver');
const { epicrisisRecords, intFromEnv, peakRssBytes, requireEnv, runCase, toMB } = require('../../lib/harness');

const m = intFromEnv('EVIDENCE_M', 1500);
const recordSize = intFromEnv('EVIDENCE_RECORD_BYTES', 100_000);
const outDir = requireEnv('EVIDENCE_TMP');

const dsQueries = {
  getEpicrisisFromDataset: () => epicrisisRecords(m, recordSize),
};

class ArchiveService {
  constructor(queries) {
    this.dsQueries = queries;
  }

  async archiveByDatasetCode(code) {
    const target = path.join(outDir, `${code}.zip`);
    await fs.promises.rm(target, { force: true });
    const output = fs.createWriteStream(target);
    const archive = archiver('zip');
    const written = new Promise((resolve, reject) => {
      output.once('close', resolve);
      output.once('error', reject);
      archive.once('error', reject);
    });
    archive.pipe(output);
    const data = this.dsQueries.getEpicrisisFromDataset(code);
    for await (const value of data) {
      const name = value['p'].replace(' ', '_') + '_v' + value['v'];
      const entryDone = new Promise((resolve) => archive.once('entry', resolve));
      archive.append(Buffer.from(value['native'], 'utf8'), { name: `${name}.xml` });
      // Backpressure: wait for this entry to be compressed and handed to the file stream.
      await entryDone;
    }
    await archive.finalize();
    await written;
    return target;
  }
}

runCase(async () => {
  const rssBefore = process.memoryUsage().rss;
  const target = await new ArchiveService(dsQueries).archiveByDatasetCode('fixed');
  const { size } = await fs.promises.stat(target);
  return {
    value: toMB(peakRssBytes()),
    unit: 'MB',
    n: m,
    details: { rss_before_mb: toMB(rssBefore), zip_mb: toMB(size), record_bytes: recordSize },
  };
});
