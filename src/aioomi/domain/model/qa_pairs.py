"""Question-and-answer pairs: the documents of an agent's ``qa`` source.

A pair is one document whose title is the question (chunks are searched with their document's
title, so the question is searched as a title) and whose text is the answer followed by the
alternative phrasings, one per line. The pair's id is its document's id. Bulk import and export
use CSV with the columns ``question``, ``answer`` and ``alternatives`` (one phrasing per line
of the cell).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from datetime import datetime

import msgspec

from aioomi.domain.model.documents import MAX_TITLE
from aioomi.domain.model.errors import Conflict, InvalidInput, NotFound

MAX_ANSWER = 10_000
MAX_ALTERNATIVES = 10
QA_SOURCE_NAME = "Questions and answers"
ALTERNATIVES_HEADING = "Also asked as:"
MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_ROWS = 1_000
CSV_COLUMNS = ("question", "answer", "alternatives")
# A cell starting with one of these is a formula to a spreadsheet; exported cells get a
# leading apostrophe, which the import removes again.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class QaPair(msgspec.Struct, frozen=True, kw_only=True):
    """One question with its answer and other ways of asking it. ``id`` is its document's."""

    id: str
    account_id: str
    agent_id: str
    source_id: str
    question: str
    answer: str
    alternatives: tuple[str, ...] = ()
    created_at: datetime
    updated_at: datetime


class QaPairInput(msgspec.Struct, frozen=True, kw_only=True):
    question: str
    answer: str
    alternatives: tuple[str, ...] = ()


class QaPairNotFound(NotFound):
    code = "qa_pair_not_found"
    title = "Question-and-answer pair not found"


class QaQuestionExists(Conflict):
    code = "qa_question_exists"
    title = "This question already has a pair"


class InvalidQaImport(InvalidInput):
    """A CSV import that cannot be taken; ``line`` names the CSV line at fault, if one is."""

    code = "invalid_qa_import"
    title = "The CSV file cannot be imported"

    def __init__(self, detail: str, *, line: int | None = None) -> None:
        super().__init__(
            detail if line is None else f"Line {line}: {detail}", field=None if line is None else f"line {line}"
        )
        self.line = line


def _has_control(text: str, allowed: str = "") -> bool:
    return any(unicodedata.category(c) == "Cc" and c not in allowed for c in text)


def _question(raw: str, field: str) -> str:
    question = " ".join(raw.split())
    if not question:
        raise InvalidInput("Give the question.", code="invalid_qa_pair", field=field)
    if len(question) > MAX_TITLE:
        raise InvalidInput(f"A question has at most {MAX_TITLE} characters.", code="invalid_qa_pair", field=field)
    if _has_control(question):
        raise InvalidInput("The question contains control characters.", code="invalid_qa_pair", field=field)
    return question


def question_key(question: str) -> str:
    """Questions are compared without case and extra spaces."""
    return " ".join(question.split()).casefold()


def check_pair(given: QaPairInput) -> QaPairInput:
    """A pair checked and normalised: the question and each alternative one line of 1–300
    characters; the answer 1–10,000 characters (line breaks kept); at most 10 alternatives,
    duplicates and the question itself dropped; no control characters."""
    question = _question(given.question, "question")
    answer = given.answer.strip()
    if not answer:
        raise InvalidInput("Give the answer.", code="invalid_qa_pair", field="answer")
    if len(answer) > MAX_ANSWER:
        raise InvalidInput(f"An answer has at most {MAX_ANSWER:,} characters.", code="invalid_qa_pair", field="answer")
    if _has_control(answer, "\t\n\r"):
        raise InvalidInput("The answer contains control characters.", code="invalid_qa_pair", field="answer")
    seen = {question_key(question)}
    alternatives: list[str] = []
    for raw in given.alternatives:
        if not raw.strip():
            continue
        alternative = _question(raw, "alternatives")
        if question_key(alternative) not in seen:
            seen.add(question_key(alternative))
            alternatives.append(alternative)
    if len(alternatives) > MAX_ALTERNATIVES:
        raise InvalidInput(
            f"Give at most {MAX_ALTERNATIVES} alternative phrasings.", code="invalid_qa_pair", field="alternatives"
        )
    return QaPairInput(question=question, answer=answer, alternatives=tuple(alternatives))


def pair_text(pair: QaPairInput | QaPair) -> str:
    """The document text of a pair: the answer, then the alternative phrasings, one per line."""
    if not pair.alternatives:
        return pair.answer
    return "\n".join((pair.answer, "", ALTERNATIVES_HEADING, *pair.alternatives))


# --- CSV ---------------------------------------------------------------------------------------


def _unescape(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and cell[1:2] in _FORMULA_START and cell[1:2] else cell


def _escape(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def parse_csv(data: bytes) -> list[tuple[int, QaPairInput]]:
    """The pairs of a CSV file with a header row naming ``question`` and ``answer`` (and
    optionally ``alternatives``, one phrasing per line of the cell), each with its line number.
    At most :data:`MAX_IMPORT_BYTES` bytes and :data:`MAX_IMPORT_ROWS` pairs; UTF-8 (a BOM is
    allowed); blank rows are ignored; the first bad row is refused with its line number
    (:class:`InvalidQaImport`); a question given twice is refused at its second line."""
    if len(data) > MAX_IMPORT_BYTES:
        raise InvalidQaImport(f"The file has {len(data):,} bytes; the limit is {MAX_IMPORT_BYTES:,}.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidQaImport("The file is not UTF-8 text.") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise InvalidQaImport("The file is empty: give a header row (question,answer,alternatives).", line=1)
        names = [h.strip().lower() for h in header]
        if (
            "question" not in names
            or "answer" not in names
            or len(set(names)) != len(names)
            or any(n not in CSV_COLUMNS for n in names)
        ):
            raise InvalidQaImport(
                "The header row names the columns question, answer and (optionally) alternatives, each once.", line=1
            )
        index = {n: i for i, n in enumerate(names)}
        pairs: list[tuple[int, QaPairInput]] = []
        seen: dict[str, int] = {}
        line = reader.line_num
        for row in reader:
            start, line = line + 1, reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(names):
                raise InvalidQaImport(f"The row has {len(row)} cells; the header has {len(names)}.", line=start)
            if len(pairs) >= MAX_IMPORT_ROWS:
                raise InvalidQaImport(f"A file holds at most {MAX_IMPORT_ROWS:,} pairs.", line=start)
            cells = {n: _unescape(row[i]) for n, i in index.items()}
            try:
                pair = check_pair(
                    QaPairInput(
                        question=cells["question"],
                        answer=cells["answer"],
                        alternatives=tuple(cells.get("alternatives", "").splitlines()),
                    )
                )
            except InvalidInput as error:
                raise InvalidQaImport(f"{error.detail} ({error.field})", line=start) from None
            key = question_key(pair.question)
            if key in seen:
                raise InvalidQaImport(f"The question is already on line {seen[key]}.", line=start)
            seen[key] = start
            pairs.append((start, pair))
    except csv.Error as error:
        raise InvalidQaImport(f"The CSV cannot be read ({error}).", line=reader.line_num) from None
    return pairs


def pairs_csv(pairs: list[QaPair]) -> str:
    """The pairs as CSV with a header row, in the columns :func:`parse_csv` reads (cells that
    a spreadsheet would take for a formula start with an apostrophe)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for pair in pairs:
        writer.writerow([_escape(pair.question), _escape(pair.answer), _escape("\n".join(pair.alternatives))])
    return out.getvalue()
