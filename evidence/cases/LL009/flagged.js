// LL009 per-call-singleton, flagged: every request makes its own keep-alive agent for the call
// to the upstream service. Each agent keeps its idle socket open for reuse, and nothing reuses
// it: one open connection (and file descriptor) more per request, until the upstream times it out.
const http = require('node:http');
const { intFromEnv, openFds, requestAll, runCase, startHandler, startKeepAliveUpstream } = require('../../lib/harness');

let upstream;

function fetchPrice(id, agent) {
  return new Promise((resolve, reject) => {
    http
      .get(`${upstream.url}/price/${id}`, { agent }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

async function priceHandler(req, res) {
  const agent = new http.Agent({ keepAlive: true });
  res.end(await fetchPrice(req.url.split('/').pop(), agent));
}

runCase(async () => {
  const n = intFromEnv('EVIDENCE_N', 200);
  upstream = await startKeepAliveUpstream();
  const app = await startHandler(priceHandler);
  await requestAll(app, 5, (i) => `/warmup/${i}`);
  const before = await upstream.connections();
  const fdsBefore = openFds();
  await requestAll(app, n, (i) => `/price/${i}`);
  return {
    value: (await upstream.connections()) - before,
    unit: 'connections',
    n,
    details: { fds: openFds() - fdsBefore },
  };
});
