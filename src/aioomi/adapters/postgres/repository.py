"""The base of the Postgres repositories that run on the unit of work's connection (so its
transaction and tenant scope apply), and the small helpers they share to build queries."""

from __future__ import annotations

import enum
from typing import Any

import msgspec
import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from aioomi.adapters.postgres.errors import translated_errors


def params_of(struct: msgspec.Struct) -> dict[str, Any]:
    """A struct's fields as named query parameters: enums as their values, dicts as JSONB."""
    return {
        k: v.value if isinstance(v, enum.Enum) else Jsonb(v) if isinstance(v, dict) else v
        for k, v in msgspec.structs.asdict(struct).items()
    }


def placeholders(columns: str) -> str:
    """``"a, b"`` → ``"%(a)s, %(b)s"``: the named placeholders for a column list."""
    return ", ".join(f"%({c.strip()})s" for c in columns.split(","))


class PostgresRepository:
    """Runs queries on one connection, translating driver errors into domain errors."""

    def __init__(self, conn: psycopg.AsyncConnection) -> None:
        self._conn = conn

    async def _rows(self, query: str, params: Any = None) -> list[dict[str, Any]]:
        """All rows as dicts; ``[]`` for a statement that returns none."""
        with translated_errors():
            cur = self._conn.cursor(row_factory=dict_row)
            await cur.execute(query, params)
            return await cur.fetchall() if cur.description else []

    async def _row(self, query: str, params: Any = None) -> dict[str, Any] | None:
        """The first row as a dict, or ``None``."""
        with translated_errors():
            cur = self._conn.cursor(row_factory=dict_row)
            await cur.execute(query, params)
            return await cur.fetchone() if cur.description else None

    async def _execute(self, query: str, params: Any = None) -> int:
        """Runs a statement; the number of rows it affected."""
        with translated_errors():
            return (await self._conn.execute(query, params)).rowcount

    async def _write(self, query: str, params: Any = None) -> None:
        """A write whose result is not needed: held back to go with the next statement or the
        commit when the unit of work defers writes, else sent now."""
        defer = getattr(self._conn, "defer", None)
        if defer is None or not defer(query, params):
            await self._execute(query, params)
