"""Findings whose verdict rests on callers in other modules: what they become if every caller
in the project runs once.

Within one file, ``frequency`` says "per call" for an exported function whose callers it cannot
see, and "once per instance" for the constructor of an exported class. A rule that reports on
that basis (LL002's per-call timer, LL003's per-call client, LL007's per-call listener) also
records here what its finding becomes when the project-wide link finds that every caller runs
once — at module level, in start-up code, or in another function that itself runs once
(``pipeline.project.graph``): a note in LL002's module-level wording, or nothing. The record
travels in the file's summary (``model.project.Conditional``); without the link it is unused,
so the file's own findings never change.
"""

from __future__ import annotations

from tree_sitter import Node

from leaklint.analysis.frequency import Frequency, Why
from leaklint.analysis.methods import this_method_calls
from leaklint.analysis.nodes import CLASS_NODES, FIELD_NODES, member_property, text
from leaklint.analysis.summary import exported_nodes, references_of
from leaklint.model.findings import Message
from leaklint.model.project import CONSTRUCTOR_PREFIX, Conditional, StoredHandle
from leaklint.semantic.context import FileContext
from leaklint.semantic.scope import LOOP_NODES

_VERDICTS = "callers.once-verdicts"
_HANDLES = "callers.stored-handles"
# How many unexported helpers, each called once by the next, are followed up to an export.
_SOLE_CALLER_DEPTH = 4


def if_runs_once(
    ctx: FileContext,
    rule: str,
    node: Node,
    frequency: Frequency,
    message: Message | None,
    per_request: Message | None = None,
) -> None:
    """Record that the finding ``rule`` just reported at ``node`` becomes ``message`` (a note;
    None: no finding) if the exported function or class behind ``frequency`` runs once — and,
    with ``per_request``, that it becomes that warning if a caller runs per request."""
    export = exported_runner(ctx, frequency)
    if export is None:
        return
    ctx.memo(_VERDICTS, list).append(
        Conditional(
            rule,
            ctx.span(node),
            export,
            message.id if message is not None else "",
            message.text if message is not None else "",
            per_request.id if per_request is not None else "",
            per_request.text if per_request is not None else "",
        )
    )


def once_verdicts(ctx: FileContext) -> tuple[Conditional, ...]:
    """What the rules recorded with ``if_runs_once`` in this file."""
    return tuple(ctx.memo(_VERDICTS, list))


def if_cleared_by_a_sibling(
    ctx: FileContext, rule: str, node: Node, target: Node, *, once: bool
) -> None:
    """Record that the finding ``rule`` just reported at ``node``, about a handle stored at the
    property ``target`` (`this.timer = …`, `job.timer = …`), goes if a method that another
    module installs on the same prototype as the exported function around it clears that
    property (``model.project.StoredHandle``: with ``once`` any such method; else only one the
    function calls itself)."""
    prop = member_property(target)
    if not prop:
        return
    exported = exported_nodes(ctx)
    function = next(
        (a for a in reversed(list(ctx.ancestry.ancestors(node))) if a.id in exported), None
    )
    names = exported.get(function.id, []) if function is not None else []
    if function is None or len(names) != 1:
        return
    calls = "" if once else this_method_calls(function)
    ctx.memo(_HANDLES, list).append(
        StoredHandle(rule, ctx.span(node), names[0], prop, once=once, calls=calls)
    )


def stored_handles(ctx: FileContext) -> tuple[StoredHandle, ...]:
    """What the rules recorded with ``if_cleared_by_a_sibling`` in this file."""
    return tuple(ctx.memo(_HANDLES, list))


def exported_runner(ctx: FileContext, frequency: Frequency) -> str | None:
    """The exported name whose callers decide how often the code behind ``frequency`` runs: an
    exported function whose callers this file cannot see, or ``new:<Class>`` for the
    constructor (or an instance field initialiser) of an exported class. None for anything
    else, and when this file mentions the function or class besides exporting it: its own
    uses are judged here, and a mention hands it to code that may run it again."""
    function = frequency.function
    if function is None:
        return None
    if frequency.why is Why.CALLERS_UNKNOWN:
        owner, prefix = _through_sole_callers(ctx, function), ""
    elif frequency.why is Why.INSTANCE:
        owner = _class_of(function)
        prefix = CONSTRUCTOR_PREFIX
    else:
        return None
    if owner is None:
        return None
    names = exported_nodes(ctx).get(owner.id, [])
    if len(names) != 1 or _mentioned_besides_export(ctx, owner):
        return None
    return prefix + names[0]


