"""Question-and-answer pairs, the pure rules: checking a pair, its document text, and the CSV
import (line numbers of bad rows, bounds) and export (formula cells escaped, round trip)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aioomi.domain.model.errors import InvalidInput
from aioomi.domain.model.qa_pairs import (
    InvalidQaImport,
    QaPair,
    QaPairInput,
    check_pair,
    pair_text,
    pairs_csv,
    parse_csv,
)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_a_pair_is_trimmed_and_its_alternatives_deduplicated() -> None:
    pair = check_pair(
        QaPairInput(
            question="  Do you   ship abroad? ",
            answer="\nYes, to the EU.\n",
            alternatives=("International shipping?", "do you ship ABROAD?", " ", "international  shipping?"),
        )
    )
    assert pair == QaPairInput(
        question="Do you ship abroad?", answer="Yes, to the EU.", alternatives=("International shipping?",)
    )
    assert pair_text(pair) == "Yes, to the EU.\n\nAlso asked as:\nInternational shipping?"
    assert pair_text(QaPairInput(question="Q?", answer="A.")) == "A."


@pytest.mark.parametrize(
    ("given", "field"),
    [
        (QaPairInput(question=" ", answer="A."), "question"),
        (QaPairInput(question="Q" * 301, answer="A."), "question"),
        (QaPairInput(question="Q?", answer="  "), "answer"),
        (QaPairInput(question="Q?", answer="A" * 10_001), "answer"),
        (QaPairInput(question="Q?", answer="A\x00."), "answer"),
        (QaPairInput(question="Q?", answer="A.", alternatives=tuple(f"Other {i}?" for i in range(11))), "alternatives"),
    ],
)
def test_a_bad_pair_names_its_field(given: QaPairInput, field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        check_pair(given)
    assert (raised.value.code, raised.value.field) == ("invalid_qa_pair", field)


def test_the_csv_gives_each_pair_with_the_line_it_starts_on() -> None:
    data = (
        "\ufeffQuestion,Answer,Alternatives\r\n"
        'Do you ship abroad?,"Yes.\nTo the EU.","International shipping?\nShip to Spain?"\r\n'
        ",,\r\n"
        "Returns?,Within 30 days.,\r\n"
    ).encode()
    assert parse_csv(data) == [
        (
            2,
            QaPairInput(
                question="Do you ship abroad?",
                answer="Yes.\nTo the EU.",
                alternatives=("International shipping?", "Ship to Spain?"),
            ),
        ),
        (6, QaPairInput(question="Returns?", answer="Within 30 days.")),
    ]
    # the alternatives column is optional, and columns may come in any order
    assert parse_csv(b"answer,question\nA.,Q?\n") == [(2, QaPairInput(question="Q?", answer="A."))]


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b"question,answer\nQ1?,A1.\nQ2?,\n", 3),  # an empty answer
        (b'question,answer\nQ1?,A1.\n"Two\nlines",A.\nQ3?\n', 5),  # a short row after a multi-line one
        (b"question,answer\nQ1?,A1.\nq1? ,A2.\n", 3),  # the same question again
        (b"question,answers\nQ?,A.\n", 1),  # an unknown column
        (b"", 1),  # no header
        (b'question,answer\nQ?,"A.\n', 2),  # an unclosed quote
    ],
)
def test_a_bad_row_is_refused_with_its_line(data: bytes, line: int) -> None:
    with pytest.raises(InvalidQaImport) as raised:
        parse_csv(data)
    assert raised.value.line == line
    assert raised.value.detail.startswith(f"Line {line}: ")


def test_the_csv_is_bounded_in_bytes_rows_and_encoding() -> None:
    rows = "".join(f"Question {i}?,Answer {i}.\n" for i in range(1_001))
    with pytest.raises(InvalidQaImport) as raised:
        parse_csv(("question,answer\n" + rows).encode())
    assert raised.value.line == 1_002  # the 1,001st pair
    assert len(parse_csv(("question,answer\n" + rows[: rows.index("Question 1000?")]).encode())) == 1_000
    with pytest.raises(InvalidQaImport, match="bytes"):
        parse_csv(b"question,answer\n" + b"Q?,A.\n" * 400_000)
    with pytest.raises(InvalidQaImport, match="UTF-8"):
        parse_csv(b"question,answer\nQ?,caf\xe9\n")


def test_the_export_escapes_formulas_and_imports_back_unchanged() -> None:
    pairs = [
        QaPair(
            id="doc_1",
            account_id="acc",
            agent_id="agt",
            source_id="src",
            question="=1+1?",
            answer="- a list\n- of steps",
            alternatives=("@mention?", "Plain?"),
            created_at=T0,
            updated_at=T0,
        ),
        QaPair(
            id="doc_2",
            account_id="acc",
            agent_id="agt",
            source_id="src",
            question='Why, "quoted"?',
            answer="Because.",
            created_at=T0,
            updated_at=T0,
        ),
    ]
    text = pairs_csv(pairs)
    assert text.splitlines()[:2] == [
        "question,answer,alternatives",
        "'=1+1?,\"'- a list",
    ]  # a multi-line cell is quoted
    assert parse_csv(text.encode()) == [
        (2, QaPairInput(question="=1+1?", answer="- a list\n- of steps", alternatives=("@mention?", "Plain?"))),
        (5, QaPairInput(question='Why, "quoted"?', answer="Because.")),
    ]
