"""`leaklint server` end to end: a real LSP client (pytest-lsp) talks to the server started as a
subprocess, as an editor would."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_lsp
from click.testing import CliRunner
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from leaklint.cli import cli
from leaklint.reporters.sarif import rule_help_uri
from leaklint.rules import get_rule
from leaklint.server.app import DEBOUNCE_SECONDS

pytestmark = pytest.mark.asyncio

REPO = Path(__file__).resolve().parent.parent
SERVER = [sys.executable, "-m", "leaklint.cli", "server"]
LEAKY = (
    "function total(items) {\n  sum = 0;\n  for (const i of items) sum += i;\n  return sum;\n}\n"
)


def capabilities(*, pull: bool = False) -> types.ClientCapabilities:
    return types.ClientCapabilities(
        general=types.GeneralClientCapabilities(
            position_encodings=[types.PositionEncodingKind.Utf16]
        ),
        text_document=types.TextDocumentClientCapabilities(
            publish_diagnostics=types.PublishDiagnosticsClientCapabilities(
                related_information=True, version_support=True
            ),
            hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.Markdown]),
            code_action=types.CodeActionClientCapabilities(),
            diagnostic=types.DiagnosticClientCapabilities() if pull else None,
        ),
        workspace=types.WorkspaceClientCapabilities(
            diagnostics=types.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
            if pull
            else None,
        ),
    )


async def start(client: LanguageClient, root: Path, *, pull: bool = False) -> None:
    await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities(pull=pull),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="project")],
        )
    )


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    # A config of its own, so that the discovery never reaches a file above the test's
    # directory (and so that a test can change it).
    (root / "leaklint.toml").write_text("", encoding="utf-8")
    return root


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient, workspace: Path) -> AsyncIterator[None]:
    await start(lsp_client, workspace)
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def pull_client(lsp_client: LanguageClient, workspace: Path) -> AsyncIterator[None]:
    await start(lsp_client, workspace, pull=True)
    yield
    await lsp_client.shutdown_session()


def open_document(client: LanguageClient, path: Path, text: str, language: str = "") -> str:
    uri = path.as_uri()
    language = language or {".ts": "typescript", ".tsx": "typescriptreact"}.get(
        path.suffix, "javascript"
    )
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id=language, version=1, text=text
            )
        )
    )
    return uri


def change_document(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def next_diagnostics(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    while True:
        params = await asyncio.wait_for(
            client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), 20
        )
        if params.uri == uri:
            return list(params.diagnostics)


def apply_text_edits(text: str, edits: list[types.TextEdit]) -> str:
    """Apply edits (UTF-16 positions; ASCII texts here) the way a client does."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(position: types.Position) -> int:
        return starts[position.line] + position.character

    for edit in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
    return text


# --- diagnostics -------------------------------------------------------------------------


async def test_a_leak_is_reported_on_open_and_cleared_by_the_fix(
    client: LanguageClient, workspace: Path
) -> None:
    uri = open_document(client, workspace / "sum.js", LEAKY)
    (diagnostic,) = await next_diagnostics(client, uri)
    assert diagnostic.code == "LL001"
    assert diagnostic.source == "leaklint"
    assert diagnostic.severity == types.DiagnosticSeverity.Error
    assert diagnostic.range == types.Range(
        start=types.Position(line=1, character=2), end=types.Position(line=1, character=5)
    )
    rule = get_rule("LL001")
    assert rule is not None
    assert diagnostic.code_description is not None
    assert diagnostic.code_description.href == rule_help_uri(rule)

    # Typing the fix: diagnostics follow the unsaved text, after the debounce.
    change_document(client, uri, 2, LEAKY.replace("  sum = 0;", "  let sum = 0;"))
    assert await next_diagnostics(client, uri) == []


