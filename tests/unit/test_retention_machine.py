"""A hypothesis state machine over the retention sweeps: over random sequences of creating data
and advancing the clock, nothing is deleted before its time and nothing survives a sweep after it."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, datetime, timedelta

from dependency_injector import providers
from hypothesis import settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from aioomi.adapters.memory.clock import ManualClock
from aioomi.container import MemoryContainer, start, stop
from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import AgentSettings
from aioomi.domain.model.chat import ChatSession
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.privacy import REQUEST_LOG_RETENTION, chat_cutoff
from aioomi.domain.model.request_log import RequestLogEntry
from aioomi.domain.usecases.auth_support import ClientInfo
from aioomi.domain.usecases.sign_up import SignUpRequest
from aioomi.settings import Settings


class RetentionMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.clock = ManualClock(datetime(2026, 3, 1, tzinfo=UTC))
        self.container = MemoryContainer(settings=Settings(data_dir=tempfile.mkdtemp(prefix="aioomi-ret-")))
        self.container.clock.override(providers.Object(self.clock))
        self.run(start(self.container))
        self.sessions: dict[str, tuple[datetime, int | None]] = {}
        self.logs: list[datetime] = []
        self.swept_at: datetime | None = None

    def run(self, coro):  # noqa: ANN001, ANN201
        return self.loop.run_until_complete(coro)

    @initialize(days=st.sampled_from([None, 1, 30, 200, 365]))
    def account(self, days: int | None) -> None:
        async def setup() -> None:
            await self.container.sign_up()(SignUpRequest(
                email="ada@example.com", full_name="Ada", password="correct horse battery", adult=True,
                accepted_policy_version="2026-02-15"), ClientInfo(ip=None, user_agent=None))
            async with self.container.uow()(account_id=None) as uow:
                self.account_id = (await uow.accounts.find_by_email("ada@example.com")).id
            who = Principal(account_id=self.account_id)
            self.agents = {}
            for setting in (None, days):
                agent = await self.container.create_agent()(who, AgentSettings(name=f"A{setting}"))
                if setting is not None:
                    await self.container.chat_retention()(who, agent.id, setting)
                self.agents[agent.id] = setting
        self.run(setup())

    @rule(which=st.integers(0, 1), back=st.integers(0, 400))
    def create_session(self, which: int, back: int) -> None:
        agent_id = list(self.agents)[which % len(self.agents)]
        created = self.clock.now() - timedelta(days=back)
        session = ChatSession(id=new_id("ses"), account_id=self.account_id, agent_id=agent_id,
                              visitor_id="visitor_0123456789abcdef", created_at=created)

        async def add() -> None:
            async with self.container.uow()(account_id=self.account_id) as uow:
                await uow.chat_sessions.add(session)
                await uow.commit()
        self.run(add())
        self.sessions[session.id] = (created, self.agents[agent_id])
        self.swept_at = None

    @rule(back=st.integers(0, 120))
    def log_request(self, back: int) -> None:
        at = self.clock.now() - timedelta(days=back)
        self.run(self.container.request_log().add_many([RequestLogEntry(
            occurred_at=at, method="GET", route="/x", status=200, latency_ms=1.0)]))
        self.logs.append(at)
        self.swept_at = None

    @rule(days=st.integers(0, 200), hours=st.integers(0, 23))
    def advance(self, days: int, hours: int) -> None:
        self.clock.advance(timedelta(days=days, hours=hours))

    @rule()
    def sweep(self) -> None:
        self.run(self.container.retention_sweeps()())
        self.swept_at = self.clock.now()

    @invariant()
    def nothing_early_nothing_late(self) -> None:
        if not hasattr(self, "account_id"):
            return
        stored = {s.id for s in self.container.memory_database().table("chat_sessions").values()}
        now = self.clock.now()
        for session_id, (created, days) in self.sessions.items():
            if created >= chat_cutoff(now, days):
                assert session_id in stored, "deleted before its time"
            elif self.swept_at == now:
                assert session_id not in stored, "survived a sweep after its time"
        logged = [e.occurred_at for e in self.container.request_log().entries]
        assert sorted(logged) == sorted(t for t in logged if True)
        for at in self.logs:
            if at >= now - REQUEST_LOG_RETENTION:
                assert at in logged, "a request-log row went early"
        if self.swept_at == now:
            assert all(at >= now - REQUEST_LOG_RETENTION for at in logged), "a request-log row survived"

    def teardown(self) -> None:
        self.run(stop(self.container))
        self.loop.close()


RetentionMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=20, deadline=None)
test_retention_state_machine = RetentionMachine.TestCase
