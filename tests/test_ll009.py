"""LL009 as users read it: which infrastructure, how often, which look-alikes stay silent."""

from __future__ import annotations

import pytest

from leaklint.rules.ll009_per_call_singleton import PerCallSingleton
from tests.rule_tester import Expect, Invalid, RuleTester, Valid

LL009 = RuleTester("LL009")
AGENT_PER_REQUEST = """\
const https = require('node:https');
const app = require('express')();
app.get('/x', (req, res) => {
  const agent = new https.Agent({ keepAlive: true });
  https.get('https://example.com', { agent }, (r) => r.pipe(res));
});
"""
AGENT_MESSAGE = (
    "A new keep-alive HTTP agent is created here, in code that runs per request: registered by "
    "`app.get('/x')` on line 3. "
    + PerCallSingleton.messages["agent"]
    + " Create it once (at module "
    "level or in start-up code) and share it."
)


def _in_handler(body: str, imports: str = "const https = require('https');\n") -> str:
    return f"{imports}module.exports = (req, res) => {{\n{body}\n}};\n"


@pytest.mark.parametrize(
    "case",
    LL009.cases(
        valid=[
            # Once: module level, start-up, lazy initialisation, a constructor.
            "const https = require('https');\nconst agent = new https.Agent({ keepAlive: true });",
            "const https = require('https');\nfunction main() {\n"
            "  return new https.Agent({ keepAlive: true });\n}\nmain();",
            _in_handler("  if (!global.a) global.a = new https.Agent({ keepAlive: true });"),
            "let a;\nconst https = require('https');\nmodule.exports = (req, res) => {\n"
            "  if (!a) { a = new https.Agent({ keepAlive: true }); }\n};",
            # Not keep-alive, or options this file cannot read.
            _in_handler("  https.get(u, { agent: new https.Agent({ keepAlive: false }) });"),
            _in_handler(
                "  https.get(u, { agent: new https.Agent({ rejectUnauthorized: false }) });"
            ),
            _in_handler("  https.get(u, { agent: new https.Agent(options) });"),
            # Closed by the file, or cached.
            _in_handler(
                "  const a = new https.Agent({ keepAlive: true });\n"
                "  res.on('close', () => a.destroy());"
            ),
            _in_handler("  cache.set(req.host, new https.Agent({ keepAlive: true }));"),
            # A local class of the same name is not http's.
            "class Agent {}\nmodule.exports = (req, res) => { new Agent({ keepAlive: true }); };",
            # A callback whose callers this file does not show.
            "const https = require('https');\nexports.make = () => "
            "new https.Agent({ keepAlive: true });",
            # winston with only a console transport, pino without a transport.
            _in_handler(
                "  winston.createLogger({ transports: [new winston.transports.Console()] });",
                "const winston = require('winston');\n",
            ),
            _in_handler("  pino({ level: 'debug' });", "const pino = require('pino');\n"),
        ],
        invalid=[
            Invalid(
                AGENT_PER_REQUEST,
                [
                    Expect(
                        message=AGENT_MESSAGE,
                        message_id="per-call",
                        line=4,
                        column=17,
                        end_column=53,
                        severity="warning",
                    )
                ],
            ),
            # Kept on the request, which is made per request: not a cache.
            Invalid(
                _in_handler(
                    "  req.agent = new https.Agent({ keepAlive: true });",
                ),
                [Expect(message_id="per-call", line=3)],
            ),
            Invalid(
                _in_handler(
                    "  const log = winston.createLogger({ handleExceptions: true });",
                    "const winston = require('winston');\n",
                ),
                [Expect(message_id="per-call", line=3, column=15)],
            ),
            Invalid(
                _in_handler(
                    "  const { pool } = { pool: new Pool(origin) };",
                    "import { Pool } from 'undici';\n",
                ),
                [Expect(message_id="per-call", line=3)],
                filename="snippet.mjs",
            ),
            Invalid(
                _in_handler(
                    "  return pino.destination('/var/log/app.log');",
                    "const pino = require('pino');\n",
                ),
                [Expect(message_id="per-call", line=3, column=10)],
            ),
        ],
    ),
)
def test_ll009_cases(case: Valid | Invalid) -> None:
    LL009.verify(case)
