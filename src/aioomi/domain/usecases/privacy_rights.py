"""The owner's rights under the GDPR, self-service: access and portability (exports),
restriction (Art. 18), objection (Art. 21), erasure (Art. 17) with a grace period, the audit
log of every rights action, and the end users' conversations (the owner is their controller).
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any, BinaryIO

import msgspec

from aioomi.domain.model.accounts import Account, AccountStatus, InvalidToken, Principal
from aioomi.domain.model.documents import DocumentStatus
from aioomi.domain.model.errors import AioomiError, NotFound
from aioomi.domain.model.ids import new_id
from aioomi.domain.model.jobs import NewJob
from aioomi.domain.model.mail import EmailMessage
from aioomi.domain.model.pagination import PageKey
from aioomi.domain.model.privacy import (
    EXPORT_LINK_TTL,
    EXPORT_RETENTION,
    FRESH_SESSION,
    AuditEvent,
    DataExport,
    ExportNotReady,
    ExportStatus,
    PrivacyState,
    ReauthenticationRequired,
    RightsAction,
    check_chat_retention_days,
    check_deletion_grace,
    export_blob_key,
)
from aioomi.domain.model.request_log import RequestLogEntry
from aioomi.domain.model.secrets import hash_token
from aioomi.domain.usecases.export_archive import write_export_archive
from aioomi.domain.usecases.ingest_document import ingest_job
from aioomi.ports.billing import PaymentGateway
from aioomi.ports.blob_store import BlobStore
from aioomi.ports.clock import Clock
from aioomi.ports.mailer import Mailer
from aioomi.ports.password_hasher import PasswordHasher
from aioomi.ports.privacy import OperationalRecords
from aioomi.ports.request_log import RequestLog
from aioomi.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

BUILD_EXPORT = "privacy.build_export"
EXPORT_SCHEMA_VERSION = 1
AUDIT_PAGE = 200
_PAGE = 200


async def record(uow: UnitOfWork, account_id: str, action: RightsAction, at: datetime, **detail: Any) -> None:
    """Add a rights action to the account's audit log, in the caller's transaction."""
    await uow.privacy.add_event(AuditEvent(id=new_id("aud"), account_id=account_id, action=str(action), at=at,
                                           detail=detail))


async def _own_account(uow: UnitOfWork, account_id: str) -> Account:
    account = await uow.accounts.get(account_id)
    if account is None:
        raise NotFound("No such account.", code="account_not_found")
    return account


class PrivacyOverview(msgspec.Struct, frozen=True, kw_only=True):
    account: Account
    state: PrivacyState


class GetPrivacyOverview:
    """The owner's privacy choices: restriction, objection, a pending erasure."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal) -> PrivacyOverview:
        async with self._uow(account_id=principal.account_id) as uow:
            account = await _own_account(uow, principal.account_id)
            state = await uow.privacy.get_state(account.id) or PrivacyState(account_id=account.id)
        return PrivacyOverview(account=account, state=state)


class ListAuditLog:
    """Every rights action of the account, newest first."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal, limit: int = AUDIT_PAGE) -> list[AuditEvent]:
        async with self._uow(account_id=principal.account_id) as uow:
            return await uow.privacy.list_events(principal.account_id, min(max(limit, 1), AUDIT_PAGE))


class RestrictProcessing:
    """Art. 18: restrict processing, or lift the restriction.

    Rules:
    - while restricted, the data is kept but the agents do not answer (the chat path refuses
      any owner whose account is not ``active``), documents are not ingested (the ingestion
      job waits; lifting re-queues it), nothing is sent to OpenAI, and the request log keeps no
      account or IP for the account (no analytics);
    - lifting makes the account active again and queues the documents that waited;
    - both are idempotent and audited.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, records: OperationalRecords) -> None:
        self._uow = uow
        self._clock = clock
        self._records = records

    async def __call__(self, principal: Principal, *, restrict: bool) -> PrivacyState:
        now = self._clock.now()
        async with self._uow(account_id=principal.account_id) as uow:
            account = await _own_account(uow, principal.account_id)
            state = await uow.privacy.get_state(account.id) or PrivacyState(account_id=account.id)
            if restrict and state.restricted_at is None:
                state = msgspec.structs.replace(state, restricted_at=now)
                await uow.accounts.update(msgspec.structs.replace(account, status=AccountStatus.RESTRICTED, updated_at=now))
                await record(uow, account.id, RightsAction.RESTRICTED, now)
            elif not restrict and state.restricted_at is not None:
                state = msgspec.structs.replace(state, restricted_at=None)
                await uow.accounts.update(msgspec.structs.replace(account, status=AccountStatus.ACTIVE, updated_at=now))
                await record(uow, account.id, RightsAction.RESTRICTION_LIFTED, now)
                await _requeue_waiting_documents(uow, account.id)
            await uow.privacy.save_state(state)
            await uow.commit()
        if restrict:
            await self._records.anonymize_request_log([principal.account_id])
        return state


