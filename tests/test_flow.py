"""`analysis.flow`: the one vocabulary of where a value goes, with identity."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from leaklint.analysis.flow import (
    destination,
    readds_removed_key,
    same_value,
    stored_on,
    stored_reads,
    value_identity,
)
from leaklint.model.settings import Settings
from leaklint.semantic.context import FileContext
from leaklint.syntax.parsing import parse
from leaklint.syntax.source import SourceFile


def _context(code: str) -> FileContext:
    source = SourceFile.from_bytes(Path("flow.js"), textwrap.dedent(code).encode())
    ctx = FileContext(source, parse(source.data, source.language), Settings(root=Path.cwd()))
    ctx.plan_queries([])
    return ctx


def _node_at(ctx: FileContext, marker: str, occurrence: int = 0):
    data = ctx.source.data
    start = -1
    for _ in range(occurrence + 1):
        start = data.index(marker.encode(), start + 1)
    node = ctx.tree.root_node.named_descendant_for_byte_range(start, start + len(marker))
    assert node is not None
    return node


@pytest.mark.parametrize(
    ("statement", "kind", "method", "index"),
    [
        ("x;", "discarded", None, -1),
        ("void x;", "discarded", None, -1),
        ("x.unref();", "method-call", "unref", -1),
        ("(x).delete(k);", "method-call", "delete", -1),
        ("delete x[k];", "member-deleted", None, -1),
        ("delete x.k;", "member-deleted", "k", -1),
        ("x.length = 0;", "member-written", "length", -1),
        ("x[k] = 1;", "member-written", None, -1),
        ("x['total'] = 1;", "member-written", "total", -1),
        ("if (x.size > 10) {}", "member-compared", "size", -1),
        ("use(x.y);", "member-read", "y", -1),
        ("clearInterval(x);", "argument", None, 0),
        ("f(a, x);", "argument", None, 1),
        ("new F(x);", "new-argument", None, 0),
        ("x = 1;", "written", None, -1),
        ("y = x;", "assigned", None, -1),
        ("return x;", "returned", None, -1),
        ("await x;", "awaited", None, -1),
    ],
)
def test_destination_of_one_read(statement: str, kind: str, method: str | None, index: int) -> None:
    ctx = _context(f"async function g(x, k, a, y) {{ {statement} }}")
    where = destination(ctx, _node_at(ctx, "x", 1))
    assert (where.kind, where.method, where.index) == (kind, method, index)


def test_an_argument_knows_its_callee() -> None:
    ctx = _context("const m = new Map();\nfunction g(x) { clearInterval(x); m.set(k, x); }")
    clear = destination(ctx, _node_at(ctx, "x", 1))
    assert clear.callee(ctx) is not None and clear.callee(ctx).is_global("clearInterval")
    stored = destination(ctx, _node_at(ctx, "x", 2))
    assert stored.callee_method == "set" and stored.escapes


def test_stored_reads_keep_this_properties_to_their_class() -> None:
    ctx = _context(
        """
        class A { start() { this.timer = go(); } stop() { clearInterval(this.timer); } }
        class B { stop() { clearInterval(this.timer); } }
        """
    )
    target = _node_at(ctx, "this.timer")
    reads = stored_reads(ctx, target)
    assert reads is not None and len(reads) == 1
    assert reads[0].start_byte < ctx.source.data.index(b"class B")


def test_stored_reads_of_a_variable_skip_its_writes() -> None:
    ctx = _context("let t;\nfunction a() { t = go(); }\nfunction b() { t = null; stop(t); }")
    reads = stored_reads(ctx, _node_at(ctx, "t", 1))
    assert reads is not None and [r.start_byte for r in reads] == [ctx.source.data.rindex(b"t)")]


def test_a_destructured_property_cannot_be_followed() -> None:
    ctx = _context("function a() { this.timer = go(); }\nconst { timer } = obj;")
    assert stored_reads(ctx, _node_at(ctx, "this.timer")) is None


def test_stored_on_says_whose_object_keeps_the_value() -> None:
    ctx = _context(
        "const agents = {};\nfunction run(req) { this.a = 1; agents[req.host] = 2; req.log = 3; }"
    )
    function = _node_at(ctx, "function run")
    assert stored_on(ctx, _node_at(ctx, "this.a"), function) == "this"
    assert stored_on(ctx, _node_at(ctx, "agents[req.host]"), function) == "outer"
    assert stored_on(ctx, _node_at(ctx, "req.log"), function) == "local"
    assert stored_on(ctx, _node_at(ctx, "agents", 0), function) is None


def test_identity_of_what_imports_and_globals_denote() -> None:
    ctx = _context(
        "const bus = require('./bus');\n"
        "function f() { bus.on('a', onA); process.on('a', onA); bus.off('a', onB); }"
    )
    first, last = (
        _node_at(ctx, "bus.on").named_children[0],
        _node_at(ctx, "bus.off").named_children[0],
    )
    assert value_identity(ctx, first) == value_identity(ctx, last) is not None
    listener = value_identity(ctx, _node_at(ctx, "onA", 0))
    assert listener == value_identity(ctx, _node_at(ctx, "onA", 1))
    # Two undeclared globals are two values, not "unknown, so maybe the same".
    assert not same_value(listener, value_identity(ctx, _node_at(ctx, "onB")))


# -- a removal that the same code undoes (LL005's lazy expiry) ---------------------------------


def _removal(ctx: FileContext, marker: str):
    """The store mention at the start of ``marker`` (`cache.delete(`, `delete cache[`)."""
    data = ctx.source.data
    start = data.index(marker.encode())
    if marker.startswith("delete "):
        start += len("delete ")
    end = data.index(b"[" if marker.startswith("delete ") else b".delete", start)
    node = ctx.tree.root_node.named_descendant_for_byte_range(start, end)
    assert node is not None and node.end_byte == end, node
    return node


@pytest.mark.parametrize(
    ("code", "marker"),
    [
        # Zeppelin's memoize: has → if fresh return → delete → set, the same binding.
        (
            """
            const cache = new Map();
            function memoize(fn, key, time) {
              if (cache.has(key)) {
                const item = cache.get(key);
                if (item.createdAt > Date.now() - time) return item.value;
                cache.delete(key);
              }
              const value = fn();
              cache.set(key, { createdAt: Date.now(), value });
              return value;
            }
            """,
            "cache.delete(",
        ),
        # The same expression text, re-added inside a closure of the deleting function.
        (
            """
            const cooldowns = {};
            function run(message) {
              if (cooldowns[message.author.id] < Date.now()) delete cooldowns[message.author.id];
              return work().then(() => { cooldowns[message.author.id] = Date.now() + 5000; });
            }
            """,
            "delete cooldowns[",
        ),
        # A field of a class: `this.pages` is the same store in the same method.
        (
            """
            class Pages {
              pages = {};
              get(id) {
                if (this.pages[id] && this.pages[id].stale) delete this.pages[id];
                this.pages[id] ??= load(id);
                return this.pages[id];
              }
            }
            """,
            "delete this.pages[",
        ),
        # A Set re-added to refresh its order.
        (
            "const seen = new Set();\nfunction touch(k) { seen.delete((k)); seen.add(k); }",
            "seen.delete(",
        ),
    ],
)
def test_a_delete_of_the_key_then_added_again_does_not_shrink(code: str, marker: str) -> None:
    ctx = _context(code)
    assert readds_removed_key(ctx, _removal(ctx, marker))


@pytest.mark.parametrize(
    ("code", "marker"),
    [
        # Another function removes: a close handler.
        (
            """
            const sessions = new Map();
            function open(id) { sessions.set(id, Date.now()); }
            function close(id) { sessions.delete(id); }
            """,
            "sessions.delete(",
        ),
        # A timer callback removes later, in a closure of the growing function.
        (
            """
            const cache = new Map();
            function put(key, value) {
              cache.set(key, value);
              setTimeout(() => cache.delete(key), 60000);
            }
            """,
            "cache.delete(",
        ),
        # Another key: the oldest one, evicted.
        (
            """
            const cache = new Map();
            function put(key, value) {
              if (cache.size > 100) cache.delete(cache.keys().next().value);
              cache.set(key, value);
            }
            """,
            "cache.delete(",
        ),
        # A join/leave dispatcher: the delete and the growth are alternatives.
        (
            """
            const rooms = new Map();
            function onMessage(msg) {
              if (msg.type === 'leave') rooms.delete(msg.room);
              else rooms.set(msg.room, msg.user);
            }
            """,
            "rooms.delete(",
        ),
        (
            """
            const rooms = new Map();
            function onMessage(msg) {
              switch (msg.type) {
                case 'leave': rooms.delete(msg.room); break;
                case 'join': rooms.set(msg.room, msg.user); break;
              }
            }
            """,
            "rooms.delete(",
        ),
        # The delete's block returns before the growth can run.
        (
            """
            const rooms = {};
            function onMessage(msg) {
              if (msg.type === 'leave') { delete rooms[msg.room]; return; }
              rooms[msg.room] = msg.user;
            }
            """,
            "delete rooms[",
        ),
        # The growth comes first: the delete then removes what it added.
        (
            """
            const inflight = new Map();
            async function fetchOnce(key) {
              inflight.set(key, load(key));
              try { return await inflight.get(key); } finally { inflight.delete(key); }
            }
            """,
            "inflight.delete(",
        ),
        # A callback's own `key` is not the outer one.
        (
            """
            const cache = new Map();
            function refresh(key, keys) {
              cache.delete(key);
              keys.forEach((key) => cache.set(key, 1));
            }
            """,
            "cache.delete(",
        ),
        # Another store of the same name in another class.
        (
            """
            class A { get(id) { delete this.pages[id]; } }
            class B { put(id) { this.pages[id] = 1; } }
            """,
            "delete this.pages[",
        ),
    ],
)
def test_a_delete_that_can_remove_a_key_for_good_shrinks(code: str, marker: str) -> None:
    ctx = _context(code)
    assert not readds_removed_key(ctx, _removal(ctx, marker))


@pytest.mark.parametrize(
    "code",
    [
        # discord-js-bot's translation cooldown: a check helper deletes, the caller re-adds.
        """
        const cooldownCache = new Map();
        const getCooldown = (user) => {
          if (cooldownCache.has(user.id)) {
            if (Date.now() - cooldownCache.get(user.id) > 120000) {
              cooldownCache.delete(user.id);
              return 0;
            }
            return 1;
          }
          return 0;
        };
        async function handleFlagReaction(emoji, message, user) {
          if (getCooldown(user) > 0) return;
          await message.channel.send('…').then(() => cooldownCache.set(user.id, Date.now()));
        }
        """,
        # discord-js-bot's command cooldown: two helpers, the same key built from the same
        # arguments.
        """
        const cooldownCache = new Map();
        function applyCooldown(memberId, cmd) {
          const key = cmd.name + '|' + memberId;
          cooldownCache.set(key, Date.now());
        }
        function getRemainingCooldown(memberId, cmd) {
          const key = cmd.name + '|' + memberId;
          if (cooldownCache.has(key)) {
            cooldownCache.delete(key);
            return 0;
          }
          return 0;
        }
        async function handleSlashCommand(interaction, cmd) {
          if (getRemainingCooldown(interaction.user.id, cmd) > 0) return;
          try { await cmd.run(interaction); } finally { applyCooldown(interaction.user.id, cmd); }
        }
        """,
        # unkey's countCache: the helper takes the key, the caller adds under the same one.
        """
        const countCache = new Map();
        function getCachedCount(key) {
          const cached = countCache.get(key);
          if (cached && Date.now() - cached.timestamp < 300000) return cached.count;
          if (cached) countCache.delete(key);
          return null;
        }
        async function count(workspaceId, params) {
          const cacheKey = JSON.stringify({ workspaceId, start: params.start });
          const cached = getCachedCount(cacheKey);
          if (cached !== null) return cached;
          const total = await query(params);
          countCache.set(cacheKey, { count: total, timestamp: Date.now() });
          return total;
        }
        """,
    ],
)
def test_a_delete_in_a_helper_whose_every_caller_adds_the_key_back_does_not_shrink(
    code: str,
) -> None:
    ctx = _context(code)
    data = ctx.source.data.decode()
    store = data[data.index(".delete(") - 20 : data.index(".delete(")].split()[-1]
    assert readds_removed_key(ctx, _removal(ctx, f"{store}.delete("))


_CHECK_HELPER = """
const cache = new Map();
function forget(user) {
  if (cache.has(user.id)) cache.delete(user.id);
}
"""


@pytest.mark.parametrize(
    "callers",
    [
        # Exported: other modules may call it as a removal.
        "function handle(user) { forget(user); cache.set(user.id, 1); }\n"
        "module.exports = { forget };",
        # Passed as a callback.
        "function handle(user) { forget(user); cache.set(user.id, 1); }\nbus.on('leave', forget);",
        # One caller adds the key back, another (a leave handler) does not.
        "function handle(user) { forget(user); cache.set(user.id, 1); }\n"
        "function leave(user) { forget(user); }",
        # The caller adds another key than the one it has deleted.
        "function handle(user, other) { forget(other); cache.set(user.id, 1); }",
        # The caller adds first, then the helper removes it.
        "function handle(user) { cache.set(user.id, 1); forget(user); }",
    ],
)
def test_a_delete_in_a_helper_that_may_remove_a_key_for_good_shrinks(callers: str) -> None:
    ctx = _context(_CHECK_HELPER + callers)
    assert not readds_removed_key(ctx, _removal(ctx, "cache.delete("))
