"""The worker runs an agent's test questions."""

from __future__ import annotations

from typing import Any

from aioomi.domain.model.agents import Agent, AnswerMode
from aioomi.domain.model.chat import DEFAULT_CONTEXT_TOKENS, ChatRequest, build_prompt, by_document, cited
from aioomi.domain.model.errors import AioomiError
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.jobs import NewJob
from aioomi.domain.model.test_questions import (
    TEST_RUN_PREFIX,
    Outcome,
    RunTrigger,
    TestAnswer,
    TestQuestion,
    TestResult,
    TestRun,
    compare_runs,
    evaluate,
    excerpt,
)
from aioomi.domain.model.webhook_payloads import TEST_RUN_FAILED, run_failed_payload
from aioomi.domain.usecases.curated.match_curated_answer import MatchCuratedAnswer
from aioomi.domain.usecases.test_questions.notify_test_failures import NOTIFY_TEST_FAILURES
from aioomi.domain.usecases.webhooks.support import emit_event
from aioomi.ports.chat import PassageSearch
from aioomi.ports.chat_model import ChatModel
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


class RunTestQuestions:
    """Answer each of the agent's test questions as a visitor's first question would be
    answered, evaluate its expectation, and store the run with what changed since the previous
    one.

    Rules:
    - the answering path is the visitor's (:class:`~aioomi.domain.usecases.answer_chat.AnswerChat`'s
      parts, with the agent's current settings): retrieval with the agent's ``top_k`` and relevance
      gate, the owner's curated answers (served directly, or as the top passage), one source per
      document, ``grounded`` mode with no source → the fallback (no model call); else the prompt
      and the model, the answer's ``[n]`` markers choosing the citations;
    - a test answer is NOT a visitor conversation (nothing stored in the chats, no webhook of a
      conversation) and NOT metered (no usage entry, the allowance is not checked): the owner
      runs at most 200 questions per run, debounced to one run a minute;
    - ``facts_apply`` is False with the offline extractive responder: ``mentions`` is then
      ``not_applicable``;
    - a model failure on one question fails that question (its excerpt names the error code),
      the others still run;
    - an agent with no test questions (or gone) stores no run;
    - a run with newly failing questions (passed in the previous run, fail now) queues
      :class:`NotifyTestFailures` (the owner's e-mail) and emits ``test_run.failed`` with the
      run, in the same transaction.
    """

    __test__ = False

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        model: ChatModel,
        search: PassageSearch,
        *,
        facts_apply: bool,
        curated: MatchCuratedAnswer | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._model = model
        self._search = search
        self._facts_apply = facts_apply
        self._curated = curated

    async def __call__(self, account_id: str, agent_id: str, trigger: str = "manual") -> dict[str, Any]:
        started = self._clock.now()
        async with self._uow(account_id=account_id, read_only=True) as uow:
            agent = await uow.agents.get(account_id, agent_id)
            questions = await uow.test_questions.list_questions(account_id, agent_id) if agent is not None else []
            previous = await uow.test_questions.list_runs(account_id, agent_id, limit=1)
        if agent is None or not questions:
            return {"run_id": None, "questions": 0}
        results = []
        for q in questions:
            answer = await self._answer(agent, q.question)
            outcome = (
                Outcome.FAILED
                if isinstance(answer, AioomiError)
                else evaluate(q, answer, facts_apply=self._facts_apply)
            )
            results.append(_result(q, answer, outcome))
        before = {r.question_id: r.outcome for r in previous[0].results} if previous else {}
        run = TestRun(
            id=new_id(TEST_RUN_PREFIX),
            account_id=account_id,
            agent_id=agent_id,
            trigger=RunTrigger(trigger),
            started_at=started,
            finished_at=self._clock.now(),
            results=compare_runs(before, results),
        )
        async with self._uow(account_id=account_id) as uow:
            await uow.test_questions.add_run(run)
            if run.newly_failing():
                emit_event(
                    uow, account_id=account_id, type=TEST_RUN_FAILED, data=run_failed_payload(run), at=run.finished_at
                )
                await uow.jobs.enqueue(
                    NewJob(
                        kind=NOTIFY_TEST_FAILURES,
                        payload={"account_id": account_id, "run_id": run.id},
                        dedupe_key=f"{NOTIFY_TEST_FAILURES}:{run.id}",
                    )
                )
            await uow.commit()
        return {
            "run_id": run.id,
            "questions": len(run.results),
            "failed": run.count(Outcome.FAILED),
            "newly_failing": len(run.newly_failing()),
        }

    async def _answer(self, agent: Agent, question: str) -> TestAnswer | AioomiError:
        passages = await self._search(
            account_id=agent.account_id,
            agent_id=agent.id,
            query=question,
            top_k=agent.retrieval.top_k,
            min_relevance=agent.retrieval.min_relevance,
            agent=agent,
        )
        if self._curated is not None:
            choice = await self._curated(agent, passages)
            if choice.served is not None:
                return TestAnswer(text=choice.served.answer, cited_document_ids=(choice.served.id,), fell_back=False)
            passages = list(choice.passages)
        sources = by_document(passages, agent.retrieval.max_citations)
        prompt = build_prompt(
            system_prompt=agent.system_prompt,
            mode=str(agent.answer_mode),
            passages=sources,
            history=[],
            question=question,
            budget=DEFAULT_CONTEXT_TOKENS,
            count_tokens=self._model.count_tokens,
        )
        if agent.answer_mode is AnswerMode.GROUNDED and not prompt.passages:
            return TestAnswer(text=agent.fallback_message, cited_document_ids=(), fell_back=True)
        citations = tuple(p.citation(n, question) for n, p in enumerate(prompt.passages, start=1))
        request = ChatRequest(
            model=agent.model, messages=prompt.messages, temperature=agent.temperature, max_tokens=agent.max_tokens
        )
        parts: list[str] = []
        try:
            async for chunk in self._model.stream(request):
                if chunk.usage is None and chunk.text:
                    parts.append(chunk.text)
        except AioomiError as error:
            return error
        text = "".join(parts)
        return TestAnswer(
            text=text, cited_document_ids=tuple(c.document_id for c in cited(citations, text)), fell_back=False
        )


def _result(question: TestQuestion, answer: TestAnswer | AioomiError, outcome: Outcome) -> TestResult:
    if isinstance(answer, AioomiError):
        return TestResult(
            question_id=question.id,
            question=question.question,
            kind=question.kind,
            outcome=outcome,
            excerpt=f"(the model failed: {answer.code})",
            cited_document_ids=(),
        )
    return TestResult(
        question_id=question.id,
        question=question.question,
        kind=question.kind,
        outcome=outcome,
        excerpt=excerpt(answer.text),
        cited_document_ids=answer.cited_document_ids,
    )
