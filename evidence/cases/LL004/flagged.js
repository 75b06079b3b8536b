// LL004 in-memory-archive, flagged: the seed's ArchiveService. Every record goes into one
// AdmZip, so the whole archive (inputs, compressed entries and the final zip buffer) lives in
// memory until writeZip.
const fs = require('node:fs');
const path = require('node:path');
const AdmZip = require('adm-zip');
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
    const data = this.dsQueries.getEpicrisisFromDataset(code);
    const zip = new AdmZip();
    for await (const value of data) {
      const name = value['p'].replace(' ', '_') + '_v' + value['v'];
      zip.addFile(`${name}.xml`, Buffer.from(value['native'], 'utf8'));
    }
    zip.writeZip(target);
    return target;
  }
}

runCase(async () => {
  const rssBefore = process.memoryUsage().rss;
  const target = await new ArchiveService(dsQueries).archiveByDatasetCode('flagged');
  const { size } = await fs.promises.stat(target);
  return {
    value: toMB(peakRssBytes()),
    unit: 'MB',
    n: m,
    details: { rss_before_mb: toMB(rssBefore), zip_mb: toMB(size), record_bytes: recordSize },
  };
});
