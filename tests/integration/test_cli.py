"""The ``aioomi`` command as an operator meets it: bad configuration and an unreachable database
end with one readable line and a distinct exit code, never a traceback or a password."""

from __future__ import annotations

import subprocess

import pytest

from aioomi import __version__
from tests.integration.processes import AIOOMI, clean_env

SECRET = "secretpw"
UNREACHABLE = f"postgresql://aioomi_user:{SECRET}@127.0.0.1:1/aioomi"


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*AIOOMI, *args], env=clean_env(**env), capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
    )


def test_version_is_printed() -> None:
    result = run_cli("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"aioomi {__version__}"


@pytest.mark.parametrize(
    ("command", "env", "variable"),
    [
        ("migrate", {"DATABASE_URL": f"mysql://root:{SECRET}@db/x"}, "DATABASE_URL"),
        ("serve", {"AIOOMI_PORT": "abc"}, "AIOOMI_PORT"),
        ("serve", {"AIOOMI_PORT": "70000"}, "AIOOMI_PORT"),
        ("worker", {"AIOOMI_WORKER_LEASE_S": "0"}, "AIOOMI_WORKER_LEASE_S"),
        ("serve", {"AIOOMI_DB_POOL_MIN": "5", "AIOOMI_DB_POOL_MAX": "2"}, "AIOOMI_DB_POOL_MIN"),
    ],
    ids=["database-url-not-postgres", "port-not-a-number", "port-out-of-range", "lease-zero", "pool-min-over-max"],
)
def test_a_bad_setting_is_one_line_naming_the_variable_and_exit_2(
    command: str, env: dict[str, str], variable: str
) -> None:
    result = run_cli(command, **env)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("aioomi: configuration error: ")
    assert variable in lines[0]
    assert SECRET not in result.stderr


def test_an_unreachable_database_is_one_line_without_the_password_and_exit_1() -> None:
    result = run_cli("migrate", DATABASE_URL=UNREACHABLE)
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("aioomi: error: Cannot connect to the database at 127.0.0.1:1/aioomi")
    assert "refused" in line.lower(), "the line says why, not only where"
    assert SECRET not in result.stderr + result.stdout


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_serve_and_worker_fail_fast_on_an_unreachable_database(command: str) -> None:
    result = run_cli(command, DATABASE_URL=UNREACHABLE, AIOOMI_DB_CONNECT_TIMEOUT_S="3")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert SECRET not in result.stderr + result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("aioomi: error: ")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith("aioomi: error: Cannot connect to the database at 127.0.0.1:1/aioomi")
    assert result.stderr.splitlines()[-1] == errors[0], "the error is the last word"


def test_the_cli_answers_without_loading_every_adapter() -> None:
    # `--version`, a configuration error and `migrate` must stay instant: the container (every
    # SDK and local model) is imported only by the commands that build it.
    probe = (
        "import sys, aioomi.entrypoints.cli as cli\n"
        "print(sorted(m for m in ('aioomi.container', 'openai', 'stripe', 'litestar', 'uvicorn') if m in sys.modules))"
    )
    result = subprocess.run(
        [AIOOMI[0], "-c", probe], env=clean_env(), capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
