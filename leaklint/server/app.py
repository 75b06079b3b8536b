"""`leaklint server`: the language server (pygls) over standard input and output.

Diagnostics are pushed (``textDocument/publishDiagnostics``) after open, save and, debounced,
after changes, unless the client pulls them (``textDocument/diagnostic``): a client that
announces pull support gets no pushes, as ruff's server does, so it never shows them twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
from collections import OrderedDict
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from leaklint import __version__
from leaklint.config import ConfigError
from leaklint.model.findings import Finding
from leaklint.model.settings import Settings
from leaklint.server import convert
from leaklint.server.documents import (
    OpenDocument,
    ProjectSettings,
    check_document,
    document_path,
    is_config_file,
    project_findings_of,
)
from leaklint.syntax.parsing import parse_incremental
from leaklint.syntax.source import language_for, meteor_package, package_type, real_directory

# Re-check this long after the last keystroke: long enough that typing a word costs one
# check, short enough to feel immediate.
DEBOUNCE_SECONDS = 0.2
# Trees kept for incremental re-parsing, for the documents edited most recently. A tree costs
# ~40 times its text (2.7 MB for a 2,000-line file); a document edited again after losing
# its tree is parsed afresh, which for that file costs 8 ms.
MAX_TREES = 16
_WATCHED = "**/{leaklint.toml,.leaklint.toml,pyproject.toml,package.json,.gitignore}"
# Source files, for project-wide findings: another module's change can add or remove one.
_WATCHED_SOURCES = "**/*.{js,jsx,mjs,cjs,ts,tsx,mts,cts}"

log = logging.getLogger(__name__)


class LeaklintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("leaklint", __version__)
        self.documents: dict[str, OpenDocument] = {}
        self.settings = ProjectSettings()
        self._pending: dict[str, asyncio.Task[None]] = {}
        self._reported_config_errors: set[str] = set()
        self._trees: OrderedDict[str, None] = OrderedDict()  # uris with a tree, oldest first
        # Bumped when a file of the project is saved or changes on disk: project-wide
        # findings of open documents are computed again (settings.project only).
        self.project_generation = 0

    # -- client facts --------------------------------------------------------------------

    @property
    def pulls(self) -> bool:
        text_document = self.client_capabilities.text_document
        return text_document is not None and text_document.diagnostic is not None

    @property
    def encoding(self) -> str:
        return str(self.workspace.position_encoding or types.PositionEncodingKind.Utf16)

    def folders(self) -> list[Path]:
        paths = [Path(to_fs_path(f.uri) or "") for f in self.workspace.folders.values()]
        if not paths and self.workspace.root_path:
            paths = [Path(self.workspace.root_path)]
        return [p.resolve() for p in paths if str(p)]

    # -- documents -----------------------------------------------------------------------

    def open(self, uri: str, language_id: str) -> OpenDocument | None:
        fs_path = to_fs_path(uri)
        raw_path = Path(fs_path).resolve() if fs_path else None
        path = document_path(raw_path, language_id, Path.cwd())
        if path is None:
            return None
        language = language_for(path)
        assert language is not None  # document_path only returns checkable paths
        document = OpenDocument(uri, path, language)
        self.documents[uri] = document
        return document

    def close(self, uri: str) -> None:
        self.documents.pop(uri, None)  # its tree, bytes and findings go with it
        self._trees.pop(uri, None)
        self.cancel_pending(uri)

    def current(self, uri: str) -> OpenDocument | None:
        """The document, checked at its latest version and configuration."""
        document = self.documents.get(uri)
        if document is None:
            return None
        text_document = self.workspace.get_text_document(uri)
        if (
            document.checked_version != text_document.version
            or document.checked_generation != self.settings.generation
        ):
            document.findings = self.check(document, text_document.source)
            document.checked_version = text_document.version
            document.checked_generation = self.settings.generation
        return document

    def check(self, document: OpenDocument, text: str) -> list[Finding]:
        try:
            settings = self.settings.for_document(document.path, self.folders())
        except ConfigError as error:
            self.report_config_error(str(error))
            return []
        findings = check_document(document, text, settings, self.rule_failed, self.settings.ignores)
        self.keep_tree(document)
        if settings.project and document.source is not None:
            findings = [*findings, *self._project_findings(document, settings, findings)]
        return findings

    def _project_findings(
        self, document: OpenDocument, settings: Settings, own: list[Finding]
    ) -> list[Finding]:
        """The saved file's cross-module findings, recomputed when the project changed."""
        if document.project_generation != self.project_generation:
            try:
                document.project_findings = project_findings_of(document.path, settings)
            except Exception:  # never crash the editor: the file's own findings still count
                self.rule_failed("project", document.path, traceback.format_exc())
                document.project_findings = []
            document.project_generation = self.project_generation
        seen = {(f.rule, f.span) for f in own}
        return [f for f in document.project_findings if (f.rule, f.span) not in seen]

    def project_changed(self) -> None:
        """A source file of the project was saved or changed on disk."""
        self.project_generation += 1
        for document in self.documents.values():
            document.checked_version = None  # check again, with fresh project findings
        self.recheck_open_documents()

    def recheck_open_documents(self) -> None:
        """Diagnostics of every open document again: pushed, or a refresh asked of a client
        that pulls them."""
        if self.pulls:
            workspace = self.client_capabilities.workspace
            diagnostics = workspace.diagnostics if workspace is not None else None
            if diagnostics is not None and diagnostics.refresh_support:
                self.workspace_diagnostic_refresh(None)
            return
        for uri in list(self.documents):
            self.publish(uri)

    def keep_tree(self, document: OpenDocument) -> None:
        self._trees.pop(document.uri, None)
        if document.parse_state is not None:
            self._trees[document.uri] = None
        while len(self._trees) > MAX_TREES:
            oldest, _ = self._trees.popitem(last=False)
            if oldest in self.documents:
                self.documents[oldest].parse_state = None

    def rule_failed(self, code: str, path: Path, trace: str) -> None:
        # Logged, not shown: the other rules' diagnostics are still there, and a pop-up on
        # every keystroke would make the editor unusable.
        if code == "engine":
            message = f"leaklint could not check {path} (an LL000 diagnostic says so).\n{trace}"
        else:
            message = f"rule {code} failed on {path}; the other rules still report.\n{trace}"
        self.window_log_message(
            types.LogMessageParams(type=types.MessageType.Error, message=message)
        )

    def report_config_error(self, message: str) -> None:
        if message in self._reported_config_errors:
            return  # once per distinct error, not once per document and keystroke
        self._reported_config_errors.add(message)
        self.window_show_message(
            types.ShowMessageParams(
                type=types.MessageType.Error, message=f"leaklint: {message} (no diagnostics)"
            )
        )

    def diagnostics(self, document: OpenDocument) -> list[types.Diagnostic]:
        source = document.source
        if source is None:
            return []
        return [
            convert.diagnostic(f, source, document.uri, self.encoding) for f in document.findings
        ]

    def publish(self, uri: str) -> None:
        if self.pulls:
            return
        document = self.current(uri)
        if document is None:
            return
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                uri=uri, version=document.checked_version, diagnostics=self.diagnostics(document)
            )
        )

    def cancel_pending(self, uri: str) -> None:
        previous = self._pending.pop(uri, None)
        if previous is not None:
            previous.cancel()

    def publish_later(self, uri: str) -> None:
        self.cancel_pending(uri)
        self._pending[uri] = asyncio.get_running_loop().create_task(self._debounced(uri))

    async def _debounced(self, uri: str) -> None:
        await asyncio.sleep(DEBOUNCE_SECONDS)
        self._pending.pop(uri, None)
        try:
            self.publish(uri)
        except Exception:  # a task of its own: pygls' handler guard does not reach it
            self.rule_failed("engine", Path(to_fs_path(uri) or uri), traceback.format_exc())

    def configuration_changed(self) -> None:
        """A config file, package.json or .gitignore changed: every open document is checked
        again."""
        self.settings.clear()
        self._reported_config_errors.clear()
        package_type.cache_clear()
        meteor_package.cache_clear()
        real_directory.cache_clear()
        self.recheck_open_documents()


