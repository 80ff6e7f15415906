"""Litestar dependencies: one small provider per use case, resolved from the container.

Litestar cannot take a ``dependency_injector`` provider directly, so each dependency is an
``async def provide_x(state)`` reading the container that the app factory put on ``app.state``.
"""

from __future__ import annotations

from litestar.datastructures import State
from litestar.di import Provide

from aioomi.domain.usecases.check_readiness import CheckReadiness


async def provide_check_readiness(state: State) -> CheckReadiness:
    return state.container.check_readiness()


DEPENDENCIES = {
    "check_readiness": Provide(provide_check_readiness),
}
