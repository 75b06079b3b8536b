// The database module of the fixed twin: one client for the process, connected on first use;
// every `connect()` returns it. The promise is kept, not the client, so that callers that
// arrive while it connects share it too.
const { Client } = require('pg');
const { pgConfigFromEnv } = require('../../../lib/harness');

let connecting = null;

async function open() {
  const client = new Client(pgConfigFromEnv());
  await client.connect();
  return client;
}

function connect() {
  connecting ??= open();
  return connecting;
}

module.exports = { connect };
