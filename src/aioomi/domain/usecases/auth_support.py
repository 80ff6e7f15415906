"""Steps several sign-in use cases share: enforcing a rate limit, opening a session, mailing a link."""

from __future__ import annotations

from datetime import datetime

import msgspec

from aioomi.domain.model.accounts import Account, OneTimeToken, OwnerSession, SessionPolicy, TokenPurpose
from aioomi.domain.model.errors import RateLimited
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.links import Links
from aioomi.domain.model.mail import EmailMessage
from aioomi.domain.model.rate_limits import RateLimit
from aioomi.domain.model.secrets import hash_token, new_token
from aioomi.ports.rate_limiter import RateLimiter
from aioomi.ports.unit_of_work import UnitOfWork


class ClientInfo(msgspec.Struct, frozen=True, kw_only=True):
    """What the policy calls technical data: recorded on sessions and shown to the owner."""

    ip: str | None = None
    user_agent: str | None = None


class SignedIn(msgspec.Struct, frozen=True, kw_only=True):
    """A new owner session: ``token`` goes into the cookie and is never stored."""

    account: Account
    session: OwnerSession
    token: str


async def enforce(limiter: RateLimiter, rule: RateLimit, key: str) -> None:
    decision = await limiter.hit(rule, key)
    if not decision.allowed:
        raise RateLimited("Too many attempts; wait a moment and try again.", retry_after_s=decision.retry_after_s)


async def open_session(
    uow: UnitOfWork, account: Account, now: datetime, policy: SessionPolicy, client: ClientInfo
) -> SignedIn:
    token = new_token()
    session = OwnerSession(
        id=new_id("lgn"),
        account_id=account.id,
        token_hash=hash_token(token),
        csrf_token=new_token(24),
        created_at=now,
        last_seen_at=now,
        expires_at=now + policy.absolute_lifetime,
        ip=client.ip,
        user_agent=(client.user_agent or "")[:500] or None,
    )
    await uow.sessions.add(session)
    return SignedIn(account=account, session=session, token=token)


async def issue_link_token(
    uow: UnitOfWork,
    account_id: str,
    purpose: TokenPurpose,
    now: datetime,
    policy: SessionPolicy,
    *,
    new_email: str | None = None,
) -> str:
    """A fresh single-use token for ``purpose``; older open ones of that purpose stop working."""
    await uow.tokens.invalidate(account_id, purpose, now)
    token = new_token()
    lifetime = policy.reset_link if purpose is TokenPurpose.RESET_PASSWORD else policy.verification_link
    await uow.tokens.add(
        OneTimeToken(
            id=new_id("tok"),
            account_id=account_id,
            purpose=purpose,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + lifetime,
            new_email=new_email,
        )
    )
    return token


def verification_email(to: str, full_name: str, token: str, links: Links, policy: SessionPolicy) -> EmailMessage:
    """The message that carries an email-verification link (sign-up and re-sends alike)."""
    hours = int(policy.verification_link.total_seconds() // 3600)
    return EmailMessage(
        to=to,
        kind="verify_email",
        subject="Confirm your email for Aioomi",
        text=(
            f"Hello {full_name},\n\nConfirm your email address to start using Aioomi:\n\n"
            f"{links.verify_email(token)}\n\nThe link works once and expires in {hours} hours.\n"
        ),
    )
