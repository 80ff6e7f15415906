"""The owner dismisses a question group."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.ids import is_id
from aioomi.domain.model.question_groups import (
    GROUP_PREFIX,
    GroupStatus,
    QuestionGroup,
    QuestionGroupClosed,
    QuestionGroupNotFound,
)
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class DismissQuestionGroup:
    """Mark an open group dismissed: later runs do not reopen a group of the same key.
    Another account's group is not found; a group already answered or dismissed is
    ``question_group_closed``."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal, group_id: str) -> QuestionGroup:
        ensure_permitted(principal, Permission.EDIT_KNOWLEDGE)
        async with self._uow(account_id=principal.workspace_id) as uow:
            group = (
                await uow.question_groups.get(principal.workspace_id, group_id)
                if is_id(group_id, GROUP_PREFIX)
                else None
            )
            if group is None:
                raise QuestionGroupNotFound("No such question group.")
            if group.status is not GroupStatus.OPEN:
                raise QuestionGroupClosed("This group is already answered or dismissed.")
            dismissed = msgspec.structs.replace(group, status=GroupStatus.DISMISSED, updated_at=self._clock.now())
            await uow.question_groups.update(dismissed)
            await uow.commit()
        return dismissed