async def test_changes_in_quick_succession_are_checked_once(
    client: LanguageClient, workspace: Path
) -> None:
    uri = open_document(client, workspace / "sum.js", LEAKY)
    await next_diagnostics(client, uri)
    for version in range(2, 7):  # five keystrokes, well inside the debounce
        change_document(client, uri, version, LEAKY + "//" + "x" * version + "\n")
    params = await asyncio.wait_for(
        client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), 20
    )
    # The first publication after the burst is already for the last version: the versions
    # typed in between were never checked.
    assert params.uri == uri and params.version == 6
    assert [d.code for d in params.diagnostics] == ["LL001"]


def _fixture_files() -> list[Path]:
    return sorted(
        p
        for p in (REPO / "fixtures").glob("LL00[1-7]/flagged*")
        if p.suffix in (".js", ".ts", ".tsx", ".jsx", ".mjs", ".cjs")
    )


def _utf16_column(line_text: str, column: int) -> int:
    return len(line_text[: column - 1].encode("utf-16-le")) // 2


async def test_diagnostics_equal_what_check_reports_for_the_saved_file(
    client: LanguageClient, workspace: Path
) -> None:
    copies = []
    for fixture in _fixture_files():
        target = workspace / f"{fixture.parent.name}_{fixture.name}"
        shutil.copyfile(fixture, target)
        copies.append(target)
    old = Path.cwd()
    os.chdir(workspace)
    try:
        result = CliRunner().invoke(
            cli, ["check", "--no-cache", "--format", "json", *[p.name for p in copies]]
        )
    finally:
        os.chdir(old)
    by_file: dict[str, list[dict]] = {}
    for finding in json.loads(result.stdout)["findings"]:
        by_file.setdefault(finding["path"], []).append(finding)
    assert len(by_file) >= 7

    for path in copies:
        text = path.read_text(encoding="utf-8")
        lines = re.split(r"\r\n|\r|\n", text)
        uri = open_document(client, path, text)
        diagnostics = await next_diagnostics(client, uri)

        def position(line: int, column: int, lines: list[str] = lines) -> types.Position:
            text_of_line = lines[line - 1] if line - 1 < len(lines) else ""
            return types.Position(line=line - 1, character=_utf16_column(text_of_line, column))

        expected = [
            (
                f["rule"],
                f["message"],
                {"error": 1, "warning": 2, "note": 3}[f["severity"]],
                position(f["line"], f["column"]),
                position(f["end_line"], f["end_column"]),
                [(r["message"], position(r["line"], r["column"])) for r in f.get("related", [])],
            )
            for f in by_file.get(path.name, [])
        ]
        got = [
            (
                d.code,
                d.message,
                d.severity.value if d.severity else None,
                d.range.start,
                d.range.end,
                [(r.message, r.location.range.start) for r in d.related_information or []],
            )
            for d in diagnostics
        ]
        assert got == expected, path.name
        assert all(d.code_description is not None for d in diagnostics)


async def test_a_broken_document_gets_ll000_and_the_rest_is_still_checked(
    client: LanguageClient, workspace: Path
) -> None:
    text = "function f() {\n  leaked = 1;\n}\nfunction broken( {\n"
    uri = open_document(client, workspace / "broken.js", text)
    codes = sorted(d.code for d in await next_diagnostics(client, uri))
    assert codes == ["LL000", "LL001"]


async def test_a_typescript_react_document_is_checked(
    client: LanguageClient, workspace: Path
) -> None:
    text = (
        "import { useEffect } from 'react';\n"
        "export function Panel(): JSX.Element {\n"
        "  useEffect(() => {\n"
        "    window.addEventListener('resize', () => null);\n"
        "  });\n"
        "  return <div>hi</div>;\n"
        "}\n"
    )
    uri = open_document(client, workspace / "Panel.tsx", text)
    assert [d.code for d in await next_diagnostics(client, uri)] == ["LL007"]


# --- configuration -----------------------------------------------------------------------


