"""RefreshLexicalImpacts: keep the lexical index's reading order true as knowledge bases grow."""

from __future__ import annotations

from aioomi.ports.chunk_store import LexicalIndexMaintenance

BATCH = 50


class RefreshLexicalImpacts:
    """Recompute the term impacts of every lexical index whose reference average length is
    missing (data indexed before migration 0016) or has drifted past the bound.

    Rules: a score never depends on the impacts (they only order the capped reading of a very
    common term's postings), so searches run throughout; each index is rewritten a page of
    chunks per transaction under its agent's write lock; idempotent and safe from several
    workers (a second run finds nothing stale, or rewrites the same values). Returns how many
    indexes were refreshed.
    """

    def __init__(self, chunk_store: LexicalIndexMaintenance) -> None:
        self._store = chunk_store

    async def __call__(self) -> int:
        refreshed = 0
        while True:
            stale = await self._store.stale_lexical_indexes(limit=BATCH)
            for key in stale:
                await self._store.refresh_lexical_impacts(key)
            refreshed += len(stale)
            if len(stale) < BATCH:
                return refreshed
