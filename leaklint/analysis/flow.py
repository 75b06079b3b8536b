"""Where a value goes, and when two expressions denote the same value.

The first vocabulary (``nodes.value_parent``, ``assignment_target``, ``escapes``) says where
one value flows. This module adds *identity*: whether the function given to a removal is the
function given to the add (`on('x', () => …)` then `off('x', other)` removes nothing), and
whether `this.timer` in one class is the `this.timer` of another (it is not).

An identity is a hashable key, or None when this file cannot tell what the expression denotes
(then callers must assume it may be the same value: silence over a guess).
"""

from __future__ import annotations

from tree_sitter import Node

from leaklint.analysis.nodes import FUNCTION_NODES, TRANSPARENT, member_property
from leaklint.semantic.context import FileContext

# The identity of a removal that removes every listener (`removeAllListeners(event)`).
ANY = ("any",)

_CLASS_NODES = frozenset({"class_declaration", "class", "abstract_class_declaration"})


def value_identity(ctx: FileContext, node: Node | None) -> tuple[object, ...] | None:
    """What ``node`` denotes, as a key two expressions share exactly when they denote the same
    value in this file; None when unknown.

    * a function written in place (`() => …`, `function () {}`, `f.bind(this)`): a new value
      every time it is evaluated, equal to nothing else;
    * a declared name: its binding (`handler` and `handler` in the same scope are one value);
    * `this.name`: the property of the enclosing class — another class's `this.name` differs;
    * `obj.name` with a known `obj`: that object's property.
    """
    node = _unwrap(node)
    if node is None:
        return None
    if node.type in FUNCTION_NODES:
        return ("fresh", node.id)
    if node.type == "call_expression" and member_property(node.child_by_field_name("function")) in (
        "bind",
    ):
        return ("fresh", node.id)  # `.bind()` makes a new function on every call
    if node.type == "identifier":
        binding = ctx.scopes.resolve(node)
        return ("binding", binding.node.id) if binding is not None else None
    if node.type == "member_expression":
        receiver = node.child_by_field_name("object")
        name = member_property(node)
        if receiver is None or name is None:
            return None
        if receiver.type == "this":
            owner = ctx.ancestry.nearest(node, _CLASS_NODES)
            return ("this", owner.id if owner is not None else None, name)
        base = value_identity(ctx, receiver)
        return ("member", base, name) if base is not None else None
    return None


def same_value(a: tuple[object, ...] | None, b: tuple[object, ...] | None) -> bool:
    """Whether two identities may denote the same value: equal, or either unknown or ANY."""
    if a is None or b is None or a == ANY or b == ANY:
        return True
    return a == b


def _unwrap(node: Node | None) -> Node | None:
    while node is not None and node.type in TRANSPARENT:
        node = node.named_child(0)
    return node