server = LeaklintServer()


@server.feature(types.INITIALIZED)
async def initialized(ls: LeaklintServer, params: types.InitializedParams) -> None:
    workspace = ls.client_capabilities.workspace
    watched = workspace.did_change_watched_files if workspace is not None else None
    if watched is None or not watched.dynamic_registration:
        return  # the client may still send the notifications; they are handled below
    options = types.DidChangeWatchedFilesRegistrationOptions(
        watchers=[
            types.FileSystemWatcher(glob_pattern=_WATCHED),
            types.FileSystemWatcher(glob_pattern=_WATCHED_SOURCES),
        ]
    )
    registration = types.Registration(
        id="leaklint-config-watcher",
        method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
        register_options=options,
    )
    try:
        await ls.client_register_capability_async(
            types.RegistrationParams(registrations=[registration])
        )
    except Exception as error:  # a client that refuses: config is reloaded on save only
        log.warning("could not register the config file watcher: %s", error)


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: LeaklintServer, params: types.DidOpenTextDocumentParams) -> None:
    if ls.open(params.text_document.uri, params.text_document.language_id) is not None:
        ls.publish(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
async def did_change(ls: LeaklintServer, params: types.DidChangeTextDocumentParams) -> None:
    document = ls.documents.get(params.text_document.uri)
    if document is None:
        return
    document.changed_at = time.monotonic()
    if not ls.pulls:
        ls.publish_later(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: LeaklintServer, params: types.DidSaveTextDocumentParams) -> None:
    path = to_fs_path(params.text_document.uri)
    if path and is_config_file(Path(path)):
        ls.configuration_changed()  # for clients that watch no files
    elif params.text_document.uri in ls.documents:
        ls.cancel_pending(params.text_document.uri)
        ls.project_changed()  # re-checks (and publishes) every open document


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: LeaklintServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.close(uri)
    if not ls.pulls:
        ls.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
        )


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def did_change_watched_files(ls: LeaklintServer, params: types.DidChangeWatchedFilesParams) -> None:
    paths = [Path(to_fs_path(change.uri) or "") for change in params.changes]
    if any(is_config_file(path) for path in paths):
        ls.configuration_changed()
    elif any(language_for(path) is not None for path in paths):
        ls.project_changed()


