"""The roles' permission matrix and the membership invariants (issue 21).

The matrix below is written out here, cell by cell, from the issue's words (owner: billing,
members, deleting the workspace; admin: everything but billing and ownership; editor: agents,
knowledge, conversations, tests; support: the handoff inbox, leads and conversations; viewer:
read only); the test walks every cell against the domain's table."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aioomi.domain.model.workspaces import (
    ROLE_PERMISSIONS,
    ForbiddenByRole,
    Invitation,
    InvitationForAnotherEmail,
    InvitationNotPending,
    InvitationStatus,
    LastOwner,
    Membership,
    Permission,
    Role,
    check_grant,
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
    P.EXPORT_WORKSPACE: {O},
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


# Use cases that take a Principal and need no role: the person's own account and privacy rights
# (not workspace data), and the workspace switch itself; each with its reason.
PERSONAL_USE_CASES = {
    "accounts/list_sessions.py": "the person's own sessions",
    "accounts/revoke_session.py": "the person's own sessions",
    "accounts/sign_out.py": "the person's own session",
    "accounts/sign_out_everywhere.py": "the person's own sessions",
    "change_password.py": "the person's password",
    "accounts/get_account.py": "the person's own account",
    "accounts/update_profile.py": "the person's profile",
    "accounts/require_recent_session.py": "the person's own session (a gate before account security)",
    "reauthenticate.py": "the person's password",
    "privacy/accept_policy.py": "the person's consent",
    "privacy/get_policy_status.py": "the person's consent",
    "privacy/get_privacy_overview.py": "the person's rights",
    "privacy/issue_export_link.py": "the person's export",
    "privacy/list_audit_log.py": "the person's rights log",
    "privacy/list_exports.py": "the person's exports",
    "privacy/object_to_processing.py": "the person's right to object",
    "privacy/request_account_deletion.py": "the person's erasure",
    "privacy/request_export.py": "the person's export",
    "privacy/restrict_processing.py": "the person's restriction",
    "workspaces/list_my_workspaces.py": "the person's own memberships",
    "workspaces/switch_workspace.py": "checks the membership itself",
    "workspaces/create_workspace.py": "the person's own new tenant: a right of the person, capped per person",
    "workspaces/leave_workspace.py": "any member may leave (the last owner rule is the membership's)",
}


USE_CASES_ROOT = Path(__file__).resolve().parents[2] / "src" / "aioomi" / "domain" / "usecases"
ROLE_CHECKS = {"ensure_permitted", "check_grant"}  # check_grant asks ensure_permitted first


def acting_for_a_principal(source: str) -> dict[str, bool]:
    """The classes of ``source`` whose ``__call__`` takes a ``Principal`` (any parameter, however
    the signature is laid out), each with whether the class asks the role rule anywhere."""
    found = {}
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.ClassDef):
            continue
        for method in node.body:
            if not (isinstance(method, ast.AsyncFunctionDef | ast.FunctionDef) and method.name == "__call__"):
                continue
            arguments = method.args
            parameters = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
            parameters += [a for a in (arguments.vararg, arguments.kwarg) if a is not None]
            annotations = [ast.unparse(p.annotation) for p in parameters if p.annotation is not None]
            if any(re.search(r"\bPrincipal\b", a) for a in annotations):
                calls = [c for c in ast.walk(node) if isinstance(c, ast.Call)]
                found[node.name] = any(ast.unparse(c.func).split(".")[-1] in ROLE_CHECKS for c in calls)
    return found


def test_the_guard_finds_a_principal_however_the_signature_is_laid_out() -> None:
    source = """
class OnOneLine:
    async def __call__(self, principal: Principal) -> None: ...

class OverSeveralLines:
    async def __call__(
        self,
        agent_id: str,
        *,
        caller: Principal | None = None,
    ) -> None:
        ensure_permitted(caller, Permission.VIEW_WORKSPACE)

class Quoted:
    async def __call__(self, who: "accounts.Principal") -> None:
        await self._other(who)

class NotActing:
    async def __call__(self, account_id: str) -> None: ...
