"""The agent use cases on the memory container, judged by the state they leave in the stores,
and the settings rules as properties: any valid settings survive a round trip unchanged, any
invalid one is refused naming its field."""

from __future__ import annotations

import string
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import pytest
from dependency_injector import providers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aioomi.adapters.local.wordllama_embedder import MODEL as WORDLLAMA_MODEL
from aioomi.adapters.memory.clock import ManualClock
from aioomi.container import Container, container_in_memory, start, stop
from aioomi.domain.model import agents as rules
from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.agents import (
    Agent,
    AgentChanges,
    AgentNotFound,
    AgentRetrieval,
    AgentSettings,
    AgentStatus,
    AnswerMode,
    RetrievalChanges,
    TooManyAgents,
    WidgetChanges,
    WidgetPosition,
    WidgetStyle,
    WidgetTheme,
    check_agent_settings,
    is_loopback_origin,
    normalize_origin,
)
from aioomi.domain.model.errors import InvalidInput
from aioomi.domain.model.knowledge import Chunk, EmbeddedChunk, content_hash
from aioomi.settings import Settings

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
ME = Principal.own(account_id="acct_me")
THEM = Principal.own(account_id="acct_them")


def memory_container(tmp_path: Path, clock: ManualClock, **settings: object) -> Container:
    container = container_in_memory(settings=Settings(data_dir=str(tmp_path / "aioomi"), **settings))
    container.clock.override(providers.Object(clock))
    return container


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def container(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Container]:
    container = memory_container(tmp_path, clock)
    await start(container)
    yield container
    await stop(container)


def stored_agents(container: Container) -> dict[str, Agent]:
    return dict(container.memory_database().table("agents"))


async def by_key(container: Container, public_key: str) -> Agent | None:
    async with container.uow()(account_id=None) as uow:
        return await uow.agents.find_by_public_key(public_key)


# --- strategies --------------------------------------------------------------------------------

_WORDS = st.text(alphabet=string.ascii_letters + string.digits + " .,?!'éß漢", min_size=1, max_size=40)


def _text(max_size: int, *, min_size: int = 1) -> st.SearchStrategy[str]:
    """Normal text of that size: no surrounding spaces, no control characters."""
    return (
        st.text(alphabet=string.ascii_letters + string.digits + " .,?!'-éß漢", min_size=min_size, max_size=max_size)
        .map(str.strip)
        .filter(lambda s: len(s) >= min_size)
    )


_HOSTS = st.from_regex(r"[a-z][a-z0-9]{0,10}(\.[a-z][a-z0-9]{0,10}){0,2}\.(com|org|shop)", fullmatch=True)
_ORIGINS = st.one_of(
    st.builds(
        lambda scheme, host, port: f"{scheme}://{host}" + (f":{port}" if port else ""),
        st.sampled_from(["http", "https"]),
        _HOSTS,
        st.one_of(st.none(), st.integers(1024, 65535)),
    ),
    st.sampled_from(["http://localhost:3000", "http://127.0.0.1:8080", "https://[::1]:8443"]),
)

VALID_SETTINGS = st.builds(
    AgentSettings,
    name=_text(rules.MAX_AGENT_NAME),
    system_prompt=st.text(alphabet=string.ascii_letters + string.punctuation + " \t\r\n漢", max_size=300)
    | st.just("p" * rules.MAX_SYSTEM_PROMPT),
    model=st.sampled_from(["gpt-4o", "gpt-4o-mini", "gpt-4.1", "o3-mini", "ft:gpt-4o:acme:shop:123"]),
    temperature=st.floats(min_value=0, max_value=2, allow_nan=False),
    max_tokens=st.integers(rules.MIN_MAX_TOKENS, rules.MAX_MAX_TOKENS),
    answer_mode=st.sampled_from(AnswerMode),
    fallback_message=_text(rules.MAX_FALLBACK_MESSAGE),
    retrieval=st.builds(
        AgentRetrieval,
        top_k=st.integers(1, rules.MAX_AGENT_TOP_K),
        min_relevance=st.floats(min_value=0, max_value=1, allow_nan=False),
    ),
    greeting=st.none() | _text(rules.MAX_GREETING),
    starter_questions=st.lists(
        _text(rules.MAX_STARTER_QUESTION), max_size=rules.MAX_STARTER_QUESTIONS, unique=True
    ).map(tuple),
    widget=st.builds(
        WidgetStyle,
        primary_color=st.from_regex(r"#[0-9a-f]{6}", fullmatch=True),
        position=st.sampled_from(WidgetPosition),
        title=st.none() | _text(rules.MAX_WIDGET_TITLE),
        avatar_url=st.none() | _HOSTS.map(lambda h: f"https://{h}/avatar.png"),
        theme=st.sampled_from(WidgetTheme),
        launcher_text=st.none() | _text(rules.MAX_LAUNCHER_TEXT),
    ),
    allowed_origins=st.lists(_ORIGINS, max_size=8, unique=True).map(tuple),
    status=st.sampled_from(AgentStatus),
)

