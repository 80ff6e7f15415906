"""What the privacy use cases share."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import msgspec

from aioomi.domain.model.accounts import Account
from aioomi.domain.model.agents import Agent
from aioomi.domain.model.chat import ChatMessage, ChatSession
from aioomi.domain.model.errors import NotFound
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.leads import Lead
from aioomi.domain.model.pagination import PageKey
from aioomi.domain.model.privacy import (
    AuditEvent,
    RightsAction,
)
from aioomi.domain.model.workspace_state import WorkspaceStatus, workspace_status
from aioomi.domain.model.workspaces import Role
from aioomi.ports.privacy import OperationalRecords
from aioomi.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

_PAGE = 200


async def record(uow: UnitOfWork, account_id: str, action: RightsAction, at: datetime, **detail: Any) -> None:
    """Add a rights action to the account's audit log, in the caller's transaction."""
    await uow.privacy.add_event(
        AuditEvent(id=new_id("aud"), account_id=account_id, action=str(action), at=at, detail=detail)
    )


async def _own_account(uow: UnitOfWork, account_id: str) -> Account:
    account = await uow.accounts.get(account_id)
    if account is None:
        raise NotFound("No such account.", code="account_not_found")
    return account


async def processing_allowed(uow: UnitOfWork, workspace_id: str) -> bool:
    """Whether the workspace's data may be processed beyond keeping it: the workspace serves
    (:func:`~aioomi.domain.model.workspace_state.workspace_status`: at least one owner active;
    not when every owner is restricted or being erased, nor when no owner is left)."""
    return workspace_status(await uow.workspaces.owner_statuses(workspace_id)) is WorkspaceStatus.SERVING


async def owned_workspaces(uow_factory: UnitOfWorkFactory, account_id: str) -> list[str]:
    """The workspaces the person owns (system scope): those whose state their restriction,
    objection or erasure can change (``workspace_state``)."""
    async with uow_factory(account_id=None, read_only=True) as uow:
        memberships = await uow.workspaces.memberships_of(account_id)
    return [m.workspace_id for m in memberships if m.role is Role.OWNER]


async def quiet_request_logs(uow_factory: UnitOfWorkFactory, records: OperationalRecords, account_id: str) -> None:
    """After the person objected or restricted: anonymise at once the request log of each
    workspace they own that no longer has an owner who may be analysed (``request_log_may_name``)."""
    owned = await owned_workspaces(uow_factory, account_id)
    if not owned:
        return
    async with uow_factory(account_id=None, read_only=True) as uow:
        quiet = await uow.privacy.analytics_opt_outs_among(owned)
    if quiet:
        await records.anonymize_request_log(sorted(quiet))


class ExportedConversation(ChatSession, frozen=True, kw_only=True):
    """A chat session with its messages, as the owner's export and the visitor export write it."""

    messages: list[ChatMessage]


class ExportedLead(msgspec.Struct, frozen=True, kw_only=True):
    """A lead a visitor left, in the visitor export."""

    lead: Lead


async def _agent_conversations(
    uow: UnitOfWork, account_id: str, agent_id: str, visitor_id: str | None = None
) -> list[ExportedConversation]:
    out: list[ExportedConversation] = []
    if visitor_id is not None:
        sessions = await uow.chat_sessions.list_for_visitor(account_id, agent_id, visitor_id, limit=100_000)
    else:
        sessions, after = [], None
        while True:
            page = await uow.chat_sessions.list_for_agent(account_id, agent_id, limit=_PAGE, after=after)
            sessions.extend(page)
            if len(page) < _PAGE:
                break
            after = PageKey(created_at=page[-1].created_at, id=page[-1].id)
    for session in sessions:
        messages = await uow.chat_messages.list_for_session(account_id, session.id)
        out.append(ExportedConversation(**msgspec.structs.asdict(session), messages=messages))
    return out


async def every_agent(uow: UnitOfWork, account_id: str) -> AsyncIterator[Agent]:
    """Every agent of the account, fetched a page of ``_PAGE`` at a time (oldest first)."""
    after: PageKey | None = None
    while True:
        agents = await uow.agents.list_page(account_id, limit=_PAGE, after=after)
        for agent in agents:
            yield agent
        if len(agents) < _PAGE:
            return
        after = PageKey(created_at=agents[-1].created_at, id=agents[-1].id)


# What a job returns when the owner's processing is restricted (or the account is being erased):
# the job is done, nothing was processed; lifting the restriction queues the work again.
DEFERRED_WHILE_RESTRICTED = {"deferred": "processing_restricted"}
