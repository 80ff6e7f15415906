"""The owner's visitor-data use case checks the visitor id itself (the rule lives in the domain,
not in the HTTP controller)."""

from __future__ import annotations

import pytest

from aioomi.container import Container
from aioomi.domain.model.errors import InvalidInput
from tests.unit.test_account_usecases import clock, container, principal, signed_up  # noqa: F401 - fixtures


@pytest.mark.parametrize("visitor_id", ["short", "x" * 65, "visitor id with spaces", "visitor_ü_0123456789"])
async def test_a_malformed_visitor_id_is_refused_by_every_entry(container: Container, visitor_id: str) -> None:
    owner = principal(await signed_up(container, "ada@example.com"))
    for entry in (
        container.find_visitor_conversations(),
        container.export_visitor_conversations(),
        container.delete_visitor_conversations(),
    ):
        with pytest.raises(InvalidInput) as caught:
            await entry(owner, visitor_id)
        assert (caught.value.code, caught.value.field) == ("invalid_visitor_id", "visitor_id")


async def test_a_well_formed_unknown_visitor_has_nothing(container: Container) -> None:
    owner = principal(await signed_up(container, "ada@example.com"))
    assert await container.find_visitor_conversations()(owner, "visitor_0123456789abcdef") == []
    assert await container.delete_visitor_conversations()(owner, "visitor_0123456789abcdef") == 0
