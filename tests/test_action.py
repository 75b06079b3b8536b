"""The composite GitHub Action (action.yml): its structure, and its scripts run for real.

GitHub itself is not available here, so ``simulate`` plays the runner: it evaluates the
``${{ }}`` expressions the action uses, runs each ``run:`` step with bash the way the runner
does (``bash --noprofile --norc -eo pipefail``), collects ``$GITHUB_OUTPUT`` and records the
``uses:`` steps (setup-python, upload-sarif) instead of running them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from leaklint import __version__
from leaklint.github_action import expand_paths, has_findings

REPO = Path(__file__).resolve().parents[1]
SARIF_VALIDATOR = jsonschema.Draft4Validator(
    json.loads((REPO / "tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
)
ACTION = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
STEPS: list[dict[str, Any]] = ACTION["runs"]["steps"]
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
REFERENCE = re.compile(
    r"\b(inputs|steps|github|runner)\.([A-Za-z0-9_-]+)(?:\.outputs\.([A-Za-z0-9_-]+))?"
)


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
    assert upload["with"]["category"] == "${{ inputs.category }}"


def test_uses_the_current_major_of_every_action() -> None:
    uses = sorted(step["uses"] for step in STEPS if "uses" in step)
    assert uses == [
        "actions/cache/restore@v4",
        "actions/cache/save@v4",
        "actions/setup-python@v5",
        "github/codeql-action/upload-sarif@v3",
    ]


def test_cache_is_keyed_by_leaklint_version_and_configuration() -> None:
    [cache] = [step for step in STEPS if step.get("uses", "").startswith("actions/cache/restore@")]
    key, restore = cache["with"]["key"], cache["with"]["restore-keys"]
    assert "steps.install.outputs.version" in key and "hashFiles(" in key
    for config in ("'**/leaklint.toml'", "'**/.leaklint.toml'", "'**/pyproject.toml'"):
        assert config in key
    # A run saves its own cache (keys are immutable) and restores the newest of the same
    # version and configuration.
    assert key.startswith(restore) and "github.run_id" in key and "run_id" not in restore
    assert cache["with"]["path"] == "${{ runner.temp }}/leaklint-cache"
    # Saved by a step of its own, before "Fail on findings": actions/cache's own post-job save
    # runs only when the job succeeds, and a job with findings fails.
    names = [step["name"] for step in STEPS]
    [save] = [step for step in STEPS if step.get("uses", "").startswith("actions/cache/save@")]
    assert save["with"] == {
        "path": cache["with"]["path"],
        "key": "${{ steps.cache.outputs.cache-primary-key }}",
    }
    assert names.index(save["name"]) < names.index("Fail on findings")
    assert names.index(save["name"]) > names.index("Report to the log")


# --- running it -------------------------------------------------------------------------------


@dataclass
class Run:
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    log: str = ""
    uses: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    failed_step: str | None = None
    exit_code: int = 0


def hash_files(workdir: Path, *patterns: str) -> str:
    """GitHub's hashFiles(): a SHA-256 over the matching files, '' when none match."""
    included = {
        p for pattern in patterns if not pattern.startswith("!") for p in workdir.glob(pattern)
    }
    excluded = {
        p for pattern in patterns if pattern.startswith("!") for p in workdir.glob(pattern[1:])
    }
    files = sorted(p for p in included - excluded if p.is_file())
    if not files:
        return ""
    digest = hashlib.sha256()
    for file in files:
        digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()


