"""RequestAccountDeletion: Art. 17: erase the account."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

import msgspec

from aioomi.domain.model.accounts import Account, AccountStatus, Principal
from aioomi.domain.model.errors import AioomiError
from aioomi.domain.model.mail import EmailMessage
from aioomi.domain.model.privacy import (
    FRESH_SESSION,
    PrivacyState,
    ReauthenticationRequired,
    RightsAction,
    check_deletion_grace,
)
from aioomi.domain.model.secrets import hash_token
from aioomi.domain.usecases.privacy.support import _own_account, record
from aioomi.ports.billing import PaymentGateway
from aioomi.ports.clock import Clock
from aioomi.ports.mailer import Mailer
from aioomi.ports.password_hasher import PasswordHasher
from aioomi.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory


class DeletionScheduled(msgspec.Struct, frozen=True, kw_only=True):
    purge_after: datetime


class RequestAccountDeletion:
    """Art. 17: erase the account.

    Rules:
    - re-authentication: the password for an account that has one; else (Google only) a
      session opened in the last ``FRESH_SESSION`` (sign in with Google again first); an API
      key alone never erases an account;
    - at once: every session and API key revoked, the account ``deletion_pending`` (agents stop
      answering, sign-in refused), the Stripe subscription cancelled;
    - the worker purges everything after ``grace``: 0 to 30 days, anything else is refused
      when the use case is built (never clamped); until then a link e-mailed to the owner
      cancels the deletion;
    - the Stripe subscription is cancelled at once, best effort: an outage does not refuse the
      erasure (the purge cancels it and deletes the customer, retrying while Stripe is down);
      only that of the person's own workspace, and only while they are its only owner (one
      handed over to another owner keeps its subscription, as the purge keeps it whole);
    - audited (the audit log goes with the account at the purge).
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        hasher: PasswordHasher,
        gateway: PaymentGateway | None,
        mailer: Mailer,
        base_url: str,
        grace: Any,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._hasher = hasher
        self._gateway = gateway
        self._mailer = mailer
        self._base_url = base_url.rstrip("/")
        self._grace = check_deletion_grace(grace)

    async def __call__(self, principal: Principal, password: str | None) -> DeletionScheduled:
        now = self._clock.now()
        async with self._uow(account_id=principal.account_id) as uow:
            account = await _own_account(uow, principal.account_id)
            await self._reauthenticate(uow, account, principal, password, now)
            state = await uow.privacy.get_state(account.id) or PrivacyState(account_id=account.id)
            token = secrets.token_urlsafe(32)
            purge_after = now + self._grace
            state = msgspec.structs.replace(
                state,
                deletion_requested_at=now,
                purge_after=purge_after,
                cancel_token_hash=hash_token(token),
                status_before_deletion="restricted" if account.status is AccountStatus.RESTRICTED else "active",
            )
            await uow.privacy.save_state(state)
            await uow.accounts.update(account.schedule_deletion(now))
            await uow.sessions.revoke_all(account.id, now)
            await uow.api_keys.revoke_all(account.id, now)
            billing = await uow.billing.get_account(account.id)
            await record(uow, account.id, RightsAction.DELETION_REQUESTED, now, purge_after=purge_after.isoformat())
            await uow.commit()
        if self._gateway is not None and billing is not None and billing.subscription_id:
            async with self._uow(account_id=None) as uow:  # across workspaces: the system scope
                sole_owner = account.id in await uow.workspaces.solely_owned_by(account.id)
            if sole_owner:  # a workspace handed over to another owner keeps its subscription
                await cancel_subscription(self._gateway, billing.subscription_id)
        await self._mailer.send(
            EmailMessage(
                to=account.email,
                kind="deletion_scheduled",
                subject="Your Aioomi account will be deleted",
                text=(
                    f"Hello {account.full_name},\n\nYour account and its data will be deleted on "
                    f"{purge_after:%Y-%m-%d %H:%M} UTC. Changed your mind? Cancel before then:\n\n"
                    f"{self._base_url}/cancel-deletion?token={token}\n"
                ),
            )
        )
        return DeletionScheduled(purge_after=purge_after)

    async def _reauthenticate(
        self, uow: UnitOfWork, account: Account, principal: Principal, password: str | None, now: datetime
    ) -> None:
        if account.password_hash is not None:
            if not password or not await self._hasher.verify(account.password_hash, password):
                raise ReauthenticationRequired("Enter your current password to delete the account.")
            return
        if principal.session_id is None:
            raise ReauthenticationRequired("Sign in with Google again, then delete the account from that session.")
        sessions = {s.id: s for s in await uow.sessions.list_unrevoked(account.id)}
        session = sessions.get(principal.session_id)
        if session is None or now - session.created_at > FRESH_SESSION:
            raise ReauthenticationRequired(
                "Sign in with Google again (within the last 10 minutes) to delete the account."
            )


async def cancel_subscription(gateway: PaymentGateway, subscription_id: str) -> None:
    """Best effort at request time; the purge deletes the Stripe customer, which ends any
    subscription left."""
    try:
        await gateway.cancel_subscription(subscription_id)
    except AioomiError:
        pass  # gone already, or Stripe is down: the purge finishes it
