"""A workspace's processing state, derived from its owners (issue 21, "A person and a workspace"
in docs/privacy.md).

A person's privacy choices (restriction, objection, erasure) are made on their account; the
tenant is the workspace. The one rule linking the two: a workspace serves (the widget, ``/v1``,
ingestion, crawls, sending data to OpenAI) while **at least one owner** is active; it is
restricted when no owner is active and at least one is restricted; it is closing (answered like
an owner's pending deletion) when every owner is pending deletion or gone. Members who are not
owners do not decide the workspace's state.

The request log's analytics follow the same shape: a workspace's entries keep the workspace id
and the IP only while at least one owner is active and has neither objected nor restricted.

Adapters read the owners' statuses (one statement on Postgres) and pass them to these pure
functions; nothing else decides.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

import msgspec

from aioomi.domain.model.accounts import AccountStatus
from aioomi.domain.model.chat import owner_unavailable


class WorkspaceStatus(enum.StrEnum):
    SERVING = "serving"
    """At least one owner is active."""
    RESTRICTED = "restricted"
    """No owner is active, at least one is restricted: data kept, nothing processed."""
    CLOSING = "closing"
    """Every owner is pending deletion, or the workspace has no owner account at all."""


def workspace_status(owner_statuses: Iterable[AccountStatus]) -> WorkspaceStatus:
    """The workspace's processing state from its owners' account statuses (one per owner)."""
    statuses = set(owner_statuses)
    if AccountStatus.ACTIVE in statuses:
        return WorkspaceStatus.SERVING
    if AccountStatus.RESTRICTED in statuses:
        return WorkspaceStatus.RESTRICTED
    return WorkspaceStatus.CLOSING


def ensure_workspace_serves(owner_statuses: Iterable[AccountStatus]) -> None:
    """Raise ``agent_restricted`` unless the workspace serves: the visitor is told the assistant
    is paused at its owner's request (restricted) or closing (every owner being erased)."""
    status = workspace_status(owner_statuses)
    if status is not WorkspaceStatus.SERVING:
        raise owner_unavailable(status is WorkspaceStatus.CLOSING)


class OwnerContact(msgspec.Struct, frozen=True, kw_only=True):
    """Whom a workspace's notices reach: one owner whose account is active and whose e-mail is
    verified (``WorkspaceRepository.owner_contacts``)."""

    account_id: str
    email: str
    full_name: str

    @property
    def greeting_name(self) -> str:
        return self.full_name or self.email


class OwnerAnalytics(msgspec.Struct, frozen=True, kw_only=True):
    """What the request-log rule needs of one owner."""

    status: AccountStatus
    objected: bool
    restricted: bool


def request_log_may_name(owners: Iterable[OwnerAnalytics]) -> bool:
    """Whether a workspace's request-log entries keep its id and the client's IP: while at least
    one owner is active and has neither objected nor restricted processing. Otherwise the entry
    is written (and kept) without workspace and IP."""
    return any(o.status is AccountStatus.ACTIVE and not o.objected and not o.restricted for o in owners)


def request_log_swept(owners: Iterable[OwnerAnalytics]) -> bool:
    """Whether the ``analytics_opt_out`` sweep (and an owner's objection or restriction, at once)
    anonymises the workspace's entries already written: when no owner may be analysed, unless
    every owner is being erased — the purge then deletes the workspace's entries by its id, which
    an entry already anonymised would escape (its agent id would outlive the erasure)."""
    found = list(owners)
    return not request_log_may_name(found) and any(o.status is not AccountStatus.DELETION_PENDING for o in found)
