"""A workspace's state from its owners (issue 21), on memory and on Postgres: the owners'
statuses as each hot read brings them (the workspace store in the workspace's own scope, the
widget's key look-up, a chat turn's batched read), for a workspace whose owners are not the
person sharing its id, and the request log's rule (a workspace's entries keep its id and the
IP only while one owner may be analysed) at insert time and in the sweep's look-ups (which
leave a workspace whose every owner is being erased to the purge)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec

from aioomi.domain.model.accounts import AccountStatus
from aioomi.domain.model.chat_turn import TurnQuery
from aioomi.domain.model.privacy import PrivacyState
from aioomi.domain.model.request_log import RequestLogEntry
from aioomi.domain.model.workspace_state import OwnerContact
from aioomi.domain.model.workspaces import Membership, Role, Workspace
from tests.contract.test_agent_store_contract import agent
from tests.contract.test_workspace_store_contract import add_people

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
ACTIVE, RESTRICTED, PENDING = AccountStatus.ACTIVE, AccountStatus.RESTRICTED, AccountStatus.DELETION_PENDING


async def set_status(container, account_id: str, status: AccountStatus) -> None:
    async with container.uow()(account_id=None) as uow:
        account = await uow.accounts.get(account_id)
        await uow.accounts.update(
            account.restrict(T0)
            if status is RESTRICTED
            else account.schedule_deletion(T0)
            if status is PENDING
            else account.lift_restriction(T0)
        )
        await uow.commit()


async def a_team(container) -> None:
    """``acct_team``: a workspace no account shares the id of, owned by ada and bob, with cy
    an admin (not an owner) and an agent."""
    await add_people(container, "acct_ada", "acct_bob", "acct_cy")
    team = Workspace(id="acct_team", name="Team", created_at=T0, updated_at=T0)
    async with container.uow()(account_id="acct_team") as uow:
        await uow.workspaces.add(
            team, Membership(workspace_id="acct_team", account_id="acct_ada", role=Role.OWNER, created_at=T0)
        )
        for person, role in (("acct_bob", Role.OWNER), ("acct_cy", Role.ADMIN)):
            await uow.workspaces.put_member(
                Membership(workspace_id="acct_team", account_id=person, role=role, created_at=T0)
            )
        await uow.agents.add(agent("acct_team"))
        await uow.commit()


async def statuses_everywhere(container) -> dict[str, object]:
    """The team's owners' statuses as each read brings them."""
    async with container.uow()(account_id="acct_team", read_only=True) as uow:
        store = await uow.workspaces.owner_statuses("acct_team")
    async with container.uow()(account_id="acct_team", read_only=True) as uow:
        turn = await uow.chat_turns.read(TurnQuery(account_id="acct_team", agent_id="agt_x", now=T0, owner=True))
    async with container.uow()(account_id=None, read_only=True) as uow:
        agents = await uow.agents.list_page("acct_team", limit=1, after=None)
        widget = await uow.agents.find_by_public_key_with_owner(agents[0].public_key)
    assert widget is not None
    return {"store": store, "turn": list(turn.owner_statuses), "widget": widget[1]}


async def test_the_reads_bring_the_statuses_of_the_owners_not_of_the_id(container) -> None:
    await a_team(container)
    both = [ACTIVE, ACTIVE]
    assert await statuses_everywhere(container) == {"store": both, "turn": both, "widget": both}

    await set_status(container, "acct_cy", RESTRICTED)  # an admin: not an owner, not counted
    await set_status(container, "acct_ada", RESTRICTED)
    # sorted by the status's name: active, deletion_pending, restricted
    mixed = [ACTIVE, RESTRICTED]
    assert await statuses_everywhere(container) == {"store": mixed, "turn": mixed, "widget": mixed}

    await set_status(container, "acct_bob", PENDING)
    late = [PENDING, RESTRICTED]
    assert await statuses_everywhere(container) == {"store": late, "turn": late, "widget": late}

    # Bob's erasure takes his account and his memberships: ada, restricted, is the owner left.
    async with container.uow()(account_id=None) as uow:
        await uow.privacy.erase_account("acct_bob")
        await uow.commit()
    alone = [RESTRICTED]
    assert await statuses_everywhere(container) == {"store": alone, "turn": alone, "widget": alone}


async def test_the_owners_statuses_are_read_only_for_a_workspace_the_scope_may_see(container) -> None:
    await a_team(container)
    # In another workspace's scope (cy's own), the team's owners are not read, nor its turn's.
    async with container.uow()(account_id="acct_cy", read_only=True) as uow:
        assert await uow.workspaces.owner_statuses("acct_team") == []
    async with container.uow()(account_id="acct_cy", read_only=True) as uow:
        turn = await uow.chat_turns.read(TurnQuery(account_id="acct_team", agent_id="agt_x", now=T0, owner=True))
        assert turn.owner_statuses == ()
    async with container.uow()(account_id=None, read_only=True) as uow:
        assert await uow.workspaces.owner_statuses("acct_team") == [ACTIVE, ACTIVE]
        assert await uow.workspaces.owner_statuses("acct_nowhere") == []


def contact(account_id: str) -> OwnerContact:
    return OwnerContact(account_id=account_id, email=f"{account_id}@example.com", full_name="Ada Lovelace")


async def test_the_notices_go_to_the_active_verified_owners_in_membership_order(container) -> None:
    await a_team(container)
    # dan joins as an owner a day before the team's founding members (an imported membership):
    # the order is the membership's age, then the account id; cy, an admin, is never a contact.
    await add_people(container, "acct_dan", "acct_eve")
    async with container.uow()(account_id=None) as uow:
        eve = await uow.accounts.get("acct_eve")
        await uow.accounts.update(msgspec.structs.replace(eve, email_verified_at=None))
        await uow.commit()
    async with container.uow()(account_id="acct_team") as uow:
        for person, joined in (("acct_dan", T0 - timedelta(days=1)), ("acct_eve", T0)):
            await uow.workspaces.put_member(
                Membership(workspace_id="acct_team", account_id=person, role=Role.OWNER, created_at=joined)
            )
        await uow.commit()

    async def contacts(scope: str | None) -> list[OwnerContact]:
        async with container.uow()(account_id=scope, read_only=True) as uow:
            return await uow.workspaces.owner_contacts("acct_team")

    # eve's e-mail is not verified: she is an owner, but gets no notice
    assert await contacts("acct_team") == [contact("acct_dan"), contact("acct_ada"), contact("acct_bob")]
    await set_status(container, "acct_ada", RESTRICTED)
    await set_status(container, "acct_bob", PENDING)
    assert await contacts("acct_team") == [contact("acct_dan")]
    assert await contacts(None) == [contact("acct_dan")]
    # another workspace's scope (cy's, a member of the team) reads no contact of the team
    assert await contacts("acct_cy") == []


def entry(workspace_id: str, ip: str) -> RequestLogEntry:
    return RequestLogEntry(
        occurred_at=T0, method="GET", route="/api/v1/agents", status=200, latency_ms=1.0, account_id=workspace_id, ip=ip
    )


async def test_a_workspaces_request_log_is_named_while_one_owner_may_be_analysed(container) -> None:
    await a_team(container)
    log, record = container.request_log(), container.record_api_requests()
    # Ada objects: bob, the other owner, may be analysed, so the team's entries keep id and IP.
    async with container.uow()(account_id=None) as uow:
        await uow.privacy.save_state(PrivacyState(account_id="acct_ada", objected_at=T0))
        await uow.commit()
    await record([entry("acct_team", "203.0.113.1")])
    assert [(e.account_id, e.ip) for e in await log.recent("acct_team")] == [("acct_team", "203.0.113.1")]
    async with container.uow()(account_id=None) as uow:
        assert await uow.privacy.analytics_opt_outs_among(["acct_team", "acct_ada", "acct_bob"]) == {"acct_ada"}

    # Cy (an admin, not an owner) objecting changes nothing for the team.
    async with container.uow()(account_id=None) as uow:
        await uow.privacy.save_state(PrivacyState(account_id="acct_cy", objected_at=T0))
        await uow.commit()
    await record([entry("acct_team", "203.0.113.2")])
    assert len(await log.recent("acct_team")) == 2

    # Bob restricts: no owner may be analysed; the next entries are written anonymous and the
    # sweep names the team (its earlier entries are anonymised by it).
    await set_status(container, "acct_bob", RESTRICTED)
    async with container.uow()(account_id=None) as uow:
        await uow.privacy.save_state(PrivacyState(account_id="acct_bob", restricted_at=T0))
        await uow.commit()
    # Dee, alone in her workspace, is being erased: her entries are left named for the purge,
    # which deletes them by the workspace's id (an anonymised entry would escape it).
    await add_people(container, "acct_dee")
    await set_status(container, "acct_dee", PENDING)
    await record([entry("acct_team", "203.0.113.3"), entry("acct_bob", "203.0.113.4")])
    assert len(await log.recent("acct_team")) == 2  # the new one is not named
    async with container.uow()(account_id=None) as uow:
        opted_out = await uow.privacy.analytics_opt_outs()
        among = await uow.privacy.analytics_opt_outs_among(["acct_team", "acct_bob", "acct_dee", "acct_nowhere"])
    assert opted_out == ["acct_ada", "acct_bob", "acct_cy", "acct_team"]
    assert among == {"acct_team", "acct_bob"}
    assert await container.operational_records().anonymize_request_log(opted_out) == 2
    assert await log.recent("acct_team") == []
    # Every entry is still counted (four rows), just without workspace and IP.
    assert await container.operational_records().purge_request_log(T0 + timedelta(days=1), 100) == 4
