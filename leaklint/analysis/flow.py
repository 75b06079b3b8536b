"""Where a value goes, and when two expressions denote the same value.

One vocabulary of where a value goes, for every rule: ``use_of`` says what the code does with
the value at one mention (the ``Use`` kinds), ``destination`` adds what a rule decides on —
the method called on it, the call it is passed to (which callee, which argument), whether it is
dropped — and ``stored_reads`` finds every later read of a value stored in a variable or a
property. Rules decide on these (a `clearInterval` argument is a release for LL002, a
`.delete()` shrinks a store for LL005); they do not walk the tree for uses of their own.

*Identity* says whether the function given to a removal is the function given to the add
(`on('x', () => …)` then `off('x', other)` removes nothing), and whether `this.timer` in one
class is the `this.timer` of another (it is not).

An identity is a hashable key, or None when this file cannot tell what the expression denotes
(then callers must assume it may be the same value: silence over a guess).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from leaklint.analysis.frequency import is_written
from leaklint.analysis.listeners import LISTENING
from leaklint.analysis.nodes import (
    CLASS_NODES,
    FIELD_NODES,
    FUNCTION_NODES,
    TRANSPARENT,
    call_arguments,
    contains,
    identifiers_in,
    is_callee,
    is_discarded,
    literal_key,
    member_property,
    outermost,
    plain_parameters,
    text,
    value_parent,
    word_occurrences,
    word_occurrences_within,
)
from leaklint.semantic.context import FileContext
from leaklint.semantic.imports import Symbol
from leaklint.semantic.scope import Ancestry, Binding, references_to

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


# -- what a rule decides on: one step further than the Use ----------------------------------

COMPARISONS = frozenset({"<", "<=", ">", ">=", "===", "!==", "==", "!="})


@dataclass(frozen=True)
class Destination:
    """Where the value at one read goes, in the terms rules decide on.

    ``kind`` is a ``Use`` kind, or one of these, which look one step further:

    * "discarded": evaluated for nothing (an expression statement, `void x`, a sequence's
      non-last element);
    * "method-call": a method is called on it (``method``; ``call`` is the call);
    * "member-read", "member-written", "member-deleted", "member-compared": a property or
      element of it (`x.p`, `x[k]`) is read, assigned, deleted or compared (`x.size > MAX`);
      ``method`` is the property's name when it has a fixed one;
    * "argument" / "new-argument": handed to ``call`` as argument ``index`` (``callee()``
      says which function that is);

    ``use`` is the ``Use`` it refines.
    """

    kind: str
    use: Use
    call: Node | None = None
    method: str | None = None
    index: int = -1

    @property
    def escapes(self) -> bool:
        """Whether the value can reach code this function does not show (``ESCAPING``)."""
        return self.kind in ESCAPING

    def callee(self, ctx: FileContext) -> Symbol | None:
        """For an argument: what the receiving call's callee denotes (None: unknown)."""
        if self.call is None or self.kind not in ("argument", "new-argument"):
            return None
        field = "function" if self.call.type == "call_expression" else "constructor"
        return ctx.imports.resolve(self.call.child_by_field_name(field))

    @property
    def callee_method(self) -> str | None:
        """For an argument: the method name of the call that receives it (`m.set(k, x)`)."""
        if self.call is None or self.kind not in ("argument", "new-argument"):
            return None
        return member_property(self.call.child_by_field_name("function"))


def destination(ctx: FileContext, ref: Node) -> Destination:
    """Where the value at ``ref`` goes (see ``Destination``)."""
    up = ctx.ancestry
    use = use_of(up, ref)
    if use.kind in ("member", "subscript") and use.parent is not None:
        return _member_destination(up, use)
    if use.kind in ("argument", "new-argument") and use.parent is not None:
        call = up.parent(use.parent)
        if call is not None:
            index = next((i for i, a in enumerate(call_arguments(call)) if a == use.node), -1)
            return Destination(use.kind, use, call, index=index)
    if use.parent is not None and (use.kind == "statement" or is_discarded(use.parent, use.node)):
        return Destination("discarded", use)
    return Destination(use.kind, use)


