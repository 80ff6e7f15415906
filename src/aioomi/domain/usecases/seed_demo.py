"""SeedDemo: the demo account and agent a fresh installation shows on its demo page."""

from __future__ import annotations

import secrets

import msgspec

from aioomi.domain.model.accounts import Account, AccountStatus, Principal
from aioomi.domain.model.agents import Agent, AgentChanges, AgentSettings, WidgetChanges, WidgetStyle
from aioomi.domain.model.documents import Document, DocumentStatus, DocumentUpload, bytes_hash
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.privacy import policy_in_force
from aioomi.domain.usecases.agents.create_agent import CreateAgent
from aioomi.domain.usecases.agents.list_agents import ListAgents
from aioomi.domain.usecases.agents.update_agent import UpdateAgent
from aioomi.domain.usecases.documents.add_document import AddDocument
from aioomi.domain.usecases.documents.list_documents import ListDocuments
from aioomi.domain.usecases.documents.replace_document import ReplaceDocument
from aioomi.ports.clock import Clock
from aioomi.ports.password_hasher import PasswordHasher
from aioomi.ports.unit_of_work import UnitOfWorkFactory

DEMO_EMAIL = "demo@aioomi.invalid"
DEMO_NAME = "Aioomi demo"
DEMO_AGENT_NAME = "Aioomi guide"
DEMO_GREETING = (
    "Hi! I'm the Aioomi demo assistant. I answer from Aioomi's own README and documentation: "
    "ask me how to run it, how to embed this widget, or what data it keeps."
)
DEMO_STARTERS = (
    "How do I run Aioomi?",
    "How do I embed the widget on my site?",
    "What does the widget store in my browser?",
)
DEMO_SYSTEM_PROMPT = (
    "You are the guide to Aioomi, an open-source platform for AI assistants on websites. "
    "Answer briefly, from the documentation only, and cite it."
)


class DemoDocument(msgspec.Struct, frozen=True, kw_only=True):
    """One file of the demo's knowledge base: its title (the path it came from) and content."""

    title: str
    data: bytes
    content_type: str = "text/markdown"


class DemoSite(msgspec.Struct, frozen=True, kw_only=True):
    """What the demo page needs: the agent and the key its widget snippet carries."""

    account_id: str
    agent_id: str
    public_key: str
    documents_added: int
    documents_replaced: int


class SeedDemo:
    """Create, or bring up to date, the demo account, its agent and the agent's documents.

    Rules:
    - idempotent: a second run finds the account (by its reserved e-mail address) and the agent
      (by name) and changes only what differs; a document whose title is known and whose content
      is the same is left alone, a changed one is replaced (same id), a new one is added;
    - nobody can sign in to the account: its password is a random secret, hashed and forgotten at
      once, and it has no Google subject; it is active so its agent serves;
    - the agent is grounded, allowed only on ``origins`` (the server's own address), and keeps
      the same public key across runs;
    - documents go through the ordinary pipeline (:class:`AddDocument` queues the worker's
      ingestion), so the demo shows what an owner's upload does.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        hasher: PasswordHasher,
        create_agent: CreateAgent,
        list_agents: ListAgents,
        update_agent: UpdateAgent,
        add_document: AddDocument,
        replace_document: ReplaceDocument,
        list_documents: ListDocuments,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._hasher = hasher
        self._create_agent = create_agent
        self._list_agents = list_agents
        self._update_agent = update_agent
        self._add_document = add_document
        self._replace_document = replace_document
        self._list_documents = list_documents

    async def __call__(self, origins: list[str], documents: list[DemoDocument]) -> DemoSite:
        principal = Principal.own(account_id=await self._account())
        agent = await self._agent(principal, tuple(origins))
        known = await self._documents(principal, agent.id)
        added = replaced = 0
        for item in documents:
            upload = DocumentUpload(
                data=item.data, title=item.title, filename=item.title.rsplit("/", 1)[-1], content_type=item.content_type
            )
            existing = known.get(item.title)
            if existing is None:
                _, created = await self._add_document(principal, agent.id, upload)
                added += created
            elif existing.content_hash != bytes_hash(item.data) or existing.status is DocumentStatus.FAILED:
                _, changed = await self._replace_document(principal, agent.id, existing.id, upload)
                replaced += changed
        return DemoSite(
            account_id=principal.account_id,
            agent_id=agent.id,
            public_key=agent.public_key,
            documents_added=added,
            documents_replaced=replaced,
        )

    async def _account(self) -> str:
        now = self._clock.now()
        async with self._uow(account_id=None) as uow:
            account = await uow.accounts.find_by_email(DEMO_EMAIL)
            if account is not None:
                return account.id
            in_force = policy_in_force(await uow.privacy.list_policy_versions(), now.date())
            account = Account(
                id=new_id("acct"),
                email=DEMO_EMAIL,
                full_name=DEMO_NAME,
                password_hash=await self._hasher.hash(secrets.token_urlsafe(32)),
                google_subject=None,
                email_verified_at=now,
                adult_attested_at=now,
                accepted_policy_version=in_force.version if in_force else "",
                status=AccountStatus.ACTIVE,
                created_at=now,
                updated_at=now,
            )
            await uow.accounts.add(account)
            await uow.commit()
        return account.id

    async def _agent(self, principal: Principal, origins: tuple[str, ...]) -> Agent:
        page = await self._list_agents(principal, limit=100)
        found = next((a for a in page.items if a.name == DEMO_AGENT_NAME), None)
        widget = WidgetStyle(title="Aioomi demo")
        if found is None:
            return await self._create_agent(
                principal,
                AgentSettings(
                    name=DEMO_AGENT_NAME,
                    system_prompt=DEMO_SYSTEM_PROMPT,
                    greeting=DEMO_GREETING,
                    starter_questions=DEMO_STARTERS,
                    widget=widget,
                    allowed_origins=origins,
                ),
            )
        if (found.allowed_origins, found.greeting, found.starter_questions) == (origins, DEMO_GREETING, DEMO_STARTERS):
            return found
        return await self._update_agent(
            principal,
            found.id,
            AgentChanges(
                greeting=DEMO_GREETING,
                starter_questions=DEMO_STARTERS,
                allowed_origins=origins,
                widget=WidgetChanges(title=widget.title),
            ),
        )

    async def _documents(self, principal: Principal, agent_id: str) -> dict[str, Document]:
        known: dict[str, Document] = {}
        cursor = None
        while True:
            page = await self._list_documents(principal, agent_id, limit=100, cursor=cursor)
            for document in page.items:
                known.setdefault(document.title, document)
            cursor = page.next_cursor
            if cursor is None:
                return known
