"""How each agent uses its curated answers (inside a unit of work)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from aioomi.domain.model.curated import CuratedSettings
from aioomi.domain.model.qa_pairs import QaPair


class CuratedSettingsRepository(Protocol):
    """Per-agent curated-answer settings, scoped to the unit of work's account; every call names
    the account too."""

    async def get(self, account_id: str, agent_id: str) -> CuratedSettings | None:
        """The agent's settings; ``None`` until the owner chose (the defaults apply)."""
        ...

    async def put(self, account_id: str, agent_id: str, settings: CuratedSettings) -> None:
        """Store the agent's settings, replacing earlier ones."""
        ...

    async def lookup(
        self,
        account_id: str,
        agent_id: str,
        document_ids: Sequence[str],
    ) -> tuple[CuratedSettings | None, list[QaPair]]:
        """For a chat turn, in one round trip: the agent's settings (as :meth:`get`) and the
        agent's question-and-answer pairs among ``document_ids`` (a pair's id is its
        document's), ordered by id."""
        ...