async def _requeue_waiting_documents(uow: UnitOfWork, account_id: str) -> None:
    after: PageKey | None = None
    while True:
        agents = await uow.agents.list_page(account_id, limit=_PAGE, after=after)
        for agent in agents:
            for document in await uow.documents.list_all(account_id, agent.id):
                if document.status is DocumentStatus.QUEUED:
                    await uow.jobs.enqueue(msgspec.structs.replace(
                        ingest_job(document), dedupe_key=f"{ingest_job(document).dedupe_key}:lifted:{secrets.token_hex(4)}"))
        if len(agents) < _PAGE:
            return
        after = PageKey(created_at=agents[-1].created_at, id=agents[-1].id)


class IngestUnlessRestricted:
    """The ingestion job, as the privacy policy allows it.

    Rules: ingestion sends a document's text to the embedder (OpenAI when configured); while the
    owner restricts processing (Art. 18) or the account is being erased, nothing is done and the
    document stays ``queued`` (no embedder call); lifting the restriction re-queues it
    (:class:`RestrictProcessing`) and it is ingested then.
    """

    def __init__(self, uow: UnitOfWorkFactory, ingest: Any) -> None:
        self._uow = uow
        self._ingest = ingest

    async def __call__(self, account_id: str, document_id: str, version: int, attempt: int = 1) -> object:
        async with self._uow(account_id=account_id) as uow:
            allowed = await processing_allowed(uow, account_id)
        if not allowed:
            return {"deferred": "processing_restricted"}
        return await self._ingest(account_id, document_id, version, attempt)


async def processing_allowed(uow: UnitOfWork, account_id: str) -> bool:
    """Whether the account's data may be processed beyond keeping it (not restricted, not
    being erased). An unknown account is not refused here: the step itself finds nothing."""
    account = await uow.accounts.get(account_id)
    return account is None or account.status is AccountStatus.ACTIVE


