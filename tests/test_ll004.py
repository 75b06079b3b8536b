"""LL004 details the fixtures cannot state: message and related locations."""

from __future__ import annotations

import pytest

from tests.rule_helpers import run_rule
from tests.rule_tester import Expect, Invalid, RuleTester, Valid

SEED = """
import AdmZip from 'adm-zip';
export async function archive(rows: { id: string; xml: string }[]) {
  const zip = new AdmZip();
  for (const row of rows) {
    zip.addFile(`${row.id}.xml`, Buffer.from(row.xml, 'utf8'));
  }
  zip.writeZip('./out.zip');
}
"""


def test_message_names_the_archive_and_the_remedies() -> None:
    (finding,) = run_rule("LL004", SEED, "archive.ts")
    assert finding.span.line == 4
    assert "'zip' is a AdmZip archive" not in finding.message
    assert "'zip' is an AdmZip archive built in memory" in finding.message
    assert "archiver or yazl" in finding.message
    assert "batches" in finding.message


def test_related_locations_point_at_the_loop_and_the_output() -> None:
    (finding,) = run_rule("LL004", SEED, "archive.ts")
    assert [(r.span.line, r.message) for r in finding.related] == [
        (6, "an entry is added here, once per iteration"),
        (8, "the whole archive is still in memory here"),
    ]


def test_shadowed_import_is_not_the_library() -> None:
    source = """
const AdmZip = require('adm-zip');
function f(rows, AdmZip) {
  const zip = new AdmZip();
  for (const r of rows) zip.addFile(r.name, r.data);
}
"""
    assert run_rule("LL004", source) == []


LL004 = RuleTester("LL004")
ZIP_IN_A_LOOP = """\
const AdmZip = require('adm-zip');
function build(rows) {
  const zip = new AdmZip();
  for (const row of rows) {
    zip.addFile(row.name, Buffer.from(row.data));
  }
  return zip.toBuffer();
}
"""


@pytest.mark.parametrize(
    "case",
    LL004.cases(
        valid=[
            "const AdmZip = require('adm-zip');\nfunction one(row) {\n  const zip = new AdmZip();\n"
            "  zip.addFile(row.name, row.data);\n  return zip.toBuffer();\n}\n",
        ],
        invalid=[
            Invalid(
                ZIP_IN_A_LOOP,
                [
                    Expect(
                        message_id="built-in-memory",
                        data={"name": "zip", "archive": "an AdmZip"},
                        line=3,
                        column=15,
                        severity="warning",
                        related=[
                            (5, 5, "an entry is added here, once per iteration"),
                            (7, 10, "the whole archive is still in memory here"),
                        ],
                    )
                ],
            ),
        ],
    ),
)
def test_ll004_cases(case: Valid | Invalid) -> None:
    LL004.verify(case)
