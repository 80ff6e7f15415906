"""Curated-answer settings on Postgres (``agent_curated_answers``, migration 0032)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
from psycopg.rows import dict_row

from aioomi.adapters.postgres.errors import translated_errors
from aioomi.adapters.postgres.repository import PostgresRepository
from aioomi.domain.model.curated import CuratedMode, CuratedSettings
from aioomi.domain.model.qa_pairs import QaPair

_PAIR = "id, account_id, agent_id, source_id, question, answer, alternatives, created_at, updated_at"


# The agent's settings (parameters: account, agent); also sent with a chat turn's one read.
SETTINGS = "SELECT mode, threshold FROM agent_curated_answers WHERE account_id = %s AND agent_id = %s"
# Whether the agent has any pair (a chat turn's read: no pair, no look-up after the search).
HAS_PAIRS = "SELECT EXISTS (SELECT 1 FROM qa_pairs WHERE account_id = %s AND agent_id = %s) AS has_pairs"


def settings_of(row: dict[str, Any]) -> CuratedSettings:
    # real is single precision: round back to the owner's few decimals.
    return CuratedSettings(mode=CuratedMode(row["mode"]), threshold=round(float(row["threshold"]), 6))


class PostgresCuratedSettingsRepository(PostgresRepository):
    """:class:`aioomi.ports.curated.CuratedSettingsRepository` on ``agent_curated_answers``."""

    async def get(self, account_id: str, agent_id: str) -> CuratedSettings | None:
        rows = await self._rows(
            "SELECT mode, threshold FROM agent_curated_answers WHERE account_id = %s AND agent_id = %s",
            (account_id, agent_id),
        )
        return settings_of(rows[0]) if rows else None

    async def lookup(
        self,
        account_id: str,
        agent_id: str,
        document_ids: Sequence[str],
    ) -> tuple[CuratedSettings | None, list[QaPair]]:
        # Both statements sent together and answered together (pipeline mode): one round trip.
        with translated_errors():
            async with self._conn.pipeline():
                settings = self._conn.cursor(row_factory=dict_row)
                await settings.execute(
                    "SELECT mode, threshold FROM agent_curated_answers WHERE account_id = %s AND agent_id = %s",
                    (account_id, agent_id),
                )
                pairs = self._conn.cursor(row_factory=dict_row)
                await pairs.execute(
                    f"SELECT {_PAIR} FROM qa_pairs WHERE account_id = %s AND agent_id = %s AND id = ANY(%s) ORDER BY id",
                    (account_id, agent_id, sorted(set(document_ids))),
                )
            setting_rows = await settings.fetchall()
            pair_rows = await pairs.fetchall()
        return (
            settings_of(setting_rows[0]) if setting_rows else None,
            [msgspec.convert(row, QaPair) for row in pair_rows],
        )

    async def put(self, account_id: str, agent_id: str, settings: CuratedSettings) -> None:
        await self._execute(
            "INSERT INTO agent_curated_answers (agent_id, account_id, mode, threshold) "
            "SELECT %(agent)s, %(a)s, %(mode)s, %(threshold)s "
            "WHERE EXISTS (SELECT 1 FROM agents WHERE id = %(agent)s AND account_id = %(a)s) "
            "ON CONFLICT (agent_id) DO UPDATE SET mode = EXCLUDED.mode, threshold = EXCLUDED.threshold "
            "WHERE agent_curated_answers.account_id = EXCLUDED.account_id",
            {"agent": agent_id, "a": account_id, "mode": settings.mode.value, "threshold": settings.threshold},
        )
