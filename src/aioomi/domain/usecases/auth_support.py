"""Steps several sign-in use cases share: enforcing a rate limit, opening a session, mailing a link."""

from __future__ import annotations

from datetime import datetime

import msgspec

from aioomi.domain.model.accounts import Account, OneTimeToken, OwnerSession, SessionPolicy, TokenPurpose, TrustedDevice
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
    """A new owner session: ``token`` goes into the cookie and is never stored;
    ``device_token``, when set, goes into the device cookie (see :func:`trust_device`)."""

    account: Account
    session: OwnerSession
    token: str
    device_token: str | None = None


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
        authenticated_at=now,
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
    restore_email: str | None = None,
    replace_older: bool = True,
) -> str:
    """A fresh single-use token for ``purpose``; older open ones of that purpose stop working
    unless ``replace_older`` is False (cancel links: a later change must not void them)."""
    if replace_older:
        await uow.tokens.invalidate(account_id, purpose, now)
    token = new_token()
    lifetime = policy.link_lifetime(purpose)
    await uow.tokens.add(
        OneTimeToken(
            id=new_id("tok"),
            account_id=account_id,
            purpose=purpose,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + lifetime,
            new_email=new_email,
            restore_email=restore_email,
        )
    )
    return token


async def trusted_device(
    uow: UnitOfWork, device_token: str | None, account: Account | None, now: datetime
) -> TrustedDevice | None:
    """The trusted device a device cookie names, if it was trusted by ``account`` and has not expired."""
    if not device_token or account is None:
        return None
    device = await uow.devices.find_by_token_hash(hash_token(device_token))
    if device is None or device.account_id != account.id or device.expires_at <= now:
        return None
    return device


async def trust_device(uow: UnitOfWork, account: Account, now: datetime, policy: SessionPolicy) -> str:
    """Remember this browser as one that signed in to ``account``; the token goes in its cookie."""
    token = new_token()
    await uow.devices.add(
        TrustedDevice(
            id=new_id("dev"),
            account_id=account.id,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + policy.trusted_device_lifetime,
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
