"""Fetching one web page or file for the knowledge base."""

from __future__ import annotations

from typing import Protocol

from aioomi.domain.model.documents import FetchedResource


class UrlFetcher(Protocol):
    """Fetches an ``http(s)://`` address with limits on size, time and content type, and
    refuses loopback, private, link-local and other non-public addresses at every redirect
    hop (:class:`~aioomi.domain.model.documents.UrlNotAllowed`). Other failures leave as
    :class:`~aioomi.domain.model.documents.UrlFetchFailed` (or
    :class:`~aioomi.domain.model.documents.DocumentTooLarge` over ``max_bytes``)."""

    async def fetch(self, url: str, *, max_bytes: int) -> FetchedResource: ...
