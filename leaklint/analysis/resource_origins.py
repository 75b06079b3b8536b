"""Where a value comes from: the library symbol that made it, or that TypeScript types it as.

LL006 asks this of the receiver of ``pool.connect()``: is ``pool`` a pg or mysql pool? The
answer follows the value back through the file: ``const pool = new Pool()``, a TypeScript
annotation (``pool: Pool``, ``private readonly pool: mysql.Pool``), ``this.pool`` assigned in
the class (``this.pool = new Pool()``, a field initialiser, a constructor parameter property),
a factory function of the same file (``const pool = createPool()``, ``getPool().connect()``) by
what it returns, and a variable declared empty and assigned later (the lazy singleton
``let pool; … pool = new Pool()``).
A value whose origin cannot be followed (an import from another file, an untyped parameter)
has no origin: None, which callers treat as "unknown", not as "not a pool".
"""

from __future__ import annotations

from tree_sitter import Node

from leaklint.analysis.nodes import superclass
from leaklint.semantic.context import FileContext, SharedQuery
from leaklint.semantic.imports import Symbol, unwrap, unwrap_awaited
from leaklint.semantic.scope import Binding, own_returns, references_to

_MAX_DEPTH = 4
# `this.x = …` assignments, to follow `this.pool` to what the class stores in it. Rules that
# ask for origins list it in their `analyses`, so it joins the file's shared query pass.
THIS_ASSIGNMENTS = SharedQuery(
    "origins",
    """
(assignment_expression
  left: (member_expression object: (this) property: (property_identifier)))
  @this_assignment
""",
)


def value_origin(ctx: FileContext, node: Node | None, depth: int = 0) -> Symbol | None:
    """The library symbol that made (or, in TypeScript, types) the value of ``node``."""
    node = unwrap_awaited(node)
    if node is None or depth > _MAX_DEPTH:
        return None
    if node.type == "new_expression":
        return ctx.imports.resolve(node.child_by_field_name("constructor"))
    if node.type == "call_expression":
        callee = node.child_by_field_name("function")
        return ctx.imports.resolve(callee) or _factory_origin(ctx, callee, depth)
    if node.type == "identifier":
        binding = ctx.scopes.resolve(node)
        return _binding_origin(ctx, binding, depth) if binding is not None else None
    if node.type == "member_expression":
        receiver = node.child_by_field_name("object")
        if receiver is not None and receiver.type == "this":
            return _this_property_origin(ctx, node, depth)
    return None


def value_creation(ctx: FileContext, node: Node | None, depth: int = 0) -> Node | None:
    """The expression that made the value of ``node`` in this file — the `new DataSource(…)` of
    `ds` in `ds.createQueryRunner()` — following `const`/`let` declarations (and a variable
    declared empty and assigned once) and `this.x = …` of the enclosing class; None when it is
    made elsewhere or cannot be followed."""
    node = unwrap_awaited(node)
    if node is None or depth > _MAX_DEPTH:
        return None
    if node.type in ("new_expression", "call_expression"):
        return node
    if node.type == "identifier":
        binding = ctx.scopes.resolve(node)
        if binding is None or binding.declaration.type != "variable_declarator":
            return None
        value = binding.declaration.child_by_field_name("value")
        if value is not None and value.type not in ("null", "undefined"):
            return value_creation(ctx, value, depth + 1)
        assigned = _assigned_values(ctx, binding)
        return value_creation(ctx, assigned[0], depth + 1) if len(assigned) == 1 else None
    if node.type == "member_expression":
        receiver = node.child_by_field_name("object")
        prop = node.child_by_field_name("property")
        body = ctx.ancestry.nearest(node, frozenset({"class_body"}))
        if receiver is None or receiver.type != "this" or prop is None or body is None:
            return None
        values = _this_assignments(ctx, body, prop.text)
        return value_creation(ctx, values[0], depth + 1) if len(values) == 1 else None
    return None


def _assigned_values(ctx: FileContext, binding: Binding) -> list[Node]:
    values = []
    for ref in references_to(binding, ctx.scopes, ctx.references):
        parent = ctx.ancestry.parent(ref)
        if (
            parent is not None
            and parent.type == "assignment_expression"
            and parent.child_by_field_name("left") == ref
        ):
            right = parent.child_by_field_name("right")
            if right is not None:
                values.append(right)
    return values


def type_origin(ctx: FileContext, annotation: Node | None) -> Symbol | None:
    """The library symbol a TypeScript type annotation names (``Pool``, ``pg.Pool``)."""
    if annotation is None:
        return None
    node = annotation.named_child(0) if annotation.type == "type_annotation" else annotation
    if node is None:
        return None
    if node.type == "generic_type":  # `Repository<User>`: the generic's own name
        name = node.child_by_field_name("name")
        return type_origin(ctx, name) if name is not None else None
    if node.type == "union_type":  # `Pool | undefined`
        for member in node.named_children:
            origin = type_origin(ctx, member)
            if origin is not None:
                return origin
        return None
    if node.type == "type_identifier":
        name = node.text.decode("utf-8", "replace")
        binding = ctx.scopes.resolve_name(name, node.start_byte, node.end_byte)
        if binding is None or binding.kind != "import":
            return None
        return ctx.imports.binding_symbol(binding)
    if node.type == "nested_type_identifier":  # `pg.Pool`
        module = node.child_by_field_name("module")
        name = node.child_by_field_name("name")
        base = ctx.imports.resolve(module) if module is not None else None
        if base is None or name is None:
            return None
        return base.member(name.text.decode("utf-8", "replace"))
    return None


