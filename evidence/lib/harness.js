'use strict';
// Shared measurement helpers for the evidence cases.
//
// Kept outside evidence/cases/ on purpose: `leaklint check evidence/cases` must see only the
// flagged/fixed programs, not the measuring code (which itself uses timers and listeners).

const crypto = require('node:crypto');
const http = require('node:http');
const net = require('node:net');

const DEFAULT_DEADLINE_MS = 60_000;

// Every case must stop by itself: a watchdog that is unref'd (so it neither keeps the process
// alive nor shows up in process.getActiveResourcesInfo()) kills a run that hangs.
function watchdog(ms = Number(process.env.EVIDENCE_DEADLINE_MS || DEFAULT_DEADLINE_MS)) {
  const timer = setTimeout(() => {
    process.stderr.write(`evidence: case exceeded ${ms} ms, aborting\n`);
    process.exit(3);
  }, ms);
  timer.unref();
}

function intFromEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number.parseInt(raw, 10);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
}

function requireEnv(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (evidence/run sets it)`);
  return value;
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// heapUsed after full collections. Several rounds with a tick in between, because weak
// callbacks and finalizers scheduled by one collection only free memory in the next.
async function settledHeapUsed() {
  if (typeof global.gc !== 'function') throw new Error('run node with --expose-gc');
  for (let round = 0; round < 4; round += 1) {
    global.gc();
    await tick();
  }
  return process.memoryUsage().heapUsed;
}

function activeTimers() {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
}

// One RESP command over a raw socket, so that measuring and setting up neither goes through nor
// adds to the client library under test. Returns the reply's text (errors reject).
function redisCommand(port, args, host = '127.0.0.1') {
  const request = `*${args.length}\r\n${args
    .map((arg) => `$${Buffer.byteLength(String(arg))}\r\n${arg}\r\n`)
    .join('')}`;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host });
    let buffer = Buffer.alloc(0);
    const finish = (error, value) => {
      socket.destroy();
      if (error) reject(error);
      else resolve(value);
    };
    socket.setTimeout(5_000, () => finish(new Error(`redis ${args[0]} timed out`)));
    socket.on('connect', () => socket.write(request));
    socket.on('error', (error) => finish(error));
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      const headerEnd = buffer.indexOf('\r\n');
      if (headerEnd < 0) return;
      const header = buffer.subarray(0, headerEnd).toString('utf8');
      if (header.startsWith('-')) return finish(new Error(header.slice(1)));
      if (!header.startsWith('$')) return finish(null, header.slice(1));
      // A bulk string: "$<length>\r\n<payload>\r\n"; wait until all of it has arrived.
      const length = Number(header.slice(1));
      if (buffer.length < headerEnd + 2 + length) return undefined;
      return finish(null, buffer.subarray(headerEnd + 2, headerEnd + 2 + length).toString('utf8'));
    });
  });
}

// Clients connected to the Redis server, from INFO clients. Our own probe connection is one of
// them, so this is the count of everyone else.
async function redisConnectedClients(port) {
  const info = await redisCommand(port, ['INFO', 'clients']);
  const match = /connected_clients:(\d+)/.exec(info);
  if (!match) throw new Error('INFO clients has no connected_clients');
  return Number(match[1]) - 1;
}

// The count a server reports lags the client by a few milliseconds (a closed socket is noticed
// on the server's next event-loop turn), so poll until it is stable, bounded in time.
async function stableCount(read, { settleMs = 300, limitMs = 5_000 } = {}) {
  const started = Date.now();
  let last = await read();
  let stableSince = Date.now();
  while (Date.now() - started < limitMs) {
    await sleep(50);
    const now = await read();
    if (now !== last) {
      last = now;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= settleMs) {
      break;
    }
  }
  return last;
}

// How many PostgreSQL backends ``work`` leaves open: the stable count after it minus the
// stable count before it, which every pg case measures.
async function backendsAdded(pg, config, work) {
  const before = await stableCount(() => pgBackends(pg, config));
  await work();
  return (await stableCount(() => pgBackends(pg, config))) - before;
}

// Open backends on the PostgreSQL server: the query the seed talk used for diagnosis.
async function pgBackends(pg, config) {
  const probe = new pg.Client(config);
  await probe.connect();
  try {
    const result = await probe.query('SELECT sum(numbackends)::int AS n FROM pg_stat_database');
    // Minus our own probe connection.
    return result.rows[0].n - 1;
  } finally {
    await probe.end();
  }
}

// Peak resident set size of this process so far, from the kernel (getrusage ru_maxrss).
function peakRssBytes() {
  return process.resourceUsage().maxRSS * 1024;
}

function pgConfigFromEnv() {
  return {
    host: process.env.PGHOST || '127.0.0.1',
    port: Number(requireEnv('PGPORT')),
    user: process.env.PGUSER || 'postgres',
    database: process.env.PGDATABASE || 'postgres',
    connectionTimeoutMillis: 5_000,
  };
}

// Stand-in for the seed's dataset query: M epicrisis XML records of about `size` bytes, made
// one page at a time as a cursor or LIMIT/OFFSET reader would return them. Each payload is a
// different window of one random base64 pool: it compresses like real binary-ish content
// rather than to nothing, and making it costs next to no memory (V8 slices the pool string), so
// the peak RSS measured is the archiving's, not the data generator's.
const RANDOM_POOL = crypto.randomBytes(3 * 1024 * 1024).toString('base64');

async function* epicrisisRecords(count, size, pageSize = 100) {
  if (size > RANDOM_POOL.length / 2) throw new Error('record size too large for the pool');
  for (let offset = 0; offset < count; offset += pageSize) {
    const page = [];
    for (let i = offset; i < Math.min(count, offset + pageSize); i += 1) {
      const start = (i * 7919) % (RANDOM_POOL.length - size);
      page.push({
        p: `patient ${i}`,
        v: 1 + (i % 3),
        native: `<epicrisis id="${i}"><text>${RANDOM_POOL.slice(start, start + size)}</text></epicrisis>`,
      });
    }
    yield* page;
    await tick();
  }
}

// A stand-in for the seed's backend: GET /vacancies/:id returns a distinct page of `size` bytes.
async function startVacancyBackend(size) {
  const server = http.createServer((req, res) => {
    const id = req.url.split('/').pop();
    const start = (Number(id) * 7919) % (RANDOM_POOL.length - size);
    res.setHeader('content-type', 'text/html');
    res.end(`<html data-id="${id}">${RANDOM_POOL.slice(start, start + size)}</html>`);
  });
  return listen(server);
}

// An Express-shaped app server: for GET /vacancies/:id it fills req.params and res.locals, runs
// `middleware(req, res, next)` and answers with the size of res.locals.vacancy.
async function startApp(middleware) {
  const server = http.createServer((req, res) => {
    req.params = { id: req.url.split('/').pop() };
    res.locals = {};
    Promise.resolve(
      middleware(req, res, () => res.end(String((res.locals.vacancy || '').length))),
    ).catch((error) => {
      res.statusCode = 500;
      res.end(String(error));
    });
  });
  return listen(server);
}

// An app server whose whole request handling is `handler(req, res)` (async).
async function startHandler(handler) {
  const server = http.createServer((req, res) => {
    Promise.resolve(handler(req, res)).catch((error) => {
      res.statusCode = 500;
      res.end(String(error));
    });
  });
  return listen(server);
}

// An upstream HTTP service that keeps idle connections for a minute (as nginx's 75 s default
// does; Node's own 5 s would close them before they are counted). `connections()` is how many
// TCP connections it holds open right now.
async function startKeepAliveUpstream() {
  const server = http.createServer((req, res) => res.end(`price of ${req.url}`));
  server.keepAliveTimeout = 60_000;
  const url = await listen(server);
  const connections = () =>
    new Promise((resolve, reject) =>
      server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
    );
  return { url, connections };
}

// A file of `mb` MB in the temp directory: big enough that a download of it is still under way
// when the client gives up. Removed at exit.
function bigTempFile(mb) {
  const fs = require('node:fs');
  const file = require('node:path').join(require('node:os').tmpdir(), `evidence-${process.pid}.bin`);
  fs.writeFileSync(file, Buffer.alloc(mb * 1024 * 1024, 120));
  process.on('exit', () => fs.rmSync(file, { force: true }));
  return file;
}

// `count` downloads that each abort after their first chunk, as a client that navigates away
// does; resolves once the server side has had a moment to see every socket close.
async function abortedDownloads(base, count, path) {
  for (let i = 0; i < count; i += 1) {
    await new Promise((resolve, reject) => {
      const request = http.get(`${base}${path(i)}`, (response) => {
        response.once('data', () => {
          request.destroy();
          resolve();
        });
      });
      request.on('error', (error) => (error.code === 'ECONNRESET' ? resolve() : reject(error)));
    });
  }
  await sleep(300);
}

// Open file descriptors of this process (Linux /proc/self/fd).
function openFds() {
  return require('node:fs').readdirSync('/proc/self/fd').length;
}

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`));
  });
}

