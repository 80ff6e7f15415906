"""Benches never reach into the test suite: what they share with the tests lives in `testkit/`,
and `testkit` itself imports nothing from `tests` (or a bench would reach in through it)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imports_of_tests(source: str) -> list[str]:
    """The modules under `tests` that ``source`` imports, at any depth of the code."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [name for name in names if name == "tests" or name.startswith("tests.")]
    return found


def test_the_check_finds_every_form_of_import() -> None:
    assert imports_of_tests("import tests.support.browser\n") == ["tests.support.browser"]
    assert imports_of_tests("def f():\n    from tests.unit import chat_support\n") == ["tests.unit"]
    assert imports_of_tests("import tests\n") == ["tests"]
    assert imports_of_tests("from testkit.builders import account\nimport testsuite\n") == []


def test_no_bench_and_no_testkit_module_imports_tests() -> None:
    modules = sorted((ROOT / "bench").rglob("*.py")) + sorted((ROOT / "testkit").rglob("*.py"))
    assert len(modules) > 15
    offenders = {
        str(path.relative_to(ROOT)): found for path in modules if (found := imports_of_tests(path.read_text()))
    }
    assert offenders == {}
