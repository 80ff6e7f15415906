"""A hypothesis state machine over the retention sweeps, on the memory and the Postgres
backends: over random sequences of creating conversations and request-log rows, advancing the
clock and sweeping, nothing is deleted before its time and nothing survives a sweep after it.

The expected results come from an oracle written here, independent of the implementation's
``chat_cutoff``/``months_before``: 12 months is "the same day and time a year earlier" (29
February → 28 February), an agent's setting is that many days of 24 hours, the request log keeps
90 days. The oracle itself is pinned by dates written out below. The example count is the
profile's (``HYPOTHESIS_PROFILE=ci`` runs 200)."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, datetime, timedelta

import psycopg
from dependency_injector import providers
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from aioomi.adapters.memory.clock import ManualClock
from aioomi.container import Container, container_in_memory, container_on_postgres, start, stop
from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import AgentSettings
from aioomi.domain.model.chat import ChatSession
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.request_log import RequestLogEntry
from aioomi.domain.usecases.auth_support import ClientInfo
from aioomi.domain.usecases.sign_up import SignUpRequest
from aioomi.settings import Settings
from tests.integration.accounts_support import fast_hasher

REQUEST_LOG_DAYS = 90  # the policy table in docs/privacy.md, written out


def year_before(now: datetime) -> datetime:
    """The oracle's 12 months: the same day and time one year earlier, 29 February → 28 February."""
    try:
        return now.replace(year=now.year - 1)
    except ValueError:
        return now.replace(year=now.year - 1, day=28)


def kept(created: datetime, now: datetime, agent_days: int | None) -> bool:
    """Whether a conversation created at ``created`` may still exist at ``now``."""
    limit = year_before(now)
    if agent_days is not None:
        limit = max(limit, now - timedelta(days=agent_days))
    return created >= limit


def test_the_oracle_on_dates_written_out() -> None:
    now = datetime(2028, 2, 29, 12, 0, tzinfo=UTC)  # a leap day
    assert kept(datetime(2027, 2, 28, 12, 0, tzinfo=UTC), now, None)
    assert not kept(datetime(2027, 2, 28, 11, 59, 59, tzinfo=UTC), now, None)
    assert kept(datetime(2028, 1, 30, 12, 0, tzinfo=UTC), now, 30)
    assert not kept(datetime(2028, 1, 30, 11, 59, 59, tzinfo=UTC), now, 30)
    assert not kept(datetime(2027, 3, 1, 0, 0, tzinfo=UTC), now, 365)  # 365 days < a leap year: the days win
    assert kept(datetime(2027, 2, 28, 12, 0, tzinfo=UTC), now, 366)  # never longer than 12 months
    assert not kept(datetime(2027, 2, 28, 11, 0, tzinfo=UTC), now, 366)


