"""The test-question rule: each expectation judged on an answer, "mentions" not applicable
offline, and what changed since the previous run."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aioomi.domain.model.errors import InvalidInput
from aioomi.domain.model.test_questions import (
    Change,
    ExpectationKind,
    Outcome,
    TestAnswer,
    TestQuestion,
    TestResult,
    check_test_question,
    compare_runs,
    evaluate,
    excerpt,
)

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def question(kind: ExpectationKind, *, facts: tuple[str, ...] = (), document_id: str | None = None) -> TestQuestion:
    return TestQuestion(
        id="tq_1",
        account_id="acc_1",
        agent_id="agt_1",
        question="How do returns work?",
        kind=kind,
        facts=facts,
        document_id=document_id,
        created_at=T0,
        updated_at=T0,
    )


def answer(
    text: str = "Within 30 days [1].", cited: tuple[str, ...] = ("doc_a",), fell_back: bool = False
) -> TestAnswer:
    return TestAnswer(text=text, cited_document_ids=cited, fell_back=fell_back)


def result(question_id: str, outcome: Outcome) -> TestResult:
    return TestResult(
        question_id=question_id,
        question="?",
        kind=ExpectationKind.CITES,
        outcome=outcome,
        excerpt="",
        cited_document_ids=(),
    )


def test_mentions_needs_every_fact_ignoring_case() -> None:
    q = question(ExpectationKind.MENTIONS, facts=("30 DAYS", "receipt"))
    assert evaluate(q, answer("Within 30 days, with the Receipt."), facts_apply=True) is Outcome.PASSED
    assert evaluate(q, answer("Within 30 days."), facts_apply=True) is Outcome.FAILED
    assert evaluate(q, answer("30 days receipt", fell_back=True), facts_apply=True) is Outcome.FAILED


def test_mentions_is_not_applicable_offline_whatever_the_answer() -> None:
    q = question(ExpectationKind.MENTIONS, facts=("30 days",))
    assert evaluate(q, answer("Within 30 days."), facts_apply=False) is Outcome.NOT_APPLICABLE
    assert evaluate(q, answer("Nothing."), facts_apply=False) is Outcome.NOT_APPLICABLE


def test_cites_needs_the_document_among_the_cited_ones() -> None:
    q = question(ExpectationKind.CITES, document_id="doc_b")
    assert evaluate(q, answer(cited=("doc_a", "doc_b")), facts_apply=False) is Outcome.PASSED
    assert evaluate(q, answer(cited=("doc_a",)), facts_apply=False) is Outcome.FAILED


def test_falls_back_needs_the_fallback() -> None:
    q = question(ExpectationKind.FALLS_BACK)
    assert evaluate(q, answer("Sorry.", cited=(), fell_back=True), facts_apply=True) is Outcome.PASSED
    assert evaluate(q, answer(), facts_apply=True) is Outcome.FAILED


@pytest.mark.parametrize(
    ("kind", "facts", "document_id", "field"),
    [
        (ExpectationKind.MENTIONS, (), None, "facts"),
        (ExpectationKind.MENTIONS, ("a",), "doc_a", "facts"),
        (ExpectationKind.MENTIONS, ("  ",), None, "facts"),
        (ExpectationKind.MENTIONS, tuple(f"f{i}" for i in range(21)), None, "facts"),
        (ExpectationKind.CITES, (), None, "document_id"),
        (ExpectationKind.CITES, ("a",), "doc_a", "document_id"),
        (ExpectationKind.FALLS_BACK, ("a",), None, "kind"),
        (ExpectationKind.FALLS_BACK, (), "doc_a", "kind"),
    ],
)
def test_an_expectation_has_exactly_what_its_kind_needs(kind, facts, document_id, field) -> None:
    with pytest.raises(InvalidInput) as raised:
        check_test_question("Hours?", kind, facts, document_id)
    assert (raised.value.code, raised.value.field) == ("invalid_test_expectation", field)


def test_the_question_is_trimmed_and_facts_deduplicated_ignoring_case() -> None:
    assert check_test_question("  Hours? ", ExpectationKind.MENTIONS, ["9am", " 9AM ", "5pm"], None) == (
        "Hours?",
        ("9am", "5pm"),
        None,
    )
    with pytest.raises(InvalidInput) as raised:
        check_test_question("   ", ExpectationKind.FALLS_BACK, [], None)
    assert raised.value.code == "invalid_test_question"


def test_changes_since_the_previous_run() -> None:
    previous = {"tq_a": Outcome.PASSED, "tq_b": Outcome.FAILED, "tq_c": Outcome.PASSED, "tq_d": Outcome.NOT_APPLICABLE}
    now = [
        result("tq_a", Outcome.FAILED),
        result("tq_b", Outcome.PASSED),
        result("tq_c", Outcome.PASSED),
        result("tq_d", Outcome.FAILED),
        result("tq_new", Outcome.FAILED),
    ]
    assert [r.change for r in compare_runs(previous, now)] == [
        Change.NEWLY_FAILING,
        Change.NEWLY_PASSING,
        None,
        None,
        None,
    ]


outcomes = st.sampled_from(list(Outcome))


@given(st.dictionaries(st.sampled_from(["tq_a", "tq_b", "tq_c", "tq_d"]), outcomes), st.lists(outcomes, max_size=4))
def test_a_change_always_means_a_pass_turned_fail_or_back(previous, now_outcomes) -> None:
    results = [result(f"tq_{'abcd'[i]}", o) for i, o in enumerate(now_outcomes)]
    marked = compare_runs(previous, results)
    assert [r.outcome for r in marked] == now_outcomes, "the outcomes are kept"
    for r in marked:
        before = previous.get(r.question_id)
        if r.change is Change.NEWLY_FAILING:
            assert (before, r.outcome) == (Outcome.PASSED, Outcome.FAILED)
        elif r.change is Change.NEWLY_PASSING:
            assert (before, r.outcome) == (Outcome.FAILED, Outcome.PASSED)
        else:
            assert {before, r.outcome} != {Outcome.PASSED, Outcome.FAILED}
    # A run compared with itself changes nothing.
    assert all(r.change is None for r in compare_runs({r.question_id: r.outcome for r in marked}, marked))


@given(st.text(max_size=500), st.lists(st.text(min_size=1, max_size=5).filter(str.strip), min_size=1, max_size=3))
def test_an_answer_quoting_every_fact_in_any_case_passes(text, facts) -> None:
    q = question(ExpectationKind.MENTIONS, facts=tuple(f.strip() for f in facts))
    said = text + " " + " ".join(f.strip().upper() for f in facts)
    assert evaluate(q, answer(said), facts_apply=True) is Outcome.PASSED


def test_the_excerpt_is_at_most_300_characters() -> None:
    assert excerpt("a  b\n c") == "a b c"
    assert len(excerpt("x" * 1000)) == 300