@server.feature(
    types.TEXT_DOCUMENT_DIAGNOSTIC,
    types.DiagnosticOptions(
        identifier="leaklint", inter_file_dependencies=False, workspace_diagnostics=False
    ),
)
async def pull_diagnostics(
    ls: LeaklintServer, params: types.DocumentDiagnosticParams
) -> types.DocumentDiagnosticReport:
    # A client that pulls after every keystroke gets the same debounce as pushes: the answer
    # waits until the document has been quiet for DEBOUNCE_SECONDS (a client cancels the
    # request it no longer needs when it sends the next).
    opened = ls.documents.get(params.text_document.uri)
    if opened is not None:
        quiet_for = time.monotonic() - opened.changed_at
        if quiet_for < DEBOUNCE_SECONDS:
            await asyncio.sleep(DEBOUNCE_SECONDS - quiet_for)
    document = ls.current(params.text_document.uri)
    if document is None:
        return types.RelatedFullDocumentDiagnosticReport(items=[])
    result_id = f"{document.checked_version}:{document.checked_generation}"
    if params.previous_result_id == result_id:
        return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
    return types.RelatedFullDocumentDiagnosticReport(
        items=ls.diagnostics(document), result_id=result_id
    )


@server.feature(types.TEXT_DOCUMENT_HOVER)
def hover(ls: LeaklintServer, params: types.HoverParams) -> types.Hover | None:
    document = ls.current(params.text_document.uri)
    if document is None or document.source is None:
        return None
    line, column = convert.leaklint_position(document.source, params.position, ls.encoding)
    here = [f for f in document.findings if convert.covers(f.span, line, column)]
    if not here:
        return None
    return types.Hover(
        contents=types.MarkupContent(
            kind=types.MarkupKind.Markdown, value=convert.hover_markdown(here)
        ),
        range=convert.client_range(document.source, here[0].span, ls.encoding),
    )


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, convert.FIX_ALL]),
)
def code_action(ls: LeaklintServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    document = ls.current(params.text_document.uri)
    if document is None or document.source is None:
        return []
    only = params.context.only
    if only and not any(_wants(kind, types.CodeActionKind.QuickFix) for kind in only):
        wanted = any(_wants(kind, convert.FIX_ALL) for kind in only)
        fix_all = convert.fix_all(document.findings, document.source, document.uri, ls.encoding)
        return [fix_all] if wanted and fix_all is not None else []
    source = document.source
    start = convert.leaklint_position(source, params.range.start, ls.encoding)
    end = convert.leaklint_position(source, params.range.end, ls.encoding)
    if document.parse_state is None:  # its tree was let go (MAX_TREES): parse it again
        _, document.parse_state = parse_incremental(source.data, source.language, None)
        ls.keep_tree(document)
    tree = document.parse_state.tree
    actions: list[types.CodeAction] = []
    for finding in document.findings:
        # By line, as ESLint's server does: a cursor anywhere on the line offers the actions.
        if finding.span.end_line < start[0] or finding.span.line > end[0]:
            continue
        actions += convert.code_actions(finding, source, tree, document.uri, ls.encoding)
    if not only:
        fix_all = convert.fix_all(document.findings, source, document.uri, ls.encoding)
        actions += [fix_all] if fix_all is not None else []
    return actions


def _wants(requested: str, kind: str) -> bool:
    """A request for ``source.fixAll`` covers ``source.fixAll.leaklint``, as LSP's kinds nest."""
    return kind == requested or kind.startswith(f"{requested}.")


def serve() -> None:
    server.start_io()
