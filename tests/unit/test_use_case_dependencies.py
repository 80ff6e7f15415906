"""Handlers declare the use cases they call (Litestar dependencies named after the container's
providers) instead of fetching them from ``state.container`` in their bodies."""

from __future__ import annotations

import ast
import inspect
import textwrap

from aioomi.container import container_in_memory
from aioomi.domain.usecases.agents.list_agents import ListAgents
from aioomi.entrypoints.http.app import create_app
from aioomi.entrypoints.http.dependencies import DEPENDENCIES, use_case_providers
from aioomi.settings import Settings

USE_CASES = set(use_case_providers())
# The upload handlers keep the principal as their only dependency: two or more dependencies are
# resolved in a task group, after which a chunked upload whose client half-closed right after the
# body reads as disconnected (tests/integration/test_http_edge_security.py, the chunked upload).
UPLOAD_HANDLERS = {
    "aioomi.entrypoints.http.documents_controller.DocumentController.add_document",
    "aioomi.entrypoints.http.documents_controller.DocumentController.replace_document",
}


def located_use_cases(source: str) -> list[str]:
    """The use cases ``source`` fetches from a container (``….container.x()`` or an alias named
    ``container``)."""
    found = []
    for node in ast.walk(ast.parse(textwrap.dedent(source))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in USE_CASES:
            if "container" in ast.unparse(node.func.value).split("."):
                found.append(node.func.attr)
    return found


def test_the_check_finds_a_service_locator() -> None:
    handler = """
    async def list_agents(self, state, principal):
        page = await state.container.list_agents()(principal, limit=10, cursor=None)
        container = state.container
        await container.get_agent()(principal, "agt_1")
        return state.container.settings()
    """
    assert located_use_cases(handler) == ["list_agents", "get_agent"]
    declared = """
    async def list_agents(self, list_agents, principal):
        return await list_agents(principal, limit=10, cursor=None)
    """
    assert located_use_cases(declared) == []


def test_the_bridge_provides_every_use_case_of_the_container() -> None:
    assert use_case_providers()["list_agents"] is ListAgents
    assert "settings" not in USE_CASES and "uow" not in USE_CASES  # ports and settings are no use cases
    assert set(DEPENDENCIES) == USE_CASES
    assert len(USE_CASES) > 100


def test_no_handler_fetches_a_use_case_from_the_container() -> None:
    app = create_app(container_in_memory(settings=Settings()), manage_lifecycle=False)
    handlers = [h for route in app.routes for h in getattr(route, "route_handlers", ())]
    assert len(handlers) > 100
    offenders = {}
    for handler in handlers:
        fn = handler.fn
        if found := located_use_cases(inspect.getsource(fn)):
            offenders[f"{fn.__module__}.{fn.__qualname__}"] = found
    assert set(offenders) == UPLOAD_HANDLERS


def workspace_ids_handed_to_use_cases(source: str, use_cases: set[str]) -> list[str]:
    """The calls in ``source`` of a use case (by its dependency's name) that pass the
    principal's workspace id instead of the principal, which would skip its role check."""
    found = []
    for node in ast.walk(ast.parse(textwrap.dedent(source))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in use_cases:
            arguments = [*node.args, *(k.value for k in node.keywords)]
            if any(ast.unparse(a) == "principal.workspace_id" for a in arguments):
                found.append(node.func.id)
    return found


def test_no_handler_hands_a_use_case_the_workspace_id_instead_of_the_principal() -> None:
    """The role is asked in the use cases (issue 21): a handler that passed
    ``principal.workspace_id`` to one (the test retrieval did) would read for any role."""
    assert workspace_ids_handed_to_use_cases(
        "async def search(self, search_knowledge, principal):\n"
        "    return await search_knowledge(principal.workspace_id, 'agt_1', 'q')\n",
        {"search_knowledge"},
    ) == ["search_knowledge"]
    app = create_app(container_in_memory(settings=Settings()), manage_lifecycle=False)
    handlers = [h for route in app.routes for h in getattr(route, "route_handlers", ())]
    offenders = {}
    for handler in handlers:
        fn = handler.fn
        if found := workspace_ids_handed_to_use_cases(inspect.getsource(fn), USE_CASES):
            offenders[f"{fn.__module__}.{fn.__qualname__}"] = found
    assert offenders == {}
