"""Translating psycopg's errors into domain errors, so none crosses the adapter boundary."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import errors as pg_errors

from aioomi.domain.model.errors import AioomiError, Conflict, Forbidden, InvalidInput, Unavailable


def describe_conninfo(conninfo: str) -> str:
    """``host:port/dbname`` of a connection string, without user or password (safe to log)."""
    try:
        params = psycopg.conninfo.conninfo_to_dict(conninfo)
    except psycopg.ProgrammingError:
        return "<unparseable connection string>"
    host = str(params.get("host") or "localhost")
    port = params.get("port") or "5432"
    where = host if host.startswith("/") else f"{host}:{port}"
    return f"{where}/{params.get('dbname') or params.get('user') or 'postgres'}"


def translate(error: psycopg.Error) -> AioomiError:
    """The domain error that stands for a driver error."""
    if isinstance(error, pg_errors.InsufficientPrivilege):
        return Forbidden("The row belongs to another account.", code="tenant_violation")
    if isinstance(error, pg_errors.UniqueViolation):
        return Conflict("The resource already exists.", code="already_exists")
    if isinstance(error, (pg_errors.CheckViolation, pg_errors.NotNullViolation, pg_errors.DataException)):
        return InvalidInput("The data breaks a constraint of the store.", code="constraint_violated")
    if isinstance(error, pg_errors.ForeignKeyViolation):
        return Conflict("The resource refers to, or is referred to by, another.", code="reference_conflict")
    if isinstance(error, (pg_errors.SerializationFailure, pg_errors.DeadlockDetected)):
        return Unavailable("The store is busy; retry the request.", code="store_contention")
    if isinstance(error, (psycopg.OperationalError, psycopg.InterfaceError)):
        return Unavailable("The database cannot be reached.", code="database_unavailable")
    return AioomiError("The store failed to carry out the request.", code="store_error")


@contextmanager
def translated_errors() -> Iterator[None]:
    """Re-raise any psycopg error as its domain error, keeping the cause for the log."""
    try:
        yield
    except psycopg.Error as error:
        raise translate(error) from error
