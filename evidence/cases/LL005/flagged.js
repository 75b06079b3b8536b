// LL005 unbounded-module-store, flagged: the seed's Next.js proxy middleware. A module-level
// `store` gets every page ever requested and nothing is ever deleted.
const {
  intFromEnv,
  requestAll,
  runCase,
  settledHeapUsed,
  startApp,
  startVacancyBackend,
  toMB,
} = require('../../lib/harness');

const store = {};

async function vacancyMiddleware(req, res, next) {
  const page = await fetch(`${process.env.BACKEND}/vacancies/${req.params.id}`).then((r) => r.text());
  store[req.params.id] = page;
  res.locals.vacancy = store[req.params.id];
  next();
}

runCase(async () => {
  const n = intFromEnv('EVIDENCE_N', 200);
  const pageBytes = intFromEnv('EVIDENCE_PAGE_BYTES', 100_000);
  process.env.BACKEND = await startVacancyBackend(pageBytes);
  const app = await startApp(vacancyMiddleware);
  // Warm-up requests (ids below 0) so that lazily built client/server state is not counted.
  await requestAll(app, 5, (i) => `/vacancies/${-1 - i}`);
  const before = await settledHeapUsed();
  await requestAll(app, n, (i) => `/vacancies/${i}`);
  const after = await settledHeapUsed();
  return {
    value: toMB(after - before),
    unit: 'MB',
    n,
    details: { page_kb: pageBytes / 1000, entries: Object.keys(store).length },
  };
});
