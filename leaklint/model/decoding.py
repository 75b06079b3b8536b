"""Typed decoding of JSON that leaklint wrote itself and reads back (the result cache).

What is read back is untrusted: a cache directory lives inside the repository, and a crash,
a merge or a person can leave anything in it. So every field is checked for its type and an
object with a missing or an extra key is rejected: nothing of the wrong shape may reach a
report (a cached ``"line": "x"`` once did) or raise later. Every mistake is a
``DecodeError``, which the cache turns into a miss.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any


class DecodeError(ValueError):
    """A document that is not what leaklint writes."""


def expect_object(value: Any, keys: Collection[str], what: str) -> dict[str, Any]:
    """``value`` if it is an object with exactly these keys."""
    if not isinstance(value, dict):
        raise DecodeError(f"{what}: expected an object, got {type(value).__name__}")
    # Decoders pass frozensets: a set of their keys per record cost a tenth of a summary decode.
    expected = keys if isinstance(keys, set | frozenset) else set(keys)
    if value.keys() != expected:
        raise DecodeError(f"{what}: expected the keys {sorted(keys)}, got {sorted(value)}")
    return value


def expect_list(value: Any, what: str) -> list[Any] | tuple[Any, ...]:
    # A tuple too: ``to_dict`` output read back without a JSON round trip keeps asdict's tuples.
    if not isinstance(value, list | tuple):
        raise DecodeError(f"{what}: expected a list, got {type(value).__name__}")
    return value


def expect_str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise DecodeError(f"{what}: expected a string, got {type(value).__name__}")
    return value


def expect_int(value: Any, what: str, *, minimum: int | None = None) -> int:
    # bool is an int in Python, but `true` is not a line number.
    if not isinstance(value, int) or isinstance(value, bool):
        raise DecodeError(f"{what}: expected an integer, got {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise DecodeError(f"{what}: expected at least {minimum}, got {value}")
    return value


def expect_bool(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise DecodeError(f"{what}: expected true or false, got {type(value).__name__}")
    return value