"""
    assert acting_for_a_principal(source) == {"OnOneLine": False, "OverSeveralLines": True, "Quoted": False}


def test_every_use_case_acting_for_a_principal_asks_the_role_rule() -> None:
    """A use case added later that acts on workspace data cannot forget the role check."""
    acting: dict[str, bool] = {}
    for path in sorted(USE_CASES_ROOT.rglob("*.py")):
        for name, asks in acting_for_a_principal(path.read_text()).items():
            acting[f"{path.relative_to(USE_CASES_ROOT).as_posix()}:{name}"] = asks
    modules = {key.split(":")[0] for key in acting}
    assert set(PERSONAL_USE_CASES) <= modules, "a listed use case no longer acts for a principal"
    missing = [key for key, asks in acting.items() if key.split(":")[0] not in PERSONAL_USE_CASES and not asks]
    checked_anyway = [key for key, asks in acting.items() if key.split(":")[0] in PERSONAL_USE_CASES and asks]
    assert missing == []
    assert checked_anyway == []
    # the scan finds them all, those ruff lays out over several lines too (list_agents, list_leads …)
    assert {"agents/list_agents.py:ListAgents", "leads/list_leads.py:ListLeads"} <= set(acting)
    assert {"usage/get_usage_report.py:GetUsageReport", "chat/list_agent_sessions.py:ListAgentSessions"} <= set(acting)
    assert len(acting) > 115


def an_invitation(**changes: object) -> Invitation:
    base = Invitation(
        id="inv_1",
        workspace_id="acct_w",
        email="Sam@Example.com",
        role=Role.SUPPORT,
        token_hash="h1",
        invited_by="acct_w",
        created_at=T0,
        expires_at=T0 + timedelta(days=7),
        sent_at=T0,
    )
    return msgspec.structs.replace(base, **changes)


def test_an_invitation_is_pending_until_accepted_revoked_or_expired() -> None:
    invitation = an_invitation()
    assert invitation.status(T0 + timedelta(days=7) - timedelta(seconds=1)) is InvitationStatus.PENDING
    assert invitation.status(T0 + timedelta(days=7)) is InvitationStatus.EXPIRED
    accepted, membership = invitation.accepted("acct_sam", "sam@example.com", T0 + timedelta(days=1))
    assert accepted.status(T0 + timedelta(days=1)) is InvitationStatus.ACCEPTED
    assert membership == Membership(
        workspace_id="acct_w", account_id="acct_sam", role=Role.SUPPORT, created_at=T0 + timedelta(days=1)
    )
    with pytest.raises(InvitationNotPending):
        accepted.accepted("acct_sam", "sam@example.com", T0 + timedelta(days=1))
    with pytest.raises(InvitationNotPending):
        invitation.accepted("acct_sam", "sam@example.com", T0 + timedelta(days=8))  # expired
    with pytest.raises(InvitationForAnotherEmail):
        invitation.accepted("acct_cy", "cy@example.com", T0 + timedelta(days=1))
    revoked = invitation.revoked(T0 + timedelta(days=2))
    with pytest.raises(InvitationNotPending):
        revoked.revoked(T0 + timedelta(days=2))
    with pytest.raises(InvitationNotPending):
        revoked.resent("h2", T0 + timedelta(days=3))


def test_a_resend_gives_a_new_token_and_seven_more_days_also_after_expiry() -> None:
    resent = an_invitation().resent("h2", T0 + timedelta(days=9))
    assert (resent.token_hash, resent.sent_at, resent.expires_at) == (
        "h2",
        T0 + timedelta(days=9),
        T0 + timedelta(days=16),
    )
    assert resent.status(T0 + timedelta(days=9)) is InvitationStatus.PENDING


class _Actor(msgspec.Struct, frozen=True):
    role: Role


@pytest.mark.parametrize(
    ("actor", "role", "allowed"),
    [
        (Role.OWNER, Role.ADMIN, True),
        (Role.OWNER, Role.OWNER, False),  # ownership moves by a transfer only
        (Role.ADMIN, Role.SUPPORT, True),
        (Role.ADMIN, Role.ADMIN, True),
        (Role.ADMIN, Role.OWNER, False),
        (Role.EDITOR, Role.VIEWER, False),  # an editor manages no members
        (Role.SUPPORT, Role.SUPPORT, False),
    ],
)
def test_who_may_grant_which_role(actor: Role, role: Role, allowed: bool) -> None:
    if allowed:
        check_grant(_Actor(actor), role)
    else:
        with pytest.raises(ForbiddenByRole):
            check_grant(_Actor(actor), role)