async def test_a_config_change_rechecks_open_documents(
    client: LanguageClient, workspace: Path
) -> None:
    uri = open_document(client, workspace / "sum.js", LEAKY)
    assert [d.code for d in await next_diagnostics(client, uri)] == ["LL001"]
    config = workspace / "leaklint.toml"
    config.write_text('ignore = ["LL001"]\n', encoding="utf-8")
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=config.as_uri(), type=types.FileChangeType.Changed)]
        )
    )
    assert await next_diagnostics(client, uri) == []


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def watching_client(lsp_client: LanguageClient, workspace: Path) -> AsyncIterator[None]:
    lsp_client.registrations = []  # type: ignore[attr-defined]

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(client: LanguageClient, params: types.RegistrationParams) -> None:
        client.registrations.extend(params.registrations)  # type: ignore[attr-defined]

    caps = capabilities()
    caps.workspace = types.WorkspaceClientCapabilities(
        did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(
            dynamic_registration=True
        )
    )
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=caps,
            root_uri=workspace.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="project")],
        )
    )
    yield
    await lsp_client.shutdown_session()


async def test_the_server_asks_to_watch_the_config_files(
    watching_client: LanguageClient, workspace: Path
) -> None:
    registrations = watching_client.registrations  # type: ignore[attr-defined]
    for _ in range(100):
        if registrations:
            break
        await asyncio.sleep(0.05)
    (registration,) = registrations
    assert registration.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
    options = watching_client.protocol._converter.structure(
        registration.register_options, types.DidChangeWatchedFilesRegistrationOptions
    )
    config, sources = options.watchers
    assert config.glob_pattern == (
        "**/{leaklint.toml,.leaklint.toml,pyproject.toml,package.json,.gitignore}"
    )
    assert sources.glob_pattern == "**/*.{js,jsx,mjs,cjs,ts,tsx,mts,cts}"


async def test_a_pyproject_change_rechecks_open_documents(
    client: LanguageClient, workspace: Path
) -> None:
    (workspace / "leaklint.toml").unlink()
    (workspace / "pyproject.toml").write_text("[tool.leaklint]\n", encoding="utf-8")
    uri = open_document(client, workspace / "sum.js", LEAKY)
    assert [d.code for d in await next_diagnostics(client, uri)] == ["LL001"]
    pyproject = workspace / "pyproject.toml"
    pyproject.write_text('[tool.leaklint]\nignore = ["LL001"]\n', encoding="utf-8")
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=pyproject.as_uri(), type=types.FileChangeType.Changed)]
        )
    )
    assert await next_diagnostics(client, uri) == []


async def test_excluded_files_get_no_diagnostics(client: LanguageClient, workspace: Path) -> None:
    (workspace / "leaklint.toml").write_text('extend-exclude = ["generated/"]\n', "utf-8")
    (workspace / "generated").mkdir()
    excluded = open_document(client, workspace / "generated" / "sum.js", LEAKY)
    assert await next_diagnostics(client, excluded) == []
    checked = open_document(client, workspace / "sum.js", LEAKY)
    assert [d.code for d in await next_diagnostics(client, checked)] == ["LL001"]


async def test_gitignored_files_get_no_diagnostics_until_the_ignore_changes(
    client: LanguageClient, workspace: Path
) -> None:
    (workspace / ".git").mkdir()
    (workspace / "out").mkdir()
    gitignore = workspace / ".gitignore"
    gitignore.write_text("out/\n", encoding="utf-8")
    uri = open_document(client, workspace / "out" / "sum.js", LEAKY)
    assert await next_diagnostics(client, uri) == []
    gitignore.write_text("", encoding="utf-8")
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=gitignore.as_uri(), type=types.FileChangeType.Changed)]
        )
    )
    assert [d.code for d in await next_diagnostics(client, uri)] == ["LL001"]


async def test_a_broken_config_is_shown_not_crashed_on(
    client: LanguageClient, workspace: Path
) -> None:
    (workspace / "leaklint.toml").write_text("select = 3\n", "utf-8")
    uri = open_document(client, workspace / "sum.js", LEAKY)
    assert await next_diagnostics(client, uri) == []
    assert any("select" in m.message for m in client.messages)


# --- hover and code actions ----------------------------------------------------------------


