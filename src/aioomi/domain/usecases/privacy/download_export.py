"""The DownloadExport use case."""

from __future__ import annotations

from typing import BinaryIO

import msgspec

from aioomi.domain.model.accounts import InvalidToken
from aioomi.domain.model.errors import NotFound
from aioomi.domain.model.privacy import (
    RightsAction,
)
from aioomi.domain.model.secrets import hash_token
from aioomi.domain.usecases.privacy.support import record
from aioomi.ports.blob_store import BlobStore
from aioomi.ports.clock import Clock
from aioomi.ports.unit_of_work import UnitOfWorkFactory


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
                raise NotFound(
                    "This download link was already used or replaced by a newer one. Make a new one.",
                    code="export_link_not_found",
                )
            if (
                export.blob_key is None
                or export.link_expires_at is None
                or export.link_expires_at <= now
                or export.expires_at <= now
            ):
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
