// LL005 unbounded-module-store, fixed: the same middleware with a bounded store, a Map that
// evicts its oldest entry beyond MAX_ENTRIES (a minimal LRU).
const {
  intFromEnv,
  requestAll,
  runCase,
  settledHeapUsed,
  startApp,
  startVacancyBackend,
  toMB,
} = require('../../lib/harness');

const MAX_ENTRIES = 10;
const store = new Map();

function remember(id, page) {
  store.delete(id);
  store.set(id, page);
  if (store.size > MAX_ENTRIES) store.delete(store.keys().next().value);
}

async function vacancyMiddleware(req, res, next) {
  const page = await fetch(`${process.env.BACKEND}/vacancies/${req.params.id}`).then((r) => r.text());
  remember(req.params.id, page);
  res.locals.vacancy = store.get(req.params.id);
  next();
}

runCase(async () => {
  const n = intFromEnv('EVIDENCE_N', 200);
  const pageBytes = intFromEnv('EVIDENCE_PAGE_BYTES', 100_000);
  process.env.BACKEND = await startVacancyBackend(pageBytes);
  const app = await startApp(vacancyMiddleware);
  await requestAll(app, 5, (i) => `/vacancies/${-1 - i}`);
  const before = await settledHeapUsed();
  await requestAll(app, n, (i) => `/vacancies/${i}`);
  const after = await settledHeapUsed();
  return {
    value: toMB(after - before),
    unit: 'MB',
    n,
    details: { page_kb: pageBytes / 1000, entries: store.size },
  };
});