async def test_hover_explains_the_rule(client: LanguageClient, workspace: Path) -> None:
    uri = open_document(client, workspace / "sum.js", LEAKY)
    await next_diagnostics(client, uri)
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=1, character=3),
        )
    )
    assert hover is not None
    assert isinstance(hover.contents, types.MarkupContent)
    assert hover.contents.kind == types.MarkupKind.Markdown
    value = hover.contents.value
    assert "#### Why is this bad?" in value and "#### Use instead" in value
    assert "silently creates a property of the global object" in value  # from the docs
    assert "```js" in value  # the example keeps its code block
    nothing = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=4, character=0),
        )
    )
    assert nothing is None


async def _actions(client: LanguageClient, uri: str, line: int) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(
                start=types.Position(line=line, character=0),
                end=types.Position(line=line, character=0),
            ),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    return [a for a in result or [] if isinstance(a, types.CodeAction)]


@pytest.mark.parametrize(
    ("title", "inserted"),
    [
        ("Declare 'sum' with let (LL001)", "  let sum = 0;"),
        (
            "Disable LL001 for this line",
            "  // leaklint-disable-next-line LL001 -- <reason>\n  sum = 0;",
        ),
        ("Disable LL001 for this file", "/* leaklint-disable LL001 -- <reason> */\nfunction"),
    ],
)
async def test_code_actions_resolve_the_diagnostic(
    client: LanguageClient, workspace: Path, title: str, inserted: str
) -> None:
    uri = open_document(client, workspace / "sum.js", LEAKY)
    await next_diagnostics(client, uri)
    actions = {a.title: a for a in await _actions(client, uri, 1)}
    assert set(actions) == {
        "Declare 'sum' with let (LL001)",
        "Disable LL001 for this line",
        "Disable LL001 for this file",
        "Fix all safe leaklint problems",
    }
    assert actions["Declare 'sum' with let (LL001)"].is_preferred
    action = actions[title]
    assert action.kind == types.CodeActionKind.QuickFix
    assert action.edit is not None and action.edit.changes is not None
    fixed = apply_text_edits(LEAKY, list(action.edit.changes[uri]))
    assert inserted in fixed
    change_document(client, uri, 2, fixed)
    assert await next_diagnostics(client, uri) == []


async def test_fix_all_applies_every_safe_fix_and_nothing_else(
    client: LanguageClient, workspace: Path
) -> None:
    text = (
        "function a() {\n  x = 1;\n  return x;\n}\n"
        "function b() {\n  y = 2;\n  return y;\n}\n"
        "app.get('/a', (req, res) => {\n  process.on('SIGTERM', () => res.end());\n});\n"
    )
    uri = open_document(client, workspace / "all.js", text)
    assert [d.code for d in await next_diagnostics(client, uri)] == ["LL001", "LL001", "LL007"]
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(
                start=types.Position(line=0, character=0),
                end=types.Position(line=0, character=0),
            ),
            context=types.CodeActionContext(
                diagnostics=[], only=[types.CodeActionKind.SourceFixAll]
            ),
        )
    )
    (action,) = result or []
    assert isinstance(action, types.CodeAction)
    assert action.kind == "source.fixAll.leaklint"
    assert action.edit is not None and action.edit.changes is not None
    fixed = apply_text_edits(text, list(action.edit.changes[uri]))
    assert "  let x = 1;" in fixed and "  let y = 2;" in fixed
    assert "process.on('SIGTERM'" in fixed  # unsafe: only ever applied by hand
    change_document(client, uri, 2, fixed)
    assert [d.code for d in await next_diagnostics(client, uri)] == ["LL007"]


async def test_an_unsafe_fix_is_offered_but_not_preferred(
    client: LanguageClient, workspace: Path
) -> None:
    text = "app.get('/a', (req, res) => {\n  process.on('SIGTERM', () => res.end());\n});\n"
    uri = open_document(client, workspace / "app.js", text)
    assert [d.code for d in await next_diagnostics(client, uri)] == ["LL007"]
    (fix, *_) = await _actions(client, uri, 1)
    assert fix.title == "Use once() instead of on() (LL007) (unsafe: check the behaviour)"
    assert not fix.is_preferred


