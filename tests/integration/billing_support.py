"""Helpers for the billing tests: the app wired to the fake Stripe server, webhook delivery,
and direct reads of the billing tables."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from aioomi.container import Container
from aioomi.entrypoints.worker.jobs import build_worker
from tests.fakes.stripe_fixtures import WEBHOOK_SECRET, ServedFakeStripe, sign
from tests.integration.accounts_support import App, serve

PLANS = [
    {"id": "free", "name": "Free", "monthly_messages": 3, "monthly_tokens": 1000, "max_agents": 1},
    {
        "id": "pro",
        "name": "Pro",
        "monthly_messages": 1000,
        "monthly_tokens": 5000,
        "max_agents": 5,
        "price_id": "price_pro",
        "metered_price_id": "price_pro_tokens",
        "amount_minor": 4900,
    },
    {
        "id": "business",
        "name": "Business",
        "monthly_tokens": 100000,
        "price_id": "price_business",
        "amount_minor": 29900,
    },
]


@asynccontextmanager
async def billing_app(
    backend: str,
    data_dir: Path,
    conninfo: str | None,
    stripe: ServedFakeStripe | None,
    *,
    configure: Callable[[Container], None] | None = None,
) -> AsyncIterator[App]:
    overrides: dict[str, Any] = {"billing_plans": json.dumps(PLANS)}
    if stripe is not None:
        overrides |= {
            "stripe_secret_key": stripe.secret_key,
            "stripe_webhook_secret": WEBHOOK_SECRET,
            "stripe_api_base": stripe.base_url,
        }
    async with serve(backend, data_dir, conninfo, configure=configure, **overrides) as app:
        yield app


async def deliver(app: App, body: bytes, signature: str | None = None) -> Any:
    return await app.client.post(
        "/webhooks/stripe",
        content=body,
        headers={
            "stripe-signature": signature if signature is not None else sign(body),
            "content-type": "application/json",
        },
    )


async def run_jobs(app: App) -> None:
    await build_worker(app.container).run_until_idle()


async def rows(app: App, query: str, *params: Any) -> list[dict[str, Any]]:
    """Read as the database owner (no row-level security in the way)."""
    assert app.conninfo is not None
    async with await psycopg.AsyncConnection.connect(app.conninfo, autocommit=True) as conn:
        cur = conn.cursor(row_factory=dict_row)
        await cur.execute(query, params)
        return await cur.fetchall()
