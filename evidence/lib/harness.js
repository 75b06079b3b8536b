'use strict';
// Shared measurement helpers for the evidence cases.
//
// Kept outside evidence/cases/ on purpose: `leaklint check evidence/cases` must see only the
// flagged/fixed programs, not the measuring code (which itself uses timers and listeners).

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

function pgConfigFromEnv() {
  return {
    host: process.env.PGHOST || '127.0.0.1',
    port: Number(requireEnv('PGPORT')),
    user: process.env.PGUSER || 'postgres',
    database: process.env.PGDATABASE || 'postgres',
    connectionTimeoutMillis: 5_000,
  };
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

module.exports = {
  activeTimers,
  intFromEnv,
  pgBackends,
  pgConfigFromEnv,
  redisCommand,
  redisConnectedClients,
  requireEnv,
  runCase,
  settledHeapUsed,
  sleep,
  stableCount,
  tick,
  toMB,
};
