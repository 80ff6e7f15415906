"""AnswerChat: one turn of a chat, from a visitor's message to a stored, cited answer."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta

import msgspec

from aioomi.domain.model.agents import Agent, AgentStatus, AnswerMode
from aioomi.domain.model.chat import (
    DEFAULT_CONTEXT_TOKENS,
    DEFAULT_HISTORY_TURNS,
    MESSAGE_PREFIX,
    SESSION_PREFIX,
    AgentUnavailable,
    Channel,
    ChatMessage,
    ChatModelUnavailable,
    ChatRequest,
    ChatSession,
    ChatSessionNotFound,
    Citation,
    MessageInProgress,
    MessageStatus,
    Prompt,
    PromptMessage,
    Role,
    TokenUsage,
    TurnDelta,
    TurnDone,
    TurnEvent,
    TurnFailed,
    TurnSources,
    TurnStarted,
    build_prompt,
    by_document,
    check_idempotency_key,
    check_message,
    check_visitor_id,
    cited,
    clip_user_agent,
    excerpt,
    prompt_role,
    prompt_tokens,
)
from aioomi.domain.model.chat_turn import TurnQuery
from aioomi.domain.model.errors import AioomiError, Conflict, RateLimited
from aioomi.domain.model.handoff import ConversationWithPerson, HandoffState
from aioomi.domain.model.ids import is_id, new_id
from aioomi.domain.model.qa_pairs import QaPair
from aioomi.domain.model.rate_limits import RateLimit
from aioomi.domain.model.usage import AllowanceState, UsageEntry, UsageKind, period_start
from aioomi.domain.model.webhook_payloads import (
    CONVERSATION_STARTED,
    MESSAGE_CREATED,
    conversation_started,
    message_created,
)
from aioomi.domain.model.workspace_state import ensure_workspace_serves
from aioomi.domain.usecases.curated.match_curated_answer import MatchCuratedAnswer
from aioomi.domain.usecases.webhooks.support import emit_event
from aioomi.ports.chat import PassageSearch
from aioomi.ports.chat_model import ChatModel
from aioomi.ports.clock import Clock
from aioomi.ports.quota import UsageAllowance
from aioomi.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

# What a visitor over a message rate limit is told (with the longest wait as Retry-After).
RATE_LIMITED = "Too many messages; wait a moment and try again."


class ChatCaller(msgspec.Struct, frozen=True, kw_only=True):
    """Who sends the message: the visitor id (or an API key's id on the OpenAI-compatible API),
    and the technical data kept on a new session."""

    visitor_id: str
    channel: Channel = Channel.WIDGET
    ip: str | None = None
    user_agent: str | None = None


def check_agent_serves(agent: Agent) -> None:
    if agent.status is not AgentStatus.ACTIVE:
        raise AgentUnavailable("This assistant is paused by its owner.")


async def check_owner_allows(uow: UnitOfWork, agent: Agent) -> None:
    ensure_workspace_serves(await uow.workspaces.owner_statuses(agent.account_id))


async def own_session(uow: UnitOfWork, agent: Agent, session_id: str, visitor_id: str) -> ChatSession:
    """The visitor's session with this agent, or ``session_not_found`` (also for anyone else's)."""
    session = await uow.chat_sessions.get(agent.account_id, session_id) if is_id(session_id, SESSION_PREFIX) else None
    return owned(session, agent, visitor_id)


def owned(session: ChatSession | None, agent: Agent, visitor_id: str) -> ChatSession:
    """``session`` if it is the visitor's with this agent, else ``session_not_found``."""
    if session is None or session.agent_id != agent.id or session.visitor_id != visitor_id:
        raise ChatSessionNotFound("No such chat session.")
    return session


class ChatAnswer:
    """A started turn: its ids are known, the visitor's message is stored; :meth:`events`
    streams the answer and stores it when the stream ends."""

    def __init__(self, *, message_id: str, session_id: str, events: AsyncIterator[TurnEvent]) -> None:
        self.message_id = message_id
        self.session_id = session_id
        self._events = events

    def events(self) -> AsyncIterator[TurnEvent]:
        return self._events

    async def collect(self) -> tuple[str, TurnDone | TurnFailed, tuple[Citation, ...]]:
        """Run the turn to its end: the text, the final event and the citations."""
        parts: list[str] = []
        citations: tuple[Citation, ...] = ()
        final: TurnDone | TurnFailed | None = None
        async for event in self._events:
            if isinstance(event, TurnDelta):
                parts.append(event.text)
            elif isinstance(event, TurnSources):
                citations = event.citations
            elif isinstance(event, (TurnDone, TurnFailed)):
                final = event
        assert final is not None
        return "".join(parts), final, citations


