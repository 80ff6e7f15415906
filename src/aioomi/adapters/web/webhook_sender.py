"""Posting signed webhooks with httpx under the URL guard.

Signatures follow the Standard Webhooks specification through its own package
(``standardwebhooks``): ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature``
(``v1,`` + base64 HMAC-SHA256 of ``id.timestamp.body`` keyed by the ``whsec_`` secret). The
connection goes to the address the guard checked (:meth:`HttpUrlFetcher.pinned_request`),
redirects are not followed (a 3xx is a failed attempt), the whole request has 10 s, and at
most a few KiB of the answer are read for the delivery log."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import httpx
from standardwebhooks.webhooks import Webhook

from aioomi.adapters.web.url_fetcher import HttpUrlFetcher, IPNetwork
from aioomi.domain.model.documents import UrlFetchFailed, UrlNotAllowed
from aioomi.domain.model.webhooks import RESPONSE_READ_BYTES, TIMEOUT_S, WebhookRequest, WebhookResponse, excerpt


def signed_headers(request: WebhookRequest) -> dict[str, str]:
    """The Standard Webhooks headers of ``request``."""
    signature = Webhook(request.secret).sign(request.message_id, request.timestamp, request.body)
    return {
        "webhook-id": request.message_id,
        "webhook-timestamp": str(int(request.timestamp.timestamp())),
        "webhook-signature": signature,
    }


class HttpWebhookTransport:
    """:class:`aioomi.ports.webhooks.WebhookTransport` with httpx. Only public addresses are
    reached, unless in ``allowed_networks`` (the same setting as URL imports)."""

    def __init__(
        self,
        *,
        allowed_networks: Sequence[IPNetwork] = (),
        timeout_s: float = TIMEOUT_S,
        user_agent: str = "Aioomi-Webhooks/1.0",
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._guard = HttpUrlFetcher(allowed_networks=allowed_networks, timeout_s=timeout_s, max_redirects=0)
        self._timeout_s = timeout_s
        self._user_agent = user_agent
        self._transport = transport

    async def check_url(self, url: str) -> None:
        async with httpx.AsyncClient(transport=self._transport, trust_env=False) as client:
            try:
                async with asyncio.timeout(self._timeout_s):
                    await self._guard.pinned_request(client, url, {})
            except TimeoutError:
                raise UrlNotAllowed("The address's name could not be resolved in time.") from None

    async def send(self, request: WebhookRequest) -> WebhookResponse:
        headers = {"Content-Type": "application/json", "User-Agent": self._user_agent, **signed_headers(request)}
        started = time.perf_counter()

        def answer(status: int | None, body: bytes = b"", error: str | None = None) -> WebhookResponse:
            return WebhookResponse(
                status_code=status,
                latency_ms=round((time.perf_counter() - started) * 1000),
                excerpt=excerpt(body),
                error=error,
            )

        try:
            async with (
                asyncio.timeout(self._timeout_s),
                httpx.AsyncClient(
                    follow_redirects=False,
                    timeout=self._timeout_s,
                    transport=self._transport,
                    trust_env=False,
                ) as client,
            ):
                pinned = await self._guard.pinned_request(
                    client, request.url, headers, method="POST", content=request.body
                )
                response = await client.send(pinned, stream=True)
                try:
                    body = bytearray()
                    async for piece in response.aiter_bytes():
                        body.extend(piece)
                        if len(body) >= RESPONSE_READ_BYTES:
                            break
                finally:
                    await response.aclose()
                return answer(response.status_code, bytes(body))
        except UrlNotAllowed:
            return answer(None, error="The address is not allowed (only public addresses are called).")
        except httpx.TimeoutException:
            return answer(None, error=f"No answer within {self._timeout_s:g} s.")
        except (UrlFetchFailed, httpx.HTTPError):
            return answer(None, error="The endpoint could not be reached.")
        except TimeoutError:
            return answer(None, error=f"No answer within {self._timeout_s:g} s.")
