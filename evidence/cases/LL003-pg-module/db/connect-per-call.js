// The database module of the flagged twin: `connect()` opens a new PostgreSQL client on every
// call (the talk's `new DataSource(config)` + `initialize()` per call, with pg's `Client`).
const { Client } = require('pg');
const { pgConfigFromEnv } = require('../../../lib/harness');

async function connect() {
  const client = new Client(pgConfigFromEnv());
  await client.connect();
  return client;
}

module.exports = { connect };