class ObjectToProcessing:
    """Art. 21: object to processing based on legitimate interests (usage analytics beyond what
    billing needs), or withdraw the objection.

    Rules: while objecting, the account's API requests are logged without account or IP (the
    request log is then only operational, not analytics about the owner), existing rows are
    anonymised at once and a sweep keeps it so; the token ledger stays (billing needs it).
    Idempotent and audited.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, records: OperationalRecords) -> None:
        self._uow = uow
        self._clock = clock
        self._records = records

    async def __call__(self, principal: Principal, *, objecting: bool) -> PrivacyState:
        now = self._clock.now()
        async with self._uow(account_id=principal.account_id) as uow:
            account = await _own_account(uow, principal.account_id)
            state = await uow.privacy.get_state(account.id) or PrivacyState(account_id=account.id)
            if objecting and state.objected_at is None:
                state = msgspec.structs.replace(state, objected_at=now)
                await record(uow, account.id, RightsAction.OBJECTED, now, scope="usage_analytics")
            elif not objecting and state.objected_at is not None:
                state = msgspec.structs.replace(state, objected_at=None)
                await record(uow, account.id, RightsAction.OBJECTION_WITHDRAWN, now, scope="usage_analytics")
            await uow.privacy.save_state(state)
            await uow.commit()
        if objecting:
            await self._records.anonymize_request_log([principal.account_id])
        return state


class RecordApiRequests:
    """Write a batch of the API request log, honouring objection, restriction and erasure at
    write time.

    Rules: an entry naming an account that objected to usage analytics (Art. 21), restricted
    processing (Art. 18), asked for its erasure (pending deletion) or no longer exists (purged)
    is written without its account and IP address, from the moment the choice is saved (the
    sweep only re-checks older rows); other entries are written as they are. The decision is
    taken in the very statement that inserts (:meth:`RequestLog.add_many`), so a batch flushed
    after the purge cannot bring an erased account's id or IP back. One statement per batch.
    """

    def __init__(self, request_log: RequestLog) -> None:
        self._request_log = request_log

    async def __call__(self, entries: list[RequestLogEntry]) -> None:
        await self._request_log.add_many(entries)


# --- access and portability ---------------------------------------------------------------------


class RequestExport:
    """Art. 15 and 20: ask for an archive of everything held about the account; the worker
    builds it and e-mails when it is ready. An export already being built is returned instead of
    a second one."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, principal: Principal) -> DataExport:
        now = self._clock.now()
        async with self._uow(account_id=principal.account_id) as uow:
            await _own_account(uow, principal.account_id)
            for existing in await uow.privacy.list_exports(principal.account_id, 10):
                if existing.status is ExportStatus.QUEUED:
                    return existing
            export = DataExport(id=new_id("exp"), account_id=principal.account_id, status=ExportStatus.QUEUED,
                                created_at=now, expires_at=now + EXPORT_RETENTION)
            await uow.privacy.add_export(export)
            await uow.jobs.enqueue(NewJob(kind=BUILD_EXPORT, payload={"account_id": export.account_id,
                                                                       "export_id": export.id},
                                          dedupe_key=f"{BUILD_EXPORT}:{export.id}"))
            await record(uow, principal.account_id, RightsAction.EXPORT_REQUESTED, now, export_id=export.id)
            await uow.commit()
        return export


class ListExports:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal) -> list[DataExport]:
        async with self._uow(account_id=principal.account_id) as uow:
            return await uow.privacy.list_exports(principal.account_id, 20)


def _json(value: Any) -> bytes:
    return json.dumps(msgspec.to_builtins(value), indent=2, ensure_ascii=False, sort_keys=True).encode()


EXPORT_FILES = {
    "account.json": "The account: email, full name, sign-in methods, status, consents (18+, policy version).",
    "sessions.json": "Signed-in sessions not revoked: times, IP address, user agent.",
    "api_keys.json": "API keys: name, visible prefix, times. Never the secret or its hash.",
    "trusted_devices.json": "Browsers trusted after a password sign-in (device cookies): times. Never the token "
                            "or its hash.",
    "agents.json": "Agents with every setting, widget styling and chat retention.",
    "documents.json": "Knowledge-base documents' metadata; files under documents/<id>/.",
    "conversations.json": "Chat sessions of every agent with their messages.",
    "usage.json": "Token usage per day, agent and model.",
    "request_log.json": "The account's logged API requests (last 90 days).",
    "billing.json": "Plan and subscription state (Stripe ids only) and billing records.",
    "consents.json": "Age attestation, accepted policy versions, privacy choices.",
    "audit_log.json": "Every rights action of the account.",
}


