// LL009 per-call-singleton, fixed: one keep-alive agent for the whole process, made at module
// load. Every request reuses its idle socket, so the upstream sees one connection however many
// requests are served.
const http = require('node:http');
const { intFromEnv, openFds, requestAll, runCase, startHandler, startKeepAliveUpstream } = require('../../lib/harness');

let upstream;
const agent = new http.Agent({ keepAlive: true });

function fetchPrice(id) {
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
  res.end(await fetchPrice(req.url.split('/').pop()));
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
