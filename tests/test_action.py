"""The composite GitHub Action (action.yml): its structure, and its scripts run for real.

GitHub itself is not available here, so ``simulate`` plays the runner: it evaluates the
``${{ }}`` expressions the action uses, runs each ``run:`` step with bash the way the runner
does (``bash --noprofile --norc -eo pipefail``), collects ``$GITHUB_OUTPUT`` and records the
``uses:`` steps (setup-python, upload-sarif) instead of running them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
ACTION = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
STEPS: list[dict[str, Any]] = ACTION["runs"]["steps"]
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
REFERENCE = re.compile(r"\b(inputs|steps|github)\.([A-Za-z0-9_-]+)(?:\.outputs\.([A-Za-z0-9_-]+))?")


def all_text(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [text for item in value.values() for text in all_text(item)]
    if isinstance(value, list):
        return [text for item in value for text in all_text(item)]
    return [str(value)]


# --- structure --------------------------------------------------------------------------------


def test_is_a_composite_action_with_documented_inputs() -> None:
    assert ACTION["name"] == "leaklint"
    assert ACTION["runs"]["using"] == "composite"
    for name, spec in ACTION["inputs"].items():
        assert spec.get("description"), name
        assert isinstance(spec.get("default", ""), str), f"{name}: defaults must be strings"
    assert {"paths", "format", "fail-on-findings", "args", "sarif-file"} <= set(ACTION["inputs"])


def test_every_input_is_used_and_every_reference_exists() -> None:
    referenced = set()
    ids_so_far: set[str] = set()
    for step in STEPS:
        for text in all_text({k: v for k, v in step.items() if k != "id"}):
            for expression in EXPRESSION.findall(text):
                for kind, name, _ in REFERENCE.findall(expression):
                    if kind == "inputs":
                        referenced.add(name)
                    elif kind == "steps":
                        assert name in ids_so_far, f"steps.{name} used before it runs"
        if "id" in step:
            ids_so_far.add(step["id"])
    assert referenced == set(ACTION["inputs"])
    for output in ACTION["outputs"].values():
        for _, name, _ in REFERENCE.findall(output["value"]):
            assert name in ids_so_far


def test_run_steps_take_inputs_through_env_only() -> None:
    runs = [step for step in STEPS if "run" in step]
    assert runs
    for step in runs:
        assert step["shell"] == "bash", step["name"]
        # Pasting ${{ }} into a script lets an input inject shell code.
        assert "${{" not in step["run"], step["name"]


def test_installs_from_the_action_itself_and_uploads_sarif() -> None:
    install = next(step for step in STEPS if step.get("id") == "install")
    assert "${{ github.action_path }}" in install["env"].values()
    assert '"$ACTION_PATH"' in install["run"]
    upload = next(step for step in STEPS if "upload-sarif" in step.get("uses", ""))
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == "${{ inputs.sarif-file }}"


# --- running it -------------------------------------------------------------------------------


@dataclass
class Run:
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    log: str = ""
    uses: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    failed_step: str | None = None
    exit_code: int = 0


def evaluate(expression: str, inputs: dict[str, str], outputs: dict[str, dict[str, str]]) -> Any:
    """The small part of the Actions expression language that action.yml uses."""

    def value(match: re.Match[str]) -> str:
        kind, name, output = match.groups()
        if kind == "inputs":
            return repr(inputs[name])
        if kind == "github":
            return repr({"action_path": str(REPO)}[name])
        return repr(outputs.get(name, {}).get(output, ""))

    python = REFERENCE.sub(value, expression).replace("&&", " and ").replace("||", " or ")
    return eval(python, {"__builtins__": {}})  # our own file's expressions, not user input


def condition(text: str, inputs: dict[str, str], outputs: dict[str, dict[str, str]]) -> bool:
    wrapped = EXPRESSION.fullmatch(text.strip())  # `if:` may or may not use ${{ }}
    return bool(evaluate(wrapped.group(1) if wrapped else text, inputs, outputs))


def substitute(text: str, inputs: dict[str, str], outputs: dict[str, dict[str, str]]) -> str:
    return EXPRESSION.sub(lambda m: str(evaluate(m.group(1), inputs, outputs)), text)


def simulate(
    workdir: Path, given: dict[str, str], *, leaklint: str | None = None, skip_install: bool = True
) -> Run:
    inputs = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()}
    inputs.update(given)
    run = Run()
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    base_env["RUNNER_TEMP"] = str(workdir.parent / "runner-temp")
    Path(base_env["RUNNER_TEMP"]).mkdir(exist_ok=True)
    for number, step in enumerate(STEPS):
        if "if" in step and not condition(step["if"], inputs, run.outputs):
            continue
        step_id = step.get("id", f"step{number}")
        if "uses" in step:
            with_ = {k: substitute(str(v), inputs, run.outputs) for k, v in step["with"].items()}
            run.uses.append((step["uses"], with_))
            if "setup-python" in step["uses"]:
                run.outputs[step_id] = {"python-path": sys.executable}
            continue
        if step_id == "install" and skip_install:
            run.outputs[step_id] = {"leaklint": leaklint or ""}
            continue
        output_file = workdir.parent / f"output-{number}"
        output_file.write_text("")
        env = {**base_env, "GITHUB_OUTPUT": str(output_file)}
        env.update(
            {k: substitute(str(v), inputs, run.outputs) for k, v in step["env"].items()}
            if "env" in step
            else {}
        )
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        run.log += done.stdout + done.stderr
        run.outputs[step_id] = dict(
            line.split("=", 1) for line in output_file.read_text().splitlines() if "=" in line
        )
        if done.returncode != 0:
            run.failed_step, run.exit_code = step["name"], done.returncode
            break
    return run


def installed_leaklint() -> str:
    path = Path(sys.executable).with_name("leaklint")
    if not path.exists():
        pytest.skip("leaklint is not installed beside the test interpreter")
    return str(path)


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "src").mkdir(parents=True)
    (root / "src" / "server.js").write_text("function handle() {\n  cache = {};\n}\n")
    (root / "src" / "ok.ts").write_text("export const ok = 1;\n")
    return root


def test_findings_are_uploaded_annotated_and_fail_the_job(project: Path) -> None:
    run = simulate(project, {"paths": "src"}, leaklint=installed_leaklint())
    assert run.failed_step == "Fail on findings"
    assert run.outputs["sarif"] == {"exit-code": "1", "sarif-file": "leaklint.sarif"}
    sarif = json.loads((project / "leaklint.sarif").read_text())
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["LL001"]
    assert "::error file=src/server.js,line=2,col=3," in run.log
    assert (
        "github/codeql-action/upload-sarif@v3",
        {"sarif_file": "leaklint.sarif", "category": "leaklint"},
    ) in run.uses


def test_fail_on_findings_false_still_uploads(project: Path) -> None:
    given = {"paths": "src\n", "fail-on-findings": "false", "format": "text"}
    run = simulate(project, given, leaklint=installed_leaklint())
    assert run.failed_step is None
    assert "Found 1 problem" in run.log
    assert any("upload-sarif" in uses for uses, _ in run.uses)


def test_args_and_several_paths_pass_through(project: Path) -> None:
    (project / "lib").mkdir()
    (project / "lib" / "x.js").write_text("other = 1;\n")
    given = {"paths": "src lib/x.js", "args": "--ignore LL001  --no-source", "format": "none"}
    run = simulate(project, given, leaklint=installed_leaklint())
    assert run.failed_step is None and run.outputs["sarif"]["exit-code"] == "0"
    assert run.log == ""


def test_errors_stop_before_the_upload(project: Path) -> None:
    run = simulate(project, {"args": "--select NOPE"}, leaklint=installed_leaklint())
    assert run.failed_step == "Run leaklint (SARIF)" and run.exit_code == 2
    assert not any("upload-sarif" in uses for uses, _ in run.uses)


def test_install_step_installs_from_the_action_path(project: Path) -> None:
    """The real install step: a virtualenv in RUNNER_TEMP, pip install of this repository."""
    run = simulate(project, {"upload-sarif": "false"}, skip_install=False)
    assert run.failed_step == "Fail on findings", run.log
    assert Path(run.outputs["install"]["leaklint"]).is_file()
    assert run.outputs["sarif"]["exit-code"] == "1"
