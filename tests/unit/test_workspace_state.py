"""The one rule linking a person's privacy choices to a workspace (issue 21): a workspace's
processing state derives from its owners' accounts; its request log names it only while one
owner may be analysed. Every case is written out."""

from __future__ import annotations

import pytest

from aioomi.domain.model.accounts import AccountStatus
from aioomi.domain.model.chat import OwnerRestricted
from aioomi.domain.model.workspace_state import (
    OwnerAnalytics,
    WorkspaceStatus,
    ensure_workspace_serves,
    request_log_may_name,
    request_log_swept,
    workspace_status,
)

ACTIVE, RESTRICTED, PENDING = AccountStatus.ACTIVE, AccountStatus.RESTRICTED, AccountStatus.DELETION_PENDING
SERVING, STOPPED, CLOSING = WorkspaceStatus.SERVING, WorkspaceStatus.RESTRICTED, WorkspaceStatus.CLOSING


@pytest.mark.parametrize(
    ("owners", "expected"),
    [
        # one owner: the workspace is what the owner is
        ([ACTIVE], SERVING),
        ([RESTRICTED], STOPPED),
        ([PENDING], CLOSING),
        # no owner account left (erased, or a workspace nobody's account shares the id of)
        ([], CLOSING),
        # two owners: one active owner is enough to serve
        ([ACTIVE, ACTIVE], SERVING),
        ([ACTIVE, RESTRICTED], SERVING),
        ([RESTRICTED, ACTIVE], SERVING),
        ([ACTIVE, PENDING], SERVING),
        ([PENDING, ACTIVE], SERVING),
        # no active owner: restricted while one restricted owner stays, closing when none does
        ([RESTRICTED, RESTRICTED], STOPPED),
        ([RESTRICTED, PENDING], STOPPED),
        ([PENDING, RESTRICTED], STOPPED),
        ([PENDING, PENDING], CLOSING),
        # three owners
        ([PENDING, RESTRICTED, ACTIVE], SERVING),
        ([PENDING, PENDING, RESTRICTED], STOPPED),
        ([PENDING, PENDING, PENDING], CLOSING),
    ],
)
def test_a_workspace_serves_while_one_owner_is_active(owners: list[AccountStatus], expected: WorkspaceStatus) -> None:
    assert workspace_status(owners) is expected
    assert workspace_status(iter(owners)) is expected  # any iterable, read once


def test_a_workspace_that_does_not_serve_refuses_with_the_reason_a_visitor_reads() -> None:
    ensure_workspace_serves([RESTRICTED, ACTIVE])  # serves: nothing raised
    with pytest.raises(OwnerRestricted) as restricted:
        ensure_workspace_serves([RESTRICTED, PENDING])
    assert restricted.value.code == "agent_restricted"
    assert str(restricted.value) == (
        "This assistant is unavailable for now, at its owner's request; it cannot answer messages."
    )
    for closing in ([PENDING], []):
        with pytest.raises(OwnerRestricted) as gone:
            ensure_workspace_serves(closing)
        assert gone.value.code == "agent_restricted"
        assert str(gone.value) == "This assistant is no longer available: its owner is closing their account."


def _owner(status: AccountStatus = ACTIVE, *, objected: bool = False, restricted: bool = False) -> OwnerAnalytics:
    return OwnerAnalytics(status=status, objected=objected, restricted=restricted)


@pytest.mark.parametrize(
    ("owners", "expected"),
    [
        ([_owner()], True),
        ([_owner(objected=True)], False),
        ([_owner(RESTRICTED, restricted=True)], False),
        ([_owner(restricted=True)], False),  # the privacy state alone is enough
        ([_owner(PENDING)], False),
        ([], False),
        # two owners: one who may be analysed keeps the workspace's log named
        ([_owner(objected=True), _owner()], True),
        ([_owner(), _owner(RESTRICTED, restricted=True)], True),
        ([_owner(PENDING), _owner()], True),
        ([_owner(objected=True), _owner(RESTRICTED, restricted=True)], False),
        ([_owner(objected=True), _owner(objected=True)], False),
        ([_owner(PENDING), _owner(objected=True)], False),
    ],
)
def test_a_workspaces_request_log_is_named_while_one_owner_may_be_analysed(
    owners: list[OwnerAnalytics], expected: bool
) -> None:
    assert request_log_may_name(owners) is expected


@pytest.mark.parametrize(
    ("owners", "expected"),
    [
        ([_owner()], False),  # named: nothing to sweep
        ([_owner(objected=True)], True),
        ([_owner(RESTRICTED, restricted=True)], True),
        ([_owner(objected=True), _owner()], False),
        ([_owner(objected=True), _owner(RESTRICTED, restricted=True)], True),
        ([_owner(objected=True), _owner(PENDING)], True),
        # every owner being erased: left named for the purge, which deletes the entries by workspace
        ([_owner(PENDING)], False),
        ([_owner(PENDING, objected=True), _owner(PENDING)], False),
        ([], False),
    ],
)
def test_the_sweep_anonymises_what_may_not_be_named_unless_the_purge_deletes_it(
    owners: list[OwnerAnalytics], expected: bool
) -> None:
    assert request_log_swept(owners) is expected
