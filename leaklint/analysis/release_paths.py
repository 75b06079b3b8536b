"""Does every path through a function release a resource it acquired?

A small abstract interpretation over the function's statements, in source order. The state is
whether the resource is open at this point; the analysis records every way of leaving the
function while it is open (an *exit*):

* ``throw``: an operation that can throw (a call, ``new``, ``await``, a ``throw`` statement)
  runs while the resource is open, and no enclosing ``try`` catches it;
* ``return``: a ``return`` while the resource is open;
* ``end``: control reaches the end of the function body still open.

``try`` is modelled the way it runs: a ``finally`` that releases discards every exit of its
``try`` and ``catch`` blocks (they all pass through it); a ``catch`` is entered open when some
operation in the ``try`` block could throw while the resource was open, and that operation is
remembered as the *cause*, so that a report can say which call skips the close.

Deliberate approximations, each in the direction of reporting less:

* an ``if`` whose condition tests the resource variable itself (``if (client)``,
  ``if (!client) return``) treats the branch where it is absent as closed;
* a ``break``/``continue`` carries its state to the end of the loop or ``switch``; labelled
  jumps to an outer statement end the path (nothing after them is checked);
* calls that set a resource up rather than use it (``client.connect()``, ``.on('error', …)``,
  ``startTransaction()``) and ``console.*`` logging are not counted as throwing: if connecting
  fails there is no connection to leak, and the documented idioms of pg, TypeORM and MongoDB
  put them before the ``try``;
* nor are ``new`` expressions (building a value), calls that close or release something
  (cleanup in sequence), plain calls in a ``catch`` block (logging the error before the
  release) and plain calls on the resource itself (accessors such as ``client.db()``); an
  ``await`` always counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from tree_sitter import Node

from leaklint.analysis.listeners import LISTENER_SETUP
from leaklint.semantic.scope import FUNCTION_NODES, LOOP_NODES, Ancestry

# Methods of the resource itself that prepare it rather than use it.
SETUP_METHODS = (
    frozenset(
        {
            "connect",
            "$connect",
            "initialize",
            "startTransaction",
            "defineCommand",
        }
    )
    | LISTENER_SETUP
)
# Closing or releasing something: cleanup code that runs in sequence is not a failure point.
CLEANUP_METHODS = frozenset(
    {
        "quit",
        "disconnect",
        "end",
        "close",
        "destroy",
        "$disconnect",
        "release",
        "releaseConnection",
        "endSession",
    }
)
_IGNORED_STATEMENTS = frozenset(
    {
        "function_declaration",
        "generator_function_declaration",
        "class_declaration",
        "abstract_class_declaration",
        "comment",
        "empty_statement",
        "debugger_statement",
        "import_statement",
        "type_alias_declaration",
        "interface_declaration",
    }
)


@dataclass(frozen=True)
class Open:
    """The resource is open; ``cause`` is the throwing operation that led here via a catch."""

    cause: Node | None = None


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


CLOSED = _Marker("CLOSED")  # never acquired yet, or released
UNREACHABLE = _Marker("UNREACHABLE")  # after return/throw/break
State = Open | _Marker


@dataclass(frozen=True)
class Exit:
    kind: str  # "throw" | "return" | "end"
    node: Node  # the throwing operation, the return statement, or the function body
    cause: Node | None = None  # for exits reached through a catch: what threw into it

    @property
    def trigger(self) -> Node | None:
        """The operation whose failure leads to this exit (None: a plain path).

        A `throw` statement in a catch block rethrows what the cause threw; any other
        throwing exit is its own trigger.
        """
        if self.kind == "throw" and (self.node.type != "throw_statement" or self.cause is None):
            return self.node
        return self.cause


_OPERATIONS = frozenset({"call_expression", "new_expression", "await_expression"})


def direct_operations(function: Node) -> list[Node]:
    """Calls, `new`s and awaits that run in ``function`` itself (not in nested functions), in
    source order: the operations ``ReleasePaths`` asks can throw."""
    found: list[Node] = []
    body = function.child_by_field_name("body")
    stack = [body] if body is not None else []
    while stack:
        node = stack.pop()
        if node.type in _OPERATIONS:
            found.append(node)
        stack.extend(c for c in node.named_children if c.type not in FUNCTION_NODES)
    return sorted(found, key=lambda n: n.start_byte)


def merge(*states: State) -> State:
    reachable = [s for s in states if s is not UNREACHABLE]
    if not reachable:
        return UNREACHABLE
    for state in reachable:
        if isinstance(state, Open):
            return state
    return CLOSED


def contains(outer: Node, inner: Node) -> bool:
    return outer.start_byte <= inner.start_byte and inner.end_byte <= outer.end_byte


class ReleasePaths:
    """The exits of ``function`` that leave the resource acquired at ``acquisition`` open.

    ``releases`` are the release calls made directly in the function; ``operations`` every
    call, ``new`` and ``await`` directly in it (not in nested functions), in source order;
    ``variable`` the name that holds the resource, for recognising tests of it and setup calls
    on it; ``owner`` the code of the pool whose release releases the resource too
    (`this.browser` of a page), whose absence (`if (this.browser)`) is the resource's.
    """

    def __init__(
        self,
        function: Node,
        acquisition: Node,
        releases: Sequence[Node],
        operations: Sequence[Node],
        variable: str,
        ancestry: Ancestry,
        throws: Callable[[Node], bool] | None = None,
        owner: str | None = None,
    ) -> None:
        # Whether a plain call can throw at all (``throws.can_throw``); this class adds only
        # what the resource's context decides. None: every plain call can.
        self._throws = throws
        self.function = function
        self.ancestry = ancestry
        self.acquisition = acquisition
        self.releases = list(releases)
        self.variable = variable
        self._names = {variable.encode()} | ({owner.encode()} if owner else set())
        self.operations = [op for op in operations if self._can_throw(op)]
        self.exits: list[Exit] = []
        self._jump_targets: list[list[State]] = []

    def run(self) -> list[Exit]:
        body = self.function.child_by_field_name("body")
        if body is None or body.type != "statement_block":
            return []
        state = self._block(body.named_children, CLOSED)
        if isinstance(state, Open):
            self.exits.append(Exit("end", body, state.cause))
        return self.exits

    # -- what a piece of code does -------------------------------------------------------

    def _can_throw(self, op: Node) -> bool:
        """Whether ``op`` is an operation whose failure can skip the release.

        Awaited work is what fails in practice (the network, the database). Plain calls count
        too, except where they are very unlikely to throw or cannot leak: building a value
        with `new`, logging, setting the resource up, closing other resources, and the
        synchronous bookkeeping of a `catch` block (logging the error before the release).
        """
        if contains(self.acquisition, op) or any(contains(r, op) for r in self.releases):
            return False
        awaited = op.type == "await_expression"
        call = op.named_child(0) if awaited else op
        while call is not None and call.type == "parenthesized_expression":
            call = call.named_child(0)
        if call is None:
            return False
        if call.type == "new_expression":
            # `await new Promise(r => setTimeout(r, ms))` cannot reject (``throws``).
            return awaited and (self._throws(op) if self._throws is not None else True)
        if call.type != "call_expression":
            return True  # `await somePromise`
        if any(contains(call, r) for r in self.releases):
            return False  # `await client.end()`: the release itself
        callee = call.child_by_field_name("function")
        if callee is not None and callee.type == "member_expression":
            receiver = callee.child_by_field_name("object")
            method = callee.child_by_field_name("property")
            receiver_name = receiver.text if receiver is not None else b""
            method_name = method.text.decode() if method is not None else ""
            if receiver_name == b"console" or method_name in CLEANUP_METHODS:
                return False
            if receiver_name == self.variable.encode() and method_name in SETUP_METHODS:
                return False
        if awaited:
            # Awaited work fails in practice, unless its rejection is handled in place
            # (`await p.catch(() => {})`: ``throws``).
            return self._throws(op) if self._throws is not None else True
        if self._in_catch_block(op) or self._called_on_resource(callee):
            return False
        return self._throws(call) if self._throws is not None else True

    def _called_on_resource(self, callee: Node | None) -> bool:
        """`client.db()`, `client.escapeIdentifier(x)`, `client.db().collection(c)`.

        Synchronous calls on the resource are accessors and builders; its I/O is awaited
        (or reports to a callback) rather than thrown.
        """
        node = callee
        while node is not None and node.type in ("member_expression", "call_expression"):
            field = "object" if node.type == "member_expression" else "function"
            node = node.child_by_field_name(field)
        return (
            node is not None and node.type == "identifier" and node.text == self.variable.encode()
        )

    def _in_catch_block(self, node: Node) -> bool:
        for ancestor in self.ancestry.ancestors(node):
            if ancestor.id == self.function.id:
                return False
            if ancestor.type == "catch_clause":
                return True
        return False

    def _releases_in(self, node: Node) -> bool:
        return any(contains(node, release) for release in self.releases)

    def _first_operation_in(self, node: Node) -> Node | None:
        for op in self.operations:  # sorted by position
            if contains(node, op):
                return op
        return None

    def _tests_variable(self, condition: Node | None) -> str | None:
        """'present' for `if (client)`, 'absent' for `if (!client)` / `client == null`."""
        node = condition
        while node is not None and node.type == "parenthesized_expression":
            node = node.named_child(0)
        if node is None:
            return None
        operator = node.child_by_field_name("operator")
        if node.type in ("identifier", "member_expression"):
            return "present" if node.text in self._names else None
        if node.type == "unary_expression" and operator is not None and operator.type == "!":
            flipped = {"present": "absent", "absent": "present"}
            return flipped.get(self._tests_variable(node.child_by_field_name("argument")) or "")
        if node.type != "binary_expression" or operator is None:
            return None
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        if operator.type == "&&":
            return "present" if self._tests_variable(left) == "present" else None
        if left is None or right is None or left.text not in self._names:
            return None
        if right.type not in ("null", "undefined"):
            return None
        if operator.type in ("==", "==="):
            return "absent"
        return "present" if operator.type in ("!=", "!==") else None

    # -- statements ----------------------------------------------------------------------

    def _block(self, statements: Iterable[Node], state: State) -> State:
        for statement in statements:
            state = self._statement(statement, state)
        return state

    def _statement(self, node: Node, state: State) -> State:
        kind = node.type
        if state is UNREACHABLE and not contains(node, self.acquisition):
            return UNREACHABLE
        if kind in _IGNORED_STATEMENTS:
            return state
        if kind in ("statement_block", "else_clause"):
            return self._block(node.named_children, state)
        if kind == "labeled_statement":
            body = node.child_by_field_name("body")
            return self._statement(body, state) if body is not None else state
        handler = getattr(self, f"_{kind}", None)
        if handler is not None:
            return handler(node, state)
        if kind in LOOP_NODES:
            return self._loop(node, state)
        return self._simple(node, state)

    def _simple(self, node: Node, state: State) -> State:
        """A statement or expression without control flow of its own."""
        if contains(node, self.acquisition):
            return Open()
        if not isinstance(state, Open):
            return state
        if self._releases_in(node):
            return CLOSED
        op = self._first_operation_in(node)
        if op is not None:
            self.exits.append(Exit("throw", op, state.cause))
        return state

    def _return_statement(self, node: Node, state: State) -> State:
        if isinstance(state, Open) and not self._releases_in(node):
            self.exits.append(Exit("return", node, state.cause))
        return UNREACHABLE

    def _throw_statement(self, node: Node, state: State) -> State:
        if isinstance(state, Open) and not self._releases_in(node):
            self.exits.append(Exit("throw", node, state.cause))
        return UNREACHABLE

    def _break_statement(self, node: Node, state: State) -> State:
        if node.child_by_field_name("label") is None and self._jump_targets:
            self._jump_targets[-1].append(state)
        return UNREACHABLE

    _continue_statement = _break_statement

    def _if_statement(self, node: Node, state: State) -> State:
        condition = node.child_by_field_name("condition")
        if condition is not None:
            state = self._simple(condition, state)
        tested = self._tests_variable(condition)
        then_entry = CLOSED if tested == "absent" and state is not UNREACHABLE else state
        else_entry = CLOSED if tested == "present" and state is not UNREACHABLE else state
        consequence = node.child_by_field_name("consequence")
        alternative = node.child_by_field_name("alternative")
        then_state = self._statement(consequence, then_entry) if consequence else then_entry
        else_state = self._statement(alternative, else_entry) if alternative else else_entry
        return merge(then_state, else_state)

    def _try_statement(self, node: Node, state: State) -> State:
        body = node.child_by_field_name("body")
        handler = node.child_by_field_name("handler")
        finalizer = node.child_by_field_name("finalizer")
        outer_exits, self.exits = self.exits, []
        after = self._statement(body, state) if body is not None else state
        if handler is not None:
            thrown = [e for e in self.exits if e.kind == "throw"]
            self.exits = [e for e in self.exits if e.kind != "throw"]
            entry: State = Open(cause=thrown[0].node) if thrown else CLOSED
            if contains(handler, self.acquisition):
                entry = CLOSED
            catch_body = handler.child_by_field_name("body")
            caught = self._statement(catch_body, entry) if catch_body is not None else entry
            after = merge(after, caught)
        if finalizer is not None:
            if self._releases_in(finalizer):
                # Every way out of the try and the catch runs the finally, which releases.
                self.exits = outer_exits
                return UNREACHABLE if after is UNREACHABLE else CLOSED
            finally_body = finalizer.child_by_field_name("body")
            if finally_body is not None:
                after = self._statement(finally_body, after)
        self.exits = outer_exits + self.exits
        return after

    def _loop(self, node: Node, state: State) -> State:
        for field in ("initializer", "condition", "increment", "right", "value"):
            part = node.child_by_field_name(field)
            if part is not None and node.type != "do_statement":
                state = self._simple(part, state)
        self._jump_targets.append([])
        body = node.child_by_field_name("body")
        after_body = self._statement(body, state) if body is not None else state
        if node.type == "do_statement":
            condition = node.child_by_field_name("condition")
            if condition is not None:
                after_body = self._simple(condition, after_body)
            state = UNREACHABLE  # the body runs at least once
        jumps = self._jump_targets.pop()
        return merge(state, after_body, *jumps)

    def _switch_statement(self, node: Node, state: State) -> State:
        value = node.child_by_field_name("value")
        if value is not None:
            state = self._simple(value, state)
        body = node.child_by_field_name("body")
        cases = body.named_children if body is not None else []
        self._jump_targets.append([])
        falling: State = UNREACHABLE
        for case in cases:
            statements = case.children_by_field_name("body")
            falling = self._block(statements, merge(state, falling))
        jumps = self._jump_targets.pop()
        has_default = any(case.type == "switch_default" for case in cases)
        return merge(falling, *jumps, *(() if has_default else (state,)))
