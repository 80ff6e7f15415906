"""The dependency rule, enforced: import-linter's contracts in pyproject.toml must hold, and
they must catch a violation (a domain module importing psycopg)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=project,
        env={"PYTHONPATH": str(project / "src"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_layering_contracts_hold() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken" in result.stdout


def test_the_contracts_catch_a_domain_module_importing_a_driver(tmp_path: Path) -> None:
    copy = tmp_path / "project"
    shutil.copytree(ROOT / "src", copy / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    (copy / "src/aioomi/domain/model/leaky.py").write_text("import psycopg\n")
    (copy / "src/aioomi/ports/leaky.py").write_text("from aioomi.adapters.postgres import errors\n")
    result = lint_imports(copy)
    assert result.returncode != 0
    assert "aioomi.domain.model.leaky -> psycopg" in result.stdout
    assert "aioomi.ports.leaky -> aioomi.adapters.postgres.errors" in result.stdout
