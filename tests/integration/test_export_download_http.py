"""Data exports (issue 12, item 16) on Postgres and the filesystem blob store: the archive is
written to disk member by member (the worker's memory does not hold the originals), it is
complete, and its download link works once."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import zipfile
from pathlib import Path

from aioomi.domain.model.accounts import Principal
from aioomi.domain.model.documents import DocumentUpload
from tests.integration.accounts_support import problem, serve, sign_up_and_verify
from tests.support.memory import PeakMemory

MIB = 1024 * 1024


async def test_the_export_link_works_once_and_the_archive_is_complete(pg_conninfo: str, tmp_path: Path) -> None:
    async with serve("postgres", tmp_path / "aioomi", pg_conninfo) as app:
        owner = await sign_up_and_verify(app, "ada@example.com", full_name="Ada Lovelace")
        headers = owner.headers()
        agent = (await app.client.post("/api/v1/agents", json={"name": "Helper"}, headers=headers)).json()
        text = "# Hours\n\nOpen nine to five, every weekday."
        document = (
            await app.client.post(
                f"/api/v1/agents/{agent['id']}/documents", json={"text": text, "title": "Hours"}, headers=headers
            )
        ).json()
        # The person's export holds the person; the workspace's, asked for apart by its owner,
        # holds the workspace (with the documents' originals).
        person = (await app.client.post("/api/v1/account/export", headers=headers)).json()
        assert person["workspace_id"] is None
        await app.container.build_export()(owner.account_id, person["id"])
        person_link = await app.client.post(f"/api/v1/account/exports/{person['id']}/link", headers=headers)
        person_zip = await app.client.get(person_link.json()["url"].split("127.0.0.1", 1)[1])
        assert person_zip.status_code == 200, person_zip.text
        assert set(zipfile.ZipFile(io.BytesIO(person_zip.content)).namelist()) == {
            "manifest.json",
            "account.json",
            "sessions.json",
            "trusted_devices.json",
            "consents.json",
            "audit_log.json",
            "memberships.json",
        }
        asked = await app.client.post(f"/api/v1/workspaces/{owner.account_id}/export", headers=headers)
        assert asked.status_code == 202, asked.text
        export = asked.json()
        assert export["workspace_id"] == owner.account_id
        await app.container.build_export()(owner.account_id, export["id"])

        link = await app.client.post(f"/api/v1/account/exports/{export['id']}/link", headers=headers)
        assert link.status_code == 201, link.text
        path = link.json()["url"].split("127.0.0.1", 1)[1]
        first = await app.client.get(path)
        assert first.status_code == 200, first.text
        assert first.headers["content-type"] == "application/zip"
        assert first.headers["content-disposition"] == f'attachment; filename="aioomi-export-{export["id"]}.zip"'
        second = await app.client.get(path)
        problem(second, 404, "export_link_not_found")

        archive = zipfile.ZipFile(io.BytesIO(first.content))
        expected = {
            "manifest.json",
            "workspace.json",
            "api_keys.json",
            "agents.json",
            "documents.json",
            "conversations.json",
            "usage.json",
            "request_log.json",
            "billing.json",
            "audit_log.json",
            "improvement_loop.json",
            "leads.json",
            "webhook_endpoints.json",
            f"documents/{document['id']}/original",
        }
        assert set(archive.namelist()) == expected
        assert archive.read(f"documents/{document['id']}/original") == text.encode()
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["export_id"] == export["id"] and manifest["schema_version"] == 1
        listed = {f["name"]: f for f in manifest["files"]}
        assert set(listed) == expected - {"manifest.json"}
        for name, entry in listed.items():
            data = archive.read(name)
            assert (entry["bytes"], entry["sha256"]) == (len(data), hashlib.sha256(data).hexdigest()), name
            assert entry["description"]
        assert json.loads(archive.read("workspace.json"))["name"] == "My workspace"

        # A new link works once again; two requests racing with it get one archive.
        again = (await app.client.post(f"/api/v1/account/exports/{export['id']}/link", headers=headers)).json()
        racing = await asyncio.gather(*(app.client.get(again["url"].split("127.0.0.1", 1)[1]) for _ in range(2)))
        assert sorted(r.status_code for r in racing) == [200, 404]
        rows = await app.container.list_audit_log()(Principal.own(account_id=owner.account_id))
        assert [e.action for e in rows].count("export_downloaded") == 3  # the person's once, the workspace's twice


async def test_building_an_export_does_not_hold_the_originals_in_memory(pg_conninfo: str, tmp_path: Path) -> None:
    async with serve("postgres", tmp_path / "aioomi", pg_conninfo) as app:
        owner = await sign_up_and_verify(app, "ada@example.com")
        who = Principal.own(account_id=owner.account_id)
        agent = (await app.client.post("/api/v1/agents", json={"name": "Helper"}, headers=owner.headers())).json()
        sizes = []
        for i in range(6):  # 6 x 15 MB of incompressible originals: 90 MB
            data = os.urandom(15 * MIB)
            sizes.append(len(data))
            await app.container.add_document()(who, agent["id"], DocumentUpload(data=data, filename=f"scan-{i}.bin"))
            del data
        export = await app.container.request_workspace_export()(who, who.workspace_id)  # the originals are its
        with PeakMemory() as peak:
            result = await app.container.build_export()(owner.account_id, export.id)
        grown = peak.grown
        assert result.bytes > sum(sizes)
        assert grown < 45 * MIB, f"building the export grew the process by {grown / MIB:.0f} MB"
        blob = tmp_path / "aioomi" / "blobs" / owner.account_id / "exports" / f"{export.id}.zip"
        with zipfile.ZipFile(blob) as archive:
            originals = [i for i in archive.infolist() if i.filename.endswith("/original")]
            assert sorted(i.file_size for i in originals) == sorted(sizes)