def _member_destination(up: Ancestry, use: Use) -> Destination:
    member = use.parent
    assert member is not None
    name = (
        member_property(member)
        if member.type == "member_expression"
        else literal_key(member.child_by_field_name("index"))
    )
    outer = outermost(up, member)
    parent = up.parent(outer)
    if use.kind == "member" and is_callee(up, outer) and parent is not None:
        return Destination("method-call", use, parent, name)
    if parent is not None and parent.type == "unary_expression":
        operator = text(parent.child_by_field_name("operator"))
        if operator == "delete":
            return Destination("member-deleted", use, None, name)
    if is_written(up, outer):
        return Destination("member-written", use, None, name)
    if _is_compared(up, outer):
        return Destination("member-compared", use, None, name)
    return Destination("member-read", use, None, name)


def _is_compared(up: Ancestry, node: Node) -> bool:
    parent = up.parent(outermost(up, node))
    return (
        parent is not None
        and parent.type == "binary_expression"
        and text(parent.child_by_field_name("operator")) in COMPARISONS
    )


def is_size_check(up: Ancestry, member: Node) -> bool:
    """The `.size`/`.length` read ``member`` compared (`store.size > MAX`,
    `queue.length >= LIMIT`): a size check, which bounds a store. A size only read (`{ total:
    store.size }` on a stats route) bounds nothing."""
    return member_property(member) in ("size", "length") and _is_compared(up, member)


def is_compared_length(up: Ancestry, node: Node) -> bool:
    """`node.length` compared: `Object.keys(store).length > MAX`."""
    member = up.parent(outermost(up, node))
    return (
        member is not None
        and member.type == "member_expression"
        and member_property(member) == "length"
        and _is_compared(up, member)
    )


# -- every read of a stored value ------------------------------------------------------------


def stored_reads(ctx: FileContext, target: Node) -> list[Node] | None:
    """Every read, in this file, of the value stored at the assignment target ``target``.

    A variable: the references to its binding that do not write it (an undeclared global:
    every identifier of that name). A property (`this.timer`, `obj.timer`, `obj['timer']`,
    a class field `timer = …`): the member expressions reading that name anywhere in the file,
    except `this.timer` of another class (``value_identity``). None when the reads cannot be
    followed: the property is destructured somewhere, or the target is a dynamic slot
    (`timers[id]`) or a pattern.
    """
    if target.type == "identifier":
        return _variable_reads(ctx, target)
    if target.type in ("property_identifier", "private_property_identifier"):
        return _property_reads(ctx, text(target), target)
    if target.type in ("member_expression", "subscript_expression"):
        name = member_property(target)
        return _property_reads(ctx, name, target) if name is not None else None
    return None


def _variable_reads(ctx: FileContext, target: Node) -> list[Node]:
    binding = ctx.scopes.resolve(target)
    if binding is None:  # an undeclared global: every identifier of that name is it
        name = text(target)
        return [n for n in ctx.references.named(name) if n.id != target.id]
    reads = references_to(binding, ctx.scopes, ctx.references)
    return [ref for ref in reads if not is_written(ctx.ancestry, ref)]


def _property_reads(ctx: FileContext, name: str, target: Node) -> list[Node] | None:
    """Member expressions reading property ``name`` anywhere in the file (``x.name``,
    ``x['name']``); None if the property is destructured, which cannot be followed."""
    if not name:
        return None
    up = ctx.ancestry
    root = ctx.tree.root_node
    reads: list[Node] = []
    for start, end in word_occurrences(ctx.source.data, name):
        node = root.descendant_for_byte_range(start, end)
        parent = up.parent(node) if node is not None else None
        if node is None or parent is None:
            continue
        if node.type in ("property_identifier", "private_property_identifier"):
            if parent.type == "member_expression" and not _same_place(parent, target):
                if not is_written(up, parent):
                    reads.append(parent)
            elif parent.type == "pair_pattern":
                return None
        elif node.type == "shorthand_property_identifier_pattern":
            return None
        elif node.type == "string_fragment":
            subscript = up.parent(parent)
            if (
                subscript is not None
                and subscript.type == "subscript_expression"
                and literal_key(subscript.child_by_field_name("index")) == name
                and not is_written(up, subscript)
            ):
                reads.append(subscript)
            else:
                # `for (const k of ['timer', …]) clearInterval(this[k])`
                reads.extend(
                    s for s in subscripts_keyed_by_element(ctx, parent) if not is_written(up, s)
                )
    return _not_another_class(ctx, target, reads)


