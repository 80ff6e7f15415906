"""The privacy model's rules, value by value, at their boundaries.

Every expected value is written here from the rule (calendar dates counted by hand), never
computed with the module's own helpers. Written to kill the mutants of
``domain/model/privacy.py`` (docs/privacy.md, "Mutation testing").
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from aioomi.domain.model.errors import Conflict, InvalidInput
from aioomi.domain.model.privacy import (
    InvalidDeletionGrace,
    PolicyVersion,
    chat_cutoff,
    check_chat_retention_days,
    check_deletion_grace,
    check_policy_publication,
    check_policy_text,
    deletion_grace,
    export_blob_key,
    months_before,
    outbox_retention,
    policy_in_force,
    policy_upcoming,
)

PUBLISHED = datetime(2025, 12, 1, tzinfo=UTC)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (at(2026, 3, 31, 9, 30), 1, at(2026, 2, 28, 9, 30)),  # clamped to February's last day
        (at(2024, 3, 31), 1, at(2024, 2, 29)),  # a leap year's February
        (at(2026, 5, 31), 1, at(2026, 4, 30)),  # a 30-day month
        (at(2026, 1, 15, 10, 5), 1, at(2025, 12, 15, 10, 5)),  # across the new year
        (at(2026, 12, 31), 12, at(2025, 12, 31)),
        (at(2026, 2, 28), 12, at(2025, 2, 28)),
        (at(2026, 7, 10), 0, at(2026, 7, 10)),
        (at(2026, 3, 10), 14, at(2025, 1, 10)),  # more than a year back
        (at(2026, 12, 1), 11, at(2026, 1, 1)),
    ],
)
def test_months_before_counts_calendar_months(moment: datetime, months: int, expected: datetime) -> None:
    assert months_before(moment, months) == expected
    assert months_before(moment, months).tzinfo is UTC


def test_chats_are_kept_12_months_or_the_agents_shorter_setting() -> None:
    now = at(2026, 3, 31, 12)
    assert chat_cutoff(now) == at(2025, 3, 31, 12)
    assert chat_cutoff(now, None) == at(2025, 3, 31, 12)
    assert chat_cutoff(now, 30) == at(2026, 3, 1, 12)
    assert chat_cutoff(now, 1) == at(2026, 3, 30, 12)
    assert chat_cutoff(now, 365) == at(2025, 3, 31, 12)  # 365 days reach 2025-03-31 too
    assert chat_cutoff(now, 400) == at(2025, 3, 31, 12)  # never longer than 12 months
    assert chat_cutoff(at(2024, 2, 29), 365) == at(2023, 3, 1)  # 365 days is later than 12 months here
    assert chat_cutoff(at(2024, 2, 29)) == at(2023, 2, 28)


def test_an_agents_chat_retention_is_1_to_365_days_or_unset() -> None:
    assert check_chat_retention_days(None) is None
    assert check_chat_retention_days(1) == 1
    assert check_chat_retention_days(365) == 365
    for days in (0, -1, 366):
        with pytest.raises(InvalidInput) as refused:
            check_chat_retention_days(days)
        assert (refused.value.code, refused.value.field, refused.value.detail) == (
            "invalid_chat_retention",
            "days",
            "Keep conversations between 1 and 365 days, or unset it for 12 months.",
        )


def test_the_deletion_grace_is_0_to_30_days_refused_never_clamped() -> None:
    assert check_deletion_grace(timedelta(0)) == timedelta(0)
    assert check_deletion_grace(timedelta(days=30)) == timedelta(days=30)
    assert deletion_grace(0) == timedelta(0)
    assert deletion_grace(7) == timedelta(days=7)
    assert deletion_grace(30) == timedelta(days=30)
    for grace in (timedelta(days=30, seconds=1), timedelta(seconds=-1), timedelta(days=31)):
        with pytest.raises(InvalidDeletionGrace) as refused:
            check_deletion_grace(grace)
        assert (refused.value.code, refused.value.field, refused.value.detail) == (
            "invalid_deletion_grace",
            "account_deletion_grace_days",
            "The deletion grace period must be between 0 and 30 days.",
        )
    for days in (31, -1):
        with pytest.raises(InvalidDeletionGrace):
            deletion_grace(days)


def test_the_outbox_keeps_mail_1_to_90_days() -> None:
    assert outbox_retention(1) == timedelta(days=1)
    assert outbox_retention(90) == timedelta(days=90)
    for days in (0, 91):
        with pytest.raises(InvalidInput) as refused:
            outbox_retention(days)
        assert (refused.value.code, refused.value.field, refused.value.detail) == (
            "invalid_outbox_retention",
            "outbox_retention_days",
            "Keep outbox e-mails between 1 and 90 days.",
        )


def test_an_export_is_stored_under_the_accounts_folder() -> None:
    assert export_blob_key("acct_1", "exp_2") == "acct_1/exports/exp_2.zip"


def version(name: str, effective_on: date) -> PolicyVersion:
    return PolicyVersion(version=name, effective_on=effective_on, published_at=PUBLISHED)


VERSIONS = [
    version("b", date(2026, 2, 15)),
    version("c", date(2026, 4, 1)),
    version("a", date(2026, 1, 1)),
    version("d", date(2026, 5, 1)),
]


def test_the_policy_in_force_is_the_latest_whose_date_has_come() -> None:
    assert policy_in_force(VERSIONS, date(2025, 12, 31)) is None
    assert policy_in_force(VERSIONS, date(2026, 1, 1)).version == "a"
    assert policy_in_force(VERSIONS, date(2026, 2, 14)).version == "a"
    assert policy_in_force(VERSIONS, date(2026, 2, 15)).version == "b"  # in force on its day
    assert policy_in_force(VERSIONS, date(2026, 3, 31)).version == "b"
    assert policy_in_force(VERSIONS, date(2027, 1, 1)).version == "d"
    assert policy_in_force([], date(2026, 1, 1)) is None


def test_the_upcoming_policy_is_the_next_not_yet_in_force() -> None:
    assert policy_upcoming(VERSIONS, date(2025, 12, 31)).version == "a"
    assert policy_upcoming(VERSIONS, date(2026, 2, 14)).version == "b"
    assert policy_upcoming(VERSIONS, date(2026, 2, 15)).version == "c"  # b is in force that day
    assert policy_upcoming(VERSIONS, date(2026, 4, 1)).version == "d"
    assert policy_upcoming(VERSIONS, date(2026, 5, 1)) is None
    assert policy_upcoming([], date(2026, 1, 1)) is None


def test_a_policy_text_is_1_to_200000_characters() -> None:
    assert check_policy_text("x") == "x"
    assert check_policy_text("# P\n") == "# P\n"
    longest = "p" * 200_000
    assert check_policy_text(longest) is longest
    for body in ("", "  \n\t", "p" * 200_001):
        with pytest.raises(InvalidInput) as refused:
            check_policy_text(body)
        assert (refused.value.code, refused.value.field, refused.value.detail) == (
            "invalid_policy_text",
            "text",
            "The policy text must be 1 to 200,000 characters.",
        )


def test_a_policy_takes_effect_30_days_after_it_is_announced_and_after_every_other() -> None:
    today = date(2026, 1, 1)
    assert check_policy_publication(date(2026, 1, 31), today, []) is None  # exactly 30 days
    with pytest.raises(InvalidInput) as refused:
        check_policy_publication(date(2026, 1, 30), today, [])
    assert (refused.value.code, refused.value.field, refused.value.detail) == (
        "policy_notice_too_short",
        "effective",
        "A new policy takes effect at least 30 days after it is announced: choose 2026-01-31 or later.",
    )
    existing = [version("a", date(2025, 6, 1)), version("b", date(2026, 3, 1))]
    assert check_policy_publication(date(2026, 3, 2), today, existing) is None
    for effective in (date(2026, 3, 1), date(2026, 2, 1)):
        with pytest.raises(Conflict) as refused_conflict:
            check_policy_publication(effective, today, existing)
        assert (refused_conflict.value.code, refused_conflict.value.detail) == (
            "policy_version_exists",
            "A version with that or a later effective date exists.",
        )