# One bad value per rule, with the field the refusal must name.
INVALID = st.sampled_from(
    [
        ("name", {"name": "   "}),
        ("name", {"name": "n" * (rules.MAX_AGENT_NAME + 1)}),
        ("name", {"name": "bell\x07"}),
        ("system_prompt", {"system_prompt": "p" * (rules.MAX_SYSTEM_PROMPT + 1)}),
        ("system_prompt", {"system_prompt": "nul\x00"}),
        ("model", {"model": "gpt 4o"}),
        ("model", {"model": ""}),
        ("temperature", {"temperature": 2.5}),
        ("temperature", {"temperature": -0.1}),
        ("temperature", {"temperature": float("nan")}),
        ("max_tokens", {"max_tokens": 0}),
        ("max_tokens", {"max_tokens": rules.MAX_MAX_TOKENS + 1}),
        ("fallback_message", {"fallback_message": " "}),
        ("greeting", {"greeting": "g" * (rules.MAX_GREETING + 1)}),
        ("retrieval.top_k", {"retrieval": AgentRetrieval(top_k=0)}),
        ("retrieval.top_k", {"retrieval": AgentRetrieval(top_k=rules.MAX_AGENT_TOP_K + 1)}),
        ("retrieval.min_relevance", {"retrieval": AgentRetrieval(min_relevance=1.5)}),
        ("starter_questions", {"starter_questions": tuple(f"Question {i}?" for i in range(7))}),
        ("starter_questions[1]", {"starter_questions": ("Fine?", "  ")}),
        ("widget.primary_color", {"widget": WidgetStyle(primary_color="red")}),
        ("widget.primary_color", {"widget": WidgetStyle(primary_color="#12345")}),
        ("widget.avatar_url", {"widget": WidgetStyle(avatar_url="javascript:alert(1)")}),
        ("widget.avatar_url", {"widget": WidgetStyle(avatar_url="data:image/png;base64,AAAA")}),
        ("widget.avatar_url", {"widget": WidgetStyle(avatar_url="http://cdn.example.com/a.png")}),
        ("widget.title", {"widget": WidgetStyle(title="t" * (rules.MAX_WIDGET_TITLE + 1))}),
        ("widget.launcher_text", {"widget": WidgetStyle(launcher_text="l" * (rules.MAX_LAUNCHER_TEXT + 1))}),
        ("allowed_origins[0]", {"allowed_origins": ("https://shop.example.com/checkout",)}),
        ("allowed_origins[1]", {"allowed_origins": ("https://ok.example.com", "https://*.example.com")}),
        ("allowed_origins[0]", {"allowed_origins": ("https://user:pw@shop.example.com",)}),
        ("allowed_origins[0]", {"allowed_origins": ("ftp://shop.example.com",)}),
        ("allowed_origins[0]", {"allowed_origins": ("https://shop.example.com:99999",)}),
        ("allowed_origins", {"allowed_origins": tuple(f"https://s{i}.example.com" for i in range(51))}),
    ]
)

_PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


# --- the rules as properties -------------------------------------------------------------------


