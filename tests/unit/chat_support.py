"""Helpers for the chat tests: an allowance that can be used up and AnswerChat built on the memory
adapters; the stored owner and agent and the passage search over a fixed list come from
`testkit.builders` (shared with the benches) and are re-exported here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from testkit.builders import NOW as NOW
from testkit.builders import ListSearch as ListSearch
from testkit.builders import account as account
from testkit.builders import agent_for as agent_for
from testkit.builders import store as store

from aioomi.adapters.memory.chat_model import ScriptedChatModel
from aioomi.domain.model.usage import QuotaExceeded
from aioomi.domain.usecases.answer_chat import AnswerChat

VISITOR = "visitor-0123456789abcdef"


@dataclass
class SwitchAllowance:
    exhausted: bool = False

    async def check(self, account_id: str, agent_id: str, *, uow: object = None) -> None:
        if self.exhausted:
            raise QuotaExceeded("Allowance used up.")

    reads_billing = False

    def decide(self, billing: object, state: object) -> None:
        if self.exhausted:
            raise QuotaExceeded("Allowance used up.")


def answer_chat(
    container: Any,
    model: ScriptedChatModel,
    search: ListSearch,
    allowance: SwitchAllowance | None = None,
    **options: Any,
) -> AnswerChat:
    return AnswerChat(container.uow(), container.clock(), model, search, allowance or SwitchAllowance(), **options)
