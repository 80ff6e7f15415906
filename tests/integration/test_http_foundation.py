"""The HTTP foundation on the Postgres container: probes, problem responses, request ids,
the OpenAPI document, metrics and the offline API docs page."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import psycopg
import pytest
from litestar.testing import AsyncTestClient
from prometheus_client.parser import text_string_to_metric_families

from aioomi import __version__
from aioomi.container import Container
from aioomi.entrypoints.http.app import create_app
from aioomi.settings import Settings

PROBLEM = "application/problem+json"
METRICS_TOKEN = "metrics-token-for-the-foundation-tests"


@pytest.fixture
def app_settings(tmp_path) -> Settings:
    return Settings(data_dir=str(tmp_path / "aioomi"), log_format="console", metrics_token=METRICS_TOKEN)


@pytest.fixture
async def client(postgres_container: Container) -> AsyncIterator[AsyncTestClient]:
    # The fixture has started the container (migrations, pool); the app only serves on it.
    app = create_app(postgres_container, manage_lifecycle=False)
    async with AsyncTestClient(app=app) as client:
        yield client


async def _sql(conninfo: str, query: str) -> list[tuple]:
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        cur = await conn.execute(query)
        return await cur.fetchall() if cur.description else []


def _assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0] == PROBLEM
    body = response.json()
    assert {"type", "title", "status", "detail", "code", "request_id"} <= body.keys(), body
    assert body["status"] == status and body["code"] == code
    assert body["request_id"] == response.headers["x-request-id"]
    return body


async def test_liveness(client: AsyncTestClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__}


async def test_readiness_reports_the_database_as_it_is(client: AsyncTestClient, pg_conninfo: str) -> None:
    ((vector_version,),) = await _sql(pg_conninfo, "SELECT extversion FROM pg_extension WHERE extname = 'vector'")
    ((applied,),) = await _sql(pg_conninfo, "SELECT count(*) FROM schema_migrations")

    response = await client.get("/readyz")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready" and body["version"] == __version__
    assert body["database"] == {
        "backend": "postgres",
        "vector_version": vector_version,
        "applied_migrations": applied,
        "pending_migrations": [],
    }


async def test_readiness_is_a_503_problem_when_a_migration_is_missing(
    client: AsyncTestClient, pg_conninfo: str
) -> None:
    ((version, name),) = await _sql(
        pg_conninfo,
        "DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations) "
        "RETURNING version, name",
    )

    response = await client.get("/readyz")

    body = _assert_problem(response, 503, "not_ready")
    assert f"{version}_{name}" in body["detail"]


async def test_an_unknown_path_is_a_404_problem_with_a_request_id(client: AsyncTestClient) -> None:
    response = await client.get("/no/such/thing")

    body = _assert_problem(response, 404, "not_found")
    assert re.fullmatch(r"req_[a-z0-9]+", body["request_id"]), body["request_id"]


async def test_request_ids_are_unique_and_a_safe_caller_id_is_echoed(client: AsyncTestClient) -> None:
    first = await client.get("/no/such/thing")
    second = await client.get("/no/such/thing")
    assert first.headers["x-request-id"] != second.headers["x-request-id"]

    echoed = await client.get("/no/such/thing", headers={"X-Request-ID": "lb-7f3a.9c_01-XYZ"})
    assert echoed.headers["x-request-id"] == "lb-7f3a.9c_01-XYZ"
    assert echoed.json()["request_id"] == "lb-7f3a.9c_01-XYZ"
    ok = await client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.9c_01-XYZ"})
    assert ok.headers["x-request-id"] == "lb-7f3a.9c_01-XYZ"

    for unsafe in ("short", "has spaces in it", "x" * 65, "<script>alert(1)</script>"):
        replaced = await client.get("/no/such/thing", headers={"X-Request-ID": unsafe})
        assert replaced.headers["x-request-id"] != unsafe
        assert replaced.headers["x-request-id"].startswith("req_")
        assert replaced.json()["request_id"] == replaced.headers["x-request-id"]


async def test_the_openapi_document_lists_the_probes(client: AsyncTestClient) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.text)
    assert document["openapi"].startswith("3.")
    assert document["info"]["version"] == __version__
    assert {"/healthz", "/readyz"} <= document["paths"].keys()
    assert "503" in document["paths"]["/readyz"]["get"]["responses"]


async def test_metrics_are_prometheus_text_counting_requests(client: AsyncTestClient) -> None:
    await client.get("/readyz")
    response = await client.get("/metrics", headers={"authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "aioomi_requests_total" in response.text
    families = {family.name: family for family in text_string_to_metric_families(response.text)}
    samples = [s for s in families["aioomi_requests"].samples if s.name == "aioomi_requests_total"]
    assert any(s.labels.get("path") == "/readyz" and s.value >= 1 for s in samples), samples


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append(value)


async def test_the_api_docs_page_loads_only_local_assets(client: AsyncTestClient) -> None:
    response = await client.get("/schema")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text

    own_host = urlsplit(str(client.base_url)).hostname
    # Host names only: a regex in the inline spec such as "^https://[^\s]+$" names no host.
    elsewhere = [host for host in re.findall(r"https?://([A-Za-z0-9][A-Za-z0-9.-]*)", html) if host != own_host]
    assert elsewhere == [], f"the docs page must work offline, without third-party hosts: {elsewhere}"

    parser = _References()
    parser.feed(html)
    assets = [url for url in parser.urls if not url.startswith("data:")]
    assert assets, "the page loads Swagger UI from somewhere"
    remote = [url for url in assets if urlsplit(url).scheme or urlsplit(url).netloc]
    assert remote == [], f"assets must be served by the app itself: {remote}"
    for url in assets:
        asset = await client.get(urljoin("/schema", url))
        assert asset.status_code == 200, url
        assert len(asset.content) > 100, url
