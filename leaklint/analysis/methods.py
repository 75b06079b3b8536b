"""Methods kept in files of their own: what the project link needs to judge a timer handle that
one method stores on an object and another method, in another file, clears.

Gladys builds each class from one file per method (`startStreaming.js`, `stopStreaming.js`)
and installs them in an `index.js`: `RtspCameraHandler.prototype.startStreaming =
startStreaming`. Within one file, the handle `this.checkIfLiveActiveInterval` "never reaches
clearInterval()"; the clear is in the sibling method's file. The file summary records the two
halves — which imported functions a module installs on which prototype (``prototype_methods``),
and which properties an exported function clears (``cleared_properties``) — and the link joins
them (``pipeline.project.link``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from tree_sitter import Node

from leaklint.analysis.nodes import (
    TRANSPARENT,
    call_arguments,
    first_named,
    member_property,
    text,
    this_method,
    word_occurrences,
)
from leaklint.model.project import Clearing, Method
from leaklint.semantic.context import FileContext
from leaklint.semantic.imports import GLOBAL

TIMER_MODULES = (GLOBAL, "timers")
CLEAR_FUNCTIONS = ("clearInterval", "clearTimeout")


def prototype_methods(ctx: FileContext) -> Iterator[Method]:
    """`Owner.prototype.name = imported` statements at module level, ``imported`` bound by an
    import or require of a module of the project (not a built-in or a global)."""
    if b".prototype." not in ctx.source.data:
        return
    for statement in ctx.tree.root_node.named_children:
        expression = statement.named_child(0) if statement.type == "expression_statement" else None
        if expression is None or expression.type != "assignment_expression":
            continue
        left = expression.child_by_field_name("left")
        right = expression.child_by_field_name("right")
        prototype = left.child_by_field_name("object") if left is not None else None
        if (
            left is None
            or right is None
            or right.type != "identifier"
            or left.type != "member_expression"
            or prototype is None
            or prototype.type != "member_expression"
            or member_property(prototype) != "prototype"
        ):
            continue
        owner, name = prototype.child_by_field_name("object"), member_property(left)
        symbol = ctx.imports.resolve(right)
        if owner is None or not name or symbol is None or symbol.module in (GLOBAL, ""):
            continue
        path = symbol.normalised
        if len(path) <= 1:
            yield Method(text(owner), name, symbol.module, path[0] if path else "default")


def cleared_properties(
    ctx: FileContext, exported_nodes: Callable[[FileContext], dict[int, list[str]]]
) -> Iterator[Clearing]:
    """For each exported function (``exported_nodes``: node id → its exported names, asked only
    of a file that clears a timer), the properties it passes to clearInterval()/clearTimeout()
    (`clearInterval(this.timer)`, `clearInterval(trigger.jsInterval)`), callbacks included."""
    data = ctx.source.data
    if b"clearInterval" not in data and b"clearTimeout" not in data:
        return
    exported = exported_nodes(ctx)
    found: dict[str, dict[str, None]] = {}
    for prop, call in _property_clears(ctx):
        for ancestor in ctx.ancestry.ancestors(call):
            for name in exported.get(ancestor.id, ()):
                found.setdefault(name, {})[prop] = None
    for name, props in found.items():
        yield Clearing(name, ",".join(props))


def this_method_calls(function: Node) -> str:
    """The methods ``function`` calls on `this` (`this.cancelTriggers(id)`), comma-separated."""
    names: dict[str, None] = {}
    stack = [function]
    while stack:
        node = stack.pop()
        if node.type == "call_expression":
            name = this_method(node)
            if name:
                names[name] = None
        stack.extend(node.named_children)
    return ",".join(sorted(names))


def _property_clears(ctx: FileContext) -> Iterator[tuple[str, Node]]:
    """(property, the clear call) for each `clearInterval(<object>.<property>)` of the file."""
    root = ctx.tree.root_node
    for word in CLEAR_FUNCTIONS:
        for start, end in word_occurrences(ctx.source.data, word):
            name = root.descendant_for_byte_range(start, end)
            callee = ctx.ancestry.parent(name) if name is not None else None
            if callee is not None and callee.type == "member_expression":
                callee = callee if member_property(callee) == word else None
            else:
                callee = name
            call = ctx.ancestry.parent(callee) if callee is not None else None
            if call is None or call.type != "call_expression":
                continue
            symbol = ctx.imports.resolve(call.child_by_field_name("function"))
            if symbol is None or symbol.module not in TIMER_MODULES or symbol.path != (word,):
                continue
            arguments = call_arguments(call)
            argument = arguments[0] if arguments else None
            while argument is not None and argument.type in TRANSPARENT:
                argument = first_named(argument)
            prop = member_property(argument) if argument is not None else None
            if prop:
                yield prop, call
