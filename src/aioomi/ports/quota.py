"""The quota check the chat path calls before it spends tokens, and the plan limits that
agent creation and uploads check."""

from __future__ import annotations

from typing import Protocol

from aioomi.domain.model.billing import BillingAccount, Plan
from aioomi.domain.model.usage import AllowanceState
from aioomi.ports.unit_of_work import UnitOfWork


class UsageAllowance(Protocol):
    """Decides from local state only (never a call to the payment provider), so it is cheap
    enough for every chat turn."""

    async def check(self, account_id: str, agent_id: str, *, uow: UnitOfWork | None = None) -> None:
        """Return if the account may spend more on ``agent_id`` this period; raise
        :class:`~aioomi.domain.model.usage.QuotaExceeded` when the plan's allowance or the
        agent's cap is used up. ``uow``: read in the caller's open unit of work (scoped to
        ``account_id``) instead of one of its own: a chat turn reads it with its session."""
        ...

    @property
    def reads_billing(self) -> bool:
        """Whether :meth:`decide` needs the account's billing state (else ``None`` will do)."""
        ...

    def decide(self, billing: BillingAccount | None, state: AllowanceState) -> None:
        """:meth:`check` on state the caller read itself (a chat turn reads it with its
        session, in one round trip: :class:`aioomi.ports.chat.ChatTurnReader`)."""
        ...


class PlanLimits(Protocol):
    """The account's plan, from local state only (never a call to the payment provider)."""

    async def plan_limits(self, account_id: str) -> Plan | None:
        """The plan whose ``max_agents``, ``max_documents`` and ``max_storage_mb`` hold for the
        account now (the subscribed plan while paid or in grace, else free), or ``None`` when
        billing is off and no plan limits apply."""
        ...