def _not_another_class(ctx: FileContext, target: Node, reads: list[Node]) -> list[Node]:
    """Drop `this.timer` reads of another class than the one that stores `this.timer`: a
    `clearInterval(this.timer)` in class B does not clear class A's timer."""
    receiver = target.child_by_field_name("object") if target.type == "member_expression" else None
    if receiver is None or receiver.type != "this":
        return reads
    own = value_identity(ctx, target)
    kept = []
    for read in reads:
        other = read.child_by_field_name("object")
        # An unknown identity (`this[key]`) may be this property: silence over a guess.
        if (
            other is not None
            and other.type == "this"
            and not same_value(value_identity(ctx, read), own)
        ):
            continue
        kept.append(read)
    return kept


def _same_place(a: Node, b: Node) -> bool:
    return a.start_byte == b.start_byte and a.end_byte == b.end_byte


def stored_on(ctx: FileContext, target: Node, function: Node | None) -> str | None:
    """Where an assignment to ``target`` keeps the value, seen from ``function`` (the code
    that runs; None at module level): "this" (`this.agent = …`), "outer" (a property of an
    object declared outside ``function`` or unknown to the file: `agents[host] = …`), "local"
    (a property of an object ``function`` makes: `req.log = …` on its own parameter), None
    when the target is not a property path."""
    root = target
    while root.type in ("member_expression", "subscript_expression"):
        root = root.child_by_field_name("object") or root
        if root.type not in ("member_expression", "subscript_expression", "identifier", "this"):
            return None
    if root is target:
        return None
    if root.type == "this":
        return "this"
    if root.type != "identifier":
        return None
    binding = ctx.scopes.resolve(root)
    if binding is None or function is None or not contains(function, binding.node):
        return "outer"
    return "local"


def declared_value(ctx: FileContext, ident: Node, *, const_only: bool = False) -> Node | None:
    """The value a name holds from its declaration: what ``ScopeAnalysis.declared_value``
    answers, and for a name declared bare and assigned once, that one value (`let reader;
    reader = fs.createReadStream(f)`: easy-mock's upload, audit 10), as LL003's client
    origins already read it. ``const_only``: only a `const`'s initial value."""
    value = ctx.scopes.declared_value(ident, const_only=const_only)
    if value is not None or const_only:
        return value
    binding = ctx.scopes.resolve(ident)
    declaration = binding.declaration if binding is not None else None
    if (
        binding is None
        or declaration is None
        or declaration.type != "variable_declarator"
        or declaration.child_by_field_name("name") != binding.node
    ):
        return None
    return _sole_assignment(ctx, binding)


# Where a mention of a name is written by destructuring or a loop (`[a, b] = pair`,
# `for (x of xs)`): a second value, not one this file can name.
_PATTERN_WRITES = frozenset(
    {"array_pattern", "object_pattern", "pair_pattern", "assignment_pattern", "rest_pattern"}
)


def _sole_assignment(ctx: FileContext, binding: Binding) -> Node | None:
    """The value of the one plain assignment (`x = value`) to ``binding``, when nothing else
    writes it; None otherwise."""
    up = ctx.ancestry
    assigned: Node | None = None
    for ref in references_to(binding, ctx.scopes, ctx.references):
        parent = up.parent(ref)
        if parent is None:
            continue
        if is_written(up, ref):
            if assigned is not None or parent.type != "assignment_expression":
                return None
            assigned = parent.child_by_field_name("right")
        elif parent.type in _PATTERN_WRITES or (
            parent.type == "for_in_statement" and parent.child_by_field_name("left") == ref
        ):
            return None
    return assigned


# The identity of a removal that removes every listener (`removeAllListeners(event)`).
ANY = ("any",)