class BuildExport:
    """The worker's half of an export: a zip of JSON files with a manifest (schema in
    docs/privacy.md), stored under the account's folder of the blob store, kept 7 days; the
    owner gets an e-mail. Idempotent: a ready export is not rebuilt."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, blobs: BlobStore, request_log: RequestLog,
                 mailer: Mailer, base_url: str) -> None:
        self._uow = uow
        self._clock = clock
        self._blobs = blobs
        self._request_log = request_log
        self._mailer = mailer
        self._base_url = base_url.rstrip("/")

    async def __call__(self, account_id: str, export_id: str) -> dict[str, Any]:
        async with self._uow(account_id=account_id) as uow:
            export = await uow.privacy.get_export(account_id, export_id)
            account = await uow.accounts.get(account_id)
            if export is None or account is None or export.status is not ExportStatus.QUEUED:
                return {"skipped": True}
            originals: dict[str, str] = {}
            files = await self._collect(uow, account, originals)
        files["request_log.json"] = _json(await self._request_log.recent(account_id, 100_000))
        now = self._clock.now()
        key = export_blob_key(account_id, export_id)
        size = await write_export_archive(self._blobs, key, files=files, originals=originals, descriptions=EXPORT_FILES,
                                          manifest={"schema_version": EXPORT_SCHEMA_VERSION, "export_id": export_id,
                                                    "account_id": account_id, "generated_at": now.isoformat(),
                                                    "format": "docs/privacy.md#export-archive"})
        async with self._uow(account_id=account_id) as uow:
            ready = msgspec.structs.replace(export, status=ExportStatus.READY, ready_at=now, blob_key=key,
                                            size_bytes=size)
            await uow.privacy.update_export(ready)
            await record(uow, account_id, RightsAction.EXPORT_READY, now, export_id=export_id, bytes=size)
            await uow.commit()
        await self._mailer.send(EmailMessage(
            to=account.email, kind="export_ready", subject="Your Aioomi data export is ready",
            text=(f"Hello {account.full_name},\n\nThe archive of your data is ready. Sign in and download it from "
                  f"{self._base_url}/dashboard/account (the download link works {int(EXPORT_LINK_TTL.total_seconds() // 60)} "
                  f"minutes once made; the archive is kept until {ready.expires_at:%Y-%m-%d}).\n"),
        ))
        return {"export_id": export_id, "bytes": size, "files": len(files) + len(originals) + 1}

    async def _collect(self, uow: UnitOfWork, account: Account, originals: dict[str, str]) -> dict[str, bytes]:
        """The archive's files; the originals' blob keys go to ``originals`` (copied later, one at a time)."""
        files: dict[str, bytes] = {}
        account_out = msgspec.to_builtins(account)
        account_out.pop("password_hash", None)
        account_out["sign_in_methods"] = [str(m) for m in account.sign_in_methods]
        files["account.json"] = _json(account_out)
        sessions = await uow.sessions.list_unrevoked(account.id)
        files["sessions.json"] = _json([{k: v for k, v in msgspec.to_builtins(s).items()
                                         if k not in ("token_hash", "csrf_token")} for s in sessions])
        keys = await uow.api_keys.list(account.id)
        files["api_keys.json"] = _json([{k: v for k, v in msgspec.to_builtins(key).items() if k != "key_hash"}
                                        for key in keys])
        devices = await uow.devices.list_for_account(account.id)
        files["trusted_devices.json"] = _json([{"id": d.id, "created_at": d.created_at, "expires_at": d.expires_at}
                                               for d in devices])
        agents_out, documents_out, conversations = [], [], []
        after: PageKey | None = None
        while True:
            agents = await uow.agents.list_page(account.id, limit=_PAGE, after=after)
            for agent in agents:
                agent_out = msgspec.to_builtins(agent)
                agent_out["chat_retention_days"] = await uow.privacy.get_chat_retention(account.id, agent.id)
                agents_out.append(agent_out)
                for document in await uow.documents.list_all(account.id, agent.id):
                    documents_out.append(msgspec.to_builtins(document))
                    if document.blob_key:
                        originals[f"documents/{document.id}/original"] = document.blob_key
                    text = await uow.documents.get_text(account.id, document.id)
                    if text is not None:
                        files[f"documents/{document.id}/text.txt"] = text.encode()
                conversations.extend(await _agent_conversations(uow, account.id, agent.id))
            if len(agents) < _PAGE:
                break
            after = PageKey(created_at=agents[-1].created_at, id=agents[-1].id)
        files["agents.json"] = _json(agents_out)
        files["documents.json"] = _json(documents_out)
        files["conversations.json"] = _json(conversations)
        files["usage.json"] = _json(await uow.usage.totals(
            account.id, datetime(2000, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC)))
        files["billing.json"] = _json({"subscription": await uow.billing.get_account(account.id),
                                       "records": await uow.billing.list_records(account.id, 100_000)})
        state = await uow.privacy.get_state(account.id) or PrivacyState(account_id=account.id)
        events = await uow.privacy.list_events(account.id, 100_000)
        files["consents.json"] = _json({
            "adult_attested_at": account.adult_attested_at,
            "accepted_policy_version": account.accepted_policy_version,
            "accepted_at": account.created_at,
            "policy_acceptances": [e for e in events if e.action == RightsAction.POLICY_ACCEPTED],
            "restricted_at": state.restricted_at, "objected_at": state.objected_at,
        })
        files["audit_log.json"] = _json(events)
        return files


async def _agent_conversations(uow: UnitOfWork, account_id: str, agent_id: str,
                               visitor_id: str | None = None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if visitor_id is not None:
        sessions = await uow.chat_sessions.list_for_visitor(account_id, agent_id, visitor_id, limit=100_000)
    else:
        sessions, after = [], None
        while True:
            page = await uow.chat_sessions.list_for_agent(account_id, agent_id, limit=_PAGE, after=after)
            sessions.extend(page)
            if len(page) < _PAGE:
                break
            after = PageKey(created_at=page[-1].created_at, id=page[-1].id)
    for session in sessions:
        messages = await uow.chat_messages.list_for_session(account_id, session.id)
        out.append(msgspec.to_builtins(session) | {"messages": msgspec.to_builtins(messages)})
    return out


class ExportLink(msgspec.Struct, frozen=True, kw_only=True):
    url: str
    expires_at: datetime


class IssueExportLink:
    """A download link for a ready export, valid ``EXPORT_LINK_TTL``; a new link voids the last."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, base_url: str) -> None:
        self._uow = uow
        self._clock = clock
        self._base_url = base_url.rstrip("/")

    async def __call__(self, principal: Principal, export_id: str) -> ExportLink:
        now = self._clock.now()
        token = secrets.token_urlsafe(32)
        async with self._uow(account_id=principal.account_id) as uow:
            export = await uow.privacy.get_export(principal.account_id, export_id)
            if export is None:
                raise NotFound("No such export.", code="export_not_found")
            if export.status is not ExportStatus.READY:
                raise ExportNotReady(f"The export is {export.status}.")
            updated = msgspec.structs.replace(export, link_hash=hash_token(token), link_expires_at=now + EXPORT_LINK_TTL)
            await uow.privacy.update_export(updated)
            await uow.commit()
        return ExportLink(url=f"{self._base_url}/api/v1/account/exports/download?token={token}",
                          expires_at=now + EXPORT_LINK_TTL)


