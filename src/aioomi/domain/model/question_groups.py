"""Unanswered and disliked questions, grouped by meaning, for the owner to answer or dismiss.

A question is *wanting* when its answer fell back (``unanswered``), had no source (the model
answered without any passage: low confidence), or got a thumbs-down. The worker embeds the
wanting questions with the agent's embedder and groups them with :func:`cluster_questions`: a
greedy leader clustering on cosine similarity, over the questions sorted by their text, so the
groups do not depend on the order the questions come in (property-tested). Explained in one
sentence: each question, in alphabetical order, joins the most similar earlier group leader if
that similarity reaches the threshold, and otherwise leads a new group.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime

import msgspec
import numpy as np

from aioomi.domain.model.errors import Conflict, NotFound

DEFAULT_GROUP_SIMILARITY = 0.8
MAX_EXAMPLES = 10
MAX_QUESTIONS_PER_RUN = 10_000
GROUP_PREFIX = "qgr"


class WantingReason(enum.StrEnum):
    UNANSWERED = "unanswered"
    NO_SOURCES = "no_sources"
    DISLIKED = "disliked"


class GroupStatus(enum.StrEnum):
    OPEN = "open"
    DISMISSED = "dismissed"
    ANSWERED = "answered"


class WantingQuestion(msgspec.Struct, frozen=True, kw_only=True):
    """A visitor's question whose answer did not serve them, and why."""

    message_id: str
    text: str
    asked_at: datetime
    reason: WantingReason


class QuestionGroup(msgspec.Struct, frozen=True, kw_only=True):
    """Questions that mean the same, as the owner sees them: ``label`` is the leader's text,
    ``key`` its normalised form (how a dismissed or answered group is recognised in later runs),
    ``examples`` distinct phrasings (at most 10, the leader first)."""

    id: str
    account_id: str
    agent_id: str
    key: str
    label: str
    count: int
    examples: tuple[str, ...]
    reasons: tuple[WantingReason, ...]
    first_seen: datetime
    last_seen: datetime
    status: GroupStatus = GroupStatus.OPEN
    pair_id: str | None = None
    updated_at: datetime


class QuestionGroupNotFound(NotFound):
    code = "question_group_not_found"
    title = "Question group not found"


class QuestionGroupClosed(Conflict):
    code = "question_group_closed"
    title = "This question group is already answered or dismissed"


def question_key(text: str) -> str:
    """A question's text for comparing: lower case, spaces collapsed, end punctuation dropped."""
    return " ".join(text.lower().split()).rstrip("?!. ")


def cluster_questions(
    questions: Sequence[WantingQuestion],
    vectors: Sequence[Sequence[float]],
    threshold: float = DEFAULT_GROUP_SIMILARITY,
) -> list[list[int]]:
    """Groups of ``questions`` (indexes into it; ``vectors[i]`` embeds ``questions[i]``).

    The rule: the questions are taken in the order of (key, time asked, message id); each joins the earlier
    leader it is most similar to (cosine; ties: the earliest leader) when that similarity is at
    least ``threshold``, and otherwise leads a new group. Questions of the same key are one
    question. Each group lists its leader first, then its members in that order; groups come
    largest first (ties: the leader's key). The same questions in any order give the same groups.
    """
    if not questions:
        return []
    order = sorted(
        range(len(questions)),
        key=lambda i: (question_key(questions[i].text), questions[i].asked_at, questions[i].message_id),
    )
    matrix = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit = matrix / np.where(norms == 0, 1, norms)
    groups: list[list[int]] = []
    leaders = np.empty_like(unit)  # row g: group g's leader (the first len(groups) rows are used)
    group_of_key: dict[str, int] = {}
    for i in order:
        key = question_key(questions[i].text)
        if key in group_of_key:
            groups[group_of_key[key]].append(i)
            continue
        if groups:
            similarities = leaders[: len(groups)] @ unit[i]
            best = int(np.argmax(similarities))  # the first of equal maxima: the earliest leader
            if float(similarities[best]) >= threshold:
                groups[best].append(i)
                group_of_key[key] = best
                continue
        leaders[len(groups)] = unit[i]
        groups.append([i])
        group_of_key[key] = len(groups) - 1
    return sorted(groups, key=lambda g: (-len(g), question_key(questions[g[0]].text)))


def summarise(
    questions: Sequence[WantingQuestion], members: Sequence[int]
) -> tuple[str, str, int, tuple[str, ...], tuple[WantingReason, ...], datetime, datetime]:
    """A group's key, label, count, distinct examples (leader first, at most 10), reasons (in
    the enum's order) and first and last time asked."""
    leader = questions[members[0]]
    examples: dict[str, str] = {}
    for i in members:
        examples.setdefault(question_key(questions[i].text), " ".join(questions[i].text.split()))
    reasons = {questions[i].reason for i in members}
    times = [questions[i].asked_at for i in members]
    return (
        question_key(leader.text),
        " ".join(leader.text.split()),
        len(members),
        tuple(list(examples.values())[:MAX_EXAMPLES]),
        tuple(r for r in WantingReason if r in reasons),
        min(times),
        max(times),
    )
