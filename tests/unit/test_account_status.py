"""The account guards its own status changes: the transition table, property-tested."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aioomi.domain.model.accounts import Account, AccountStatus, AccountStatusConflict
from aioomi.domain.model.errors import Conflict

ACTIVE, RESTRICTED, PENDING = AccountStatus.ACTIVE, AccountStatus.RESTRICTED, AccountStatus.DELETION_PENDING
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

# The life cycle, written out: (status before, operation) -> status after. Every pair not listed
# is refused.
TABLE = {
    (ACTIVE, "restrict"): RESTRICTED,
    (RESTRICTED, "lift_restriction"): ACTIVE,
    (ACTIVE, "schedule_deletion"): PENDING,
    (RESTRICTED, "schedule_deletion"): PENDING,
    (PENDING, "cancel_deletion_to_active"): ACTIVE,
    (PENDING, "cancel_deletion_to_restricted"): RESTRICTED,
}
OPERATIONS = [
    "restrict",
    "lift_restriction",
    "schedule_deletion",
    "cancel_deletion_to_active",
    "cancel_deletion_to_restricted",
    "cancel_deletion_to_pending",
]


def account(status: AccountStatus) -> Account:
    return Account(
        id="acct_1",
        email="ada@example.com",
        full_name="Ada",
        password_hash="x",
        google_subject=None,
        email_verified_at=T0,
        adult_attested_at=T0,
        accepted_policy_version="2026-01-01",
        status=status,
        created_at=T0,
        updated_at=T0,
    )


def apply(current: Account, operation: str, at: datetime) -> Account:
    if operation.startswith("cancel_deletion_to_"):
        back_to = {"active": ACTIVE, "restricted": RESTRICTED, "pending": PENDING}[operation.rsplit("_", 1)[1]]
        return current.cancel_deletion(back_to, at)
    return getattr(current, operation)(at)


@given(start=st.sampled_from(list(AccountStatus)), operations=st.lists(st.sampled_from(OPERATIONS), max_size=12))
def test_every_sequence_of_changes_follows_the_table(start: AccountStatus, operations: list[str]) -> None:
    current = account(start)
    for step, operation in enumerate(operations, start=1):
        at = T0 + timedelta(minutes=step)
        expected = TABLE.get((current.status, operation))
        if expected is None:
            with pytest.raises(AccountStatusConflict):
                apply(current, operation, at)
            continue  # refused: the account stays as it was
        changed = apply(current, operation, at)
        assert (changed.status, changed.updated_at) == (expected, at)
        assert changed.id == current.id and changed.email == current.email
        current = changed


def test_the_table_in_full() -> None:
    refused = {(status, operation) for status in AccountStatus for operation in OPERATIONS} - set(TABLE)
    assert len(refused) == 3 * 6 - 6
    for (status, operation), after in TABLE.items():
        assert apply(account(status), operation, T0).status is after
    for status, operation in refused:
        with pytest.raises(AccountStatusConflict) as caught:
            apply(account(status), operation, T0)
        assert isinstance(caught.value, Conflict) and caught.value.code == "account_status_conflict"