@_PROPERTY
@given(valid=VALID_SETTINGS)
async def test_any_valid_settings_are_stored_and_read_back_unchanged(tmp_path: Path, valid: AgentSettings) -> None:
    container = memory_container(tmp_path, ManualClock(START))
    created = await container.create_agent()(ME, valid)
    assert created.settings == valid
    assert stored_agents(container)[created.id] == created
    assert await container.get_agent()(ME, created.id) == created
    assert check_agent_settings(valid) == valid  # already normal: checking changes nothing


@_PROPERTY
@given(valid=VALID_SETTINGS, invalid=INVALID)
async def test_any_invalid_setting_is_refused_naming_its_field(
    tmp_path: Path, valid: AgentSettings, invalid: tuple[str, dict]
) -> None:
    field, change = invalid
    container = memory_container(tmp_path, ManualClock(START))
    bad = msgspec.structs.replace(valid, **change)
    with pytest.raises(InvalidInput) as refused:
        await container.create_agent()(ME, bad)
    assert refused.value.field == field
    assert stored_agents(container) == {}

    existing = await container.create_agent()(ME, valid)
    as_change = {
        k: (
            RetrievalChanges(**msgspec.structs.asdict(v))
            if isinstance(v, AgentRetrieval)
            else WidgetChanges(**msgspec.structs.asdict(v))
            if isinstance(v, WidgetStyle)
            else v
        )
        for k, v in change.items()
    }
    with pytest.raises(InvalidInput) as refused:
        await container.update_agent()(ME, existing.id, AgentChanges(**as_change))
    assert refused.value.field == field
    assert stored_agents(container) == {existing.id: existing}


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("https://shop.example.com", "https://shop.example.com"),
        ("  HTTPS://Shop.Example.COM/ ", "https://shop.example.com"),
        ("https://shop.example.com:443", "https://shop.example.com"),
        ("http://shop.example.com:80", "http://shop.example.com"),
        ("https://shop.example.com:8443", "https://shop.example.com:8443"),
        ("http://localhost:3000", "http://localhost:3000"),
        ("http://127.0.0.1:5173", "http://127.0.0.1:5173"),
        ("https://[0:0:0:0:0:0:0:1]:8443", "https://[::1]:8443"),
        ("https://bücher.example", "https://xn--bcher-kva.example"),
    ],
)
def test_origins_are_normalised_as_browsers_send_them(raw: str, normal: str) -> None:
    assert normalize_origin(raw) == normal