class DownloadExport:
    """The archive a link names, opened for streaming (no session needed: the link is the key).
    A link works once, within its lifetime: the first download consumes it (the row is locked,
    so two requests racing with one link get one archive), and a second use is
    ``export_link_not_found`` (404). Make a new link to download again."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, blobs: BlobStore) -> None:
        self._uow = uow
        self._clock = clock
        self._blobs = blobs

    async def __call__(self, token: str) -> tuple[str, BinaryIO]:
        now = self._clock.now()
        async with self._uow(account_id=None) as uow:
            export = await uow.privacy.find_export_by_link(hash_token(token), for_update=True)
            if export is None:
                raise NotFound("This download link was already used or replaced by a newer one. Make a new one.",
                               code="export_link_not_found")
            if (export.blob_key is None or export.link_expires_at is None
                    or export.link_expires_at <= now or export.expires_at <= now):
                raise InvalidToken("This download link is invalid or has expired. Make a new one.", field="token")
            archive = await self._blobs.reader(export.blob_key)
            if archive is None:
                raise NotFound("The archive is gone; request a new export.", code="export_not_found")
            try:
                await uow.privacy.update_export(msgspec.structs.replace(export, link_hash=None, link_expires_at=None))
                await record(uow, export.account_id, RightsAction.EXPORT_DOWNLOADED, now, export_id=export.id)
                await uow.commit()
            except BaseException:
                archive.close()
                raise
        return f"aioomi-export-{export.id}.zip", archive


# --- erasure ---------------------------------------------------------------------------------


class DeletionScheduled(msgspec.Struct, frozen=True, kw_only=True):
    purge_after: datetime


class RequestAccountDeletion:
    """Art. 17: erase the account.

    Rules:
    - re-authentication: the password for an account that has one; else (Google only) a
      session opened in the last ``FRESH_SESSION`` (sign in with Google again first); an API
      key alone never erases an account;
    - at once: every session and API key revoked, the account ``deletion_pending`` (agents stop
      answering, sign-in refused), the Stripe subscription cancelled;
    - the worker purges everything after ``grace``: 0 to 30 days, anything else is refused
      when the use case is built (never clamped); until then a link e-mailed to the owner
      cancels the deletion;
    - the Stripe subscription is cancelled at once, best effort: an outage does not refuse the
      erasure (the purge cancels it and deletes the customer, retrying while Stripe is down);
    - audited (the audit log goes with the account at the purge).
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, hasher: PasswordHasher, gateway: PaymentGateway | None,
                 mailer: Mailer, base_url: str, grace: Any) -> None:
        self._uow = uow
        self._clock = clock
        self._hasher = hasher
        self._gateway = gateway
        self._mailer = mailer
        self._base_url = base_url.rstrip("/")
        self._grace = check_deletion_grace(grace)

    async def __call__(self, principal: Principal, password: str | None) -> DeletionScheduled:
        now = self._clock.now()
        async with self._uow(account_id=principal.account_id) as uow:
            account = await _own_account(uow, principal.account_id)
            await self._reauthenticate(uow, account, principal, password, now)
            state = await uow.privacy.get_state(account.id) or PrivacyState(account_id=account.id)
            token = secrets.token_urlsafe(32)
            purge_after = now + self._grace
            state = msgspec.structs.replace(
                state, deletion_requested_at=now, purge_after=purge_after, cancel_token_hash=hash_token(token),
                status_before_deletion="restricted" if account.status is AccountStatus.RESTRICTED else "active",
            )
            await uow.privacy.save_state(state)
            await uow.accounts.update(msgspec.structs.replace(account, status=AccountStatus.DELETION_PENDING,
                                                              updated_at=now))
            await uow.sessions.revoke_all(account.id, now)
            await uow.api_keys.revoke_all(account.id, now)
            billing = await uow.billing.get_account(account.id)
            await record(uow, account.id, RightsAction.DELETION_REQUESTED, now, purge_after=purge_after.isoformat())
            await uow.commit()
        if self._gateway is not None and billing is not None and billing.subscription_id:
            await cancel_subscription(self._gateway, billing.subscription_id)
        await self._mailer.send(EmailMessage(
            to=account.email, kind="deletion_scheduled", subject="Your Aioomi account will be deleted",
            text=(f"Hello {account.full_name},\n\nYour account and its data will be deleted on "
                  f"{purge_after:%Y-%m-%d %H:%M} UTC. Changed your mind? Cancel before then:\n\n"
                  f"{self._base_url}/cancel-deletion?token={token}\n"),
        ))
        return DeletionScheduled(purge_after=purge_after)

    async def _reauthenticate(self, uow: UnitOfWork, account: Account, principal: Principal,
                              password: str | None, now: datetime) -> None:
        if account.password_hash is not None:
            if not password or not await self._hasher.verify(account.password_hash, password):
                raise ReauthenticationRequired("Enter your current password to delete the account.")
            return
        if principal.session_id is None:
            raise ReauthenticationRequired("Sign in with Google again, then delete the account from that session.")
        sessions = {s.id: s for s in await uow.sessions.list_unrevoked(account.id)}
        session = sessions.get(principal.session_id)
        if session is None or now - session.created_at > FRESH_SESSION:
            raise ReauthenticationRequired("Sign in with Google again (within the last 10 minutes) to delete "
                                           "the account.")


