"""The shape docs/architecture.md promises for use cases, checked on every use case the
container provides: one use case per module, each with one entry point, its ``async def
__call__`` (helpers are private)."""

from __future__ import annotations

import inspect
from collections import defaultdict

from aioomi.entrypoints.http.dependencies import use_case_providers

# Classes of domain/usecases the container provides that are no entry points, each with the reason.
NOT_ENTRY_POINTS = {
    "aioomi.domain.usecases.usage.check_usage_allowance.CheckUsageAllowance": "implements the UsageAllowance "
    "and PlanLimits ports the chat and the knowledge use cases are given; its methods are the ports'",
    "aioomi.domain.usecases.privacy.policy_versions_support.PolicyVersionsCache": "the cache two use cases "
    "share (a support module), no use case",
}


def entry_methods(cls: type) -> list[str]:
    """The class's public methods and ``__call__``, ``async`` marked (properties and static or
    class methods left out)."""
    return [
        ("async " if inspect.iscoroutinefunction(value) else "") + name
        for name, value in vars(cls).items()
        if (name == "__call__" or not name.startswith("_"))
        and inspect.isfunction(value)
        and not isinstance(value, staticmethod | classmethod)
    ]


def test_the_check_sees_a_second_entry_method_and_a_synchronous_call() -> None:
    class Authenticate:
        async def __call__(self, credential: str) -> None: ...

        async def session(self, token: str) -> None: ...

        def recent_session(self, principal: str) -> None: ...

        async def _api_key(self, secret: str) -> None: ...

        @property
        def policy(self) -> None: ...

    class ListPlans:
        def __call__(self) -> None: ...

    assert entry_methods(Authenticate) == ["async __call__", "async session", "recent_session"]
    assert entry_methods(ListPlans) == ["__call__"]


def test_every_use_case_has_one_async_call_and_a_module_of_its_own() -> None:
    classes = {f"{cls.__module__}.{cls.__qualname__}": cls for cls in use_case_providers().values()}
    assert len(classes) > 150
    assert set(NOT_ENTRY_POINTS) <= set(classes)
    use_cases = {name: cls for name, cls in classes.items() if name not in NOT_ENTRY_POINTS}
    shapes = {name: entry_methods(cls) for name, cls in use_cases.items()}
    assert {name: shape for name, shape in shapes.items() if shape != ["async __call__"]} == {}
    by_module: defaultdict[str, list[str]] = defaultdict(list)
    for cls in use_cases.values():
        by_module[cls.__module__].append(cls.__qualname__)
    assert {module: names for module, names in by_module.items() if len(names) > 1} == {}
