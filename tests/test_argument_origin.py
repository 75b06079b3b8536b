"""`analysis.argument_origin`: whether a value in per-request code comes from the request, is
new on every call, or is the project's own (what LL005 decides a cross-module grower on)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from leaklint.analysis.argument_origin import (
    FRESH,
    PROJECT,
    REQUEST,
    argument_origins,
    key_origin,
    origin,
    takes_request,
)
from leaklint.model.project import CALL, FileSummary
from leaklint.model.settings import Settings
from leaklint.pipeline.engine import check_path, rules_for
from leaklint.semantic.context import FileContext
from leaklint.syntax.parsing import parse
from leaklint.syntax.source import SourceFile


def _context(code: str) -> FileContext:
    source = SourceFile.from_bytes(Path("routes.js"), textwrap.dedent(code).encode())
    ctx = FileContext(source, parse(source.data, source.language), Settings(root=Path.cwd()))
    ctx.plan_queries([])  # the analysis runs its own query pass
    return ctx


def _argument_of_track(ctx: FileContext):
    """The first argument of the (only) `track(…)` call."""
    start = ctx.source.data.index(b"track(") + len(b"track(")
    node = ctx.tree.root_node.named_descendant_for_byte_range(start, start)
    while node.parent is not None and node.parent.type != "arguments":
        node = node.parent
    return node


_MODULE = "const LIMIT = 5;\nconst NAMES = ['a', 'b'];\nconst config = { name: 'x' };\n"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("track(req.params.id);", REQUEST),
        ("track(req.body.user.name);", REQUEST),
        ("const { id } = req.params; track(id);", REQUEST),
        ("const id = req.query.id; const key = `user:${id}`; track(key);", REQUEST),
        ("track('user:' + req.params.id.toLowerCase());", REQUEST),
        ("track(parseInt(req.params.id, 10));", REQUEST),
        ("track(req.get('host'));", REQUEST),
        ("let k; k = req.ip; track(k);", REQUEST),
        ("for (const item of req.body.items) track(item.id);", REQUEST),
        ("req.body.items.forEach((item) => track(item));", REQUEST),
        ("track({ ...req.body });", REQUEST),
        ("track(Date.now());", FRESH),
        ("track(`job-${crypto.randomUUID()}`);", FRESH),
        ("track(Math.random());", FRESH),
        ("track(new Date());", FRESH),
        ("track(new Date().toISOString());", FRESH),
        ("track(res);", FRESH),  # `clients.add(res)`: a new entry per request
        ("track(next);", PROJECT),
        ("track('default');", PROJECT),
        ("track(req.query.all === 'true');", PROJECT),
        ("track(req.query.page || 1);", REQUEST),
        ("track(LIMIT);", PROJECT),
        ("track(config.name);", PROJECT),
        ("track(process.env.PROVIDER);", PROJECT),
        ("const row = await db.findOne(req.params.id); track(row.name);", PROJECT),
        ("for (const name of NAMES) track(name);", PROJECT),
        ("NAMES.forEach((name) => track(name));", PROJECT),
        ("track(res.locals.tenant);", PROJECT),
        ("track(await req.models.User.findOne(req.params.id));", PROJECT),
        ("const ban = await req.app.bans.find(req.body.user); track(ban);", PROJECT),
        ("track(this.name);", PROJECT),
    ],
)
def test_origin_in_an_express_route(body: str, expected: str) -> None:
    ctx = _context(f"{_MODULE}app.post('/x', async (req, res) => {{ {body} }});\n")
    assert origin(ctx, _argument_of_track(ctx)) == expected


def test_a_koa_context_and_a_message_payload_come_from_the_request() -> None:
    koa = _context("router.post('/a', async (ctx) => { track(ctx.request.body.name); });\n")
    assert origin(koa, _argument_of_track(koa)) == REQUEST
    ws = _context("wss.on('connection', (ws) => { ws.on('message', (data) => track(data)); });\n")
    assert origin(ws, _argument_of_track(ws)) == REQUEST


def test_a_helper_parameter_is_followed_into_what_the_handler_passes() -> None:
    passed = (
        "function save(name) { track(name); }\napp.get('/x', (req, res) => save(req.query.n));\n"
    )
    ctx = _context(passed)
    assert origin(ctx, _argument_of_track(ctx)) == REQUEST
    fixed = "function save(name) { track(name); }\napp.get('/x', (req, res) => save('home'));\n"
    ctx = _context(fixed)
    assert origin(ctx, _argument_of_track(ctx)) == PROJECT


@pytest.mark.parametrize(
    ("helper", "expected"),
    [
        # unkey's count cache: the key is built by a function of the file from the request.
        ("function keyOf(id, p) { return JSON.stringify({ id, page: p.page }); }", REQUEST),
        ("const keyOf = (id) => `k:${id}`;", REQUEST),
        ("function keyOf(id, p) { return JSON.stringify({ id }); }", REQUEST),
        ("function keyOf(id) { return db.find(id); }", PROJECT),  # what it reads
        ("function keyOf(id) { return 'all'; }", PROJECT),
    ],
)
def test_the_result_of_a_function_of_the_file_is_followed_into_its_returns(
    helper: str, expected: str
) -> None:
    code = (
        f"{helper}\napp.get('/x', (req, res) => {{ track(keyOf(req.params.id, req.query)); }});\n"
    )
    ctx = _context(code)
    assert origin(ctx, _argument_of_track(ctx)) == expected


def test_a_parameter_of_code_no_handler_calls_is_unknown_and_so_the_projects() -> None:
    ctx = _context("export function save(name) { track(name); }\n")
    assert origin(ctx, _argument_of_track(ctx)) == PROJECT


def test_argument_origins_lists_only_request_and_fresh_arguments() -> None:
    code = "app.get('/x', (req, res) => { track(req.params.id, 'a', { id: Date.now(), n: 1 }); });"
    ctx = _context(code)
    start = ctx.source.data.index(b"track(")
    call = ctx.tree.root_node.named_descendant_for_byte_range(start, start + 5).parent
    assert argument_origins(ctx, call) == "0=r,2.id=f"


@pytest.mark.parametrize(
    ("origins", "key", "expected"),
    [
        ("0=r", "0", REQUEST),
        ("0=r", "1", PROJECT),
        ("1=f", "", FRESH),
        ("", "", PROJECT),
        ("1.id=r", "1.id", REQUEST),
        ("1.url=r", "1.id", PROJECT),  # `{ id: 'x', url: req.query.u }`: the key is a literal
        ("1.*=r", "1.id", REQUEST),  # `{ ...req.body }` may hold `id`
        ("1=r", "1.id", REQUEST),  # `f(s, req.body)`: `config.id` is the request's
        ("0.name=r", "0", REQUEST),
    ],
)
def test_key_origin(origins: str, key: str, expected: str) -> None:
    assert key_origin(origins, key) == expected


def _summary(tmp_path: Path, name: str, code: str) -> FileSummary:
    source = tmp_path / name
    source.write_text(textwrap.dedent(code), encoding="utf-8")
    settings = Settings(root=tmp_path, project=True, select=("LL005",))
    return FileSummary.from_dict(check_path(source, settings, rules_for(settings)).summary)


@pytest.mark.parametrize(
    ("declaration", "key"),
    [
        ("const { name } = config;", "0.name"),
        ("const { name: id } = config;", "0.name"),
        ("const name = config.name;", ""),  # a local the summary does not follow
    ],
)
def test_a_growers_key_destructured_from_its_parameter(
    tmp_path: Path, declaration: str, key: str
) -> None:
    code = f"""
        const clients = {{}};
        export function clientFor(config) {{
          {declaration}
          clients[{"id" if "id" in declaration else "name"}] = config;
        }}
        """
    grower = _summary(tmp_path, "clients.js", code).export("clientFor")
    assert grower is not None and grower.key == key


def test_a_call_records_its_origins_only_in_code_that_repeats(tmp_path: Path) -> None:
    code = """
        import { clientFor } from './clients';
        clientFor(Date.now());
        export function later() { return clientFor(Date.now()); }
        app.get('/x', (req, res) => res.json(clientFor(req.params.id, 'a')));
        """
    uses = [u for u in _summary(tmp_path, "routes.js", code).uses if u.action == CALL]
    assert sorted(u.origins for u in uses) == ["", "", "0=r"]  # once, per call: not asked


def test_a_long_member_chain_of_the_request_does_not_run_out_of_depth() -> None:
    """Member steps do not spend the depth that bounds locals followed (shieldy, audit 11)."""
    ctx = _context(
        """
        function handleNewChatMember(ctx) {
          const newChatMember = ctx.update.chat_member.new_chat_member;
          const memberId = newChatMember.user.id;
          track([memberId], true);
        }
        """
    )
    assert origin(ctx, _argument_of_track(ctx)) == REQUEST


def test_a_function_takes_the_request_by_a_parameter_named_for_it() -> None:
    ctx = _context("function a(ctx) {}\nfunction b(req, res) {}\nfunction c(memberId) {}\n")
    functions = [n for n in ctx.tree.root_node.named_children if n.type == "function_declaration"]
    assert [takes_request(f) for f in functions] == [True, True, False]
