"""Positions are 1-based lines and character columns; every line ending counts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leaklint.config import Settings
from leaklint.semantic.context import FileContext
from leaklint.syntax.parsing import parse
from leaklint.syntax.source import ModuleKind, SourceFile


def source(text: str | bytes, name: str = "a.js") -> SourceFile:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return SourceFile.from_bytes(Path(name), data)


def test_columns_count_characters_not_bytes() -> None:
    src = source('const s = "Привет"; x = 1;')
    offset = src.data.index(b"x = 1")
    assert src.position(offset).column == len('const s = "Привет"; ') + 1


def test_each_line_ending_ends_a_line() -> None:
    src = source(b"a\r\nb\rc\nd")
    assert [src.position(src.data.index(c)).line for c in (b"a", b"b", b"c", b"d")] == [1, 2, 3, 4]
    assert src.line_text(2) == "b"


def test_bom_is_dropped() -> None:
    src = source(b"\xef\xbb\xbfx = 1;")
    assert src.position(0) == src.position(0).__class__(1, 1)
    assert src.data.startswith(b"x")


def module_kind(tmp_path: Path, name: str, text: str, package: dict | None = None) -> ModuleKind:
    directory = tmp_path / name.replace(".", "_")
    directory.mkdir()
    if package is not None:
        (directory / "package.json").write_text(json.dumps(package))
    path = directory / name
    path.write_text(text)
    src = SourceFile.read(path)
    return FileContext(src, parse(src.data, src.language), Settings()).module_kind


def test_module_mode(tmp_path: Path) -> None:
    assert module_kind(tmp_path, "a.mjs", "x = 1") is ModuleKind.ESM
    assert module_kind(tmp_path, "b.cjs", "import a from 'b'") is ModuleKind.COMMONJS
    assert module_kind(tmp_path, "c.js", "x = 1") is ModuleKind.COMMONJS
    assert module_kind(tmp_path, "d.js", "export const a = 1") is ModuleKind.ESM
    assert module_kind(tmp_path, "e.js", "x = 1", {"type": "module"}) is ModuleKind.ESM


def test_strictness_by_position(tmp_path: Path) -> None:
    text = (
        "function a() { 'use strict'; x = 1; }\n"
        "function b() { y = 1; }\n"
        "class C { m() { z = 1; } }\n"
    )
    src = source(text)
    ctx = FileContext(src, parse(src.data, src.language), Settings())
    root = ctx.tree.root_node

    def at(snippet: bytes) -> bool:
        offset = src.data.index(snippet)
        return ctx.is_strict(root.descendant_for_byte_range(offset, offset + 1))

    assert at(b"x = 1") and not at(b"y = 1") and at(b"z = 1")


@pytest.mark.parametrize(
    ("raw", "binary"),
    [
        (b"const a = 1;\n", False),
        # A raw NUL inside a string of valid UTF-8 code (seen in a real test file) is code.
        (b"it('strips', () => expect(clean('null\x00byte.txt')).toBe('nullbyte.txt'));\n", False),
        (b"\x00\x01binary", True),  # other control bytes
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", True),  # not UTF-8
        ("function f() { leak = 1 }\n".encode("utf-16-le"), True),  # NUL every other byte
        (b"a = 1;\n" * 100 + b"\x00\x00\x00\x00\x00\x00\x00\x00", True),  # many NULs
    ],
)
def test_binary_files_are_told_from_code_with_a_stray_nul(raw: bytes, binary: bool) -> None:
    assert SourceFile.from_bytes(Path("x.js"), raw).is_binary() is binary


def test_a_raw_nul_in_a_string_does_not_stop_the_parser() -> None:
    source = SourceFile.from_bytes(Path("x.js"), b"const a = 'x\x00y';\nfunction f() {}\n")
    assert not parse(source.data, source.language).root_node.has_error