class AnswerChat:
    """Answer a message in a chat session, grounded in the agent's knowledge base.

    Rules:
    - the agent must be active (``agent_paused``) and its workspace serving: at least one
      owner's account active (``agent_restricted`` otherwise: every owner restricted, or being
      erased; ``workspace_status``); the owner's allowance must not be used up (``quota_exceeded``);
    - the message is 1–4,000 characters; the visitor id 16–64 of ``[A-Za-z0-9_-]``; the
      session, when named, must be this visitor's with this agent (else ``session_not_found``);
      without one, a new session is opened;
    - an ``idempotency_key`` already used in the session replays the stored answer instead of
      asking the model again (``message_in_progress`` while the first is still streaming); when
      that answer failed, the model is asked again and the failed answer becomes the new one
      (same message, the visitor's message is not stored twice);
    - retrieval brings at most the agent's ``top_k`` best passages that pass the relevance gate
      (``min_relevance``); in ``grounded`` mode with none, the agent's fallback message is the
      answer, the model is not called, nothing is metered and the turn is stored as
      ``unanswered``; in ``assisted`` mode the model gets only the passages that passed;
    - citations: one per document (its passages merged), at most ``max_citations``, best first,
      each with a short quote and, for a fetched page, a link; the answer's ``[n]`` markers
      choose which are listed (all of them when it cites none);
    - the prompt holds the owner's system prompt, the grounding rules, the passages inside
      ``<untrusted_sources>`` (instructions in them are not obeyed) and the recent history,
      within a token budget (:func:`~aioomi.domain.model.chat.build_prompt`);
    - earlier turns a client sends with the first question of a new session (the
      OpenAI-compatible API) are stored before it, so the owner's conversation view is whole;
    - the visitor's message and a ``streaming`` answer are stored before the model is asked;
      the answer becomes ``complete`` with citations, model, tokens and latency when the stream
      ends, or ``failed`` (never complete) when it breaks; each model call adds a usage entry.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        model: ChatModel,
        search: PassageSearch,
        allowance: UsageAllowance,
        *,
        context_tokens: int = DEFAULT_CONTEXT_TOKENS,
        history_messages: int = DEFAULT_HISTORY_TURNS,
        curated: MatchCuratedAnswer | None = None,
    ) -> None:
        self._curated = curated
        self._uow = uow
        self._clock = clock
        self._model = model
        self._search = search
        self._allowance = allowance
        self._context_tokens = context_tokens
        self._history_messages = history_messages

    async def __call__(
        self,
        agent: Agent,
        caller: ChatCaller,
        content: str,
        *,
        session_id: str | None = None,
        idempotency_key: str | None = None,
        history: Sequence[PromptMessage] | None = None,
        owner_checked: bool = False,
        limits: Sequence[tuple[RateLimit, str]] = (),
    ) -> ChatAnswer:
        """Check, retrieve, build the prompt and store the visitor's message; raise the
        domain error of the first rule broken. ``limits``: rate limits to count one hit on
        each, with the turn's read, before anything else is decided (over any:
        ``rate_limited`` with the longest wait; counted whatever the turn does next).
        ``history`` replaces the stored history (the
        OpenAI-compatible API sends the conversation with each request); in a new session
        those earlier turns are stored before the question, so the owner reads it whole.
        ``owner_checked``: the caller found the agent's workspace serving in this request (the
        widget reads its owners' statuses with the agent's key), so they are not read again."""
        check_visitor_id(caller.visitor_id)
        question = check_message(content)
        key = check_idempotency_key(idempotency_key)
        check_agent_serves(agent)
        started = time.perf_counter()
        now = self._clock.now()
        retried: tuple[ChatMessage, ChatMessage] | None = None
        wanted = session_id if session_id is not None and is_id(session_id, SESSION_PREFIX) else None
        query = TurnQuery(
            account_id=agent.account_id,
            agent_id=agent.id,
            now=now,
            hits=tuple(limits),
            period=period_start(now),
            billing=self._allowance.reads_billing,
            owner=not owner_checked,
            session_id=wanted,
            last=self._history_messages if history is None else 0,
            idempotency_key=key if wanted is not None else None,
            knowledge=True,
            curated=self._curated is not None,
        )
        # Everything the turn reads before it searches, with the rate limits counted: one read
        # (one round trip on Postgres), in a read-only unit of work.
        async with self._uow(account_id=agent.account_id, read_only=True) as uow:
            state = await uow.chat_turns.read(query)
        denied = [d for d in state.decisions if not d.allowed]
        if denied:
            raise RateLimited(RATE_LIMITED, retry_after_s=max(d.retry_after_s for d in denied))
        self._allowance.decide(state.billing, state.allowance or AllowanceState())
        if not owner_checked:
            ensure_workspace_serves(state.owner_statuses)
        stored: Sequence[ChatMessage] = ()
        if session_id is not None:
            session = owned(state.session, agent, caller.visitor_id)
            stored = state.recent
            if state.keyed is not None:
                again = _replay_of(session, *state.keyed)
                if isinstance(again, ChatAnswer):
                    return again
                retried = again
        else:
            session = ChatSession(
                id=new_id(SESSION_PREFIX),
                account_id=agent.account_id,
                agent_id=agent.id,
                visitor_id=caller.visitor_id,
                channel=caller.channel,
                created_at=now,
                ip=caller.ip,
                user_agent=clip_user_agent(caller.user_agent),
            )
        if session.handoff is not HandoffState.ASSISTANT:
            # A person holds the conversation (or is asked for): the assistant stays silent, no
            # model call, nothing metered; the widget sends such messages to the person's thread.
            raise ConversationWithPerson("A person is handling this conversation; the assistant stays silent.")
        if retried is not None:
            # A retry after a failed answer asks the stored question again, with the history
            # that came before it.
            question = retried[0].content
            before = next((i for i, m in enumerate(stored) if m.id == retried[0].id), len(stored))
            stored = stored[:before]
        if history is None:
            history = [
                PromptMessage(role=prompt_role(m.role), content=m.content)
                for m in stored
                if m.status is MessageStatus.COMPLETE
            ]
        passages = await self._search(
            account_id=agent.account_id,
            agent_id=agent.id,
            query=question,
            top_k=agent.retrieval.top_k,
            min_relevance=agent.retrieval.min_relevance,
            agent=agent,
            knowledge=state.knowledge,
        )
        served: QaPair | None = None
        if self._curated is not None:  # the owner's curated answers: served as they are, or the top passages
            known = (state.curated_settings, state.has_pairs) if state.has_pairs is not None else None
            choice = await self._curated(agent, passages, known=known)
            served, passages = choice.served, list(choice.passages)
        # One source per document (its passages merged), at most max_citations, best first: the
        # prompt numbers them as the citations do, so the answer's [n] markers name citations.
        sources = by_document(passages, agent.retrieval.max_citations)
        prompt = build_prompt(
            system_prompt=agent.system_prompt,
            mode=str(agent.answer_mode),
            passages=sources,
            history=history,
            question=question,
            budget=self._context_tokens,
            count_tokens=self._model.count_tokens,
        )
        citations = tuple(p.citation(number, question) for number, p in enumerate(prompt.passages, start=1))
        if retried is not None:
            # The failed answer is answered again in place: same message, back to streaming.
            answer = msgspec.structs.replace(
                retried[1],
                content="",
                status=MessageStatus.STREAMING,
                citations=citations,
                model=None,
                prompt_tokens=0,
                completion_tokens=0,
                latency_ms=None,
                error_code=None,
                curated_pair_id=served.id if served is not None else None,
            )
            async with self._uow(account_id=agent.account_id, defer_writes=True) as uow:
                await uow.chat_messages.save(answer)
                await uow.chat_sessions.touch(agent.account_id, session.id, now)
                await uow.commit()
        else:
            visitor_message = ChatMessage(
                id=new_id(MESSAGE_PREFIX),
                account_id=agent.account_id,
                agent_id=agent.id,
                session_id=session.id,
                role=Role.USER,
                content=question,
                idempotency_key=key,
                created_at=now,
            )
            answer = ChatMessage(
                id=new_id(MESSAGE_PREFIX),
                account_id=agent.account_id,
                agent_id=agent.id,
                session_id=session.id,
                role=Role.ASSISTANT,
                content="",
                status=MessageStatus.STREAMING,
                reply_to=visitor_message.id,
                citations=citations,
                created_at=now + timedelta(microseconds=1),
                curated_pair_id=served.id if served is not None else None,
            )
            # The writes may be held back and sent with the commit (one round trip), so a key
            # already taken may only be found there.
            async with self._uow(account_id=agent.account_id, defer_writes=True) as uow:
                if session_id is None:
                    await uow.chat_sessions.add(session)
                    emit_event(
                        uow,
                        account_id=agent.account_id,
                        type=CONVERSATION_STARTED,
                        data=conversation_started(session),
                        at=now,
                    )
                    for turn in _earlier_turns(session, history, now):
                        await uow.chat_messages.add(turn)
                try:
                    await uow.chat_messages.add(visitor_message)
                except Conflict:
                    raise MessageInProgress("A message with this Idempotency-Key is being answered.") from None
                emit_event(
                    uow,
                    account_id=agent.account_id,
                    type=MESSAGE_CREATED,
                    data=message_created(visitor_message),
                    at=now,
                )
                await uow.chat_messages.add(answer)
                await uow.chat_sessions.touch(agent.account_id, session.id, now)
                try:
                    await uow.commit()
                except Conflict as error:
                    if key is None or error.code != "already_exists":
                        raise
                    raise MessageInProgress("A message with this Idempotency-Key is being answered.") from None
        grounded_without_sources = agent.answer_mode is AnswerMode.GROUNDED and not prompt.passages
        events = (
            self._fallback(agent, answer, started)
            if grounded_without_sources
            else self._stream(agent, answer, prompt, started)
        )
        if served is not None:
            events = self._serve_curated(agent, answer, served, started)
        return ChatAnswer(message_id=answer.id, session_id=session.id, events=events)

    async def _fallback(self, agent: Agent, answer: ChatMessage, started: float) -> AsyncIterator[TurnEvent]:
        yield TurnStarted(message_id=answer.id, session_id=answer.session_id)
        yield TurnDelta(text=agent.fallback_message)
        yield TurnSources(citations=())
        done = msgspec.structs.replace(
            answer,
            content=agent.fallback_message,
            status=MessageStatus.UNANSWERED,
            citations=(),
            latency_ms=_ms_since(started),
        )
        async with self._uow(account_id=agent.account_id, defer_writes=True) as uow:
            await uow.chat_messages.save(done)
            emit_event(
                uow, account_id=agent.account_id, type=MESSAGE_CREATED, data=message_created(done), at=self._clock.now()
            )
            await uow.commit()
        yield TurnDone(message=done, usage=TokenUsage())

    async def _serve_curated(
        self, agent: Agent, answer: ChatMessage, pair: QaPair, started: float
    ) -> AsyncIterator[TurnEvent]:
        """The owner's answer as it is: no model call, nothing metered, the pair cited."""
        yield TurnStarted(message_id=answer.id, session_id=answer.session_id)
        yield TurnDelta(text=pair.answer)
        citations = (
            Citation(
                document_id=pair.id,
                document_title=pair.question,
                position=0,
                excerpt=excerpt(pair.answer),
                score=1.0,
                number=1,
            ),
        )
        yield TurnSources(citations=citations)
        done = msgspec.structs.replace(
            answer,
            content=pair.answer,
            status=MessageStatus.COMPLETE,
            citations=citations,
            curated_pair_id=pair.id,
            latency_ms=_ms_since(started),
        )
        async with self._uow(account_id=agent.account_id, defer_writes=True) as uow:
            await uow.chat_messages.save(done)
            await uow.commit()
        yield TurnDone(message=done, usage=TokenUsage())

    async def _stream(
        self, agent: Agent, answer: ChatMessage, prompt: Prompt, started: float
    ) -> AsyncIterator[TurnEvent]:
        yield TurnStarted(message_id=answer.id, session_id=answer.session_id)
        request = ChatRequest(
            model=agent.model, messages=prompt.messages, temperature=agent.temperature, max_tokens=agent.max_tokens
        )
        parts: list[str] = []
        usage: TokenUsage | None = None
        model_name = agent.model
        failure: AioomiError | None = None
        try:
            async for chunk in self._model.stream(request):
                if chunk.usage is not None:
                    usage = chunk.usage
                    model_name = chunk.model or model_name
                elif chunk.text:
                    parts.append(chunk.text)
                    yield TurnDelta(text=chunk.text)
        except AioomiError as error:
            failure = error
        except BaseException:
            # The client went away (or the server is stopping): the answer is not complete.
            await self._finish(
                agent,
                answer,
                parts,
                None,
                model_name,
                started,
                prompt,
                ChatModelUnavailable("The answer was cancelled.", code="answer_cancelled"),
            )
            raise
        if failure is None and usage is None:
            failure = ChatModelUnavailable(
                "The model ended the answer without finishing it.", code="model_stream_interrupted"
            )
        if failure is not None:
            await self._finish(agent, answer, parts, usage, model_name, started, prompt, failure)
            yield TurnFailed(message_id=answer.id, code=failure.code, detail=failure.detail)
            return
        # The sources the answer cites with [n]; all that were sent when it cites none.
        answer = msgspec.structs.replace(answer, citations=cited(answer.citations, "".join(parts)))
        yield TurnSources(citations=answer.citations)
        done = await self._finish(agent, answer, parts, usage, model_name, started, prompt, None)
        assert usage is not None
        yield TurnDone(message=done, usage=usage)

    async def _finish(
        self,
        agent: Agent,
        answer: ChatMessage,
        parts: list[str],
        usage: TokenUsage | None,
        model_name: str,
        started: float,
        prompt: Prompt,
        failure: AioomiError | None,
    ) -> ChatMessage:
        text = "".join(parts)
        if usage is None and (parts or failure is None):
            # Tokens were spent on a broken stream: meter the local estimate.
            usage = TokenUsage(
                prompt_tokens=prompt_tokens(prompt.messages, self._model.count_tokens),
                completion_tokens=self._model.count_tokens(text) if text else 0,
                estimated=True,
            )
        final = msgspec.structs.replace(
            answer,
            content=text,
            status=MessageStatus.FAILED if failure else MessageStatus.COMPLETE,
            model=model_name,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            latency_ms=_ms_since(started),
            error_code=failure.code if failure else None,
        )
        async with self._uow(account_id=agent.account_id, defer_writes=True) as uow:
            await uow.chat_messages.save(final)
            if usage is not None:
                await uow.usage.add(
                    UsageEntry(
                        id=new_id("use"),
                        account_id=agent.account_id,
                        agent_id=agent.id,
                        model=model_name,
                        kind=UsageKind.CHAT,
                        prompt_tokens=usage.prompt_tokens,
                        completion_tokens=usage.completion_tokens,
                        occurred_at=self._clock.now(),
                        session_id=answer.session_id,
                    )
                )
            emit_event(
                uow,
                account_id=agent.account_id,
                type=MESSAGE_CREATED,
                data=message_created(final),
                at=self._clock.now(),
            )
            await uow.commit()
        return final


