"""House rules that a linter cannot state: every `noqa` names its reason."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOQA = re.compile(r"#\s*noqa(?P<codes>:\s*[A-Z]+[0-9]*(?:\s*,\s*[A-Z]+[0-9]*)*)?(?P<rest>.*)$")


def noqa_without_reason(text: str, unused: set[int] | frozenset[int] = frozenset()) -> list[str]:
    """The `noqa` comments in ``text`` that say nothing about why, except on the lines in
    ``unused`` (1-based), whose `noqa` silences nothing and goes in `make fmt` (RUF100)."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = NOQA.search(line)
        if match is None or number in unused:
            continue
        if not match["codes"] or not match["rest"].strip(" -:()"):
            found.append(line.strip())
    return found


def _unused_noqa_lines(folders: tuple[str, ...]) -> dict[Path, set[int]]:
    """Where ruff, with the project's own configuration, finds a `noqa` that silences nothing."""
    ruff = Path(sys.executable).with_name("ruff")
    report = subprocess.run(
        [str(ruff), "check", "--exit-zero", "--output-format", "json", *folders],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    lines: dict[Path, set[int]] = {}
    for finding in json.loads(report.stdout):
        if finding["code"] == "RUF100":
            lines.setdefault(Path(finding["filename"]).resolve(), set()).add(finding["location"]["row"])
    return lines


def test_the_reason_check_bites() -> None:
    assert noqa_without_reason("import x  # noqa: F401\n") == ["import x  # noqa: F401"]
    bare = "import x  # " + "noqa"
    assert noqa_without_reason(bare + "\n") == [bare]
    assert noqa_without_reason("import x  # noqa: F401 - a fixture\n") == []
    assert noqa_without_reason("import x  # noqa: F401 (a fixture)\n") == []
    assert noqa_without_reason("a\nimport x  # noqa: F401\n", unused={2}) == []


def test_every_noqa_names_its_reason() -> None:
    folders = ("src", "tests", "bench", "scripts")
    unused = _unused_noqa_lines(folders)
    offenders = {}
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            if found := noqa_without_reason(path.read_text(), unused.get(path.resolve(), set())):
                offenders[str(path.relative_to(ROOT))] = found
    assert offenders == {}