// `count` sequential GET requests to base + path(i); every response must be 200.
async function requestAll(base, count, path) {
  for (let i = 0; i < count; i += 1) {
    const response = await fetch(`${base}${path(i)}`, { signal: AbortSignal.timeout(5_000) });
    await response.text();
    if (response.status !== 200) throw new Error(`${path(i)} answered ${response.status}`);
  }
}

const MB = 1024 * 1024;
const toMB = (bytes) => Math.round((bytes / MB) * 10) / 10;

// The one line evidence/run parses: the last stdout line that is a JSON object.
function report(measurement) {
  process.stdout.write(`${JSON.stringify(measurement)}\n`);
}

// Run main(), report its result, and exit explicitly: the flagged programs leave handles
// (sockets, intervals) open by design, so the process would otherwise never end.
function runCase(main) {
  watchdog();
  main().then(
    (measurement) => {
      report(measurement);
      process.exit(0);
    },
    (error) => {
      process.stderr.write(`evidence: ${error && error.stack ? error.stack : error}\n`);
      process.exit(1);
    },
  );
}

// What LL010 counts: the process's threads (a worker thread is one more task in
// /proc/self/task; getActiveResourcesInfo() does not list workers), its fs.watch watchers
// ('FSEventWrap' handles) and its open file descriptors.
function liveHandles() {
  const fs = require('node:fs');
  return {
    threads: fs.readdirSync('/proc/self/task').length,
    watchers: process.getActiveResourcesInfo().filter((kind) => kind === 'FSEventWrap').length,
    fds: openFds(),
  };
}

// Lets terminated workers finish exiting before anything is counted.
const settle = () => sleep(200);

module.exports = {
  backendsAdded,
  liveHandles,
  settle,
  abortedDownloads,
  bigTempFile,
  activeTimers,
  openFds,
  startKeepAliveUpstream,
  epicrisisRecords,
  intFromEnv,
  peakRssBytes,
  pgBackends,
  pgConfigFromEnv,
  redisCommand,
  redisConnectedClients,
  requestAll,
  requireEnv,
  runCase,
  settledHeapUsed,
  sleep,
  startApp,
  startHandler,
  startVacancyBackend,
  stableCount,
  tick,
  toMB,
};
