"""What LL003 and LL006 share: the acquire/release engine and how its results are worded."""

from __future__ import annotations

import re
from typing import ClassVar

from tree_sitter import Node

from leaklint.analysis.resource_table import configured_specs, file_may_use
from leaklint.analysis.resources import CLIENT, RESOURCE_ANALYSES, Leak, find_leaks
from leaklint.model.findings import Fix
from leaklint.model.settings import Settings
from leaklint.rules._base import Rule
from leaklint.rules._finally_fix import finally_fix
from leaklint.semantic.context import FileContext

_SPACE = re.compile(r"\s+")
_MAX_CODE = 48


class ResourceRule(Rule):
    """A rule over one kind of the engine's acquisitions; subclasses supply the words."""

    kind: ClassVar[str]
    acquired: ClassVar[str]  # "created", "checked out"
    released: ClassVar[str]  # "closed", "released"
    release_noun: ClassVar[str]  # "close", "release"
    consequence: ClassVar[str]  # what one leak costs, ending without a full stop
    alternative: ClassVar[str] = ""  # another fix for a never-released resource
    analyses = RESOURCE_ANALYSES

    # No static triggers: the resource table is extended in configuration, which a class-level
    # list cannot know about; ``applies_to`` asks the configured table instead, so a file that
    # mentions none of its modules or methods never joins this rule's patterns to the pass.
    triggers = ()

    @classmethod
    def applies_to(cls, data: bytes, settings: Settings | None = None) -> bool:
        resources = settings.resources if settings is not None else ()
        clients, checkouts = configured_specs(resources)
        return file_may_use(data, clients if cls.kind == CLIENT else checkouts)

    def check(self, ctx: FileContext) -> None:
        for leak in find_leaks(ctx, self.kind, ctx.captures(self.code)):
            related = self._related(ctx, leak)
            ctx.report(
                self,
                leak.acquisition,
                self.message(ctx, leak),
                related=related,
                snippet_node=leak.acquisition,
                fix=self._fix(ctx, leak),
            )

    def _fix(self, ctx: FileContext, leak: Leak) -> Fix | None:
        if leak.variable is None or len(leak.releases) != 1 or _in_finally(ctx, leak.releases[0]):
            return None
        return finally_fix(ctx, leak.acquisition, leak.releases[0], self.release_noun)

    def message(self, ctx: FileContext, leak: Leak) -> str:
        consequence = leak.consequence or self.consequence
        if leak.variable is None:
            return (
                f"This {leak.label} is {self.acquired} here and discarded: nothing can "
                f"{self.release_noun} it, so {consequence}. Keep it in a variable and "
                f"{self.release_noun} it in a `finally` block."
            )
        name = leak.variable
        fix_call = f"{name}.{leak.suggested_release}()"
        if leak.never_released:
            fix = leak.fix or f"Call `{fix_call}` in a `finally` block{self.alternative}."
            return (
                f"The {leak.label} '{name}' is {self.acquired} here and never "
                f"{self.released}: {consequence}. {fix}"
            )
        release = code(ctx, leak.releases[0])
        head = f"The {leak.label} '{name}' is {self.released} by `{release}`"
        exit_ = leak.primary_exit
        assert exit_ is not None
        trigger = exit_.trigger
        if trigger is not None and _in_finally(ctx, leak.releases[0]):
            return (
                f"{head} in a `finally` block, but `{code(ctx, trigger)}` (line "
                f"{line(ctx, trigger)}) runs before that `try` starts: if it throws, the "
                f"{self.release_noun} is skipped and {consequence}. Start the `try` right after "
                f"'{leak.variable}' is {self.acquired}."
            )
        if trigger is not None:
            return (
                f"{head}, but not in a `finally` block: if `{code(ctx, trigger)}` (line "
                f"{line(ctx, trigger)}) throws, the {self.release_noun} is skipped and "
                f"{consequence}. Move `{release}` into `finally`."
            )
        if exit_.kind == "return":
            fix = leak.fix or f"{_cap(self.release_noun)} it in a `finally` block."
            return (
                f"{head}, but the `return` on line {line(ctx, exit_.node)} leaves without "
                f"it, and {consequence}. {fix}"
            )
        return (
            f"{head} only on some paths: the function can finish with it still open, and "
            f"{consequence}. {_cap(self.release_noun)} it in a `finally` block."
        )

    def _related(self, ctx: FileContext, leak: Leak) -> tuple[tuple[Node, str], ...]:
        related: list[tuple[Node, str]] = list(leak.notes)
        exit_ = leak.primary_exit
        if exit_ is None:
            return tuple(related)
        trigger = exit_.trigger
        for release in leak.releases:
            if trigger is not None and _in_finally(ctx, release):
                note = (
                    f"this {self.release_noun} is skipped when `{code(ctx, trigger)}` "
                    "throws before the `try`"
                )
            elif trigger is not None:
                note = (
                    f"this {self.release_noun} is skipped when `{code(ctx, trigger)}` "
                    "throws: move it into `finally`"
                )
            else:
                note = f"this {self.release_noun} does not run on every path"
            related.append((release, note))
        if trigger is not None:
            related.append((trigger, f"can throw while '{leak.variable}' is open"))
        elif exit_.kind == "return":
            related.append((exit_.node, f"returns while '{leak.variable}' is open"))
        return tuple(related)


def _in_finally(ctx: FileContext, node: Node) -> bool:
    return any(a.type == "finally_clause" for a in ctx.ancestry.ancestors(node))


def code(ctx: FileContext, node: Node) -> str:
    """A short one-line rendering of an operation for a message."""
    text = _SPACE.sub(" ", ctx.text(node)).strip()
    if len(text) <= _MAX_CODE:
        return text
    if node.type == "throw_statement":
        return "throw …"
    prefix = ""
    if node.type == "await_expression":
        prefix, node = "await ", node.named_child(0) or node
    callee = node.child_by_field_name("function") or node.child_by_field_name("constructor")
    if callee is not None:
        new = "new " if node.type == "new_expression" else ""
        shown = _SPACE.sub(" ", ctx.text(callee)).strip()
        if len(shown) <= _MAX_CODE:
            return f"{prefix}{new}{shown}(…)"
    return text[: _MAX_CODE - 1] + "…"


def line(ctx: FileContext, node: Node) -> int:
    return ctx.source.position(node.start_byte).line


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]