class RetentionMachine(RuleBasedStateMachine):
    conninfo: str | None = None  # set for the Postgres run

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.clock = ManualClock(datetime(2026, 3, 1, tzinfo=UTC))
        data_dir = tempfile.mkdtemp(prefix="aioomi-ret-")
        if self.conninfo is None:
            self.container: Container = container_in_memory(settings=Settings(data_dir=data_dir))
        else:
            self._wipe()
            self.container = container_on_postgres(
                settings=Settings(data_dir=data_dir, db_pool_min=1, db_pool_max=2), conninfo=self.conninfo
            )
        self.container.clock.override(providers.Object(self.clock))
        self.container.password_hasher.override(providers.Object(fast_hasher()))
        self.run(start(self.container))
        self.sessions: dict[str, tuple[datetime, int | None]] = {}
        self.logs: list[datetime] = []
        self.swept_at: datetime | None = None

    def _wipe(self) -> None:
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            conn.execute("DELETE FROM api_request_log")
            conn.execute("DELETE FROM retention_runs")
            conn.execute("DELETE FROM jobs")
            conn.execute("DELETE FROM rate_limit_counters")
            conn.execute("DELETE FROM accounts")  # cascades to agents, conversations, settings

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    @initialize(days=st.sampled_from([None, 1, 30, 200, 365]))
    def account(self, days: int | None) -> None:
        async def setup() -> None:
            await self.container.sign_up()(
                SignUpRequest(
                    email="ada@example.com",
                    full_name="Ada",
                    password="correct horse battery",
                    adult=True,
                    accepted_policy_version="2026-02-15",
                ),
                ClientInfo(ip=None, user_agent=None),
            )
            async with self.container.uow()(account_id=None) as uow:
                self.account_id = (await uow.accounts.find_by_email("ada@example.com")).id
            who = Principal.own(account_id=self.account_id)
            self.agents = {}
            for setting in (None, days):
                agent = await self.container.create_agent()(who, AgentSettings(name=f"A{setting}"))
                if setting is not None:
                    await self.container.chat_retention()(who, agent.id, setting)
                self.agents[agent.id] = setting

        self.run(setup())

    @rule(which=st.integers(0, 1), back=st.integers(0, 400), seconds=st.integers(0, 86399))
    def create_session(self, which: int, back: int, seconds: int) -> None:
        agent_id = list(self.agents)[which % len(self.agents)]
        created = self.clock.now() - timedelta(days=back, seconds=seconds)
        session = ChatSession(
            id=new_id("ses"),
            account_id=self.account_id,
            agent_id=agent_id,
            visitor_id="visitor_0123456789abcdef",
            created_at=created,
        )

        async def add() -> None:
            async with self.container.uow()(account_id=self.account_id) as uow:
                await uow.chat_sessions.add(session)
                await uow.commit()

        self.run(add())
        self.sessions[session.id] = (created, self.agents[agent_id])
        self.swept_at = None

    @rule(back=st.integers(0, 120), seconds=st.integers(0, 86399))
    def log_request(self, back: int, seconds: int) -> None:
        at = self.clock.now() - timedelta(days=back, seconds=seconds)
        self.run(
            self.container.request_log().add_many(
                [RequestLogEntry(occurred_at=at, method="GET", route="/x", status=200, latency_ms=1.0)]
            )
        )
        self.logs.append(at)
        self.swept_at = None

    @rule(days=st.integers(0, 200), hours=st.integers(0, 23))
    def advance(self, days: int, hours: int) -> None:
        self.clock.advance(timedelta(days=days, hours=hours))

    @rule()
    def sweep(self) -> None:
        self.run(self.container.retention_sweeps()())
        self.swept_at = self.clock.now()

    def _stored(self) -> tuple[set[str], list[datetime]]:
        if self.conninfo is None:
            sessions = {s.id for s in self.container.memory_database().table("chat_sessions").values()}
            return sessions, [e.occurred_at for e in self.container.request_log().entries]
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            sessions = {r[0] for r in conn.execute("SELECT id FROM chat_sessions").fetchall()}
            logged = [r[0] for r in conn.execute("SELECT occurred_at FROM api_request_log").fetchall()]
        return sessions, logged

    @invariant()
    def nothing_early_nothing_late(self) -> None:
        if not hasattr(self, "account_id"):
            return
        stored, logged = self._stored()
        now = self.clock.now()
        for session_id, (created, days) in self.sessions.items():
            if kept(created, now, days):
                assert session_id in stored, f"deleted before its time: {created} at {now}, agent days {days}"
            elif self.swept_at == now:
                assert session_id not in stored, f"survived a sweep after its time: {created} at {now}, {days}"
        log_limit = now - timedelta(days=REQUEST_LOG_DAYS)
        for at in self.logs:
            if at >= log_limit:
                assert logged.count(at) >= self.logs.count(at), f"a request-log row went early: {at} at {now}"
        if self.swept_at == now:
            assert [at for at in logged if at < log_limit] == [], "a request-log row survived its 90 days"

    def teardown(self) -> None:
        self.run(stop(self.container))
        self.loop.close()


STEPS = settings(stateful_step_count=15, deadline=None)  # the example count is the profile's


def test_retention_state_machine_on_memory() -> None:
    run_state_machine_as_test(RetentionMachine, settings=STEPS)


def test_retention_state_machine_on_postgres(pg_conninfo: str) -> None:
    machine = type("PostgresRetentionMachine", (RetentionMachine,), {"conninfo": pg_conninfo})
    run_state_machine_as_test(machine, settings=STEPS)
