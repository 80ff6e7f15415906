"""A chat turn's curated answer: the owner's pair that matches the visitor's question."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from aioomi.domain.model.agents import Agent
from aioomi.domain.model.chat import Passage
from aioomi.domain.model.curated import CuratedCandidate, CuratedMode, CuratedSettings, best_match, promote
from aioomi.domain.model.qa_pairs import QaPair
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class CuratedChoice(msgspec.Struct, frozen=True, kw_only=True):
    """What the turn does with the owner's pairs: ``served`` is the pair whose answer is the
    turn's answer (no model call); otherwise ``passages`` go to the model, a matching pair's
    first."""

    served: QaPair | None = None
    passages: tuple[Passage, ...] = ()


class MatchCuratedAnswer:
    """Choose how a turn uses the owner's curated answers.

    Rules:
    - a pair matches when a retrieved passage of its document has a relevance (the calibrated
      0–1 scale of the relevance gate) at or above the agent's threshold (default 0.8);
    - in ``direct`` mode the best match (most relevant; ties: the smaller pair id) is served as
      it is, and the model is not called; in ``passage`` mode (the default) the matching pairs'
      passages go first to the model, the others follow in their order;
    - no match, or no relevance known: the passages are left as they are;
    - the pairs are read only when a match is possible: ``known`` (the settings and whether the
      agent has any pair, which a chat turn reads with its one read) rules it out when the agent
      has no pair or no passage reaches the threshold.
    """

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(
        self, agent: Agent, passages: Sequence[Passage], *, known: tuple[CuratedSettings | None, bool] | None = None
    ) -> CuratedChoice:
        if not any(p.relevance is not None for p in passages):
            return CuratedChoice(passages=tuple(passages))  # nothing could match: no read
        if known is not None:
            settings, has_pairs = known[0] or CuratedSettings(), known[1]
            if not has_pairs or not any(
                p.relevance is not None and p.relevance >= settings.threshold for p in passages
            ):
                return CuratedChoice(passages=tuple(passages))  # nothing can match: no read
        async with self._uow(account_id=agent.account_id, read_only=True) as uow:
            stored, found = await uow.curated_settings.lookup(
                agent.account_id, agent.id, [p.document_id for p in passages]
            )
        settings = stored or CuratedSettings()
        pairs = {pair.id: pair for pair in found}
        candidates = [
            CuratedCandidate(pair_id=p.document_id, relevance=p.relevance)
            for p in passages
            if p.document_id in pairs and p.relevance is not None
        ]
        best = best_match(candidates, settings.threshold)
        if best is None:
            return CuratedChoice(passages=tuple(passages))
        if settings.mode is CuratedMode.DIRECT:
            return CuratedChoice(served=pairs[best.pair_id], passages=tuple(passages))
        return CuratedChoice(passages=tuple(promote(passages, lambda p: p.document_id in pairs)))
