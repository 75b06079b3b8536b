"""The server's parts that need no client: start-up cost of the CLI, bounded trees, document
paths and configuration per folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import NoReturn

import pytest

from leaklint.server.documents import OpenDocument, ProjectSettings, document_path
from leaklint.syntax.source import Language


def test_check_does_not_import_the_language_server() -> None:
    code = (
        "import sys, leaklint.cli\n"
        "from click.testing import CliRunner\n"
        "CliRunner().invoke(leaklint.cli.cli, ['check', '--help'])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pygls', 'lsprotocol')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_only_the_most_recently_checked_documents_keep_a_tree(tmp_path: Path) -> None:
    from leaklint.server.app import MAX_TREES, LeaklintServer

    server = LeaklintServer()
    server.folders = lambda: [tmp_path]  # type: ignore[method-assign]  # not initialized
    settings_file = tmp_path / "leaklint.toml"
    settings_file.write_text("", encoding="utf-8")
    documents = []
    for index in range(MAX_TREES + 5):
        uri = (tmp_path / f"f{index}.js").as_uri()
        document = OpenDocument(uri, tmp_path / f"f{index}.js", Language.JAVASCRIPT)
        server.documents[uri] = document
        server.check(document, f"function f{index}() {{ leaked = 1; }}\n")
        documents.append(document)
    kept = [d for d in documents if d.parse_state is not None]
    assert kept == documents[-MAX_TREES:]
    server.close(documents[-1].uri)
    assert documents[-1].uri not in server.documents


def test_untitled_documents_are_checked_by_language_id(tmp_path: Path) -> None:
    assert document_path(None, "typescriptreact", tmp_path) == tmp_path / "untitled.tsx"
    assert document_path(None, "python", tmp_path) is None
    assert document_path(tmp_path / "a.d.ts", "typescript", tmp_path) is None
    assert document_path(tmp_path / "a.mjs", "javascript", tmp_path) == tmp_path / "a.mjs"


def test_each_workspace_folder_has_its_own_configuration(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    for folder, ignored in ((first, "LL001"), (second, "LL002")):
        (folder / "src").mkdir(parents=True)
        (folder / "leaklint.toml").write_text(f'ignore = ["{ignored}"]\n', encoding="utf-8")
    settings = ProjectSettings()
    folders = [first, second]
    assert settings.for_document(first / "src" / "a.js", folders).ignore == ("LL001",)
    assert settings.for_document(second / "src" / "a.js", folders).ignore == ("LL002",)
    (first / "leaklint.toml").write_text('ignore = ["LL003"]\n', encoding="utf-8")
    assert settings.for_document(first / "a.js", folders).ignore == ("LL001",)  # cached
    settings.clear()
    assert settings.for_document(first / "a.js", folders).ignore == ("LL003",)


def test_a_document_the_engine_cannot_check_gets_an_ll000_diagnostic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from leaklint.config import Settings
    from leaklint.server import documents

    def too_deep(*args: object, **kwargs: object) -> NoReturn:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(documents, "check_source", too_deep)
    failures: list[str] = []
    document = OpenDocument("file:///a.js", tmp_path / "a.js", Language.JAVASCRIPT)
    (finding,) = documents.check_document(
        document, "leaked = 1;\n", Settings(root=tmp_path), lambda code, *_: failures.append(code)
    )
    assert finding.rule == "LL000"
    assert "nests too deeply" in finding.message
    assert failures == ["engine"]
    assert document.parse_state is None  # the next edit starts from a fresh parse


def test_a_lone_surrogate_in_the_text_does_not_stop_the_check(tmp_path: Path) -> None:
    from leaklint.config import Settings
    from leaklint.server.documents import check_document

    document = OpenDocument("file:///a.js", tmp_path / "a.js", Language.JAVASCRIPT)
    text = "const s = '\ud800';\nfunction f() { leaked = 1; }\n"
    (finding,) = check_document(document, text, Settings(root=tmp_path), lambda *_: None)
    assert (finding.rule, finding.span.line, finding.span.column) == ("LL001", 2, 16)