async def test_inside_jsx_the_line_directive_is_a_jsx_comment(
    client: LanguageClient, workspace: Path
) -> None:
    text = (
        "export function List({ items }) {\n"
        "  return (\n"
        "    <ul>\n"
        "      {items.map((i) => { total = i; return <li>{i}</li>; })}\n"
        "    </ul>\n"
        "  );\n"
        "}\n"
    )
    uri = open_document(client, workspace / "List.jsx", text, "javascriptreact")
    assert [d.code for d in await next_diagnostics(client, uri)] == ["LL001"]
    actions = {a.title: a for a in await _actions(client, uri, 3)}
    action = actions["Disable LL001 for this line"]
    assert action.edit is not None and action.edit.changes is not None
    fixed = apply_text_edits(text, list(action.edit.changes[uri]))
    assert "      {/* leaklint-disable-next-line LL001 -- <reason> */}\n      {items" in fixed
    change_document(client, uri, 2, fixed)
    assert await next_diagnostics(client, uri) == []


# --- pull diagnostics ------------------------------------------------------------------------


async def test_pull_diagnostics(pull_client: LanguageClient, workspace: Path) -> None:
    uri = open_document(pull_client, workspace / "sum.js", LEAKY)
    identifier = types.TextDocumentIdentifier(uri=uri)
    report = await pull_client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=identifier)
    )
    assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
    assert [d.code for d in report.items] == ["LL001"]
    again = await pull_client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(
            text_document=identifier, previous_result_id=report.result_id
        )
    )
    assert isinstance(again, types.RelatedUnchangedDocumentDiagnosticReport)
    change_document(pull_client, uri, 2, LEAKY.replace("  sum = 0;", "  let sum = 0;"))
    asked = time.monotonic()
    fixed = await pull_client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=identifier)
    )
    # Right after a change the answer waits for the debounce, as a push would.
    assert time.monotonic() - asked >= DEBOUNCE_SECONDS * 0.9
    assert isinstance(fixed, types.RelatedFullDocumentDiagnosticReport)
    assert list(fixed.items) == []
    # A client that pulls is never pushed to (it would show everything twice).
    assert uri not in pull_client.diagnostics
    # A config change asks the client to pull again.
    pull_client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[
                types.FileEvent(
                    uri=(workspace / "leaklint.toml").as_uri(), type=types.FileChangeType.Changed
                )
            ]
        )
    )
    for _ in range(100):
        if pull_client.diagnostic_refresh_count:
            break
        await asyncio.sleep(0.05)
    assert pull_client.diagnostic_refresh_count == 1


# --- robustness --------------------------------------------------------------------------

# The server with LL002 broken on purpose: its check raises on every file.
BROKEN_RULE_SERVER = [
    sys.executable,
    "-c",
    "from leaklint.rules.ll002_uncleared_interval import UnclearedInterval\n"
    "def boom(self, ctx):\n"
    "    raise RuntimeError('deliberate failure')\n"
    "UnclearedInterval.check = boom\n"
    "from leaklint.server import serve\n"
    "serve()\n",
]


@pytest_lsp.fixture(config=ClientServerConfig(server_command=BROKEN_RULE_SERVER))
async def broken_rule_client(lsp_client: LanguageClient, workspace: Path) -> AsyncIterator[None]:
    await start(lsp_client, workspace)
    yield
    await lsp_client.shutdown_session()


async def test_a_failing_rule_is_logged_and_the_others_still_report(
    broken_rule_client: LanguageClient, workspace: Path
) -> None:
    text = "app.get('/', (req, res) => {\n  setInterval(poll, 10);\n  leaked = 1;\n});\n"
    uri = open_document(broken_rule_client, workspace / "app.js", text)
    assert [d.code for d in await next_diagnostics(broken_rule_client, uri)] == ["LL001"]
    errors = [m for m in broken_rule_client.log_messages if m.type == types.MessageType.Error]
    assert any(
        "rule LL002 failed" in m.message and "deliberate failure" in m.message for m in errors
    )


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def bare_client(lsp_client: LanguageClient, workspace: Path) -> AsyncIterator[None]:
    await start(lsp_client, workspace)
    yield


