"""The shape every rule has: metadata that documents it, and a ``check`` over one file.

A rule's documentation is its module docstring, written in the ruff style (What it does /
Why is this bad? / Example / Use instead). The CLI (`leaklint rule LL003`), SARIF `help` and
the HTML report all reuse that one text.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from leaklint.model.findings import Message, Severity

if TYPE_CHECKING:
    from collections.abc import Iterator

    from leaklint.model.findings import Related
    from leaklint.model.project import Linked, ProjectFacts, ProjectReport
    from leaklint.model.settings import Settings
    from leaklint.semantic.context import FileContext, SharedQuery


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]  # kebab-case
    summary: ClassVar[str]  # one sentence: SARIF shortDescription
    severity: ClassVar[Severity] = Severity.WARNING
    # When some findings get another severity, in words for the README ("note at module level").
    severity_detail: ClassVar[str] = ""
    # CodeQL's vocabulary, which GitHub shows: very-high, high, medium, low.
    precision: ClassVar[str] = "high"
    tags: ClassVar[tuple[str, ...]] = ()
    default_enabled: ClassVar[bool] = True
    preview: ClassVar[bool] = False
    # Byte strings of which the file must contain at least one for the rule to run at all;
    # empty means "always run". A cheap substring test skips most files for most rules.
    triggers: ClassVar[tuple[bytes, ...]] = ()
    # Tree-sitter patterns this rule needs; they join the file's single shared query pass and
    # come back through ``ctx.captures(self.code)``. Patterns a grammar lacks are dropped.
    query: ClassVar[str] = ""
    # The shared analyses' own patterns this rule relies on (e.g. ``RESOURCE_ANALYSES``): they
    # join the same pass. Forgetting one costs a pass of its own, never a wrong answer.
    analyses: ClassVar[tuple[SharedQuery, ...]] = ()
    # Every text the rule reports (findings and their related locations), by id, as
    # ``str.format`` templates with named fields: the wording is data that `leaklint rule`
    # lists and tests pin, and the id (JSON ``message_id``, SARIF ``message.id``) says which
    # kind of problem a finding is without parsing its text.
    messages: ClassVar[Mapping[str, str]] = {}

    def check(self, ctx: FileContext) -> None:
        raise NotImplementedError

    def check_project(self, facts: ProjectFacts) -> Iterator[ProjectReport]:
        """Findings that only the whole project shows (``leaklint.pipeline.project.graph``
        links the summaries; a rule reads one file's linked uses here). Most rules have none."""
        return iter(())

    def project_notes(self, facts: ProjectFacts) -> Iterator[tuple[Linked, Related]]:
        """Related locations in other modules for this rule's own findings at a linked use
        (LL007: where the imported emitter is created). Most rules have none."""
        return iter(())

    @classmethod
    def msg(cls, message_id: str, **fields: object) -> Message:
        """The message ``message_id`` with its ``{fields}`` filled in."""
        try:
            template = cls.messages[message_id]
        except KeyError:
            raise KeyError(f"{cls.code} has no message '{message_id}'") from None
        return Message(message_id, template.format(**fields))

    @classmethod
    def documentation(cls) -> str:
        module = sys.modules[cls.__module__]
        import inspect  # here: 20 ms of start-up that a run answered from the cache never needs

        return inspect.cleandoc(module.__doc__ or cls.summary)

    @classmethod
    def applies_to(cls, data: bytes, settings: Settings | None = None) -> bool:
        """Whether the rule can find anything in a file with these bytes (cheap, before any
        parsing work is spent on it). Rules whose triggers depend on configuration override it."""
        return not cls.triggers or any(trigger in data for trigger in cls.triggers)
