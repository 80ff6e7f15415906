"""The owner writes the answer to a question group: a Q&A pair with the group's phrasings."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.ids import is_id
from aioomi.domain.model.qa_pairs import MAX_ALTERNATIVES, QaPair, QaPairInput
from aioomi.domain.model.question_groups import (
    GROUP_PREFIX,
    GroupStatus,
    QuestionGroupClosed,
    QuestionGroupNotFound,
)
from aioomi.domain.model.workspaces import Permission, ensure_permitted
from aioomi.domain.usecases.add_qa_pair import AddQaPair
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class AnswerQuestionGroup:
    """Write the answer to an open group.

    Rules: the group's label is the pair's question and its other phrasings (at most 10) the
    pair's alternatives, with :class:`AddQaPair`'s rules; the group becomes ``answered`` with
    the pair's id, and later runs do not reopen it. Another account's group is not found; a
    group already answered or dismissed is ``question_group_closed``."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, add_pair: AddQaPair) -> None:
        self._uow = uow
        self._clock = clock
        self._add_pair = add_pair

    async def __call__(self, principal: Principal, group_id: str, answer: str) -> QaPair:
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
        pair = await self._add_pair(
            principal,
            group.agent_id,
            QaPairInput(question=group.label, answer=answer, alternatives=group.examples[1 : MAX_ALTERNATIVES + 1]),
        )
        async with self._uow(account_id=principal.workspace_id) as uow:
            await uow.question_groups.update(
                msgspec.structs.replace(
                    group, status=GroupStatus.ANSWERED, pair_id=pair.id, updated_at=self._clock.now()
                )
            )
            await uow.commit()
        return pair
