"""The roles' permission matrix and the membership invariants (issue 21).

The matrix below is written out here, cell by cell, from the issue's words (owner: billing,
members, deleting the workspace; admin: everything but billing and ownership; editor: agents,
knowledge, conversations, tests; support: the handoff inbox, leads and conversations; viewer:
read only); the test walks every cell against the domain's table."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aioomi.domain.model.workspaces import (
    ROLE_PERMISSIONS,
    ForbiddenByRole,
    LastOwner,
    Membership,
    Permission,
    Role,
    ensure_permitted,
    personal_workspace,
    role_within,
)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
P = Permission
O, A, E, S, V = "O", "A", "E", "S", "V"  # noqa: E741 - one letter per role keeps the table readable

# permission -> the roles that have it
EXPECTED: dict[Permission, set[str]] = {
    P.VIEW_WORKSPACE: {O, A, E, V},
    P.VIEW_CONVERSATIONS: {O, A, E, S, V},
    P.VIEW_LEADS: {O, A, S, V},
    P.EDIT_AGENTS: {O, A, E},
    P.EDIT_KNOWLEDGE: {O, A, E},
    P.MANAGE_CONVERSATIONS: {O, A, E, S},
    P.RUN_TESTS: {O, A, E},
    P.HANDLE_HANDOFFS: {O, A, S},
    P.MANAGE_LEADS: {O, A, S},
    P.MANAGE_INTEGRATIONS: {O, A},
    P.MANAGE_MEMBERS: {O, A},
    P.MANAGE_BILLING: {O},
    P.TRANSFER_OWNERSHIP: {O},
    P.DELETE_WORKSPACE: {O},
}
LETTER = {Role.OWNER: O, Role.ADMIN: A, Role.EDITOR: E, Role.SUPPORT: S, Role.VIEWER: V}


def test_the_expected_table_names_every_permission_and_every_role() -> None:
    assert set(EXPECTED) == set(Permission)
    assert set(ROLE_PERMISSIONS) == set(Role)


@pytest.mark.parametrize("permission", list(Permission))
@pytest.mark.parametrize("role", list(Role))
def test_each_cell_of_the_matrix(role: Role, permission: Permission) -> None:
    allowed = LETTER[role] in EXPECTED[permission]
    if allowed:
        ensure_permitted(role, permission)
    else:
        with pytest.raises(ForbiddenByRole) as refused:
            ensure_permitted(role, permission)
        assert refused.value.code == "forbidden_by_role"


def test_a_viewer_can_write_nothing() -> None:
    assert ROLE_PERMISSIONS[Role.VIEWER] == {P.VIEW_WORKSPACE, P.VIEW_CONVERSATIONS, P.VIEW_LEADS}


@pytest.mark.parametrize(
    ("role", "limit", "within"),
    [
        (Role.OWNER, Role.OWNER, True),
        (Role.ADMIN, Role.OWNER, True),
        (Role.OWNER, Role.ADMIN, False),
        (Role.EDITOR, Role.ADMIN, True),
        (Role.SUPPORT, Role.EDITOR, False),  # support handles handoffs, an editor does not
        (Role.EDITOR, Role.SUPPORT, False),  # an editor edits agents, support does not
        (Role.VIEWER, Role.SUPPORT, False),  # a viewer reads agents, support does not
        (Role.VIEWER, Role.EDITOR, False),  # ... nor leads, which a viewer reads
        (Role.VIEWER, Role.ADMIN, True),
        (Role.ADMIN, Role.EDITOR, False),
    ],
)
def test_a_role_is_within_another_when_it_grants_nothing_more(role: Role, limit: Role, within: bool) -> None:
    assert role_within(role, limit) is within


def member(account_id: str, role: Role) -> Membership:
    return Membership(workspace_id="acct_w", account_id=account_id, role=role, created_at=T0)


roles = st.sampled_from(list(Role))


@given(others=st.lists(roles, max_size=5), new_role=roles)
def test_the_last_owner_can_be_neither_demoted_nor_removed(others: list[Role], new_role: Role) -> None:
    owner = member("acct_0", Role.OWNER)
    team = [owner, *(member(f"acct_{i + 1}", r) for i, r in enumerate(others))]
    another_owner = Role.OWNER in others
    if another_owner or new_role is Role.OWNER:
        assert owner.with_role(new_role, team).role is new_role
    else:
        with pytest.raises(LastOwner):
            owner.with_role(new_role, team)
    if another_owner:
        owner.leave(team)
    else:
        with pytest.raises(LastOwner) as refused:
            owner.leave(team)
        assert refused.value.code == "last_owner"


@given(role=roles.filter(lambda r: r is not Role.OWNER), new_role=roles)
def test_any_other_member_may_change_role_or_leave(role: Role, new_role: Role) -> None:
    owner, other = member("acct_0", Role.OWNER), member("acct_1", role)
    assert other.with_role(new_role, [owner, other]).role is new_role
    other.leave([owner, other])


def test_the_personal_workspace_has_the_accounts_id_and_it_as_owner() -> None:
    workspace, owner = personal_workspace("acct_ada", T0)
    assert (workspace.id, workspace.created_at) == ("acct_ada", T0)
    assert owner == Membership(workspace_id="acct_ada", account_id="acct_ada", role=Role.OWNER, created_at=T0)
