"""PreviewEmailLink: which address an e-mailed link is about, before anyone follows it."""

from __future__ import annotations

import msgspec

from aioomi.domain.model.accounts import TokenPurpose
from aioomi.domain.model.secrets import hash_token
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class EmailLinkPreview(msgspec.Struct, frozen=True, kw_only=True):
    account_id: str
    purpose: TokenPurpose
    email: str
    """The address the link confirms (the new one for an email change)."""


class PreviewEmailLink:
    """Name the address a confirmation link is for, so the page can show it (a link someone
    else sent names their address, not yours).

    Rules: reads without using the token up; an unknown, used or expired token previews as
    nothing; only confirmation links (sign-up and email change) are previewed.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, token: str) -> EmailLinkPreview | None:
        async with self._uow(account_id=None) as uow:
            found = await uow.tokens.peek(hash_token(token), self._clock.now())
            if found is None or found.purpose not in (TokenPurpose.VERIFY_EMAIL, TokenPurpose.CHANGE_EMAIL):
                return None
            account = await uow.accounts.get(found.account_id)
        if account is None:
            return None
        email = found.new_email if found.purpose is TokenPurpose.CHANGE_EMAIL and found.new_email else account.email
        return EmailLinkPreview(account_id=account.id, purpose=found.purpose, email=email)
