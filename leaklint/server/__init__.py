"""The language server (`leaklint server`). Only that command imports pygls."""

from __future__ import annotations


def serve() -> None:
    from leaklint.server.app import serve as start

    start()
