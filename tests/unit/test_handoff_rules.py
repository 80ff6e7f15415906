"""The handoff's pure rules: the transition table (property-tested against the table written
here), event numbering, office hours in a time zone, the fallback offer, settings checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aioomi.domain.model.chat import ChatMessage, MessageStatus, Role
from aioomi.domain.model.errors import InvalidInput
from aioomi.domain.model.handoff import (
    Handoff,
    HandoffAction,
    HandoffNotActive,
    HandoffSettings,
    HandoffSettingsChanges,
    HandoffState,
    HandoffTransitionRefused,
    Weekday,
    change_settings,
    check_after,
    check_handoff_settings,
    closed_message,
    expired_message,
    fell_back_twice,
    is_open,
    wait_expired,
)

A, W, H = HandoffState.ASSISTANT, HandoffState.WAITING, HandoffState.WITH_HUMAN
REQUEST, TAKE, BACK, EXPIRE, CANCEL = (
    HandoffAction.REQUEST,
    HandoffAction.TAKE,
    HandoffAction.HAND_BACK,
    HandoffAction.EXPIRE,
    HandoffAction.CANCEL,
)
# The state machine, written out here (not read from the implementation).
ALLOWED = {
    (A, REQUEST): W,
    (W, TAKE): H,
    (W, BACK): A,
    (W, EXPIRE): A,
    (W, CANCEL): A,
    (H, BACK): A,
}
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday


@given(st.lists(st.sampled_from(list(HandoffAction)), max_size=40))
def test_any_sequence_of_moves_follows_the_table_and_numbers_each_move(actions: list[HandoffAction]) -> None:
    handoff = Handoff()
    state, applied = A, 0
    for i, action in enumerate(actions):
        at = T0 + timedelta(seconds=i)
        expected = ALLOWED.get((state, action))
        if expected is None:
            with pytest.raises(HandoffTransitionRefused) as refused:
                handoff.apply(action, at)
            assert refused.value.code == "handoff_invalid_transition"
            continue
        handoff = handoff.apply(action, at)
        applied += 1
        state = expected
        assert handoff.state is state
        assert handoff.seq == applied  # one number per move, no gaps
        if state is W:
            assert handoff.requested_at == at and handoff.taken_at is None
        elif state is H:
            assert handoff.taken_at == at and handoff.requested_at is not None
        else:
            assert handoff.requested_at is None and handoff.taken_at is None


@given(st.sampled_from([A, W, H]), st.integers(min_value=0, max_value=10_000))
def test_a_message_numbers_the_next_event_only_while_a_person_is_involved(state: HandoffState, seq: int) -> None:
    handoff = Handoff(state=state, seq=seq, requested_at=T0 if state is not A else None)
    if state is A:
        with pytest.raises(HandoffNotActive):
            handoff.with_message()
    else:
        after = handoff.with_message()
        assert (after.state, after.seq) == (state, seq + 1)


def test_a_person_taking_keeps_when_they_were_asked_for() -> None:
    waiting = Handoff().apply(REQUEST, T0)
    taken = waiting.apply(TAKE, T0 + timedelta(minutes=2))
    assert (taken.requested_at, taken.taken_at, taken.seq) == (T0, T0 + timedelta(minutes=2), 2)


PARIS_WEEKDAYS = HandoffSettings(
    enabled=True,
    time_zone="Europe/Paris",
    days=(Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI),
    opens="09:00",
    closes="17:30",
)


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        # Monday 2 March 2026: Paris is UTC+1 (winter time).
        (datetime(2026, 3, 2, 7, 59, tzinfo=UTC), False),  # 08:59 in Paris
        (datetime(2026, 3, 2, 8, 0, tzinfo=UTC), True),  # 09:00 opens
        (datetime(2026, 3, 2, 16, 29, tzinfo=UTC), True),  # 17:29
        (datetime(2026, 3, 2, 16, 30, tzinfo=UTC), False),  # 17:30 closes
        # Monday 30 March 2026: summer time, UTC+2: 07:00 UTC is 09:00 in Paris.
        (datetime(2026, 3, 30, 7, 0, tzinfo=UTC), True),
        (datetime(2026, 3, 30, 6, 59, tzinfo=UTC), False),
        # Saturday 7 March 2026, noon in Paris: not a listed day.
        (datetime(2026, 3, 7, 11, 0, tzinfo=UTC), False),
        # Friday 6 March 23:30 UTC is Saturday 00:30 in Paris: the local day counts.
        (datetime(2026, 3, 6, 23, 30, tzinfo=UTC), False),
    ],
)
def test_office_hours_are_read_in_the_agents_time_zone(instant: datetime, expected: bool) -> None:
    assert is_open(PARIS_WEEKDAYS, instant) is expected


def test_the_day_is_the_local_day() -> None:
    auckland = HandoffSettings(
        enabled=True, time_zone="Pacific/Auckland", days=(Weekday.MON,), opens="09:00", closes="17:00"
    )
    # Sunday 1 March 2026 21:00 UTC is Monday 10:00 in Auckland (UTC+13 in summer).
    assert is_open(auckland, datetime(2026, 3, 1, 21, 0, tzinfo=UTC))
    # Monday 2 March 21:00 UTC is already Tuesday there.
    assert not is_open(auckland, datetime(2026, 3, 2, 21, 0, tzinfo=UTC))


def test_an_office_open_until_midnight_and_one_with_no_days() -> None:
    late = HandoffSettings(enabled=True, time_zone="Asia/Tokyo", days=tuple(Weekday), opens="00:00", closes="24:00")
    assert is_open(late, datetime(2026, 3, 2, 14, 59, tzinfo=UTC))  # 23:59 in Tokyo
    never = HandoffSettings(enabled=True, days=())
    assert not is_open(never, T0)
    assert "not taking conversations" in closed_message(never)
    assert closed_message(PARIS_WEEKDAYS) == (
        "No one is available right now: our team answers on Mon, Tue, Wed, "
        "Thu, Fri, 09:00–17:30 (Europe/Paris). The assistant can keep "
        "helping you meanwhile."
    )


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        (HandoffSettingsChanges(time_zone="Mars/Olympus"), "invalid_time_zone", "time_zone"),
        (HandoffSettingsChanges(time_zone="../../etc/passwd"), "invalid_time_zone", "time_zone"),
        (HandoffSettingsChanges(opens="17:00", closes="09:00"), "invalid_office_hours", "closes"),
        (HandoffSettingsChanges(opens="9:00"), "invalid_office_hours", "opens"),
        (HandoffSettingsChanges(closes="24:01"), "invalid_office_hours", "closes"),
        (HandoffSettingsChanges(days=(Weekday.MON, Weekday.MON)), "invalid_office_hours", "days"),
        (HandoffSettingsChanges(max_wait_s=29), "invalid_max_wait", "max_wait_s"),
        (HandoffSettingsChanges(max_wait_s=3_601), "invalid_max_wait", "max_wait_s"),
    ],
)
def test_bad_settings_are_refused_with_their_field(changes: HandoffSettingsChanges, code: str, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        change_settings(HandoffSettings(), changes)
    assert (refused.value.code, refused.value.field) == (code, field)


def test_settings_changes_keep_the_rest_and_put_days_in_week_order() -> None:
    changed = change_settings(HandoffSettings(), HandoffSettingsChanges(enabled=True, days=(Weekday.SUN, Weekday.MON)))
    assert changed == HandoffSettings(enabled=True, days=(Weekday.MON, Weekday.SUN))
    assert check_handoff_settings(HandoffSettings(max_wait_s=30, closes="24:00")).max_wait_s == 30


def test_a_wait_expires_at_the_maximum_and_not_before() -> None:
    settings = HandoffSettings(enabled=True, max_wait_s=120)
    waiting = Handoff().apply(REQUEST, T0)
    assert not wait_expired(waiting, settings, T0 + timedelta(seconds=119))
    assert wait_expired(waiting, settings, T0 + timedelta(seconds=120))
    taken = waiting.apply(TAKE, T0 + timedelta(seconds=10))
    assert not wait_expired(taken, settings, T0 + timedelta(hours=5))  # a person holds it: no expiry
    assert expired_message(settings) == (
        "Sorry, no one was available to take your conversation within 2 minutes. "
        "The assistant is back and can keep helping you."
    )


def _answer(status: MessageStatus, role: Role = Role.ASSISTANT) -> ChatMessage:
    return ChatMessage(
        id="msg_x",
        account_id="acct_x",
        agent_id="agt_x",
        session_id="ses_x",
        role=role,
        content="…",
        status=status,
        created_at=T0,
    )


def test_a_person_is_offered_after_two_fallbacks_in_a_row_only() -> None:
    fallback, good, asked = (
        _answer(MessageStatus.UNANSWERED),
        _answer(MessageStatus.COMPLETE),
        _answer(MessageStatus.COMPLETE, Role.USER),
    )
    assert fell_back_twice([asked, fallback, asked, fallback])
    assert not fell_back_twice([asked, fallback])
    assert not fell_back_twice([asked, fallback, asked, good])
    assert not fell_back_twice([asked, fallback, asked, good, asked, fallback])
    assert fell_back_twice([asked, good, asked, fallback, asked, fallback])


@pytest.mark.parametrize(("raw", "expected"), [(None, 0), ("", 0), ("0", 0), ("17", 17), (" 5 ", 5)])
def test_last_event_id_is_a_number(raw: str | None, expected: int) -> None:
    assert check_after(raw) == expected


@pytest.mark.parametrize("raw", ["-1", "abc", "1e3", "9" * 13, "1.5"])
def test_a_bad_last_event_id_is_refused(raw: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_after(raw)
    assert refused.value.code == "invalid_last_event_id"