async def test_shutdown_and_exit(bare_client: LanguageClient, workspace: Path) -> None:
    uri = open_document(bare_client, workspace / "sum.js", LEAKY)
    await next_diagnostics(bare_client, uri)
    bare_client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert await next_diagnostics(bare_client, uri) == []  # closing clears its diagnostics
    await bare_client.shutdown_session()
    assert bare_client._server is not None
    assert bare_client._server.returncode == 0


# --- real clients' capabilities ------------------------------------------------------------


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=SERVER),
    params=["visual-studio-code", "neovim@v0.11.0", "neovim@v0.10.0", "emacs"],
)
async def editor(
    lsp_client: LanguageClient, workspace: Path, request: pytest.FixtureRequest
) -> AsyncIterator[None]:
    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(client: LanguageClient, params: types.RegistrationParams) -> None:
        pass  # these editors watch files dynamically; the server asks, as it should

    result = await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=pytest_lsp.client_capabilities(request.param),
            root_uri=workspace.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="project")],
        )
    )
    lsp_client.encoding = result.capabilities.position_encoding  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


async def test_positions_in_the_encoding_each_editor_negotiated(
    editor: LanguageClient, workspace: Path
) -> None:
    # Cyrillic (2 UTF-8 bytes, 1 UTF-16 unit) and an emoji (4 bytes, 2 units) before the name.
    text = "function f() { const м = '😀'; leaked = м; }\n"
    uri = open_document(editor, workspace / "u.js", text)
    if editor.capabilities and editor.capabilities.text_document.diagnostic is not None:
        report = await editor.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        diagnostics = list(report.items)
    else:
        diagnostics = await next_diagnostics(editor, uri)
    (diagnostic,) = diagnostics
    prefix = text[: text.index("leaked")]
    encoding = editor.encoding or "utf-16"  # type: ignore[attr-defined]
    expected = {
        "utf-8": len(prefix.encode("utf-8")),
        "utf-16": len(prefix.encode("utf-16-le")) // 2,
        "utf-32": len(prefix),
    }[encoding]
    assert diagnostic.range.start == types.Position(line=0, character=expected)
    assert diagnostic.range.end.character == expected + len("leaked")


async def test_project_wide_findings_come_with_the_other_module_and_follow_its_changes(
    client: LanguageClient, workspace: Path
) -> None:
    # With `project = true`, a document gets the findings `check --project` makes in its saved
    # file: here a Redis factory in lib/redis.js used per call by services/users.js, with
    # the creation in the other module as a related location. When the other module changes
    # on disk (the factory becomes a lazy singleton), the finding goes.
    shutil.copytree(REPO / "fixtures" / "project" / "redis-factory", workspace, dirs_exist_ok=True)
    (workspace / "package.json").write_text('{"name": "app"}', encoding="utf-8")
    (workspace / "leaklint.toml").write_text("project = true\n", encoding="utf-8")
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[
                types.FileEvent(
                    uri=(workspace / "leaklint.toml").as_uri(), type=types.FileChangeType.Changed
                )
            ]
        )
    )
    service = workspace / "services" / "users.js"
    uri = open_document(client, service, service.read_text(encoding="utf-8"))
    diagnostics = await next_diagnostics(client, uri)
    (leak,) = [d for d in diagnostics if d.code == "LL003"]
    factory = (workspace / "lib" / "redis.js").resolve()
    assert [r.location.uri for r in leak.related_information or []] == [factory.as_uri()]
    factory.write_text(
        "const Redis = require('ioredis');\nlet client;\n"
        "function createRedis() {\n"
        "  client = client || new Redis(process.env.REDIS_URL);\n  return client;\n}\n"
        "module.exports = { createRedis };\n",
        encoding="utf-8",
    )
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=factory.as_uri(), type=types.FileChangeType.Changed)]
        )
    )
    assert [d.code for d in await next_diagnostics(client, uri)] == []
