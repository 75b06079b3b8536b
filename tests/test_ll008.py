"""LL008 as users read it: which pipes leave a file stream open, which are handled."""

from __future__ import annotations

import pytest

from tests.rule_tester import Expect, Invalid, RuleTester, Valid

LL008 = RuleTester("LL008")
DOWNLOAD = """\
const fs = require('fs');
module.exports = (req, res) => {
  const src = fs.createReadStream(req.query.file);
  HANDLING
  src.pipe(res);
};
"""
SOURCE_MESSAGE = (
    "This pipes a file read stream into 'res', and nothing destroys the file stream when 'res' "
    "closes or errors first (a client that aborts): pipe() then unpipes and leaves it paused "
    "with its file descriptor open: one more open descriptor per request. Use pipeline(), "
    "which destroys both streams, or destroy the file stream on 'res''s 'close'."
)


@pytest.mark.parametrize(
    "case",
    LL008.cases(
        valid=[
            DOWNLOAD.replace("HANDLING", "res.on('close', () => src.destroy());"),
            DOWNLOAD.replace("HANDLING", "require('stream').finished(res, () => src.close());"),
            DOWNLOAD.replace("HANDLING", "track(src);"),
            # pipeline() is the fix; a local createReadStream is not fs's.
            "const { pipeline } = require('node:stream');\nconst fs = require('fs');\n"
            "module.exports = (req, res) => pipeline(fs.createReadStream(f), res, done);",
            "const createReadStream = (f) => f;\n"
            "module.exports = (req, res) => createReadStream(f).pipe(res);",
            # Module level: once.
            "require('fs').createReadStream('/etc/motd').pipe(process.stdout);",
        ],
        invalid=[
            Invalid(
                DOWNLOAD.replace("HANDLING", "src.on('error', () => res.end());"),
                [
                    Expect(
                        message=SOURCE_MESSAGE,
                        message_id="source-left-open",
                        line=5,
                        column=3,
                        severity="warning",
                    )
                ],
            ),
            Invalid(
                "import { createWriteStream as sink } from 'node:fs';\n"
                "export function save(req, to) {\n  req.pipe(sink(to));\n}\n",
                [Expect(message_id="destination-left-open", line=3, column=3)],
                filename="snippet.mjs",
            ),
            # A chain is reported once, at its last pipe.
            Invalid(
                "const fs = require('fs'), zlib = require('zlib');\n"
                "module.exports = (req, res) =>\n"
                "  fs.createReadStream(f).pipe(zlib.createGzip()).pipe(res);\n",
                [Expect(message_id="source-left-open", line=3)],
            ),
        ],
    ),
)
def test_ll008_cases(case: Valid | Invalid) -> None:
    LL008.verify(case)