def _through_sole_callers(ctx: FileContext, function: Node) -> Node:
    """``function``, or the function whose own code makes its one call, when ``function`` is
    an unexported module-level helper (`setupEnvWatcher()` calling `setupWatcherFromFetch(url)`
    once, outside loops): the helper runs exactly as often as that caller, so the caller's
    export decides — as ``frequency.runs_once`` follows a sole caller within one file."""
    current = function
    for _ in range(_SOLE_CALLER_DEPTH):
        if exported_nodes(ctx).get(current.id):
            return current
        caller = _sole_caller(ctx, current)
        if caller is None:
            return current
        current = caller
    return current


def _sole_caller(ctx: FileContext, function: Node) -> Node | None:
    """The function that calls the module-level ``function`` once, outside loops, in its own
    code (not in a callback of its own, which may run any number of times); None when
    ``function`` has any other use, or is called from module level."""
    if ctx.enclosing_function(function) is not None:
        return None
    name = _declared_name(function)
    binding = ctx.scopes.resolve(name) if name is not None else None
    if name is None or binding is None or binding.node.id != name.id:
        return None
    uses = list(references_of(ctx, binding))
    call = ctx.ancestry.parent(uses[0]) if len(uses) == 1 else None
    if call is None or call.type != "call_expression":
        return None
    if call.child_by_field_name("function") != uses[0]:
        return None  # handed on (`emitter.on('x', load)`): its caller decides, unknown here
    caller = ctx.enclosing_function(call)
    for ancestor in ctx.ancestry.ancestors(call) if caller is not None else ():
        if ancestor.id == caller.id:
            return caller
        if ancestor.type in LOOP_NODES:
            return None
    return None


def _class_of(member: Node) -> Node | None:
    """The class whose constructor or instance field ``member`` is."""
    body = member.parent
    if body is None or body.type != "class_body":
        return None
    if member.type not in FIELD_NODES and member.type != "method_definition":
        return None
    owner = body.parent
    return owner if owner is not None and owner.type in CLASS_NODES else None


def _mentioned_besides_export(ctx: FileContext, owner: Node) -> bool:
    """Whether the file names ``owner`` anywhere but where it exports it (a call, a `new`,
    a callback registration, recursion)."""
    name = _declared_name(owner)
    if name is None:
        return False  # `module.exports = (logger) => { … }`: nothing here can name it
    binding = ctx.scopes.resolve(name)
    if binding is None:
        return True
    return any(not _is_export_of(ctx, ref) for ref in references_of(ctx, binding))


def _declared_name(owner: Node) -> Node | None:
    """`function f() {}` / `class C {}` → its name; `const f = () => {}` → f."""
    name = owner.child_by_field_name("name")
    if name is not None and owner.type not in ("function_expression", "class"):
        return name
    parent = owner.parent
    if parent is not None and parent.type == "variable_declarator":
        declared = parent.child_by_field_name("name")
        return declared if declared is not None and declared.type == "identifier" else None
    return None


def _is_export_of(ctx: FileContext, ref: Node) -> bool:
    """`export { f }`, `export default f`, `module.exports = f`, `module.exports = { f }`,
    `exports.f = f`: the reference that exports the name, not a use of it."""
    up = ctx.ancestry
    parent = up.parent(ref)
    if parent is None:
        return False
    if parent.type == "export_specifier" or parent.type == "export_statement":
        return True
    if parent.type == "pair" and parent.child_by_field_name("value") == ref:
        parent = up.parent(parent)
    elif parent.type == "object" and ref.type == "shorthand_property_identifier":
        pass
    elif parent.type == "assignment_expression":
        return parent.child_by_field_name("right") == ref and _exports_target(parent)
    else:
        return False
    holder = up.parent(parent) if parent is not None and parent.type == "object" else None
    return (
        holder is not None
        and holder.type == "assignment_expression"
        and holder.child_by_field_name("right") == parent
        and _exports_target(holder)
    )


def _exports_target(assignment: Node) -> bool:
    left = assignment.child_by_field_name("left")
    target = text(left) if left is not None else ""
    return target == "module.exports" or target.startswith(("module.exports.", "exports."))
