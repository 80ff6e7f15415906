"""The bridge from the container to Litestar: every use case the container provides is a
Litestar dependency named after its provider.

A handler names what it uses in its signature (``list_agents: NamedDependency[ListAgents]``)
instead of fetching it from ``state.container`` in its body (a service locator). Litestar
cannot take a ``dependency_injector`` provider directly, so each dependency is a small
``async def`` that calls the provider of the container the app factory put on ``app.state``
— on every request, so a test's ``container.x.override(...)`` works as before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from dependency_injector import providers
from litestar.datastructures import State
from litestar.di import Provide

from aioomi.container import Container

USE_CASE_PACKAGE = "aioomi.domain.usecases"


def use_case_providers() -> dict[str, type]:
    """The container's use cases, by provider name: every provider that builds a class of
    :mod:`aioomi.domain.usecases`."""
    found: dict[str, type] = {}
    for name, provider in Container.cls_providers.items():
        cls = provider.cls if isinstance(provider, providers.Factory | providers.Singleton) else None
        if isinstance(cls, type) and cls.__module__.startswith(USE_CASE_PACKAGE):
            found[name] = cls
    return found


def _provide(name: str) -> Callable[[State], Awaitable[object]]:
    async def provide(state: State) -> object:
        return getattr(state.container, name)()

    provide.__name__ = provide.__qualname__ = f"provide_{name}"
    return provide


DEPENDENCIES = {name: Provide(_provide(name)) for name in use_case_providers()}
