"""Unanswered and disliked questions and their groups (inside a unit of work)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from aioomi.domain.model.question_groups import GroupStatus, QuestionGroup, WantingQuestion


class QuestionGroupRepository(Protocol):
    """The agent's wanting questions and their groups, scoped to the unit of work's account;
    every call names the account too."""

    async def wanting(self, account_id: str, agent_id: str, *, limit: int) -> list[WantingQuestion]:
        """The agent's visitor questions whose answer fell back (``unanswered``), was complete
        with no source and not curated (``no_sources``), or got a thumbs-down (``disliked``,
        which wins), newest first (then message id), at most ``limit``."""
        ...

    async def replace_open(self, account_id: str, agent_id: str, groups: Sequence[QuestionGroup]) -> None:
        """Delete the agent's open groups and store ``groups`` (dismissed and answered stay)."""
        ...

    async def list(
        self, account_id: str, agent_id: str, *, status: GroupStatus | None, limit: int
    ) -> list[QuestionGroup]:
        """The agent's groups (of ``status`` when given), largest first (then key)."""
        ...

    async def get(self, account_id: str, group_id: str) -> QuestionGroup | None: ...

    async def update(self, group: QuestionGroup) -> bool:
        """Store the group's status, pair and time; False when there is no such group."""
        ...

    async def due_for_refresh(self, floor: datetime, *, limit: int) -> Sequence[tuple[str, str]]:
        """``(account_id, agent_id)`` of agents, across accounts (a unit of work without an
        account), with a wanting answer (as :meth:`wanting`) created, or disliked, after both
        ``floor`` and the agent's last :meth:`mark_refreshed`; never-refreshed agents first, then
        the longest since, then agent id; at most ``limit``."""
        ...

    async def mark_refreshed(self, account_id: str, agent_id: str, at: datetime) -> None:
        """Record that the agent's questions were grouped as they stood at ``at``."""
        ...