def evaluate(
    expression: str,
    inputs: dict[str, str],
    outputs: dict[str, dict[str, str]],
    workdir: Path = REPO,
) -> Any:
    """The small part of the Actions expression language that action.yml uses."""

    def value(match: re.Match[str]) -> str:
        kind, name, output = match.groups()
        if kind == "inputs":
            return repr(inputs[name])
        if kind == "github":
            return repr({"action_path": str(REPO), "run_id": "41", "run_attempt": "1"}[name])
        if kind == "runner":
            return repr({"temp": str(runner_temp(workdir)), "os": "Linux"}[name])
        return repr(outputs.get(name, {}).get(output, ""))

    functions = {
        "hashFiles": lambda *patterns: hash_files(workdir, *patterns),
        "format": lambda template, *args: template.format(*args),
    }
    python = REFERENCE.sub(value, expression).replace("&&", " and ").replace("||", " or ")
    return eval(python, {"__builtins__": {}, **functions})  # our own file's expressions


def runner_temp(workdir: Path) -> Path:
    return workdir.parent / "runner-temp"


def condition(text: str, inputs: dict[str, str], outputs: dict[str, dict[str, str]]) -> bool:
    wrapped = EXPRESSION.fullmatch(text.strip())  # `if:` may or may not use ${{ }}
    return bool(evaluate(wrapped.group(1) if wrapped else text, inputs, outputs))


def substitute(
    text: str, inputs: dict[str, str], outputs: dict[str, dict[str, str]], workdir: Path = REPO
) -> str:
    return EXPRESSION.sub(lambda m: str(evaluate(m.group(1), inputs, outputs, workdir)), text)


