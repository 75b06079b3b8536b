"""Configuration discovery and validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from leaklint.config import ConfigError, load_settings
from leaklint.model.findings import Severity
from tests.conftest import write

LEAKY = "function f() { leaked = 1; }\n"


def test_defaults_without_config(tmp_path: Path) -> None:
    settings = load_settings(start=tmp_path)
    assert settings.config_file is None
    assert settings.env == ("node",)


def test_pyproject_table_is_found_from_a_subdirectory(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.leaklint]\nglobals = ["myGlobal"]\n')
    (tmp_path / "src/deep").mkdir(parents=True)
    settings = load_settings(start=tmp_path / "src/deep")
    assert settings.globals == ("myGlobal",)
    assert settings.root == tmp_path.resolve()


def test_pyproject_without_table_is_passed_over(tmp_path: Path) -> None:
    write(tmp_path / "leaklint.toml", 'ignore = ["LL001"]\n')
    write(tmp_path / "sub/pyproject.toml", "[project]\nname = 'x'\n")
    assert load_settings(start=tmp_path / "sub").ignore == ("LL001",)


def test_dot_leaklint_toml(tmp_path: Path) -> None:
    write(tmp_path / ".leaklint.toml", 'env = ["node", "browser"]\n')
    assert load_settings(start=tmp_path).env == ("node", "browser")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("bogus = 1\n", "unknown key 'bogus'"),
        ('select = "LL001"\n', "'select' must be a list of strings"),
        ('select = ["LL999"]\n', "unknown rule or prefix 'LL999'"),
        ('env = ["mars"]\n', "unknown environment 'mars'"),
        ("globals = [1]\n", "'globals' must be a list of strings"),
        ('[severity]\nLL001 = "fatal"\n', '\'LL001\' must be "error", "warning" or "note"'),
        ('[severity]\nLL777 = "note"\n', "unknown rule 'LL777'"),
        ("preview = 'yes'\n", "'preview' must be true or false"),
        ("select = [\n", "invalid TOML"),
        ('[[resources]]\nmodule = "amqplib"\nrelease = ["close"]\n', "'acquire' must be"),
    ],
)
def test_bad_values_name_the_key_and_file(tmp_path: Path, content: str, message: str) -> None:
    write(tmp_path / "leaklint.toml", content)
    with pytest.raises(ConfigError) as error:
        load_settings(start=tmp_path)
    assert message in str(error.value)
    assert "leaklint.toml" in str(error.value)


def test_pyproject_errors_use_the_dotted_key(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.leaklint]\nextend-exclud = []\n")
    with pytest.raises(ConfigError, match=r"unknown key 'tool\.leaklint\.extend-exclud'"):
        load_settings(start=tmp_path)


def test_severity_override_and_resources_parse(tmp_path: Path) -> None:
    write(
        tmp_path / "leaklint.toml",
        '[severity]\nimplicit-global = "warning"\n'
        '[[resources]]\nmodule = "amqplib"\nacquire = "connect"\nrelease = ["close"]\n',
    )
    settings = load_settings(start=tmp_path)
    assert settings.severity_overrides == {"LL001": Severity.WARNING}
    assert settings.resources[0].module == "amqplib"


def test_config_globals_and_env_reach_the_rule(project: Path, run_cli) -> None:
    write(project / "a.js", "function f() { leaked = 1; onload = null; }\n")
    assert run_cli("check", "a.js").exit_code == 1
    write(project / "leaklint.toml", 'globals = ["leaked"]\nenv = ["node", "browser"]\n')
    result = run_cli("check", "a.js")
    assert result.exit_code == 0, result.output


def test_cli_reports_config_error_with_exit_two(project: Path, run_cli) -> None:
    write(project / "a.js", LEAKY)
    write(project / "leaklint.toml", 'select = ["NOPE"]\n')
    result = run_cli("check", "a.js")
    assert result.exit_code == 2
    assert "leaklint.toml" in result.output


def test_explicit_config_option(project: Path, run_cli) -> None:
    write(project / "a.js", LEAKY)
    write(project / "conf/custom.toml", 'ignore = ["LL001"]\n')
    assert run_cli("check", "--config", "conf/custom.toml", "a.js").exit_code == 0
    missing = run_cli("check", "--config", "nope.toml", "a.js")
    assert missing.exit_code == 2
    assert "config file not found: nope.toml" in missing.output
