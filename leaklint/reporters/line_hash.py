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

The upload action computes it with a rolling window; here each line's window is summed directly,
which gives the same numbers and costs 100 multiplications a line whatever the line's length (a
minified file of a few lines costs nothing).
"""

from __future__ import annotations

from array import array
from collections import Counter
from operator import mul

BLOCK_SIZE = 100
BASE = 37
END_OF_FILE = 0xFFFF
_LINE_FEED_BYTES = b"\n\x00"  # U+000A as UTF-16-LE
_MASK = (1 << 64) - 1
# 37**(99 - j) for each position j of the window, already reduced modulo 2**64: the products
# stay below 2**80 and the sum below 2**87, so one mask at the end gives the 64-bit result.
_POWERS = tuple(pow(BASE, BLOCK_SIZE - 1 - j, 1 << 64) for j in range(BLOCK_SIZE))


def line_hashes(data: bytes) -> list[str]:
    """The ``primaryLocationLineHash`` of every line of a file: index 0 is line 1.

    A file ending in a line break has one more entry, for the empty line after it, as the upload
    action counts lines.
    """
    units = _hashed_units(data.decode("utf-8", "replace"))
    counts: Counter[str] = Counter()
    hashes = []
    for start in _line_starts(units):
        value = format(sum(map(mul, units[start : start + BLOCK_SIZE], _POWERS)) & _MASK, "x")
        counts[value] += 1
        hashes.append(f"{value}:{counts[value]}")
    return hashes


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