def superclass_origin(ctx: FileContext, cls: Node | None) -> Symbol | None:
    """The library symbol a class extends: `class User extends Model` with `Model` from
    'sequelize' is sequelize's `Model`; a class whose base this file cannot resolve has none."""
    if cls is None or cls.type not in ("class_declaration", "class", "abstract_class_declaration"):
        return None
    base = superclass(cls)
    return ctx.imports.resolve(base) if base is not None else None


def _binding_origin(ctx: FileContext, binding: Binding, depth: int) -> Symbol | None:
    declaration = binding.declaration
    if binding.kind == "import":
        return ctx.imports.binding_symbol(binding)
    if declaration.type in ("required_parameter", "optional_parameter"):
        return type_origin(ctx, declaration.child_by_field_name("type"))
    if declaration.type == "variable_declarator":
        typed = type_origin(ctx, declaration.child_by_field_name("type"))
        if typed is not None:
            return typed
        value = declaration.child_by_field_name("value")
        if value is None or value.type in ("null", "undefined"):
            return _assigned_origin(ctx, binding, depth)
        return value_origin(ctx, value, depth + 1)
    return None


def _factory_origin(ctx: FileContext, callee: Node | None, depth: int) -> Symbol | None:
    """What a function of this file returns: `createPool()` → `return new Pool(…)`."""
    callee = unwrap(callee)
    if callee is None or callee.type != "identifier":
        return None
    binding = ctx.scopes.resolve(callee)
    function = declared_function(binding) if binding is not None else None
    for returned in function_results(function) if function is not None else ():
        origin = value_origin(ctx, returned, depth + 1)
        if origin is not None:
            return origin
    return None


def declared_function(binding: Binding) -> Node | None:
    """The function a name declares: `function f() {}` or `const f = () => …`."""
    declaration = binding.declaration
    if declaration.type in ("function_declaration", "generator_function_declaration"):
        return declaration
    if declaration.type == "variable_declarator" and binding.kind == "const":
        value = unwrap(declaration.child_by_field_name("value"))
        if value is not None and value.type in ("arrow_function", "function_expression"):
            return value
    return None


def function_results(function: Node) -> list[Node]:
    """What calling ``function`` evaluates to: an arrow's expression body
    (`const createPool = () => new Pool()`), else its own `return` values."""
    body = function.child_by_field_name("body")
    if body is None:
        return []
    if body.type != "statement_block":
        return [body]
    return returned_values(function)


def returned_values(function: Node) -> list[Node]:
    """The expressions of ``function``'s own `return` statements (not nested functions')."""
    return [r.named_child(0) for r in own_returns(function) if r.named_child_count]


def _assigned_origin(ctx: FileContext, binding: Binding, depth: int) -> Symbol | None:
    """`let pool; … pool = new Pool()`: the origin of a value assigned to the variable later."""
    for value in _assigned_values(ctx, binding):
        origin = value_origin(ctx, value, depth + 1)
        if origin is not None:
            return origin
    return None


def _this_property_origin(ctx: FileContext, member: Node, depth: int) -> Symbol | None:
    """`this.pool`: what the enclosing class declares or assigns it as."""
    prop = member.child_by_field_name("property")
    body = ctx.ancestry.nearest(member, frozenset({"class_body"}))
    if prop is None or body is None:
        return None
    name = prop.text
    for child in body.named_children:
        if child.type == "public_field_definition" and _field_name(child) == name:
            origin = type_origin(ctx, child.child_by_field_name("type")) or value_origin(
                ctx, child.child_by_field_name("value"), depth + 1
            )
            if origin is not None:
                return origin
        if child.type == "method_definition" and _field_name(child) == b"constructor":
            origin = _parameter_property_origin(ctx, child, name)
            if origin is not None:
                return origin
    for value in _this_assignments(ctx, body, name):
        origin = value_origin(ctx, value, depth + 1)
        if origin is not None:
            return origin
    return None


def _this_assignments(ctx: FileContext, body: Node, name: bytes | None) -> list[Node]:
    """Right-hand sides of `this.<name> = …` inside a class body."""
    values = []
    for assignment in ctx.captures(THIS_ASSIGNMENTS).get("this_assignment", ()):
        if not (body.start_byte <= assignment.start_byte < body.end_byte):
            continue
        left = assignment.child_by_field_name("left")
        prop = left.child_by_field_name("property") if left is not None else None
        value = assignment.child_by_field_name("right")
        if prop is not None and prop.text == name and value is not None:
            values.append(value)
    return values


def _parameter_property_origin(
    ctx: FileContext, constructor: Node, name: bytes | None
) -> Symbol | None:
    """`constructor(private readonly pool: Pool)`."""
    parameters = constructor.child_by_field_name("parameters")
    for parameter in parameters.named_children if parameters is not None else ():
        pattern = parameter.child_by_field_name("pattern")
        if pattern is not None and pattern.text == name:
            return type_origin(ctx, parameter.child_by_field_name("type"))
    return None


def _field_name(definition: Node) -> bytes | None:
    name = definition.child_by_field_name("name")
    return name.text if name is not None else None
