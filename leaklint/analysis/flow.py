"""Where a value goes, and when two expressions denote the same value.

The first vocabulary (``nodes.value_parent``, ``assignment_target``, ``escapes``) says where
one value flows. This module adds *identity*: whether the function given to a removal is the
function given to the add (`on('x', () => …)` then `off('x', other)` removes nothing), and
whether `this.timer` in one class is the `this.timer` of another (it is not).

An identity is a hashable key, or None when this file cannot tell what the expression denotes
(then callers must assume it may be the same value: silence over a guess).
"""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node

from leaklint.analysis.nodes import (
    FIELD_NODES,
    FUNCTION_NODES,
    TRANSPARENT,
    member_property,
    text,
    value_parent,
)
from leaklint.semantic.context import FileContext
from leaklint.semantic.scope import Ancestry

# -- where one mention of a value sends it ------------------------------------------------


@dataclass(frozen=True)
class Use:
    """What the code does with the value at one mention of it.

    ``kind`` is one word of this vocabulary (every rule and analysis speaks it):

    * on the value itself: "member" (`x.m`, `x.m()`), "subscript" (`x[k]`), "callee" (`x()`),
      "tested" (a condition, `!x`, `x === y`, `typeof x`), "statement" (evaluated and
      dropped), "written" (`x = …`), "awaited" (`await x`);
    * handed on: "argument" (to a call), "new-argument" (to `new`), "returned", "yielded",
      "thrown", "arrow-body" (an arrow's value), "exported";
    * stored: "assigned" (the right side of an assignment: a property, an outer variable),
      "declared" (the value of a declaration), "field" (a class field's initialiser),
      "element" (an array element or spread), "property" (`{ key: x }`), "shorthand"
      (`{ x }`), "jsx";
    * "other": anything else.

    ``node`` is the expression that carries the value after the wrappers that pass it through
    unchanged (parentheses, casts, ternary branches, `a || b` / `a ?? b` / `a && b`, a
    sequence's last element); ``parent`` the node that consumes it.
    """

    kind: str
    node: Node
    parent: Node | None


# The kinds by which a value can reach code this function does not show.
ESCAPING = frozenset(
    {
        "argument",
        "new-argument",
        "returned",
        "yielded",
        "thrown",
        "arrow-body",
        "exported",
        "assigned",
        "declared",
        "field",
        "element",
        "property",
        "shorthand",
        "jsx",
    }
)
_BY_PARENT = {
    "return_statement": "returned",
    "yield_expression": "yielded",
    "throw_statement": "thrown",
    "array": "element",
    "spread_element": "element",
    "export_specifier": "exported",
    "export_clause": "exported",
    "export_statement": "exported",
    "shorthand_property": "shorthand",
    "jsx_expression": "jsx",
    "await_expression": "awaited",
    "expression_statement": "statement",
    "unary_expression": "tested",
    "if_statement": "tested",
    "while_statement": "tested",
    "do_statement": "tested",
    "binary_expression": "tested",  # `||`/`??`/`&&` pass the value through instead
}


def use_of(up: Ancestry, ref: Node) -> Use:
    """What the code does with the value at ``ref`` (see ``Use``)."""
    if ref.type == "shorthand_property_identifier":
        return Use("shorthand", ref, up.parent(ref))
    node, parent = value_parent(up, ref)
    if parent is None:
        return Use("other", node, None)
    kind = parent.type
    if kind == "member_expression" and parent.child_by_field_name("object") == node:
        return Use("member", node, parent)
    if kind == "subscript_expression" and parent.child_by_field_name("object") == node:
        return Use("subscript", node, parent)
    if kind == "call_expression" and parent.child_by_field_name("function") == node:
        return Use("callee", node, parent)
    if kind == "arguments":
        call = up.parent(parent)
        is_new = call is not None and call.type == "new_expression"
        return Use("new-argument" if is_new else "argument", node, parent)
    if kind in ("assignment_expression", "augmented_assignment_expression"):
        side = "written" if parent.child_by_field_name("left") == node else "assigned"
        return Use(side, node, parent)
    if kind == "variable_declarator":
        value = parent.child_by_field_name("value") == node
        return Use("declared" if value else "other", node, parent)
    if kind in FIELD_NODES:
        value = parent.child_by_field_name("value") == node
        return Use("field" if value else "other", node, parent)
    if kind == "pair":
        value = parent.child_by_field_name("value") == node
        return Use("property" if value else "other", node, parent)
    if kind == "arrow_function":
        body = parent.child_by_field_name("body") == node
        return Use("arrow-body" if body else "other", node, parent)
    if kind == "ternary_expression":  # a branch passes through: this is the condition
        return Use("tested", node, parent)
    return Use(_BY_PARENT.get(kind, "other"), node, parent)


def escapes(up: Ancestry, ref: Node) -> bool:
    """Whether the value at ``ref`` can reach code this file does not show.

    Passed as an argument, returned or yielded, thrown, aliased into another variable or
    property, put into an object, array or spread, or exported: any of those may let other
    code clear, close or bound it, so the rules stay silent.
    """
    return use_of(up, ref).kind in ESCAPING


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


def subscripts_keyed_by_element(ctx: FileContext, string: Node) -> list[Node]:
    """The ``x[key]`` expressions that read the property named by ``string``, an element of a
    literal list the code loops over: ``for (const key of ['_a', '_b']) clearInterval(this[key])``
    reads ``this._a`` and ``this._b``. Empty when the string is not such an element."""
    up = ctx.ancestry
    array = up.parent(string)
    if array is None or array.type != "array":
        return []
    loop = up.parent(array)
    while loop is not None and loop.type in TRANSPARENT:  # `[…] as const`
        loop = up.parent(loop)
    if loop is None or loop.type != "for_in_statement":
        return []
    operator = loop.child_by_field_name("operator")
    variable, body = loop.child_by_field_name("left"), loop.child_by_field_name("body")
    right = _unwrap(loop.child_by_field_name("right"))
    if operator is None or text(operator) != "of" or right is None or right.id != array.id:
        return []  # `for (k in […])` iterates the indices, not the names
    if variable is None or variable.type != "identifier" or body is None:
        return []
    binding = ctx.scopes.resolve(variable)
    if binding is None:
        return []
    subscripts = []
    for ref in ctx.references.named_within(text(variable), body.start_byte, body.end_byte):
        parent = up.parent(ref)
        resolved = ctx.scopes.resolve(ref)
        if (
            parent is not None
            and parent.type == "subscript_expression"
            and parent.child_by_field_name("index") == ref
            and resolved is not None
            and resolved.node.id == binding.node.id
        ):
            subscripts.append(parent)
    return subscripts


def _unwrap(node: Node | None) -> Node | None:
    while node is not None and node.type in TRANSPARENT:
        node = node.named_child(0)
    return node
