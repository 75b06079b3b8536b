"""``partialFingerprints.primaryLocationLineHash``, computed as GitHub's upload action does.

GitHub code scanning identifies an alert by this one fingerprint (other keys are ignored).
``github/codeql-action``'s upload step (``src/fingerprints.ts``) fills it in when a result lacks
it, but only when it can read the file; uploads through the REST API never get one. leaklint
therefore writes it itself, with the same algorithm, so that an alert keeps its identity however
the SARIF reaches GitHub, and an upload through the action sees a value equal to its own.

The algorithm, for each line of a file:

* the file is read as UTF-8 (undecodable bytes become U+FFFD, a byte-order mark is kept) and
  seen as UTF-16 code units, as JavaScript strings are;
* spaces and tabs are dropped, CRLF and a lone CR become LF;
* the stream is followed by one end-of-file unit (0xFFFF) and padded with zeros;
* a line's hash is the polynomial hash, base 37 modulo 2**64, of the 100 units starting at the
  line's first unit: ``sum(unit[p + j] * 37 ** (99 - j))``, written in lower-case hexadecimal
  without leading zeros;
* the value is ``"<hash>:<n>"``, where n is 1 for the first line of the file with that hash, 2 for
  the second, and so on.

The upload action computes every line's hash with a rolling window, one character at a time;
in Python that costs seconds on a large repository. Here only the lines that have a result
are hashed (100 multiplications each, whatever the line's length), and n is found by comparing
windows, not hashes: each earlier line whose 100 units are the same counts. The two agree
unless two *different* windows have the same 64-bit hash, which does not happen by chance
(``tests/test_sarif.py`` checks the result against a literal port of the rolling hash).
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable
from operator import mul

BLOCK_SIZE = 100
BASE = 37
END_OF_FILE = 0xFFFF
_LINE_FEED_BYTES = b"\n\x00"  # U+000A as UTF-16-LE
_MASK = (1 << 64) - 1
# 37**(99 - j) for each position j of the window, already reduced modulo 2**64: the products
# stay below 2**80 and the sum below 2**87, so one mask at the end gives the 64-bit result.
_POWERS = tuple(pow(BASE, BLOCK_SIZE - 1 - j, 1 << 64) for j in range(BLOCK_SIZE))


def line_hashes(data: bytes, lines: Iterable[int] | None = None) -> dict[int, str]:
    """``{line: primaryLocationLineHash}`` for the 1-based ``lines`` of a file (every line by
    default); lines past the end of the file are left out.

    A file ending in a line break has one more line, the empty one after it, as the upload
    action counts lines.
    """
    units = _hashed_units(data.decode("utf-8", "replace"))
    starts = _line_starts(units)
    candidates = range(1, len(starts) + 1) if lines is None else sorted(set(lines))
    wanted = [line for line in candidates if 1 <= line <= len(starts)]
    raw = units.tobytes()
    occurrences = _occurrences(raw, starts, wanted)
    hashes: dict[bytes, str] = {}  # lines with the same window share the hash: compute it once
    result: dict[int, str] = {}
    for line in wanted:
        start = starts[line - 1]
        window = _window(raw, start)
        if window not in hashes:
            hashes[window] = _hash(units, start)
        result[line] = f"{hashes[window]}:{occurrences[line]}"
    return result


def _hash(units: array[int], start: int) -> str:
    return format(sum(map(mul, units[start : start + BLOCK_SIZE], _POWERS)) & _MASK, "x")


def _window(raw: bytes, start: int) -> bytes:
    return raw[2 * start : 2 * (start + BLOCK_SIZE)]


def _occurrences(raw: bytes, starts: list[int], wanted: list[int]) -> dict[int, int]:
    """For each wanted line, 1 + the number of earlier lines with the same window."""
    if not wanted:
        return {}
    windows = {line: _window(raw, starts[line - 1]) for line in wanted}
    needed = set(windows.values())
    seen: Counter[bytes] = Counter()
    found: dict[int, int] = {}
    for line, start in enumerate(starts[: wanted[-1]], start=1):
        window = _window(raw, start)
        if window in needed:
            seen[window] += 1
            found[line] = seen[window]
    return {line: found[line] for line in wanted}


def _hashed_units(text: str) -> array[int]:
    """The UTF-16 code units the hash reads, with the end-of-file unit and the zero padding."""
    # Order matters: only a CR immediately followed by LF is one line break ("\r \n" is two,
    # because the upload action forgets the CR when it skips the space).
    normalised = text.replace("\r\n", "\n").replace("\r", "\n").replace(" ", "").replace("\t", "")
    units = array("H", normalised.encode("utf-16-le", "surrogatepass"))
    units.append(END_OF_FILE)
    units.extend([0] * (BLOCK_SIZE - 1))  # the last line's window reaches past the end
    return units


def _line_starts(units: array[int]) -> list[int]:
    """Where each line starts: the first unit, and every unit after a line feed.

    The end-of-file unit is never a line feed, so a line feed always has a unit after it: a
    file ending in a line break has a last, empty line made of the end-of-file unit alone.
    """
    # Searching the bytes is ~20 times faster than a loop over the units; a match at an odd
    # offset straddles two units (U+0A.. followed by U+..00) and is not a line feed.
    raw = units.tobytes()
    starts = [0]
    found = raw.find(_LINE_FEED_BYTES)
    while found != -1:
        if found % 2 == 0:
            starts.append(found // 2 + 1)
        found = raw.find(_LINE_FEED_BYTES, found + 1)
    return starts
