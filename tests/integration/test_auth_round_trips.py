"""How many round trips to Postgres authenticating a request makes (issue 21's review): the
session, its person's account status and their membership (the workspace and role the session
acts with) are read on every request, never cached. Counted with the chat turn's counter
(:func:`tests.integration.test_chat_round_trips.counting_round_trips`), around the use case alone
and around a whole authenticated request, on a warmed pool."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aioomi.adapters.postgres.accounts import PostgresApiKeyRepository, PostgresOwnerSessionRepository
from aioomi.domain.usecases.authenticate import ApiKeyCredential, SessionCredential
from tests.integration.accounts_support import bearer, serve, sign_up_and_verify
from tests.integration.test_chat_round_trips import COUNTING, RoundTrips, counting_round_trips

# Counted by hand from the code: a session's unit of work reads the session, the person's
# account and their memberships together in one statement (BEGIN and the scope go with it) and,
# when nothing is to be written (the session was touched within the minute), ends with it.
SESSION = 1
# A key's: the key, its creator's account and membership, in one statement likewise.
API_KEY = 1


async def counted(trips: RoundTrips, call: Any) -> int:
    trips.count = 0
    token = COUNTING.set(True)
    try:
        await call()
    finally:
        COUNTING.reset(token)
    return trips.count


async def authentication_round_trips(pg_conninfo: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    with counting_round_trips(monkeypatch) as trips:
        async with serve("postgres", tmp_path / "aioomi", pg_conninfo) as app:
            ada = await sign_up_and_verify(app, "ada@example.com")
            made = await app.client.post(
                "/api/v1/api-keys", json={"name": "k", "scopes": ["agents:read"]}, headers=ada.headers()
            )
            assert made.status_code == 201, made.text
            secret = made.json()["secret"]
            authenticate = app.container.authenticate()
            for _ in range(2):  # warm the pool and touch the session and the key (within the minute: no more writes)
                await authenticate(SessionCredential(token=ada.session_token))
                await authenticate(ApiKeyCredential(secret=secret))
            figures = {
                "session": await counted(trips, lambda: authenticate(SessionCredential(token=ada.session_token))),
                "api_key": await counted(trips, lambda: authenticate(ApiKeyCredential(secret=secret))),
                "GET /api/v1/agents (session)": await counted(
                    trips, lambda: app.client.get("/api/v1/agents", headers=ada.headers())
                ),
                "GET /api/v1/agents (key)": await counted(
                    trips, lambda: app.client.get("/api/v1/agents", headers=bearer(secret))
                ),
            }
    print(f"round trips: {figures}")
    return figures


async def test_authenticating_a_request_reads_the_session_and_the_role_in_one_round_trip(
    pg_conninfo: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    figures = await authentication_round_trips(pg_conninfo, tmp_path, monkeypatch)
    assert figures["session"] == SESSION
    assert figures["api_key"] == API_KEY


async def test_the_counter_sees_a_separate_membership_read(
    pg_conninfo: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The budget bites: the membership read as a statement of its own again (as before the
    review) puts each count one over."""
    find_with_person = PostgresOwnerSessionRepository.find_with_person
    find_with_creator = PostgresApiKeyRepository.find_with_creator

    async def person_then_memberships(self: PostgresOwnerSessionRepository, token_hash: str) -> Any:
        found = await find_with_person(self, token_hash)
        await self._rows("SELECT * FROM workspace_members WHERE account_id = %s", (found.session.account_id,))
        return found

    async def creator_then_membership(self: PostgresApiKeyRepository, key_hash: str) -> Any:
        found = await find_with_creator(self, key_hash)
        await self._rows("SELECT * FROM workspace_members WHERE workspace_id = %s", (found.key.account_id,))
        return found

    monkeypatch.setattr(PostgresOwnerSessionRepository, "find_with_person", person_then_memberships)
    monkeypatch.setattr(PostgresApiKeyRepository, "find_with_creator", creator_then_membership)
    figures = await authentication_round_trips(pg_conninfo, tmp_path, monkeypatch)
    assert (figures["session"], figures["api_key"]) == (SESSION + 1, API_KEY + 1)
