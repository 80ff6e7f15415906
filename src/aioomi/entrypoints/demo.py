"""The demo a fresh ``aioomi serve`` shows at ``/demo``: an agent whose knowledge base is
Aioomi's own README and docs, seeded at startup through the ordinary documents pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import structlog

import aioomi
from aioomi.domain.usecases.seed_demo import DemoDocument, DemoSite

if TYPE_CHECKING:
    from aioomi.container import AppContainer
    from aioomi.settings import Settings

log = structlog.get_logger("aioomi.demo")

PROJECT_ROOT = Path(aioomi.__file__).resolve().parents[2]


def demo_enabled(settings: Settings, *, memory: bool) -> bool:
    """On for the embedded database and ``--memory`` unless ``AIOOMI_DEMO=off``; never on a
    production ``DATABASE_URL``."""
    return settings.demo == "on" and (memory or settings.embedded_database)


def demo_documents(root: Path = PROJECT_ROOT) -> list[DemoDocument]:
    """README.md and docs/*.md of a source checkout (an installed wheel has none: the demo
    agent then answers with its fallback message)."""
    paths = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    return [DemoDocument(title=str(path.relative_to(root)), data=path.read_bytes()) for path in paths if path.is_file()]


def demo_origins(base_url: str) -> list[str]:
    """The server's own origin, and its ``localhost`` twin when it listens on 127.0.0.1 (people
    type either)."""
    parts = urlsplit(base_url)
    origins = [f"{parts.scheme}://{parts.netloc}"]
    if parts.hostname in ("127.0.0.1", "localhost"):
        port = f":{parts.port}" if parts.port else ""
        origins += [f"{parts.scheme}://127.0.0.1{port}", f"{parts.scheme}://localhost{port}"]
    return list(dict.fromkeys(origins))


async def seed_demo(
    container: AppContainer, origins: list[str], documents: list[DemoDocument] | None = None
) -> DemoSite | None:
    """Seed the demo; a failure is logged and the server runs without it."""
    try:
        site = await container.seed_demo()(origins, demo_documents() if documents is None else documents)
    except Exception as error:  # noqa: BLE001 - the demo must never keep the product from starting
        log.error("the demo could not be seeded", error=str(error))
        return None
    log.info("demo seeded", agent_id=site.agent_id, added=site.documents_added, replaced=site.documents_replaced)
    return site
