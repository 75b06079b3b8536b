"""One vocabulary of listener calls: which methods add, add once, or remove an event listener.

Node's ``EventEmitter`` and the DOM's ``EventTarget`` name these differently, and the analyses
ask different questions of them (does this listener pile up? does this call only set the
emitter up? does this callback run per event?). Each question picks a named union below, so
that a method added here (say ``prependOnceListener``) reaches every analysis at once instead of
the five of seven hand-written sets that happened to list it.
"""

from __future__ import annotations

# EventEmitter methods whose listener stays until it is removed: each call adds one more.
PERSISTENT_EMITTER_METHODS = frozenset({"on", "addListener", "prependListener"})
# EventEmitter methods whose listener is removed once its event fires.
ONE_SHOT_EMITTER_METHODS = frozenset({"once", "prependOnceListener"})
# Every way of registering an EventEmitter listener.
EMITTER_LISTENING = PERSISTENT_EMITTER_METHODS | ONE_SHOT_EMITTER_METHODS
# EventTarget (DOM, AbortSignal, MessagePort in browsers): `{ once: true }` is an option, not a
# method, so the call itself adds a persistent listener.
TARGET_LISTENING = frozenset({"addEventListener"})
# Calls that add a listener that stays: the ones that pile up when made per request.
PERSISTENT_LISTENING = PERSISTENT_EMITTER_METHODS | TARGET_LISTENING
# Every listener registration, on either kind of emitter.
LISTENING = EMITTER_LISTENING | TARGET_LISTENING
# EventEmitter calls that take listeners off again.
EMITTER_REMOVING = frozenset({"off", "removeListener", "removeAllListeners"})
# Every way of taking a listener off, on either kind of emitter.
REMOVING = EMITTER_REMOVING | frozenset({"removeEventListener"})
# Calls that only configure an emitter's listeners: they neither use nor release what it wraps.
LISTENER_SETUP = EMITTER_LISTENING | EMITTER_REMOVING | frozenset({"setMaxListeners"})


def query_alternatives(methods: frozenset[str]) -> str:
    """``"off" "on" …``: the methods as the arguments of a tree-sitter ``#any-of?`` predicate."""
    return " ".join(f'"{method}"' for method in sorted(methods))
