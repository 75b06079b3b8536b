"""LL004 details the fixtures cannot state: message and related locations."""

from __future__ import annotations

from tests.rule_helpers import run_rule

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
