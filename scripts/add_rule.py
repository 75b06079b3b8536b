"""Add a rule with everything it needs, as ruff's ``scripts/add_rule.py`` does.

    python scripts/add_rule.py LL008 unclosed-watcher \\
        "A file watcher opened per call is never closed." --module fs --function watch

writes, under the repository root (``--root``):

* ``leaklint/rules/ll008_unclosed_watcher.py``: the rule, its documentation in the four
  sections (What it does / Why is this bad? / Example / Use instead) and its ``messages``.
  It starts out reporting every call of ``--function`` from ``--module``, resolved through
  ``ctx.imports`` (``require``/``import``, never by name), which is the usual first step;
  write the real conditions from there;
* its entry in the registry's table, ``leaklint/rules/_table.py``, in code order;
* ``fixtures/LL008/flagged.js`` and ``clean.js`` with their ``// expect:`` markers;
* ``tests/test_ll008.py``: RuleTester cases;
* ``tests/snapshots/LL008/*.snap`` placeholders, which fail the snapshot test until they are
  filled with ``pytest tests/test_snapshots.py -k LL008 --snapshot-update`` and reviewed;
* the rule's row in README.md's rule table (``scripts/readme_rules.py``).

Nothing is overwritten: an existing code, name or file is an error (exit 2).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

_CODE = re.compile(r"^LL\d{3}$")
_NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)+$|^[a-z][a-z0-9]*$")
_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_MODULE = re.compile(r"^[@A-Za-z0-9_./:-]+$")
_REGISTERED = re.compile(r'^    RuleEntry\(\s*"(LL\d{3})"', re.M)
PLACEHOLDER = "# placeholder: run `pytest tests/test_snapshots.py -k {code} --snapshot-update`\n"


class AddRuleError(Exception):
    """A bad argument or a conflict with what exists: reported, never a traceback."""


@dataclass(frozen=True)
class NewRule:
    code: str  # LL008
    name: str  # unclosed-watcher
    summary: str
    module: str  # fs
    function: str  # watch

    @property
    def class_name(self) -> str:
        return "".join(part.capitalize() for part in self.name.split("-"))

    @property
    def module_name(self) -> str:
        return f"{self.code.lower()}_{self.name.replace('-', '_')}"


def validate(rule: NewRule, root: Path) -> None:
    if not _CODE.match(rule.code):
        raise AddRuleError(f"code '{rule.code}' is not LL followed by three digits")
    if not _NAME.match(rule.name):
        raise AddRuleError(f"name '{rule.name}' is not kebab-case (like unclosed-watcher)")
    summary = rule.summary.strip()
    if not summary or not summary.endswith(".") or "\n" in summary:
        raise AddRuleError("the summary is one sentence ending with a full stop")
    if not _MODULE.match(rule.module):
        raise AddRuleError(f"module '{rule.module}' is not a module name")
    if not _IDENTIFIER.match(rule.function):
        raise AddRuleError(f"function '{rule.function}' is not an identifier")
    rules = root / "leaklint" / "rules"
    if not (rules / "__init__.py").is_file():
        raise AddRuleError(f"{root} is not a leaklint checkout (no leaklint/rules/__init__.py)")
    for existing in rules.glob("ll*.py"):
        if existing.name.startswith(rule.code.lower() + "_"):
            raise AddRuleError(f"{rule.code} exists already: {existing.relative_to(root)}")
        text = existing.read_text(encoding="utf-8")
        if re.search(rf'^\s+name = "{re.escape(rule.name)}"$', text, re.M):
            raise AddRuleError(f"the name '{rule.name}' is taken by {existing.name}")
    for path in planned_files(rule, root):
        if path.exists():
            raise AddRuleError(f"{path.relative_to(root)} exists already")


def planned_files(rule: NewRule, root: Path) -> list[Path]:
    return [
        root / "leaklint" / "rules" / f"{rule.module_name}.py",
        root / "fixtures" / rule.code / "flagged.js",
        root / "fixtures" / rule.code / "clean.js",
        root / "tests" / f"test_{rule.code.lower()}.py",
        root / "tests" / "snapshots" / rule.code / "flagged.js.snap",
        root / "tests" / "snapshots" / rule.code / "clean.js.snap",
    ]


# --- what is written -----------------------------------------------------------------------


def flagged_fixture(rule: NewRule) -> str:
    return (
        f"// {rule.code}: a call of `{rule.function}` from '{rule.module}' is reported.\n"
        f"const {_local(rule)} = require('{rule.module}');\n"
        "\n"
        "function handler(input) {\n"
        f"  {_local(rule)}.{rule.function}(input); // expect: {rule.code}\n"
        "}\n"
        "\n"
        "module.exports = handler;\n"
    )


def clean_fixture(rule: NewRule) -> str:
    return (
        f"// {rule.code} must stay silent: this `{rule.function}` is the file's own function, "
        f"not '{rule.module}'s.\n"
        f"function {rule.function}(input) {{\n"
        "  return input;\n"
        "}\n"
        "\n"
        f"module.exports = () => {rule.function}('value');\n"
    )


def rule_module(rule: NewRule) -> str:
    example = flagged_fixture(rule).splitlines()[1:-2]
    example = [line.replace(f" // expect: {rule.code}", f" // {rule.code}") for line in example]
    return f'''"""## What it does
