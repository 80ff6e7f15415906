"""The policy texts shipped with the code (``aioomi/policy/<version>.md``)."""

from __future__ import annotations

from importlib import resources

from aioomi.domain.model.errors import NotFound


def policy_text(version: str) -> str:
    """The Markdown text of a shipped version; ``NotFound`` if none is shipped under that name."""
    path = resources.files("aioomi.policy") / f"{version}.md"
    if not path.is_file():
        raise NotFound(f"No policy text is shipped for version {version}.", code="policy_text_not_found")
    return path.read_text(encoding="utf-8")
