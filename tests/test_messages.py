"""Messages as data: every text a rule reports comes from its ``messages`` mapping, by id, and
the id travels with the finding (JSON ``message_id``, SARIF ``message.id``, the cache)."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest

from leaklint.model.findings import Finding, Message, Severity, Span
from leaklint.rules import ALL_RULES, RULES_BY_CODE, Rule
from tests.cli_helpers import invoke, write
from tests.fixture_harness import FIXTURES, fixture_files, fixture_settings
from tests.rule_helpers import run_rule

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.code)
def test_every_rule_words_its_findings_in_a_message_mapping(rule: type[Rule]) -> None:
    assert rule.messages, f"{rule.code} has no messages"
    for message_id, template in rule.messages.items():
        assert _ID.match(message_id), f"{rule.code}: message id '{message_id}' is not kebab-case"
        dummy = {name: f"<{name}>" for name in _fields(template)}
        text = rule.msg(message_id, **dummy).text  # a stray brace would fail here
        assert text.strip() == text or message_id in _FRAGMENTS_WITH_SPACE, repr(text)


# Parts of LL007's message that are appended to a sentence and so start with a space.
_FRAGMENTS_WITH_SPACE = {"max-listeners-warning", "inline-handler"}


def test_msg_fills_named_fields_and_keeps_the_id() -> None:
    rule = RULES_BY_CODE["LL001"]
    message = rule.msg("process-global", name="area")
    assert message == Message(
        "process-global",
        "'area' is assigned but never declared, so it becomes a global that lives for the whole "
        "process and is shared between requests. Declare it with let or const.",
    )


def test_an_unknown_message_id_names_the_rule() -> None:
    with pytest.raises(KeyError, match="LL001 has no message 'nope'"):
        RULES_BY_CODE["LL001"].msg("nope")


def test_reporting_a_plain_string_is_refused() -> None:
    from leaklint.rules.ll001_implicit_global import ImplicitGlobal

    original = ImplicitGlobal._message
    try:
        ImplicitGlobal._message = classmethod(lambda cls, *args: "plain text")  # type: ignore[assignment]
        with pytest.raises(TypeError, match="LL001 must report a Message"):
            run_rule("LL001", "function f() { leaked = 1; }\n")
    finally:
        ImplicitGlobal._message = original  # type: ignore[method-assign]


def test_every_fixture_finding_carries_an_id_of_its_rule() -> None:
    from leaklint.pipeline.engine import check_source
    from leaklint.pipeline.selection import selected_rules
    from leaklint.syntax.source import SourceFile

    seen: dict[str, set[str]] = {rule.code: set() for rule in ALL_RULES}
    for path in fixture_files():
        code = path.relative_to(FIXTURES).parts[0]
        rules = selected_rules((code,), (), (), preview=True)
        source = SourceFile.read(path, path.name)
        try:
            findings = check_source(source, fixture_settings(path), rules)
        except KeyError:
            continue  # an internal error: test_rule_combinations reports it
        for finding in findings:
            messages = RULES_BY_CODE[finding.rule].messages
            assert finding.message_id in messages, (path.name, finding.message_id)
            seen[finding.rule].add(finding.message_id)
    assert all(seen.values()), f"rules whose fixtures report no message: {seen}"


def test_json_reports_the_message_id(tmp_path: Path) -> None:
    write(tmp_path, {"a.js": "function f() { leaked = 1; }\n"})
    result = invoke(tmp_path, "--format", "json", "a.js")
    (finding,) = json.loads(result.stdout)["findings"]
    assert finding["message_id"] == "process-global"
    assert finding["message"].startswith("'leaked' is assigned but never declared")


def test_sarif_message_has_the_id_and_keeps_the_text(tmp_path: Path) -> None:
    write(tmp_path, {"a.mjs": "export function f() { leaked = 1; }\n"})
    result = invoke(tmp_path, "--format", "sarif", "a.mjs")
    (sarif_result,) = json.loads(result.stdout)["runs"][0]["results"]
    assert sarif_result["message"]["id"] == "strict-reference-error"
    assert "throws a ReferenceError" in sarif_result["message"]["text"]


def test_message_id_survives_the_cache_round_trip() -> None:
    finding = Finding(
        "LL002", "uncleared-interval", "a.js", Span(1, 1, 1, 5), "m", Severity.NOTE,
        message_id="module-discarded",
    )  # fmt: skip
    assert Finding.from_dict(finding.to_dict()).message_id == "module-discarded"


def test_rule_command_lists_the_messages(run_cli) -> None:
    result = run_cli("rule", "LL003")
    assert result.exit_code == 0
    assert "\n## Messages\n" in result.output
    template = RULES_BY_CODE["LL003"].messages["never-released"]
    assert f"- `never-released`: {template}\n" in result.output
    data = json.loads(run_cli("rule", "LL003", "--format", "json").output)
    assert data["messages"] == dict(RULES_BY_CODE["LL003"].messages)