def simulate(
    workdir: Path, given: dict[str, str], *, leaklint: str | None = None, skip_install: bool = True
) -> Run:
    inputs = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()}
    inputs.update(given)
    run = Run()
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    base_env["RUNNER_TEMP"] = str(runner_temp(workdir))
    Path(base_env["RUNNER_TEMP"]).mkdir(exist_ok=True)
    for number, step in enumerate(STEPS):
        if "if" in step and not condition(step["if"], inputs, run.outputs):
            continue
        step_id = step.get("id", f"step{number}")
        if "uses" in step:
            with_ = {
                k: substitute(str(v), inputs, run.outputs, workdir) for k, v in step["with"].items()
            }
            run.uses.append((step["uses"], with_))
            if "setup-python" in step["uses"]:
                run.outputs[step_id] = {"python-path": sys.executable}
            if step["uses"].startswith("actions/cache/restore@"):  # a miss, as on a first run
                run.outputs[step_id] = {"cache-primary-key": with_["key"]}
            continue
        if step_id == "install" and skip_install:
            run.outputs[step_id] = {
                "leaklint": leaklint or "",
                "python": sys.executable,  # leaklint is installed beside the test interpreter
                "version": __version__,
            }
            continue
        output_file = workdir.parent / f"output-{number}"
        output_file.write_text("")
        env = {**base_env, "GITHUB_OUTPUT": str(output_file)}
        env.update(
            {k: substitute(str(v), inputs, run.outputs, workdir) for k, v in step["env"].items()}
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
    sarif = load_sarif(project)
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
    # One path per line (a path may contain spaces, so a space no longer separates paths).
    given = {"paths": "src\nlib/x.js\n", "args": "--ignore LL001  --no-source", "format": "none"}
    run = simulate(project, given, leaklint=installed_leaklint())
    assert run.failed_step is None and run.outputs["sarif"]["exit-code"] == "0"
    assert run.log == ""


def load_sarif(project: Path) -> dict[str, Any]:
    """The report the action wrote, checked against the vendored SARIF schema."""
    document = json.loads((project / "leaklint.sarif").read_text(encoding="utf-8"))
    errors = [error.message for error in SARIF_VALIDATOR.iter_errors(document)]
    assert not errors, errors[:5]
    return document


def reported_uris(project: Path) -> list[str]:
    sarif = load_sarif(project)
    return sorted(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in sarif["runs"][0]["results"]
    )


def test_paths_with_spaces_globs_and_brackets(project: Path) -> None:
    files = {
        "my dir/a.js": "a = 1;\n",
        "packages/web/src/b.js": "b = 1;\n",
        "packages/api/src/deep/c.ts": "c = 1;\n",
        "packages/api/test/d.js": "d = 1;\n",
        "pages/[id].js": "e = 1;\n",  # a Next.js route: a file, not a pattern
        "pages/i.js": "f = 1;\n",
    }
    for name, text in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    given = {"paths": "my dir\npackages/*/src\n  pages/[id].js  \n", "format": "none"}
    run = simulate(project, given, leaklint=installed_leaklint())
    assert run.failed_step == "Fail on findings", run.log
    assert reported_uris(project) == [
        "my%20dir/a.js",
        "packages/api/src/deep/c.ts",
        "packages/web/src/b.js",
        "pages/%5Bid%5D.js",
    ]


def test_files_a_pattern_matches_follow_the_excludes(project: Path) -> None:
    (project / "leaklint.toml").write_text('extend-exclude = ["src/generated/"]\n')
    (project / "src" / "generated").mkdir()
    (project / "src" / "generated" / "g.js").write_text("g = 1;\n")
    run = simulate(
        project, {"paths": "src/**/*.js", "format": "none"}, leaklint=installed_leaklint()
    )
    assert run.failed_step == "Fail on findings", run.log
    assert reported_uris(project) == ["src/server.js"]


def test_a_pattern_that_matches_nothing_fails(project: Path) -> None:
    run = simulate(project, {"paths": "src\npackages/*/src"}, leaklint=installed_leaklint())
    assert run.failed_step == "Resolve paths" and run.exit_code == 2
    assert "::error title=leaklint::paths: 'packages/*/src' matches no file or directory" in run.log
    assert "sarif" not in run.outputs


def test_category_reaches_the_sarif_and_the_upload(project: Path) -> None:
    run = simulate(project, {"paths": "src"}, leaklint=installed_leaklint())
    sarif = load_sarif(project)
    assert sarif["runs"][0]["automationDetails"] == {"id": "leaklint/"}
    given = {"paths": "src", "category": "leaklint/frontend/", "format": "none"}
    run = simulate(project, given, leaklint=installed_leaklint())
    sarif = load_sarif(project)
    assert sarif["runs"][0]["automationDetails"] == {"id": "leaklint/frontend/"}
    [(_, upload)] = [u for u in run.uses if "upload-sarif" in u[0]]
    assert upload["category"] == "leaklint/frontend/"


def test_the_cache_lives_where_actions_cache_keeps_it(project: Path) -> None:
    run = simulate(project, {"paths": "src", "format": "text"}, leaklint=installed_leaklint())
    [(_, cache)] = [u for u in run.uses if u[0].startswith("actions/cache/restore@")]
    cache_dir = Path(cache["path"])
    assert cache_dir == runner_temp(project) / "leaklint-cache"
    assert list(cache_dir.rglob("*.json")), "leaklint did not write its cache there"
    assert not (project / ".leaklint_cache").exists()
    assert cache["key"].startswith(cache["restore-keys"])
    assert cache["restore-keys"].startswith(f"leaklint-Linux-{__version__}-")
    [(_, save)] = [u for u in run.uses if u[0].startswith("actions/cache/save@")]
    assert save == {"path": cache["path"], "key": cache["key"]}
    # Changing the configuration changes the key, so a run never restores another's verdicts
    # as the newest (they would only be misses: leaklint's cache checks the settings too).
    (project / "leaklint.toml").write_text('ignore = ["LL002"]\n')
    again = simulate(project, {"paths": "src", "format": "none"}, leaklint=installed_leaklint())
    [(_, second)] = [u for u in again.uses if u[0].startswith("actions/cache/restore@")]
    assert second["restore-keys"] != cache["restore-keys"]


def test_cache_false_leaves_the_cache_in_the_project(project: Path) -> None:
    given = {"paths": "src", "format": "none", "cache": "false"}
    run = simulate(project, given, leaklint=installed_leaklint())
    assert not any(u[0].startswith("actions/cache/") for u in run.uses)
    assert (project / ".leaklint_cache").is_dir()
    assert not (runner_temp(project) / "leaklint-cache").exists()


def fake_leaklint(tmp_path: Path, script: str) -> str:
    """A stand-in for leaklint that behaves as ``script`` says (a crash, a signal)."""
    path = tmp_path / "fake-leaklint"
    path.write_text("#!/usr/bin/env bash\n" + script)
    path.chmod(0o755)
    return str(path)


@pytest.mark.parametrize("status", [2, 3, 120, 130, 255])
def test_any_exit_code_but_0_and_1_fails_even_without_fail_on_findings(
    project: Path, tmp_path: Path, status: int
) -> None:
    leaklint = fake_leaklint(tmp_path, f"exit {status}\n")
    given = {"paths": "src", "fail-on-findings": "false"}
    run = simulate(project, given, leaklint=leaklint)
    assert run.failed_step == "Run leaklint (SARIF)" and run.exit_code == status
    assert f"leaklint failed with exit code {status}" in run.log
    assert not any("upload-sarif" in uses for uses, _ in run.uses)


def test_exit_1_without_findings_is_a_crash_not_findings(project: Path, tmp_path: Path) -> None:
    """Until every traceback exits 2, a crash exits 1 like "findings": with fail-on-findings
    false that passed CI. 1 must come with a report that holds findings."""
    crash = fake_leaklint(tmp_path, 'echo "Traceback (most recent call last):" >&2\nexit 1\n')
    run = simulate(project, {"paths": "src", "fail-on-findings": "false"}, leaklint=crash)
    assert run.failed_step == "Run leaklint (SARIF)" and run.exit_code == 2
    assert "leaklint exited 1 without reporting findings" in run.log
    assert not any("upload-sarif" in uses for uses, _ in run.uses)


def test_exit_1_with_findings_passes_when_fail_on_findings_is_false(project: Path) -> None:
    given = {"paths": "src", "fail-on-findings": "false", "format": "none"}
    run = simulate(project, given, leaklint=installed_leaklint())
    assert run.failed_step is None and run.outputs["sarif"]["exit-code"] == "1"


# --- the helpers the action runs --------------------------------------------------------------


def test_expand_paths(tmp_path: Path) -> None:
    for name in ("a b/x.js", "p/one/src/y.js", "p/two/src/z.js", "r/[id].js"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    assert expand_paths("", tmp_path) == (["."], False)
    assert expand_paths("a b\n\n r/[id].js\n", tmp_path) == (["a b", "r/[id].js"], False)
    assert expand_paths("p/*/src", tmp_path) == (["p/one/src", "p/two/src"], True)
    assert expand_paths("p/**/*.js", tmp_path) == (["p/one/src/y.js", "p/two/src/z.js"], True)
    # Not a pattern and not there: leaklint reports it ("path does not exist").
    assert expand_paths("missing", tmp_path) == (["missing"], False)


def test_has_findings(tmp_path: Path) -> None:
    report = tmp_path / "r.sarif"
    assert not has_findings(report)  # missing
    for text, expected in [
        ("{not json", False),
        ("[]", False),
        ('{"runs": [{"results": []}]}', False),
        ('{"runs": [{"results": [{"suppressions": [{"kind": "inSource"}]}]}]}', False),
        ('{"runs": [{"results": [{"suppressions": []}, {}]}]}', True),
        ('{"runs": [{}, {"results": [{"ruleId": "LL001"}]}]}', True),
    ]:
        report.write_text(text)
        assert has_findings(report) is expected, text


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


def test_readme_documents_every_input_with_its_default() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    github = readme.split("## GitHub code scanning", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z-]+)` \|\s*`?([^|`]*?)`?\s*\|", github, re.M)
    assert dict(rows) == {name: spec["default"] for name, spec in ACTION["inputs"].items()}
