"""Billing (plans, checkout, portal, usage against allowance, agent caps), the usage report,
and Stripe's webhook endpoint."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, HeaderParameter, JSONBody

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.billing import InvalidWebhook
from aioomi.domain.usecases.billing.get_billing_overview import GetBillingOverview
from aioomi.domain.usecases.billing.list_plans import ListPlans
from aioomi.domain.usecases.billing.open_billing_portal import OpenBillingPortal
from aioomi.domain.usecases.billing.receive_stripe_event import ReceiveStripeEvent
from aioomi.domain.usecases.billing.set_agent_token_cap import SetAgentTokenCap
from aioomi.domain.usecases.billing.start_checkout import StartCheckout
from aioomi.domain.usecases.usage.get_usage_report import GetUsageReport
from aioomi.entrypoints.http.auth import provide_principal
from aioomi.entrypoints.http.date_range import From, To, parse_range
from aioomi.entrypoints.http.problems import problem_response, problems
from aioomi.entrypoints.http.schemas_billing import (
    BillingUsageOut,
    CheckoutCreate,
    PlanList,
    PlanOut,
    RedirectOut,
    TokenCap,
    UsageList,
    UsageRow,
    WebhookAck,
)

AUTHENTICATED = {"principal": Provide(provide_principal)}
IdempotencyKey = Annotated[
    str | None, HeaderParameter(name="Idempotency-Key", required=False, min_length=1, max_length=200)
]


class BillingController(Controller):
    path = "/api/v1/billing"
    tags = ["billing"]
    dependencies = AUTHENTICATED

    @get("/plans", summary="The plans on offer, with their allowances (no sign-in needed)")
    async def list_plans(self, list_plans: NamedDependency[ListPlans]) -> PlanList:
        offer = await list_plans()
        return PlanList(
            data=[PlanOut.of(p) for p in offer.plans],
            billing_enabled=offer.billing_enabled,
            plans_apply=offer.plans_apply,
        )

    @post(
        "/checkout",
        status_code=201,
        summary="Start a subscription: a Stripe Checkout URL to send the owner to",
        responses=problems(401, 403, 404, 409, 503),
    )
    async def checkout(
        self,
        start_checkout: NamedDependency[StartCheckout],
        principal: NamedDependency[Principal],
        data: JSONBody[CheckoutCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> RedirectOut:
        return RedirectOut(url=await start_checkout(principal, data.plan_id, idempotency_key))

    @post(
        "/portal",
        status_code=201,
        summary="Open the Stripe Customer Portal (invoices, card, plan, cancelling)",
        responses=problems(401, 403, 404, 409, 503),
    )
    async def portal(
        self, open_billing_portal: NamedDependency[OpenBillingPortal], principal: NamedDependency[Principal]
    ) -> RedirectOut:
        return RedirectOut(url=await open_billing_portal(principal))

    @get(
        "/usage",
        summary="This month's usage against the plan's allowance, agent caps and billing records",
        responses=problems(401, 403),
    )
    async def usage(
        self, get_billing_overview: NamedDependency[GetBillingOverview], principal: NamedDependency[Principal]
    ) -> BillingUsageOut:
        return BillingUsageOut.of(await get_billing_overview(principal))

    @put(
        "/agents/{agent_id:str}/token-cap",
        summary="Set (or with null remove) an agent's hard monthly token cap",
        responses=problems(401, 403, 404),
    )
    async def set_token_cap(
        self,
        set_agent_token_cap: NamedDependency[SetAgentTokenCap],
        principal: NamedDependency[Principal],
        agent_id: FromPath[str],
        data: JSONBody[TokenCap],
    ) -> TokenCap:
        await set_agent_token_cap(principal, agent_id, data.monthly_tokens)
        return data


class UsageController(Controller):
    path = "/api/v1/usage"
    tags = ["usage"]
    dependencies = AUTHENTICATED

    @get(
        "/",
        summary="Token usage per day (UTC), agent and model over a date range (both ends included)",
        responses=problems(401, 403),
    )
    async def usage(
        self,
        get_usage_report: NamedDependency[GetUsageReport],
        principal: NamedDependency[Principal],
        date_from: From = None,
        date_to: To = None,
    ) -> UsageList:
        since, until = parse_range(date_from, date_to)
        end = until or datetime.combine(datetime.now(UTC).date() + timedelta(days=1), time(), UTC)
        start = since or end - timedelta(days=30)
        first, last = start.date(), (end - timedelta(microseconds=1)).date()
        totals = await get_usage_report(principal, start, end)
        return UsageList(
            data=[
                UsageRow(
                    day=t.day,
                    agent_id=t.agent_id,
                    model=t.model,
                    calls=t.calls,
                    prompt_tokens=t.prompt_tokens,
                    completion_tokens=t.completion_tokens,
                    total_tokens=t.tokens,
                )
                for t in totals
            ],
            from_=first,
            to=last,
        )


class StripeWebhookController(Controller):
    path = "/webhooks/stripe"
    tags = ["webhooks"]

    @post(
        "/",
        status_code=200,
        summary="Stripe events: verified on the raw body, stored, processed by the worker",
        responses=problems(400, 404, 503),
    )
    async def receive(
        self, receive_stripe_event: NamedDependency[ReceiveStripeEvent], request: Request[Any, Any, Any]
    ) -> Response[Any]:
        body = await request.body()
        try:
            received = await receive_stripe_event(body, request.headers.get("stripe-signature"))
        except InvalidWebhook as error:
            return problem_response(request, status=400, code=error.code, title=error.title, detail=error.detail)
        worker = getattr(request.app.state, "worker", None)
        if worker is not None and received.handled and not received.duplicate:
            worker.notify()
        return Response(WebhookAck(received=True, duplicate=received.duplicate), status_code=200)
