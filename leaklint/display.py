"""Text that came from the checked code, made safe to show a person or a CI log.

File names and messages echo the checked code, which may be hostile: a file named
``::error title=X::y.js`` or an event name with a newline would print a line GitHub Actions
runs as a workflow command, an ESC sequence in a name or a code frame can rewrite the
terminal, and a file name that is not UTF-8 (POSIX names are bytes; Python hands them out
with ``surrogateescape``) cannot be encoded at all. Every human format (text, github, the
audit summary) shows such text through these functions:

* ``quote_path``: a name with control characters, ``"``, ``\\`` or bytes that are not UTF-8 is
  quoted as git quotes it (``"bad\\377.js"``: C escapes and octal bytes); valid non-ASCII
  letters are shown as they are (git's ``core.quotePath=false``). A name starting with ``:``
  gets ``./`` in front so that no printed line starts with ``::``.
* ``escape_controls``: C0 (tab and newline included), DEL, C1 and lone surrogates as
  backslash escapes, so a message is always one printable line. The github format keeps
  ``\r`` and ``\n`` for its own ``%0D``/``%0A`` escaping (a multi-line annotation).
* ``frame_window``: a code frame's line cut to a window around the flagged column, control
  characters shown as one-cell Unicode control pictures (as rustc does) so the caret stays
  aligned.

JSON documents keep the exact name instead: ``json_safe`` writes a byte that is not UTF-8 as
the escape ``\\udcXX`` (Python's ``surrogateescape``: byte 0xXX is U+DCXX), which keeps the file
valid UTF-8 and gives a Python reader the real name back with ``os.fsencode``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# C0, DEL, C1 and every surrogate (only lone ones can occur in a str).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_NEEDS_QUOTES = re.compile('["\\\\\x00-\x1f\x7f-\x9f\ud800-\udfff]')
_SURROGATE = re.compile("[\ud800-\udfff]")
_C_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\v": "\\v",
    "\f": "\\f",
    "\r": "\\r",
}

# A code frame shows at most this many characters of a line: a minified bundle's line is
# hundreds of kilobytes, and a frame is there to show the column, not the file.
FRAME_WIDTH = 120
ELLIPSIS = "…"


def _raw_bytes(char: str) -> bytes:
    """The bytes a character stands for: a ``surrogateescape`` surrogate is its original byte."""
    try:
        return char.encode("utf-8", errors="surrogateescape")
    except UnicodeEncodeError:  # a surrogate that no file name produced
        return char.encode("utf-8", errors="surrogatepass")


def quote_path(path: str) -> str:
    """``path`` as a person should see it at the start of a terminal or log line."""
    quoted = git_quote(path)
    return "./" + quoted if quoted.startswith(":") else quoted


def git_quote(path: str) -> str:
    """``path`` quoted as git quotes it, when it must be (see the module docstring)."""
    if not _NEEDS_QUOTES.search(path):
        return path
    return '"' + _NEEDS_QUOTES.sub(_quoted_char, path) + '"'


def _quoted_char(match: re.Match[str]) -> str:
    char = match.group()
    if char in '"\\':
        return "\\" + char
    if char in _C_ESCAPES:
        return _C_ESCAPES[char]
    return "".join(f"\\{byte:03o}" for byte in _raw_bytes(char))


def escape_controls(text: str, keep: str = "") -> str:
    """``text`` as one printable line: control characters and lone surrogates escaped,
    except those in ``keep`` (the github format escapes line breaks its own way)."""
    if not _UNSAFE.search(text):
        return text
    return _UNSAFE.sub(lambda match: _escaped_char(match.group(), keep), text)


def _escaped_char(char: str, keep: str) -> str:
    if char in keep:
        return char
    if char in _C_ESCAPES:
        return _C_ESCAPES[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte of a file name that is not UTF-8
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def json_safe(document: str) -> str:
    """JSON text from ``json.dumps(..., ensure_ascii=False)`` that encodes as strict UTF-8.

    A lone surrogate can only occur inside a string literal, where its ``\\uXXXX`` escape
    denotes the same string, so the document's meaning is unchanged.
    """
    if not _SURROGATE.search(document):
        return document
    return _SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", document)


def html_safe(document: str) -> str:
    """An HTML page with each lone surrogate (a non-UTF-8 file name byte) as U+FFFD: shown
    in a browser, never read back, so the lossy form is the readable one."""
    return _SURROGATE.sub("\ufffd", document)


@dataclass(frozen=True)
class FrameLine:
    """One line of a code frame and the caret under it, 0-based display columns."""

    text: str
    start: int
    end: int  # exclusive, > start


def frame_window(line: str, start: int, end: int, width: int = FRAME_WIDTH) -> FrameLine:
    """``line`` with one display cell per character (columns count characters), cut to
    ``width`` characters around ``[start, end)`` with ``…`` marking each cut."""
    text = _UNSAFE.sub(_control_picture, line.replace("\t", " "))
    start = max(0, min(start, len(text)))
    end = max(start + 1, min(end, len(text)))
    if len(text) <= width:
        return FrameLine(text, start, end)
    # Like rustc and ruff: some context before the flagged code, the rest after it.
    left = max(0, min(start - width // 4, len(text) - width))
    right = left + width
    prefix = ELLIPSIS if left else ""
    suffix = ELLIPSIS if right < len(text) else ""
    offset = len(prefix) - left
    caret_end = max(start + 1, min(end, right))
    return FrameLine(prefix + text[left:right] + suffix, start + offset, caret_end + offset)


def _control_picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ … ␟
    if code == 0x7F:
        return "\u2421"  # ␡
    return "\ufffd"  # C1 and lone surrogates have no picture