@pytest.mark.parametrize(
    "raw",
    [
        "shop.example.com",
        "https://",
        "https://shop.example.com/path",
        "https://shop.example.com?q=1",
        "https://shop.example.com#top",
        "https://*.example.com",
        "*",
        "https://user@shop.example.com",
        "https://shop.example.com:0",
        "https://shop.example.com:http",
        "https://shop..example.com",
        "https://-shop.example.com",
        "https://300.1.1.1",
        "https://[::1",
        "javascript://shop.example.com",
        "https://shop example.com",
        "https://shop.example.com.",
    ],
)
def test_origins_with_a_path_a_wildcard_or_credentials_are_refused(raw: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        normalize_origin(raw)
    assert refused.value.code == "invalid_origin"


def test_loopback_origins_are_recognised() -> None:
    assert [is_loopback_origin(o) for o in ("http://localhost:3000", "http://127.0.0.1", "https://[::1]:8443")] == [
        True
    ] * 3
    assert not is_loopback_origin("https://shop.example.com")
    assert not is_loopback_origin("https://localhost.example.com")


def test_settings_are_normalised() -> None:
    checked = check_agent_settings(
        AgentSettings(
            name="  Shop helper ",
            greeting="   ",
            starter_questions=(" Hours? ", "Hours?", "Returns?"),
            widget=WidgetStyle(primary_color="#A1B2C3", title=" ", avatar_url=" "),
            allowed_origins=("https://Shop.example.com/", "https://shop.example.com:443", "http://localhost:3000"),
        )
    )
    assert checked.name == "Shop helper" and checked.greeting is None
    assert checked.starter_questions == ("Hours?", "Returns?")
    assert (
        checked.widget.primary_color == "#a1b2c3" and checked.widget.title is None and checked.widget.avatar_url is None
    )
    assert checked.allowed_origins == ("https://shop.example.com", "http://localhost:3000")


# --- the use cases -----------------------------------------------------------------------------


async def test_a_new_agent_has_the_defaults_a_fresh_key_and_the_embedder_model(container: Container) -> None:
    agent = await container.create_agent()(ME, AgentSettings(name="Support"))
    assert agent.id.startswith("agt_") and agent.account_id == ME.account_id
    assert agent.model == "gpt-4o" and agent.answer_mode is AnswerMode.GROUNDED and agent.status is AgentStatus.ACTIVE
    assert agent.allowed_origins == () and agent.starter_questions == ()
    assert agent.public_key.startswith("pk_") and len(agent.public_key) >= 32
    assert agent.embedding_model == WORDLLAMA_MODEL  # no OpenAI key: the offline embedder
    assert agent.created_at == agent.updated_at == START
    assert stored_agents(container) == {agent.id: agent}
    other = await container.create_agent()(ME, AgentSettings(name="Support"))
    assert other.public_key != agent.public_key and other.id != agent.id


async def test_with_an_openai_key_new_agents_use_openai_embeddings(tmp_path: Path, clock: ManualClock) -> None:
    container = memory_container(tmp_path, clock, openai_api_key="sk-test")
    agent = await container.create_agent()(ME, AgentSettings(name="Support"))
    assert agent.embedding_model == "text-embedding-3-small"


async def test_an_account_holds_at_most_the_limit_of_agents(container: Container) -> None:
    create = container.create_agent()
    for i in range(rules.MAX_AGENTS_PER_ACCOUNT):
        await create(ME, AgentSettings(name=f"Agent {i}"))
    with pytest.raises(TooManyAgents):
        await create(ME, AgentSettings(name="One too many"))
    assert len(stored_agents(container)) == rules.MAX_AGENTS_PER_ACCOUNT
    await create(THEM, AgentSettings(name="Theirs"))  # the limit is per account
    assert len(stored_agents(container)) == rules.MAX_AGENTS_PER_ACCOUNT + 1


async def test_another_accounts_agent_is_not_found(container: Container) -> None:
    theirs = await container.create_agent()(THEM, AgentSettings(name="Theirs"))
    for call in (
        container.get_agent()(ME, theirs.id),
        container.update_agent()(ME, theirs.id, AgentChanges(name="Mine now")),
        container.rotate_agent_key()(ME, theirs.id),
        container.delete_agent()(ME, theirs.id),
        container.get_agent()(ME, "agt_" + "a" * 26),
        container.get_agent()(ME, "not-an-id"),
    ):
        with pytest.raises(AgentNotFound):
            await call
    assert stored_agents(container) == {theirs.id: theirs}


async def test_update_changes_only_what_is_given(container: Container, clock: ManualClock) -> None:
    agent = await container.create_agent()(
        ME,
        AgentSettings(
            name="Support",
            greeting="Hi!",
            starter_questions=("Hours?",),
            widget=WidgetStyle(title="Help", primary_color="#112233"),
            retrieval=AgentRetrieval(top_k=4, min_relevance=0.2),
        ),
    )
    clock.advance(timedelta(minutes=5))
    updated = await container.update_agent()(
        ME,
        agent.id,
        AgentChanges(
            temperature=1.2,
            greeting=None,
            widget=WidgetChanges(theme=WidgetTheme.DARK),
            retrieval=RetrievalChanges(top_k=10),
            allowed_origins=("https://Shop.example.com/",),
        ),
    )
    expected = msgspec.structs.replace(
        agent,
        temperature=1.2,
        greeting=None,
        widget=msgspec.structs.replace(agent.widget, theme=WidgetTheme.DARK),
        retrieval=AgentRetrieval(top_k=10, min_relevance=0.2),
        allowed_origins=("https://shop.example.com",),
        updated_at=START + timedelta(minutes=5),
    )
    assert updated == expected
    assert stored_agents(container)[agent.id] == expected
    unchanged = await container.update_agent()(ME, agent.id, AgentChanges())
    assert unchanged.settings == expected.settings


async def test_rotating_the_key_retires_the_old_one(container: Container, clock: ManualClock) -> None:
    agent = await container.create_agent()(ME, AgentSettings(name="Support"))
    assert await by_key(container, agent.public_key) == agent
    clock.advance(timedelta(hours=1))
    rotated = await container.rotate_agent_key()(ME, agent.id)
    assert rotated.public_key != agent.public_key and rotated.updated_at == START + timedelta(hours=1)
    assert rotated.settings == agent.settings
    assert await by_key(container, agent.public_key) is None
    assert await by_key(container, rotated.public_key) == rotated


def _chunks(n: int) -> list[EmbeddedChunk]:
    texts = [f"Fact number {i} about the shop." for i in range(n)]
    return [
        EmbeddedChunk(chunk=Chunk(text=t, position=i, content_hash=content_hash(t)), embedding=[1.0, float(i)])
        for i, t in enumerate(texts)
    ]


async def test_deleting_an_agent_removes_its_knowledge_base_and_nothing_else(container: Container) -> None:
    doomed = await container.create_agent()(ME, AgentSettings(name="Doomed"))
    kept = await container.create_agent()(ME, AgentSettings(name="Kept"))
    chunks = container.chunk_store()
    for agent in (doomed, kept):
        for document_id in ("doc_a", "doc_b"):
            await chunks.replace_document(
                account_id=ME.account_id,
                agent_id=agent.id,
                document_id=document_id,
                embedding_model="m",
                chunks=_chunks(3),
            )

    await container.delete_agent()(ME, doomed.id)

    assert stored_agents(container) == {kept.id: kept}
    assert await chunks.count(account_id=ME.account_id, agent_id=doomed.id) == 0
    assert await chunks.count(account_id=ME.account_id, agent_id=kept.id) == 6
    assert await by_key(container, doomed.public_key) is None
    with pytest.raises(AgentNotFound):
        await container.delete_agent()(ME, doomed.id)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(0, 25), limit=st.integers(1, 10), same_instant=st.booleans())
