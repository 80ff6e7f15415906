"""What every way of adding knowledge shares (uploads, crawls, Q&A pairs): the account's plan
limits on documents and stored bytes, counted under the per-account lock (taken before the
knowledge-base lock, always in that order), and the page limit of a crawl."""

from __future__ import annotations

from aioomi.domain.model.billing import DocumentQuota, Plan, limits_documents
from aioomi.domain.model.sources import CRAWLED_KINDS, SourceKind, SourceLimits, SourceSettings, crawl_page_limit
from aioomi.ports.quota import PlanLimits
from aioomi.ports.unit_of_work import UnitOfWork


async def plan_of(plans: PlanLimits | None, account_id: str) -> Plan | None:
    """The account's plan while plans apply; ``None`` (no plan limits) otherwise. Read before
    the unit of work that writes, as uploads do."""
    return await plans.plan_limits(account_id) if plans is not None else None


async def lock_document_quota(uow: UnitOfWork, account_id: str, plan: Plan | None) -> DocumentQuota | None:
    """The account's documents and stored bytes against ``plan``, read under the per-account
    lock so concurrent additions to any of its agents count one after the other; ``None`` when
    the plan limits neither (then nothing is locked)."""
    if plan is None or not limits_documents(plan):
        return None
    await uow.agents.count_locked(account_id)
    totals = await uow.documents.account_totals(account_id)
    return DocumentQuota(plan=plan, documents=totals.documents, stored_bytes=totals.stored_bytes)


def page_limit_of(kind: SourceKind, settings: SourceSettings, plan: Plan | None, limits: SourceLimits) -> int | None:
    """The pages the next crawl of a source takes (``None`` for a source that is not crawled)."""
    if kind not in CRAWLED_KINDS:
        return None
    return crawl_page_limit(settings, plan, limits)