def _replay_of(
    session: ChatSession, asked: ChatMessage, reply: ChatMessage | None
) -> ChatAnswer | tuple[ChatMessage, ChatMessage]:
    """The stored answer to a message sent again with its key; for a failed one, the
    (question, answer) pair to answer again; ``message_in_progress`` while it streams."""
    if reply is None or reply.status is MessageStatus.STREAMING:
        raise MessageInProgress("A message with this Idempotency-Key is still being answered.")
    if reply.status is MessageStatus.FAILED:
        return asked, reply
    return ChatAnswer(message_id=reply.id, session_id=session.id, events=replayed_answer(reply))


async def replayed_answer(reply: ChatMessage) -> AsyncIterator[TurnEvent]:
    yield TurnStarted(message_id=reply.id, session_id=reply.session_id)
    if reply.content:
        yield TurnDelta(text=reply.content)
    yield TurnSources(citations=reply.citations)
    yield TurnDone(
        message=reply, usage=TokenUsage(prompt_tokens=reply.prompt_tokens, completion_tokens=reply.completion_tokens)
    )


def _earlier_turns(session: ChatSession, history: Sequence[PromptMessage], now: datetime) -> list[ChatMessage]:
    """The turns a client sent with its first question, as stored messages just before it."""
    turns: list[ChatMessage] = []
    asked: str | None = None
    for i, turn in enumerate(history):
        message = ChatMessage(
            id=new_id(MESSAGE_PREFIX),
            account_id=session.account_id,
            agent_id=session.agent_id,
            session_id=session.id,
            role=turn.role,
            content=turn.content,
            reply_to=asked if turn.role is Role.ASSISTANT else None,
            created_at=now - timedelta(microseconds=len(history) - i),
        )
        asked = message.id if turn.role is Role.USER else None
        turns.append(message)
    return turns


def _ms_since(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