async def test_following_the_cursors_lists_every_agent_once_newest_first(
    tmp_path: Path, n: int, limit: int, same_instant: bool
) -> None:
    clock = ManualClock(START)
    container = memory_container(tmp_path, clock)
    for i in range(n):
        await container.create_agent()(ME, AgentSettings(name=f"Agent {i}"))
        await container.create_agent()(THEM, AgentSettings(name=f"Theirs {i}"))
        if not same_instant:
            clock.advance(timedelta(seconds=i % 3))  # some ties, broken by id
    pages = []
    cursor = None
    while True:
        page = await container.list_agents()(ME, limit=limit, cursor=cursor)
        assert len(page.items) <= limit
        pages.append(page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    listed = [a for items in pages for a in items]
    mine = [a for a in stored_agents(container).values() if a.account_id == ME.account_id]
    assert [a.id for a in listed] == [a.id for a in sorted(mine, key=lambda a: (a.created_at, a.id), reverse=True)]
    assert len(pages) == max(1, -(-n // limit))  # no empty last page


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "zz",
        "bm90IGEgY3Vyc29y",
        "W1siMjAyNi0wMS0wMSIsIngiXV0",
        "WyIyMDI2LTAxLTAxVDAwOjAwOjAwIiwiYWd0X3giXQ",
        "é" * 10,
        "a" * 300,
    ],
)
async def test_a_cursor_the_list_did_not_return_is_refused(container: Container, cursor: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        await container.list_agents()(ME, cursor=cursor)
    assert (refused.value.code, refused.value.field) == ("invalid_cursor", "cursor")


@pytest.mark.parametrize("limit", [0, 101, -1])
async def test_the_page_size_is_bounded(container: Container, limit: int) -> None:
    with pytest.raises(InvalidInput) as refused:
        await container.list_agents()(ME, limit=limit)
    assert refused.value.field == "limit"
