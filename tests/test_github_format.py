"""``--format github``: workflow commands the Actions runner turns into annotations."""

from __future__ import annotations

from pathlib import Path

from leaklint.model.findings import Finding, Severity, Span
from leaklint.reporters.github import annotation, escape_data, escape_property
from tests.cli_helpers import invoke, write


def test_escaping_follows_the_actions_toolkit() -> None:
    assert escape_data("100% done\r\nnext::x") == "100%25 done%0D%0Anext::x"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def make(severity: Severity, message: str = "m", path: str = "src/a,b:c.js") -> Finding:
    return Finding("LL001", "implicit-global", path, Span(3, 5, 4, 2), message, severity)


def test_annotation_properties_and_levels() -> None:
    line = annotation(make(Severity.WARNING, "two\nlines: 50%"))
    assert line == (
        "::warning file=src/a%2Cb%3Ac.js,line=3,col=5,endLine=4,endColumn=2,"
        "title=LL001 implicit-global::two%0Alines: 50%25"
    )
    assert annotation(make(Severity.ERROR)).startswith("::error ")
    assert annotation(make(Severity.NOTE)).startswith("::notice ")


def test_cli_prints_one_command_per_unsuppressed_finding(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "lib/a.js": "leak = 1;\nkept = 2; // leaklint-disable-line\n",
            "lib/bin.js": "\x00\x01binary",
        },
    )
    result = invoke(tmp_path, "--format", "github")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith(
        "::error file=lib/a.js,line=1,col=1,endLine=1,endColumn=5,title=LL001 implicit-global::"
    )
    assert lines[1] == "::warning file=lib/bin.js,title=leaklint::skipped: binary file"
    assert lines[2] == "leaklint: 1 problem in 1 file. 1 suppressed."
    assert len(lines) == 3