Reports every call of `{rule.function}` from `{rule.module}` (through `require` or `import`,
resolved by leaklint's import analysis: a local function of the same name is not it).

{textwrap.fill(rule.summary.strip(), 100)}

## Why is this bad?
Say what leaks, how fast it grows and what users see when it does (the error message, the
metric that climbs), with a source for it.

## Example
```js
{chr(10).join(example)}
```

## Use instead
```js
// The fixed version of the example.
```
"""

from __future__ import annotations

from leaklint.model.findings import Severity
from leaklint.rules._base import Rule
from leaklint.semantic.context import FileContext

CALLS = """
(call_expression function: (_) @function) @call
"""
# What a reported call resolves to, through any form of import or require.
MODULE = {_literal(rule.module)}
EXPORT = ({_literal(rule.function)},)


class {rule.class_name}(Rule):
    code = "{rule.code}"
    name = "{rule.name}"
    summary = {_attribute_literal(rule.summary.strip(), "    summary = ")}
    severity = Severity.WARNING
    # CodeQL's vocabulary: very-high, high, medium, low. New rules start in preview until
    # their precision has been measured on real code (docs/rules-corpus.md).
    precision = "medium"
    preview = True
    tags = ("memory-leak",)
    triggers = (b{_literal(rule.function)},)
    query = CALLS
    messages = {{
        "called": "`{{call}}` is called here. Say why this leaks and what to do instead.",
    }}

    def check(self, ctx: FileContext) -> None:
        captures = ctx.captures(self.code)
        for call in captures.get("call", ()):
            symbol = ctx.imports.resolve(call.child_by_field_name("function"))
            if symbol is not None and symbol.matches(MODULE, EXPORT):
                shown = ctx.text(call.child_by_field_name("function"))
                ctx.report(self, call, self.msg("called", call=f"{{shown}}()"))
'''


def test_module(rule: NewRule) -> str:
    local = _local(rule)
    line = f"  {local}.{rule.function}(input);"
    return f'''"""{rule.code}: message, position and severity (generated by scripts/add_rule.py)."""

from __future__ import annotations

import pytest

from tests.rule_tester import Expect, Invalid, RuleTester, Valid

{rule.code} = RuleTester("{rule.code}")
CALLED = """\\
const {local} = require('{rule.module}');
function handler(input) {{
{line}
}}
"""
OWN_FUNCTION = """\\
function {rule.function}(x) {{
  return x;
}}
{rule.function}(1);
"""


@pytest.mark.parametrize(
    "case",
    {rule.code}.cases(
        valid=[OWN_FUNCTION],
        invalid=[
            Invalid(
                CALLED,
                [
                    Expect(
                        message_id="called",
                        data={{"call": "{local}.{rule.function}()"}},
                        line=3,
                        column=3,
                        end_column={3 + len(line.strip()) - 1},
                        severity="warning",
                    )
                ],
            ),
        ],
    ),
)
def test_{rule.code.lower()}_cases(case: Valid | Invalid) -> None:
    {rule.code}.verify(case)
'''


def _literal(text: str) -> str:
    """A double-quoted Python string literal, as ruff format writes them."""
    return json.dumps(text, ensure_ascii=False)


def _attribute_literal(text: str, prefix: str) -> str:
    """The literal after ``prefix`` (an indented ``name = ``): on one line when it fits in 100
    columns, else an implicit concatenation in parentheses, one piece a line, as ruff format
    leaves it (a generated module must pass ``ruff check``'s E501)."""
    one_line = _literal(text)
    if len(prefix) + len(one_line) <= 100:
        return one_line
    indent = " " * (len(prefix) - len(prefix.lstrip()) + 4)
    pieces = textwrap.wrap(text, 100 - len(indent) - 2, drop_whitespace=False)
    body = "\n".join(f"{indent}{_literal(piece)}" for piece in pieces)
    return f"(\n{body}\n{indent[:-4]})"


def _local(rule: NewRule) -> str:
    """A variable name for the required module: `fs` for 'fs', `nodeCron` for 'node-cron'."""
    base = rule.module.rstrip("/").split("/")[-1].split(":")[-1]
    words = [word for word in re.split(r"[^A-Za-z0-9]+", base) if word]
    name = (words[0].lower() + "".join(w.capitalize() for w in words[1:])) if words else "lib"
    return name if _IDENTIFIER.match(name) and name != rule.function else f"{name}Module"


def register(rule: NewRule, root: Path) -> None:
    """Add the rule's entry to the registry's table (what selection and the cache know of a
    rule without importing it), in code order."""
    path = root / "leaklint" / "rules" / "_table.py"
    text = path.read_text(encoding="utf-8")
    entries = list(_REGISTERED.finditer(text))
    if not entries:
        raise AddRuleError(f"{path} has no RuleEntry rows to place {rule.code} among")
    entry = (
        "    RuleEntry(\n"
        f'        "{rule.code}",\n'
        f'        "{rule.name}",\n'
        f'        "{rule.module_name}",\n'
        f'        "{rule.class_name}",\n'
        "        _W,\n"
        "        True,\n"
        "        True,\n"  # preview, as the generated module says
        "    ),\n"
    )
    after = [m for m in entries if m.group(1) > rule.code]
    # Before the first higher code, or as the last row (before the table's closing bracket).
    end = text.index("\n)\n", entries[-1].start()) + 1
    position = after[0].start() if after else end
    _write(path, text[:position] + entry + text[position:])


def readme_row(root: Path) -> None:
    """Regenerate README.md's table from the new registry, in a process that imports it."""
    script = Path(__file__).resolve().parent / "readme_rules.py"
    environment = dict(os.environ, PYTHONPATH=str(root))
    completed = subprocess.run(
        [sys.executable, str(script), "--root", str(root)],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise AddRuleError(f"updating README.md failed: {completed.stderr.strip()}")


def _write(path: Path, text: str) -> None:
    # A development script, but the same rule as leaklint's own output: a reader never sees
    # half a file (scripts run from a checkout, where leaklint is importable).
    from leaklint.fsutil import atomic_write_text

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text)


def add_rule(rule: NewRule, root: Path) -> list[Path]:
    """Write everything for ``rule`` under ``root``; the files written, for the report."""
    validate(rule, root)
    module, flagged, clean, tests, flagged_snap, clean_snap = planned_files(rule, root)
    _write(module, rule_module(rule))
    _write(flagged, flagged_fixture(rule))
    _write(clean, clean_fixture(rule))
    _write(tests, test_module(rule))
    for snapshot in (flagged_snap, clean_snap):
        _write(snapshot, PLACEHOLDER.format(code=rule.code))
    register(rule, root)
    readme_row(root)
    return [module, root / "leaklint" / "rules" / "_table.py", flagged, clean, tests,
            flagged_snap, clean_snap, root / "README.md"]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Add a leaklint rule: module, registration, fixtures, tests, README row."
    )
    parser.add_argument("code", help="LL followed by three digits, e.g. LL008")
    parser.add_argument("name", help="kebab-case, e.g. unclosed-watcher")
    parser.add_argument("summary", help="one sentence: SARIF shortDescription, README row")
    parser.add_argument("--module", required=True, help="the module the call comes from: fs")
    parser.add_argument("--function", required=True, help="the function it exports: watch")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    options = parser.parse_args(argv)
    root: Path = options.root.resolve()
    rule = NewRule(options.code.upper(), options.name, options.summary, options.module,
                   options.function)  # fmt: skip
    try:
        written = add_rule(rule, root)
    except AddRuleError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path.relative_to(root)}")
    print(
        f"next: write the rule, then `pytest tests/test_snapshots.py -k {rule.code} "
        "--snapshot-update`, review the snapshots and run the whole suite"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
