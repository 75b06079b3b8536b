"""`--project` decides like LL005 whether a store is shrunk: a delete of the key that the same
function then adds again (a lazy expiry) renews an entry and bounds nothing
(``flow.readds_removed_key``), in every place the summary looks for a removal."""

from __future__ import annotations

from pathlib import Path

import pytest

from leaklint.model.project import GROW, SHRINK, FileSummary
from leaklint.model.settings import Settings
from leaklint.pipeline.engine import check_path, rules_for

RENEW = """
function get(key, load) {
  if (cache.has(key) && cache.get(key).at < Date.now() - 1000) cache.delete(key);
  if (!cache.has(key)) cache.set(key, { at: Date.now(), value: load() });
  return cache.get(key).value;
}
"""
DROP = "function drop(key) { cache.delete(key); }\n"


def _summary(tmp_path: Path, code: str, name: str = "store.js") -> FileSummary:
    source = tmp_path / name
    source.write_text(code, encoding="utf-8")
    settings = Settings(root=tmp_path, project=True, select=("LL005",))
    return FileSummary.from_dict(check_path(source, settings, rules_for(settings)).summary)


@pytest.mark.parametrize(("extra", "shrunk"), [("", False), (DROP, True)])
def test_an_exported_store_renewed_by_key_is_not_shrunk(
    tmp_path: Path, extra: str, shrunk: bool
) -> None:
    code = f"const cache = new Map();\n{RENEW}{extra}module.exports = {{ cache, get }};\n"
    summary = _summary(tmp_path, code)
    store = summary.export("cache")
    assert store is not None and store.shrunk is shrunk


@pytest.mark.parametrize(("extra", "shrunk"), [("", False), (DROP, True)])
def test_an_entry_of_a_context_object_renewed_by_key_is_not_shrunk(
    tmp_path: Path, extra: str, shrunk: bool
) -> None:
    code = (
        "const Context = { cache: new Map() };\n"
        + RENEW.replace("cache.", "Context.cache.")
        + extra.replace("cache.", "Context.cache.")
        + "module.exports = Context;\n"
    )
    summary = _summary(tmp_path, code)
    assert any(e.shrunk is shrunk for e in summary.exports if e.store == "cache"), summary.exports


@pytest.mark.parametrize(
    ("extra", "shrunk"), [("", False), ("  drop(id) { delete this.pages[id]; }\n", True)]
)
def test_a_singleton_field_renewed_by_key_is_not_shrunk(
    tmp_path: Path, extra: str, shrunk: bool
) -> None:
    code = (
        "class Pages {\n"
        "  pages = {};\n"
        "  set(id, page) {\n"
        "    if (this.pages[id] && this.pages[id].stale) delete this.pages[id];\n"
        "    this.pages[id] = page;\n"
        "  }\n"
        f"{extra}"
        "}\n"
        "module.exports = new Pages();\n"
    )
    summary = _summary(tmp_path, code)
    (store,) = summary.exports
    assert store.shrunk is shrunk


@pytest.mark.parametrize(
    ("removal", "growth", "actions"),
    [
        ("if (sessions[id]) delete sessions[id];", "sessions[id] = Date.now();", [GROW]),
        ("if (sessions.has(id)) sessions.delete(id);", "sessions.set(id, Date.now());", [GROW]),
        # Removed later, in a callback: the entry goes for good.
        (
            "process.nextTick(() => sessions.delete(id));",
            "sessions.set(id, Date.now());",
            [GROW, SHRINK],
        ),
    ],
)
def test_an_imported_store_renewed_by_key_has_no_removal(
    tmp_path: Path, removal: str, growth: str, actions: list[str]
) -> None:
    code = (
        "import { sessions } from './sessions.js';\n"
        "export function track(req, res, next) {\n"
        "  const id = req.headers['x-id'];\n"
        f"  {removal}\n"
        f"  {growth}\n"
        "  next();\n"
        "}\n"
    )
    summary = _summary(tmp_path, code, "track.mjs")
    found = sorted({u.action for u in summary.uses if u.imported == "sessions"})
    assert found == sorted(actions)
