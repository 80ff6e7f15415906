"""The PublishPolicyVersion use case."""

from __future__ import annotations

from datetime import date

from aioomi.domain.model.privacy import (
    PolicyVersion,
    check_policy_publication,
    check_policy_text,
)
from aioomi.domain.usecases.privacy.policy_versions_support import PolicyVersionsCache
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class PublishPolicyVersion:
    """An operator publishes a material change. Rules: the effective date is at least 30 days
    away and after every published version; the version is named by its effective date and
    holds the policy's full text (Markdown, what ``/privacy`` shows); the worker then e-mails
    every account not being deleted; this process's pages show it at once (the cached list of
    versions is emptied)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, cache: PolicyVersionsCache | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self._cache = cache

    async def __call__(self, effective_on: date, summary: str = "", body: str = "") -> PolicyVersion:
        now = self._clock.now()
        check_policy_text(body)
        async with self._uow(account_id=None) as uow:
            existing = await uow.privacy.list_policy_versions()
            check_policy_publication(effective_on, now.date(), existing)
            version = PolicyVersion(
                version=effective_on.isoformat(),
                effective_on=effective_on,
                published_at=now,
                summary=summary[:2000],
                body=body,
            )
            await uow.privacy.save_policy_version(version)
            await uow.commit()
        if self._cache is not None:
            self._cache.forget()
        return version
