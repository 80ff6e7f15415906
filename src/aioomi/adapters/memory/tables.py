"""In-memory tables with transactional units of work.

Rows are immutable structs, so a unit of work starts from a shallow copy of each table and,
at commit, writes back only the rows it changed (row-level last-writer-wins, like READ
COMMITTED). A tenant scope hides other accounts' rows, as row-level security does on Postgres.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from aioomi.domain.model.errors import Forbidden

T = TypeVar("T")


class Table(Generic[T]):
    """A working copy of one table inside a unit of work."""

    def __init__(self, committed: dict[str, T], owner_of: Callable[[T], str | None], scope: str | None) -> None:
        self._committed = committed
        self._base = dict(committed)
        self.rows = dict(committed)
        self._owner_of = owner_of
        self._scope = scope

    def visible(self, row: T) -> bool:
        owner = self._owner_of(row)
        return self._scope is None or owner is None or owner == self._scope

    def get(self, key: str) -> T | None:
        row = self.rows.get(key)
        return row if row is not None and self.visible(row) else None

    def values(self) -> Iterable[T]:
        return (row for row in self.rows.values() if self.visible(row))

    def put(self, key: str, row: T) -> None:
        if not self.visible(row):
            raise Forbidden("The row belongs to another account.", code="tenant_violation")
        self.rows[key] = row

    def delete(self, key: str) -> None:
        self.rows.pop(key, None)

    def commit(self) -> None:
        for key in set(self._base) | set(self.rows):
            before, after = self._base.get(key), self.rows.get(key)
            if before is after:
                continue
            if after is None:
                self._committed.pop(key, None)
            else:
                self._committed[key] = after
        self._base = dict(self.rows)


class MemoryDatabase:
    """Every table's committed rows, shared by the units of work of one process."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[str, Any]] = {}

    def table(self, name: str) -> dict[str, Any]:
        return self.tables.setdefault(name, {})