async def cancel_subscription(gateway: PaymentGateway, subscription_id: str) -> None:
    """Best effort at request time; the purge deletes the Stripe customer, which ends any
    subscription left."""
    try:
        await gateway.cancel_subscription(subscription_id)
    except AioomiError:
        pass  # gone already, or Stripe is down: the purge finishes it


class CancelAccountDeletion:
    """During the grace period the e-mailed link undoes the deletion: the account returns to
    its previous status (sessions and API keys stay revoked: sign in again)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, token: str) -> AccountStatus:
        """The account's status now (``restricted`` when it was restricted before)."""
        now = self._clock.now()
        async with self._uow(account_id=None) as uow:
            state = await uow.privacy.find_by_cancel_token(hash_token(token))
            account = await uow.accounts.get(state.account_id) if state else None
            if (state is None or account is None or state.purge_after is None or state.purge_after <= now
                    or account.status is not AccountStatus.DELETION_PENDING):
                raise InvalidToken("This link is invalid or the deletion can no longer be cancelled.", field="token")
            status = AccountStatus.RESTRICTED if state.status_before_deletion == "restricted" else AccountStatus.ACTIVE
            await uow.privacy.save_state(msgspec.structs.replace(
                state, deletion_requested_at=None, purge_after=None, cancel_token_hash=None, status_before_deletion=None))
            await uow.accounts.update(msgspec.structs.replace(account, status=status, updated_at=now))
            await record(uow, account.id, RightsAction.DELETION_CANCELLED, now)
            await uow.commit()
        return status


