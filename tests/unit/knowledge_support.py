"""Helpers for the documents tests: a container whose embedders are test embedders, an owner
with an agent, and running the worker until nothing is left to do."""

from __future__ import annotations

from dataclasses import dataclass

from dependency_injector import providers
from testkit.builders import account

from aioomi.adapters.local.embedder_catalog import StaticEmbedderCatalog
from aioomi.container import Container
from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import Agent, AgentSettings
from aioomi.domain.model.ids import new_id
from aioomi.entrypoints.worker.jobs import build_worker
from tests.fakes.embedders import CountingEmbedder


@dataclass
class Knowledge:
    container: Container
    embedder: CountingEmbedder
    other: CountingEmbedder

    async def run_worker(self) -> None:
        await build_worker(self.container).run_until_idle()


def use_test_embedders(container: Container, **kwargs: object) -> Knowledge:
    """The default embedder becomes ``test-embedder-a``; ``test-embedder-b`` is available too."""
    embedder = CountingEmbedder("test-embedder-a", **kwargs)  # type: ignore[arg-type]
    other = CountingEmbedder("test-embedder-b", dimensions=24)
    container.embedders.override(providers.Object(StaticEmbedderCatalog([embedder, other])))
    container.embedding_model.override(providers.Object(embedder.model))
    return Knowledge(container=container, embedder=embedder, other=other)


async def new_agent(
    container: Container, account_id: str | None = None, name: str = "Support"
) -> tuple[Principal, Agent]:
    """An agent in the workspace of a person with ``account_id`` (a new person when none is
    given or none has the id yet: a workspace with no owner processes nothing)."""
    principal = Principal.own(account_id=account_id or new_id("acct"))
    async with container.uow()(account_id=None) as uow:
        if await uow.accounts.get(principal.account_id) is None:
            await uow.accounts.add(account(account_id=principal.account_id))
            await uow.commit()
    agent = await container.create_agent()(principal, AgentSettings(name=name))
    return principal, agent
