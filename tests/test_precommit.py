"""The pre-commit hook, run by the real ``pre-commit`` tool against this repository.

``pre-commit try-repo`` clones the repository (with its uncommitted changes to tracked files),
installs it into a fresh virtualenv from PyPI and runs the hook: exactly what a user's
``.pre-commit-config.yaml`` would do. It takes a few seconds once the packages are cached.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from identify.identify import tags_from_filename

from leaklint.syntax.source import EXTENSION_LANGUAGE

REPO = Path(__file__).resolve().parents[1]
HOOKS = REPO / ".pre-commit-hooks.yaml"


def hook() -> dict:
    [only] = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    return only


def selected(name: str) -> bool:
    """Whether pre-commit would pass ``name`` to the hook (files AND types AND NOT exclude)."""
    spec = hook()
    tags = tags_from_filename(name) | {"file"}
    return (
        re.search(spec["files"], name) is not None
        and re.search(spec["exclude"], name) is None
        and set(spec.get("types", [])) <= tags
        and (not spec.get("types_or") or bool(set(spec["types_or"]) & tags))
    )


def test_hook_definition() -> None:
    spec = hook()
    assert spec["id"] == "leaklint"
    assert spec["language"] == "python"
    assert spec["entry"] == "leaklint check --force-exclude"
    assert spec["require_serial"] is True  # as ruff: leaklint parallelises itself
    assert spec.get("pass_filenames", True) is True


@pytest.mark.parametrize("suffix", sorted(EXTENSION_LANGUAGE))
def test_hook_passes_every_extension_leaklint_checks(suffix: str) -> None:
    assert selected(f"src/module{suffix}")


def test_why_the_hook_filters_by_extension() -> None:
    # If identify ever tags these, `types_or: [javascript, jsx, ts, tsx]` would be enough.
    assert not tags_from_filename("a.mts") & {"ts", "javascript"}
    assert not tags_from_filename("a.cts") & {"ts", "javascript"}


@pytest.mark.parametrize(
    "name", ["types/index.d.ts", "a.d.mts", "package.json", "a.jsonc", "README.md", "x.tsbuildinfo"]
)
def test_hook_skips_files_leaklint_does_not_check(name: str) -> None:
    assert not selected(name)


def pre_commit() -> str:
    beside = Path(sys.executable).with_name("pre-commit")
    found = str(beside) if beside.exists() else shutil.which("pre-commit")
    if found is None:
        pytest.skip("pre-commit is not installed (pip install -e '.[test]')")
    return found


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_pre_commit_try_repo_fails_on_a_leak_and_passes_once_fixed(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        # try-repo commits the uncommitted changes of this repository into a scratch clone.
        "GIT_AUTHOR_NAME": "leaklint tests",
        "GIT_AUTHOR_EMAIL": "tests@leaklint.invalid",
        "GIT_COMMITTER_NAME": "leaklint tests",
        "GIT_COMMITTER_EMAIL": "tests@leaklint.invalid",
        "NO_COLOR": "1",
    }
    for variable in ("GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE"):
        env.pop(variable, None)
    git(project, "init", "-q")
    leaky = project / "src" / "server.mts"
    leaky.write_text("export function handle() {\n  sessions = new Map();\n}\n", encoding="utf-8")
    (project / "src" / "ok.js").write_text("const ok = 1;\n", encoding="utf-8")
    git(project, "add", "-A")

    def try_repo() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [pre_commit(), "try-repo", str(REPO), "leaklint", "--all-files", "--color=never"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )

    failed = try_repo()
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "src/server.mts:2:3: LL001" in failed.stdout

    leaky.write_text("export function handle() {\n  const sessions = new Map();\n}\n")
    git(project, "add", "-A")
    passed = try_repo()
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert re.search(r"leaklint\.+Passed", passed.stdout)


def pre_commit_env(tmp_path: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "GIT_AUTHOR_NAME": "leaklint tests",
        "GIT_AUTHOR_EMAIL": "tests@leaklint.invalid",
        "GIT_COMMITTER_NAME": "leaklint tests",
        "GIT_COMMITTER_EMAIL": "tests@leaklint.invalid",
        "NO_COLOR": "1",
    }
    for variable in ("GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE"):
        env.pop(variable, None)
    return env


LEAK = "function handle() {\n  sessions = new Map();\n}\n"
VENDORED = {
    "vendor/jquery.js": LEAK,
    "node_modules/dep/index.js": LEAK,  # committed, as some legacy repositories do
    "public/app.min.js": LEAK,
    "static/main.3f2a9b1c.js": LEAK,
    "static/prd/bundle.js": LEAK + "//# sourceMappingURL=bundle.js.map\n",
    "dist/server.js": LEAK,
}


def test_all_files_checks_what_leaklint_check_dot_checks(tmp_path: Path) -> None:
    """Vendored and generated files fail neither; one leaklint process gets every file."""
    project = tmp_path / "project"
    files = {**VENDORED, **{f"src/m{i}.js": f"export const m{i} = {i};\n" for i in range(12)}}
    for name, text in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text, encoding="utf-8")
    git(project, "init", "-q")
    git(project, "add", "-A", "-f")
    env = pre_commit_env(tmp_path)
    done = subprocess.run(
        [pre_commit(), "try-repo", str(REPO), "leaklint", "--all-files", "--verbose"],
        cwd=project,
        env={**env, "PRE_COMMIT_COLOR": "never"},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # require_serial: one invocation, so one summary line for all 12 files checked.
    assert re.findall(r"All clear: no leaks found in (\d+) files", done.stdout) == ["12"]
    direct = subprocess.run(
        [str(Path(sys.executable).with_name("leaklint")), "check", "--no-cache", "."],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert direct.returncode == 0, direct.stdout
    assert "in 12 files" in direct.stdout


def readme_pre_commit_config() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    [block] = re.findall(r"```yaml\n(# \.pre-commit-config\.yaml\n.*?)```", readme, re.S)
    return block


def test_the_readme_pre_commit_config_works_once_the_release_is_tagged(tmp_path: Path) -> None:
    """The README's snippet, pointed at a clone of this repository tagged with the version
    pyproject.toml names (the lead tags the real repository at release; see test_release)."""
    from tests.test_release import VERSION

    clone = tmp_path / "leaklint"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    git(clone, "tag", "-f", f"v{VERSION}")  # -f: the clone may carry the real tag already
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "src" / "server.js").write_text(LEAK, encoding="utf-8")
    config = readme_pre_commit_config()
    assert "https://github.com/leaklint/leaklint" in config
    (project / ".pre-commit-config.yaml").write_text(
        config.replace("https://github.com/leaklint/leaklint", str(clone)), encoding="utf-8"
    )
    git(project, "init", "-q")
    git(project, "add", "-A")
    done = subprocess.run(
        [pre_commit(), "run", "--all-files", "--color=never"],
        cwd=project,
        env=pre_commit_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "src/server.js:2:3: LL001" in done.stdout