# --- end users' conversations ------------------------------------------------------------------


class VisitorConversations:
    """The owner as controller of their visitors' data: find, export and delete a visitor's
    conversations (hard delete) across the owner's agents by visitor id; export and delete are
    audited."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def _agents(self, uow: UnitOfWork, account_id: str) -> list[str]:
        ids: list[str] = []
        after: PageKey | None = None
        while True:
            agents = await uow.agents.list_page(account_id, limit=_PAGE, after=after)
            ids.extend(a.id for a in agents)
            if len(agents) < _PAGE:
                return ids
            after = PageKey(created_at=agents[-1].created_at, id=agents[-1].id)

    async def find(self, principal: Principal, visitor_id: str) -> list[Any]:
        async with self._uow(account_id=principal.account_id) as uow:
            found = []
            for agent_id in await self._agents(uow, principal.account_id):
                found.extend(await uow.chat_sessions.list_for_visitor(principal.account_id, agent_id, visitor_id,
                                                                      limit=100_000))
        return found

    async def export(self, principal: Principal, visitor_id: str) -> list[dict[str, Any]]:
        now = self._clock.now()
        async with self._uow(account_id=principal.account_id) as uow:
            out = []
            for agent_id in await self._agents(uow, principal.account_id):
                out.extend(await _agent_conversations(uow, principal.account_id, agent_id, visitor_id))
            await record(uow, principal.account_id, RightsAction.VISITOR_EXPORTED, now, sessions=len(out))
            await uow.commit()
        return out

    async def delete(self, principal: Principal, visitor_id: str) -> int:
        now = self._clock.now()
        async with self._uow(account_id=principal.account_id) as uow:
            removed = 0
            for agent_id in await self._agents(uow, principal.account_id):
                for session in await uow.chat_sessions.list_for_visitor(principal.account_id, agent_id, visitor_id,
                                                                        limit=100_000):
                    removed += int(await uow.chat_sessions.delete(principal.account_id, session.id))
            await record(uow, principal.account_id, RightsAction.VISITOR_DELETED, now, sessions=removed)
            await uow.commit()
        return removed


class SetChatRetention:
    """An agent keeps its conversations for ``days`` (1–365, and never past 12 months), or,
    with ``None``, the policy's 12 months. Audited."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def get(self, principal: Principal, agent_id: str) -> int | None:
        async with self._uow(account_id=principal.account_id) as uow:
            if await uow.agents.get(principal.account_id, agent_id) is None:
                raise NotFound("No such agent.", code="agent_not_found")
            return await uow.privacy.get_chat_retention(principal.account_id, agent_id)

    async def __call__(self, principal: Principal, agent_id: str, days: int | None) -> int | None:
        check_chat_retention_days(days)
        now = self._clock.now()
        async with self._uow(account_id=principal.account_id) as uow:
            if await uow.agents.get(principal.account_id, agent_id) is None:
                raise NotFound("No such agent.", code="agent_not_found")
            await uow.privacy.set_chat_retention(principal.account_id, agent_id, days)
            await record(uow, principal.account_id, RightsAction.CHAT_RETENTION_SET, now, agent_id=agent_id, days=days)
            await uow.commit()
        return days



class CheckProcessingAllowed:
    """Whether the worker may process the account's data (ingestion sends it to OpenAI): not
    while restricted or being erased. Restricted documents stay queued; lifting re-queues them."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, account_id: str) -> bool:
        async with self._uow(account_id=account_id) as uow:
            return await processing_allowed(uow, account_id)