def value_identity(ctx: FileContext, node: Node | None) -> tuple[object, ...] | None:
    """What ``node`` denotes, as a key two expressions share exactly when they denote the same
    value in this file; None when unknown.

    * a function written in place (`() => …`, `function () {}`, `f.bind(this)`): a new value
      every time it is evaluated, equal to nothing else;
    * what the file's imports and globals say it denotes (`process`, `bus` of
      `require('./bus')`, `events.defaultEmitter`): that symbol, the same in every mention;
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
    if node.type in ("identifier", "member_expression"):
        symbol = ctx.imports.resolve(node)
        if symbol is not None:
            return ("symbol", symbol.module, symbol.normalised)
    if node.type == "identifier":
        binding = ctx.scopes.resolve(node)
        return ("binding", binding.node.id) if binding is not None else None
    if node.type == "member_expression":
        receiver = node.child_by_field_name("object")
        name = member_property(node)
        if receiver is None or name is None:
            return None
        if receiver.type == "this" or _this_alias(ctx, receiver):
            # `const that = this; … that.onScroll` is `this.onScroll` (mempool, audit 9).
            owner = ctx.ancestry.nearest(node, CLASS_NODES)
            return ("this", owner.id if owner is not None else None, name)
        base = value_identity(ctx, receiver)
        return ("member", base, name) if base is not None else None
    return None


def _this_alias(ctx: FileContext, node: Node) -> bool:
    """A `const` declared as `this` (`const that = this`, `const self = this`)."""
    if node.type != "identifier":
        return False
    value = ctx.scopes.declared_value(node, const_only=True)
    return value is not None and value.type == "this"


def listener_this(up: Ancestry, this: Node) -> Node | None:
    """The `emitter.on(event, fn)` call whose emitter `this` denotes at ``this``: Node's
    EventEmitter (and the DOM's `addEventListener`) call a listener with `this` set to the
    emitter, so inside a `function` listener passed straight to `on` — and the arrows within
    it — `this` is that emitter. None when `this` is anything else (a method's, an arrow's at
    module level, a function's that is not such a listener)."""
    for ancestor in up.ancestors(this):
        if ancestor.type in CLASS_NODES:
            return None
        if ancestor.type not in FUNCTION_NODES or ancestor.type == "arrow_function":
            continue
        arguments = up.parent(ancestor)
        call = up.parent(arguments) if arguments is not None else None
        if arguments is None or arguments.type != "arguments" or call is None:
            return None
        if call.type != "call_expression":
            return None
        if member_property(call.child_by_field_name("function")) not in LISTENING:
            return None
        listener = call_arguments(call)[1:2]
        return call if listener and listener[0].id == ancestor.id else None
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


def stored_for_the_call(up: Ancestry, ref: Node, function: Node) -> bool:
    """Whether the value at ``ref`` is stored into a property (`ctx.client = client`) that
    ``function`` itself clears in a `finally` (`ctx.client = null`): the holder sees the value
    only while the function runs, so the value stays the function's own — a request context
    that code called meanwhile reads, not a hand-over (saltcorn's `reqCon.client = client`)."""
    use = use_of(up, ref)
    if use.kind != "assigned" or use.parent is None:
        return False
    target = use.parent.child_by_field_name("left")
    if target is None or target.type != "member_expression":
        return False
    return any(_clears(clause, target.text or b"") for clause in _finally_clauses(function))


def _finally_clauses(function: Node) -> list[Node]:
    """The `finally` clauses of ``function``'s own body (not of nested functions)."""
    found: list[Node] = []
    body = function.child_by_field_name("body")
    stack = [body] if body is not None else []
    while stack:
        node = stack.pop()
        if node.type in FUNCTION_NODES:
            continue
        if node.type == "finally_clause":
            found.append(node)
        stack.extend(node.named_children)
    return found


def _clears(clause: Node, target: bytes) -> bool:
    """``clause`` assigns `null` or `undefined` to the property written as ``target``."""
    stack = [clause]
    while stack:
        node = stack.pop()
        if node.type in FUNCTION_NODES:
            continue
        if node.type == "assignment_expression":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if (
                left is not None
                and right is not None
                and left.text == target
                and (right.type in ("null", "undefined") or right.text == b"undefined")
            ):
                return True
        stack.extend(node.named_children)
    return False


# -- a removal that the same code undoes ----------------------------------------------------

# Methods that add an entry under the key given first (`m.set(k, v)`, `s.add(k)`).
_KEYED_GROWTH = frozenset({"set", "add"})
# Statements after which the rest of their block does not run.
_JUMPS = frozenset({"return_statement", "throw_statement", "break_statement", "continue_statement"})
# Nodes whose children are alternatives: one runs, not the other.
_BRANCHING = frozenset({"if_statement", "ternary_expression", "switch_body", "switch_statement"})


def removed_key(up: Ancestry, ref: Node) -> Node | None:
    """The key the removal at the store mention ``ref`` removes: `k` of `ref.delete(k)` and of
    `delete ref[k]`; None when ``ref`` is not removed from by key (`.clear()` included)."""
    store = outermost(up, ref)
    parent = up.parent(store)
    if parent is None or parent.child_by_field_name("object") != store:
        return None
    if parent.type == "subscript_expression":
        deleting = up.parent(outermost(up, parent))
        if deleting is not None and text(deleting.child_by_field_name("operator")) == "delete":
            return parent.child_by_field_name("index")
        return None
    if parent.type == "member_expression" and member_property(parent) == "delete":
        method = outermost(up, parent)
        call = up.parent(method)
        if call is not None and call.type == "call_expression" and is_callee(up, method):
            arguments = call_arguments(call)
            return arguments[0] if len(arguments) == 1 else None
    return None


def readds_removed_key(ctx: FileContext, ref: Node) -> bool:
    """Whether the removal at the store mention ``ref`` (`store.delete(k)`, `delete store[k]`)
    only makes room for the same key, which the same code then adds again: `get → if expired,
    delete → set` (a lazy expiry, a cooldown, a memoize). Such a delete runs only when the
    same key is asked for again, so each key never asked again stays for ever: it does not
    bound the store.

    "Then adds" is a growth of the same store (`store.set(k, …)`, `.add(k)`, `store[k] = …`)
    with the same key (``_key_form``), after the delete and on a path that can follow it (not
    the other branch of an `if`/`switch`, nor after a `return` of the delete's block): in the
    delete's function or a closure of it, or — when the delete is in a helper of this file
    that is only ever called (`getRemainingCooldown(user.id)`) — after every call of it, in the
    caller or in another such helper it calls with the same key (`applyCooldown(user.id)`).
    A delete in another function (a `close(id)` handler, a timer callback, a sweep) or of
    another key (the oldest one) is a removal; so is one whose store or key this file cannot
    name."""
    ref = _unwrap(ref) or ref
    key = removed_key(ctx.ancestry, ref)
    function = ctx.enclosing_function(ref)
    store = value_identity(ctx, ref)
    if key is None or function is None or store is None:
        return False
    growths = [
        (site, added, ctx.enclosing_function(site))
        for site, added in _keyed_growths(ctx, ctx.tree.root_node, ref, store)
    ]
    if not growths:
        return False
    form = _key_form(ctx, key, {})
    if any(
        _may_follow(ctx.ancestry, ref, site) and form == added
        for site, added in _forms_within(ctx, function, growths)
    ):
        return True
    return _readded_after_every_call(ctx, function, key, growths)


_Growths = list[tuple[Node, Node, Node | None]]  # (growth, its key, its function)


def _forms_within(ctx: FileContext, caller: Node, growths: _Growths) -> Iterator[tuple[Node, str]]:
    """(where, key form) of each growth that ``caller`` runs: its own and its closures'
    (`cache.set(k, v)`), and those of this file's helpers it calls (`remember(k, v)`: the
    helper's key with the call's arguments for its parameters), at the call."""
    for site, added, grower in growths:
        if contains(caller, site):
            yield site, _key_form(ctx, added, {})
        elif grower is not None and not contains(grower, caller):
            for call in _calls_of(ctx, grower) or ():
                arguments = _arguments_by_parameter(ctx, grower, call)
                if contains(caller, call) and arguments is not None:
                    yield call, _key_form(ctx, added, arguments)


def _readded_after_every_call(ctx: FileContext, helper: Node, key: Node, growths: _Growths) -> bool:
    """The delete is in ``helper``, a function of this file that is only ever called: each
    call is followed in its caller by a growth of the key the helper deletes (the helper's
    key, with the call's arguments for its parameters)."""
    calls = _calls_of(ctx, helper)
    if not calls:
        return False
    for call in calls:
        caller = ctx.enclosing_function(call)
        arguments = _arguments_by_parameter(ctx, helper, call)
        if caller is None or arguments is None:
            return False
        form = _key_form(ctx, key, arguments)
        if not any(
            _may_follow(ctx.ancestry, call, site) and added == form
            for site, added in _forms_within(ctx, caller, growths)
        ):
            return False
    return True


def _calls_of(ctx: FileContext, function: Node) -> list[Node] | None:
    """The calls of a function declared by name in this file (`function f() {}`, `const f =
    () => …`); None when its name is used otherwise too (exported, passed as a callback, put
    in an object), since code elsewhere may then call it, or when it has no name."""
    up = ctx.ancestry
    name = function.child_by_field_name("name")
    if name is None:
        node, parent = value_parent(up, function)
        if parent is None or parent.type != "variable_declarator":
            return None
        if parent.child_by_field_name("value") != node:
            return None
        name = parent.child_by_field_name("name")
    if name is None or name.type != "identifier" or function.type == "method_definition":
        return None
    binding = ctx.scopes.resolve(name)
    if binding is None or binding.node.id != name.id:
        return None
    root = ctx.tree.root_node
    calls: list[Node] = []
    for start, end in word_occurrences(ctx.source.data, text(name)):
        mention = root.descendant_for_byte_range(start, end)
        if mention is None or mention.id == name.id or mention.type not in _NAME_MENTIONS:
            continue
        found = ctx.scopes.resolve(mention) if mention.type == "identifier" else binding
        if found is None or found.node.id != binding.node.id:
            continue
        callee = outermost(up, mention)
        if mention.type != "identifier" or not is_callee(up, callee):
            return None  # handed on: other code may call it
        calls.append(up.parent(callee) or callee)
    return calls


# Mentions of a function's name that may be the function: a reference, or `{ f }` in an object.
_NAME_MENTIONS = frozenset({"identifier", "shorthand_property_identifier"})


def _arguments_by_parameter(ctx: FileContext, function: Node, call: Node) -> dict[int, str] | None:
    """The key form of the argument ``call`` passes for each of ``function``'s parameters, by
    the parameter's declaration; None when a parameter is a pattern, a default or a rest."""
    parameters = plain_parameters(function)
    if parameters is None:
        return None
    arguments = call_arguments(call)
    passed: dict[int, str] = {}
    for index, parameter in enumerate(parameters):
        binding = ctx.scopes.resolve(parameter)
        if binding is not None:
            argument = arguments[index] if index < len(arguments) else None
            passed[binding.node.id] = (
                _key_form(ctx, argument, {}) if argument is not None else "undefined"
            )
    return passed


def _key_form(ctx: FileContext, key: Node, passed: dict[int, str], depth: int = 0) -> str:
    """What a key expression denotes, written so that two forms are equal exactly when the
    keys are the same (`user.id` and `user.id` with the same `user`): its text, with each
    name replaced by the argument passed for it (a parameter in ``passed``), the value of the
    `const` it names, or the name tagged with its declaration (a callback's own `key`
    parameter is not the outer `key`)."""
    node = _unwrap(key) or key
    data = ctx.source.data
    pieces: list[str] = []
    last = node.start_byte
    for name in sorted(identifiers_in(node, _KEY_NAMES), key=_start):
        pieces.append(data[last : name.start_byte].decode(errors="replace"))
        pieces.append(_name_form(ctx, name, passed, depth))
        last = name.end_byte
    pieces.append(data[last : node.end_byte].decode(errors="replace"))
    return "".join(pieces)


# Names in a key: references, and `{ id }` in an object literal (`JSON.stringify({ id })`).
_KEY_NAMES = frozenset({"identifier", "shorthand_property_identifier"})


def _name_form(ctx: FileContext, name: Node, passed: dict[int, str], depth: int) -> str:
    binding = ctx.scopes.resolve(name)
    if binding is None:
        return text(name)  # a global: the same everywhere
    if binding.node.id in passed:
        return passed[binding.node.id]
    value = ctx.scopes.declared_value(name, const_only=True) if depth < 3 else None
    if value is not None:
        return "(" + _key_form(ctx, value, passed, depth + 1) + ")"
    return f"{text(name)}#{binding.node.id}"


def _keyed_growths(
    ctx: FileContext, function: Node, ref: Node, store: tuple[object, ...]
) -> Iterator[tuple[Node, Node]]:
    """(growth, its key) for each `s.set(k, …)`, `s.add(k)` and `s[k] = …` in ``function``
    (closures included) whose `s` denotes ``store``, the store mentioned at ``ref``. Found
    from the mentions of the store's name in the function's text, not by walking its tree: a
    bundle's module wrapper is one function as large as the file."""
    up = ctx.ancestry
    name = text(ref) if ref.type == "identifier" else member_property(ref)
    if not name:
        return  # `stores[kind].delete(k)`: no name to find the growths by
    root = ctx.tree.root_node
    for start, end in word_occurrences_within(ctx.source.data, name, *_span(function)):
        mention = root.descendant_for_byte_range(start, end)
        parent = up.parent(mention) if mention is not None else None
        if mention is None or parent is None:
            continue
        if mention.type != "identifier":
            if parent.type != "member_expression" or member_property(parent) != name:
                continue
            mention = parent  # `this.cache`: the property names the store
        growth = _keyed_growth(up, mention)
        if growth is not None and value_identity(ctx, mention) == store:
            yield growth


def _keyed_growth(up: Ancestry, mention: Node) -> tuple[Node, Node] | None:
    """(growth, its key) when the store at ``mention`` is grown there by key."""
    outer = outermost(up, mention)
    parent = up.parent(outer)
    if parent is None or parent.child_by_field_name("object") != outer:
        return None
    if parent.type == "member_expression" and member_property(parent) in _KEYED_GROWTH:
        call = up.parent(outermost(up, parent))
        arguments = call_arguments(call) if call is not None else []
        if call is not None and is_callee(up, outermost(up, parent)) and arguments:
            return call, arguments[0]
        return None
    index = parent.child_by_field_name("index")
    if parent.type != "subscript_expression" or index is None:
        return None
    target = outermost(up, parent)
    assignment = up.parent(target)
    if (
        assignment is not None
        and assignment.type in ("assignment_expression", "augmented_assignment_expression")
        and assignment.child_by_field_name("left") == target
    ):
        return assignment, index
    return None


def _span(node: Node) -> tuple[int, int]:
    return node.start_byte, node.end_byte


def _start(node: Node) -> int:
    return node.start_byte


def _may_follow(up: Ancestry, first: Node, later: Node) -> bool:
    """Whether ``later`` can run after ``first`` in the same run of their function: it comes
    later in the source, is not an alternative of it (the other branch of an `if`, a ternary
    or a `switch`), and no `return`/`throw`/`break`/`continue` ends ``first``'s block before."""
    if later.start_byte < first.end_byte:
        return False
    node = first
    for parent in up.ancestors(first):
        if contains(parent, later):
            # The two meet here: a branching node runs one of its children, except that its
            # condition runs before either branch.
            return parent.type not in _BRANCHING or node == parent.child_by_field_name("condition")
        if parent.type in ("return_statement", "throw_statement"):
            return False
        if any(s.type in _JUMPS for s in _following_statements(parent, node)):
            return False
        node = parent
    return False


def _following_statements(block: Node, child: Node) -> Iterator[Node]:
    """The statements of ``block`` after ``child`` (none unless ``block`` is a block)."""
    if block.type not in ("statement_block", "switch_case", "switch_default", "program"):
        return
    after = False
    for statement in block.named_children:
        if after:
            yield statement
        after = after or statement == child
