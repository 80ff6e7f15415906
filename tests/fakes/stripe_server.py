"""A fake Stripe API of our own, as a plain ASGI app: the official ``stripe`` SDK talks to it
over real HTTP (``StripeClient(key, base_addresses={"api": url, "meter_events": url})``).

It speaks what the SDK speaks — form-encoded v1 requests with bracket keys
(``line_items[0][price]=…``), JSON answers in Stripe's shapes, Stripe's error envelope,
``Idempotency-Key`` replay — for exactly the endpoints the adapter uses: customers, checkout
sessions, billing portal sessions, subscription retrieval and billing meter events. Tests
read what it received and set subscriptions' state directly.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

SECRET_KEY = "sk_test_aioomi_fake"


def unflatten(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """``a[b][0][c]=v`` → ``{"a": {"b": [{"c": "v"}]}}`` (Stripe's form encoding)."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node: Any = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            nxt_is_index = not last and parts[i + 1].isdigit()
            if isinstance(node, list):
                index = int(part)
                while len(node) <= index:
                    node.append({} if not nxt_is_index else [])
                if last:
                    node[index] = value
                else:
                    node = node[index]
            else:
                if last:
                    node[part] = value
                else:
                    node = node.setdefault(part, [] if nxt_is_index else {})
    return root


@dataclass
class Received:
    method: str
    path: str
    params: dict[str, Any]
    idempotency_key: str | None


@dataclass
class FakeStripe:
    """State of the fake; ``__call__`` is the ASGI app."""

    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    meter_events: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Received] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)
    """Statuses to answer the next requests with (one each), before any other handling."""
    _replays: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self._lock:
            for store in (self.customers, self.sessions, self.subscriptions, self.meter_events, self._replays):
                store.clear()
            self.requests.clear()
            self.failures.clear()

    # -- test helpers -------------------------------------------------------------------------
    def put_subscription(
        self,
        subscription_id: str,
        *,
        customer: str,
        prices: list[str],
        status: str = "active",
        account_id: str | None = None,
        period_start: int | None = None,
        period_end: int | None = None,
        cancel_at_period_end: bool = False,
    ) -> dict[str, Any]:
        start = period_start or int(time.time())
        end = period_end or start + 30 * 86400
        subscription = {
            "id": subscription_id,
            "object": "subscription",
            "customer": customer,
            "status": status,
            "cancel_at_period_end": cancel_at_period_end,
            "metadata": {"account_id": account_id} if account_id else {},
            "items": {
                "object": "list",
                "data": [
                    {
                        "id": f"si_{i}{subscription_id[-6:]}",
                        "object": "subscription_item",
                        "price": {"id": price, "object": "price"},
                        "current_period_start": start,
                        "current_period_end": end,
                    }
                    for i, price in enumerate(prices)
                ],
            },
            "livemode": False,
        }
        self.subscriptions[subscription_id] = subscription
        return subscription

    def meter_total(self, customer: str) -> int:
        return sum(
            int(e["payload"]["value"])
            for e in self.meter_events.values()
            if e["payload"]["stripe_customer_id"] == customer
        )

    def received(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]

    # -- the API ------------------------------------------------------------------------------
    def _error(self, status: int, message: str, code: str, param: str | None = None) -> tuple[int, dict[str, Any]]:
        kind = "invalid_request_error" if status < 500 else "api_error"
        return status, {"error": {"type": kind, "code": code, "message": message, "param": param}}

    def _handle(self, method: str, path: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        now = int(time.time())
        if method == "POST" and path == "/v1/customers":
            customer = {
                "id": f"cus_{secrets.token_hex(7)}",
                "object": "customer",
                "email": params.get("email"),
                "metadata": params.get("metadata", {}),
                "created": now,
                "livemode": False,
            }
            self.customers[customer["id"]] = customer
            return 200, customer
        if method == "POST" and path == "/v1/checkout/sessions":
            if params.get("customer") not in self.customers:
                return self._error(400, "No such customer", "resource_missing", "customer")
            if params.get("mode") != "subscription" or not params.get("line_items"):
                return self._error(400, "Subscription mode needs line items", "parameter_missing", "line_items")
            session_id = f"cs_test_{secrets.token_hex(12)}"
            session = {
                "id": session_id,
                "object": "checkout.session",
                "mode": params["mode"],
                "customer": params["customer"],
                "client_reference_id": params.get("client_reference_id"),
                "line_items": params["line_items"],
                "success_url": params.get("success_url"),
                "cancel_url": params.get("cancel_url"),
                "subscription_data": params.get("subscription_data", {}),
                "url": f"https://checkout.stripe.com/c/pay/{session_id}",
                "status": "open",
                "created": now,
                "livemode": False,
            }
            self.sessions[session_id] = session
            return 200, session
        if method == "POST" and path == "/v1/billing_portal/sessions":
            if params.get("customer") not in self.customers:
                return self._error(400, "No such customer", "resource_missing", "customer")
            session_id = f"bps_{secrets.token_hex(12)}"
            return 200, {
                "id": session_id,
                "object": "billing_portal.session",
                "customer": params["customer"],
                "return_url": params.get("return_url"),
                "url": f"https://billing.stripe.com/p/session/{session_id}",
                "created": now,
                "livemode": False,
            }
        if method == "GET" and (match := re.fullmatch(r"/v1/subscriptions/([^/]+)", path)):
            subscription = self.subscriptions.get(match[1])
            if subscription is None:
                return self._error(404, f"No such subscription: '{match[1]}'", "resource_missing", "id")
            return 200, subscription
        if method == "DELETE" and (match := re.fullmatch(r"/v1/subscriptions/([^/]+)", path)):
            subscription = self.subscriptions.get(match[1])
            if subscription is None:
                return self._error(404, f"No such subscription: '{match[1]}'", "resource_missing", "id")
            subscription["status"] = "canceled"
            return 200, subscription
        if method == "DELETE" and (match := re.fullmatch(r"/v1/customers/([^/]+)", path)):
            if self.customers.pop(match[1], None) is None:
                return self._error(404, f"No such customer: '{match[1]}'", "resource_missing", "id")
            return 200, {"id": match[1], "object": "customer", "deleted": True}
        if method == "POST" and path == "/v1/billing/meter_events":
            payload = params.get("payload") or {}
            if not params.get("event_name") or "stripe_customer_id" not in payload or "value" not in payload:
                return self._error(400, "event_name and payload are required", "parameter_missing")
            identifier = params.get("identifier") or f"fake_{secrets.token_hex(8)}"
            event = self.meter_events.setdefault(
                identifier,
                {  # an identifier counts once
                    "object": "billing.meter_event",
                    "event_name": params["event_name"],
                    "identifier": identifier,
                    "payload": payload,
                    "timestamp": int(params.get("timestamp") or now),
                    "created": now,
                    "livemode": False,
                },
            )
            return 200, event
        return self._error(404, f"Unrecognized request URL ({method}: {path})", "resource_missing")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        method, path = scope["method"], scope["path"]
        raw = body.decode() if method == "POST" else scope.get("query_string", b"").decode()
        params = unflatten(parse_qsl(raw, keep_blank_values=True))
        key = headers.get("idempotency-key")
        with self._lock:
            self.requests.append(Received(method=method, path=path, params=params, idempotency_key=key))
            if headers.get("authorization") != f"Bearer {SECRET_KEY}":
                status, answer = self._error(401, "Invalid API Key provided", "api_key_invalid")
            elif self.failures:
                status, answer = self._error(self.failures.pop(0), "Injected failure", "fake_failure")
            elif key is not None and key in self._replays:
                status, answer = self._replays[key]
            else:
                status, answer = self._handle(method, path, params)
                if key is not None and status < 500:
                    self._replays[key] = (status, answer)
        payload = json.dumps(answer).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json"), (b"request-id", b"req_fake")],
            }
        )
        await send({"type": "http.response.body", "body": payload})
