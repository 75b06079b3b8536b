"""What LL003 and LL006 share: the acquire/release engine and how its results are worded."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from tree_sitter import Node

from leaklint.analysis.callers import if_runs_once
from leaklint.analysis.frequency import Frequency, Why, how_often, rate_is_assumed
from leaklint.analysis.resources import RESOURCE_ANALYSES, Leak, find_leaks, may_hold
from leaklint.model.findings import Fix, Message, Severity
from leaklint.model.settings import Settings
from leaklint.rules._base import Rule
from leaklint.rules._finally_fix import finally_fix
from leaklint.semantic.context import FileContext

_SPACE = re.compile(r"\s+")
_MAX_CODE = 48


@dataclass(frozen=True)
class Words:
    """What a rule calls acquiring and releasing one kind of resource, and what one leak costs."""

    acquired: str  # "created", "checked out", "started"
    released: str  # "closed", "released", "terminated"
    release_noun: str  # "close", "release", "terminate"
    consequence: str  # see ResourceRule.consequence
    alternative: str = ""


class ResourceRule(Rule):
    """A rule over kinds of the engine's acquisitions; subclasses supply the words."""

    # The resource table's kinds this rule judges (one, or several: LL010's handles).
    kind: ClassVar[str | tuple[str, ...]]
    acquired: ClassVar[str]  # "created", "checked out"
    released: ClassVar[str]  # "closed", "released"
    release_noun: ClassVar[str]  # "close", "release"
    # What one leak costs, ending without a full stop; `{unit}` is what one run of the code is
    # (analysis/frequency: a call, a request, a message, a tick).
    consequence: ClassVar[str]
    alternative: ClassVar[str] = ""  # another fix for a never-released resource
    # What every run costs when how often the code runs is an assumption (a class built in
    # other modules): a rule that sets it words a resource its instances make and never
    # release as a note with both readings, as LL002 does for timers — a client made by a
    # service built once is one connection for the life of the process, not a leak per call.
    # "" keeps the warning (LL006: a checkout never given back costs the pool a connection
    # however often it runs).
    per_run_consequence: ClassVar[str] = ""
    analyses = RESOURCE_ANALYSES

    # No static triggers: the resource table is extended in configuration, which a class-level
    # list cannot know about; ``applies_to`` asks the configured table instead, so a file that
    # mentions none of its modules or methods never joins this rule's patterns to the pass.
    triggers = ()

    @classmethod
    def applies_to(cls, data: bytes, settings: Settings | None = None) -> bool:
        return may_hold(data, settings, cls.kind)

    messages = {
        "discarded": (
            "This {label} is {acquired} here and discarded: nothing can {release_noun} it, so "
            "{consequence}. Keep it in a variable and {release_noun} it in a `finally` block."
        ),
        "never-released": (
            "The {label} '{name}' is {acquired} here and never {released}: {consequence}. {fix}"
        ),
        # Callers in other modules: the rate is not in this file (``per_run_consequence``).
        "never-released-assumed": (
            "The {label} '{name}' is {acquired} here and never {released}. How often that "
            "happens is decided by code this file does not show: once at start-up, it is one "
            "{label} for the life of the process; per request or per job, {per_run}. {fix} "
            "(`--project` follows the callers into other modules.)"
        ),
        "discarded-assumed": (
            "This {label} is {acquired} here and discarded: nothing can {release_noun} it. How "
            "often that happens is decided by code this file does not show: once at start-up, "
            "it is one {label} for the life of the process; per request or per job, {per_run}. "
            "Keep it in a variable and {release_noun} it when the work ends (`--project` "
            "follows the callers into other modules)."
        ),
        "throw-before-try": (
            "The {label} '{name}' is {released} by `{release}` in a `finally` block, but "
            "`{trigger}` (line {trigger_line}) runs before that `try` starts: if it throws, the "
            "{release_noun} is skipped and {consequence}. Start the `try` right after '{name}' "
            "is {acquired}."
        ),
        "release-not-in-finally": (
            "The {label} '{name}' is {released} by `{release}`, but not in a `finally` block: if "
            "`{trigger}` (line {trigger_line}) throws, the {release_noun} is skipped and "
            "{consequence}. Move `{release}` into `finally`."
        ),
        "throw-skips-release": (
            "The {label} '{name}' is {released} by `{release}`, but the `throw` on line "
            "{throw_line} leaves without it, and {consequence}. {Release_noun} it in a `finally` "
            "block."
        ),
        "return-skips-release": (
            "The {label} '{name}' is {released} by `{release}`, but the `return` on line "
            "{return_line} leaves without it, and {consequence}. {fix}"
        ),
        "released-on-some-paths": (
            "The {label} '{name}' is {released} by `{release}` only on some paths: the function "
            "can finish with it still open, and {consequence}. {Release_noun} it in a `finally` "
            "block."
        ),
        # The default `{fix}` of the two messages above (the resource table can give another).
        "fix-call-in-finally": "Call `{call}` in a `finally` block{alternative}.",
        "fix-release-in-finally": "{Release_noun} it in a `finally` block.",
        # Related locations.
        "note-skipped-before-try": (
            "this {release_noun} is skipped when `{trigger}` throws before the `try`"
        ),
        "note-skipped-not-in-finally": (
            "this {release_noun} is skipped when `{trigger}` throws: move it into `finally`"
        ),
        "note-not-every-path": "this {release_noun} does not run on every path",
        "note-can-throw": "can throw while '{name}' is open",
        "note-returns": "returns while '{name}' is open",
        "note-throws": "throws while '{name}' is open",
    }

    def check(self, ctx: FileContext) -> None:
        for leak in find_leaks(ctx, self.kind, ctx.captures(self.code)):
            related = self._related(ctx, leak)
            frequency = how_often(ctx, leak.acquisition)
            message = self.message(ctx, leak)
            assumed = self._assumed_message(ctx, leak, frequency)
            ctx.report(
                self,
                leak.acquisition,
                assumed or message,
                related=related,
                snippet_node=leak.acquisition,
                fix=self._fix(ctx, leak),
                severity=Severity.NOTE if assumed is not None else None,
            )
            # Made once per process if every caller in the project runs once: no leak then;
            # an assumed rate that a per-request caller settles is the warning after all.
            per_request = message if assumed is not None else None
            if_runs_once(ctx, self.code, leak.acquisition, frequency, None, per_request)

    def _assumed_message(
        self, ctx: FileContext, leak: Leak, frequency: Frequency
    ) -> Message | None:
        """The note for a resource that is never released (or kept nowhere) in code whose
        rate rests on callers this file does not show; None when the rule words no such note,
        the resource is released on some path (then it is made per run by design), or the
        file shows how often the code runs."""
        if not self.per_run_consequence or not (leak.variable is None or leak.never_released):
            return None
        # Only "once per instance of a class built elsewhere": a client its constructor keeps
        # is most often a service's one connection (the seventh audit's debatable reports). A
        # function that makes a client, uses it and drops it is per-call by design, however
        # often its unseen callers run it: that stays the warning.
        if frequency.why is not Why.INSTANCE or not rate_is_assumed(ctx, frequency):
            return None
        per_run = self.per_run_consequence
        if leak.variable is None:
            return self.worded(leak.kind, "discarded-assumed", label=leak.label, per_run=per_run)
        call = f"{leak.variable}.{leak.suggested_release}()"
        fix = leak.fix or self.worded(leak.kind, "fix-call-in-finally", call=call).text
        return self.worded(
            leak.kind,
            "never-released-assumed",
            label=leak.label,
            name=leak.variable,
            per_run=per_run,
            fix=fix,
        )

    def _fix(self, ctx: FileContext, leak: Leak) -> Fix | None:
        if leak.variable is None or len(leak.releases) != 1 or _in_finally(ctx, leak.releases[0]):
            return None
        return finally_fix(ctx, leak.acquisition, leak.releases[0], self.release_noun)

    def words(self, kind: str) -> Words:
        """How this rule speaks of a resource of ``kind``: one set of words for a rule over
        one kind; a rule over several (LL010) overrides this."""
        del kind
        return Words(
            self.acquired, self.released, self.release_noun, self.consequence, self.alternative
        )

    def worded(self, kind: str, message_id: str, **fields: object) -> Message:
        """``msg`` with this rule's words for acquiring and releasing ``kind`` filled in."""
        words = self.words(kind)
        return self.msg(
            message_id,
            acquired=words.acquired,
            released=words.released,
            release_noun=words.release_noun,
            Release_noun=_cap(words.release_noun),
            alternative=words.alternative,
            **fields,
        )

    def message(self, ctx: FileContext, leak: Leak) -> Message:
        unit = how_often(ctx, leak.acquisition).unit
        words = self.words(leak.kind)
        consequence = (leak.consequence or words.consequence).replace("{unit}", unit)
        if leak.variable is None:
            return self.worded(leak.kind, "discarded", label=leak.label, consequence=consequence)
        name = leak.variable
        about = {"label": leak.label, "name": name, "consequence": consequence}
        if leak.never_released:
            call = f"{name}.{leak.suggested_release}()"
            fix = leak.fix or self.worded(leak.kind, "fix-call-in-finally", call=call).text
            return self.worded(leak.kind, "never-released", fix=fix, **about)
        release = code(ctx, leak.releases[0])
        exit_ = leak.primary_exit
        assert exit_ is not None
        trigger = exit_.trigger
        if trigger is not None and trigger.type == "throw_statement":
            return self.worded(
                leak.kind,
                "throw-skips-release",
                release=release,
                throw_line=line(ctx, trigger),
                **about,
            )
        if trigger is not None:
            in_finally = _in_finally(ctx, leak.releases[0])
            return self.worded(
                leak.kind,
                "throw-before-try" if in_finally else "release-not-in-finally",
                release=release,
                trigger=code(ctx, trigger),
                trigger_line=line(ctx, trigger),
                **about,
            )
        if exit_.kind == "return":
            fix = leak.fix or self.worded(leak.kind, "fix-release-in-finally").text
            return self.worded(
                leak.kind,
                "return-skips-release",
                release=release,
                return_line=line(ctx, exit_.node),
                fix=fix,
                **about,
            )
        return self.worded(leak.kind, "released-on-some-paths", release=release, **about)

    def _related(self, ctx: FileContext, leak: Leak) -> tuple[tuple[Node, str], ...]:
        related: list[tuple[Node, str]] = list(leak.notes)
        exit_ = leak.primary_exit
        if exit_ is None:
            return tuple(related)
        trigger = exit_.trigger
        shown = code(ctx, trigger) if trigger is not None else ""
        explicit = trigger is not None and trigger.type == "throw_statement"
        for release in leak.releases:
            if explicit:
                note = self.worded(leak.kind, "note-not-every-path")
            elif trigger is not None and _in_finally(ctx, release):
                note = self.worded(leak.kind, "note-skipped-before-try", trigger=shown)
            elif trigger is not None:
                note = self.worded(leak.kind, "note-skipped-not-in-finally", trigger=shown)
            else:
                note = self.worded(leak.kind, "note-not-every-path")
            related.append((release, note.text))
        name = leak.variable
        if explicit and trigger is not None:
            related.append((trigger, self.worded(leak.kind, "note-throws", name=name).text))
        elif trigger is not None:
            related.append((trigger, self.worded(leak.kind, "note-can-throw", name=name).text))
        elif exit_.kind == "return":
            related.append((exit_.node, self.worded(leak.kind, "note-returns", name=name).text))
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
