"""The policy, published, and one source of truth for its version: ``/privacy`` renders the
version in force (and the next one during its 30-day notice), ``/privacy/versions`` lists every
version; the sign-up form, the Google sign-up link, the footer and ``GET /api/v1/auth/policy``
all follow the store when a new version takes effect, and sign-up with the form's version
works before and after."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from dependency_injector import providers

from aioomi.adapters.memory.clock import ManualClock
from aioomi.domain.model.policy import CURRENT_POLICY_VERSION
from tests.integration.accounts_support import last_mail_to, problem, run_sign_up_mail_jobs, serve, sign_up_body

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NEW_TEXT = "# Privacy Policy\n\nVersion two: <script>alert(1)</script> **clearer** retention.\n"
POLICY_FILE = Path(__file__).parents[2] / "src/aioomi/policy/2026-02-15.md"


class GoogleConfigured:
    """Stands for a configured Google provider: the sign-up page then offers the Google link."""

    async def aclose(self) -> None:
        return None


def configure(clock: ManualClock):
    def apply(container) -> None:
        container.clock.override(providers.Object(clock))
        container.identity_provider.override(providers.Object(GoogleConfigured()))

    return apply


def form_version(html: str) -> str:
    [value] = re.findall(r'name="accepted_policy_version" type="checkbox" value="([^"]+)"', html)
    return value


def assert_no_inline_script(html: str) -> None:
    """A strict CSP (script-src 'self') allows only scripts loaded from files."""
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert not re.search(r"\son[a-z]+=", html)


@pytest.fixture(params=["postgres", "memory"])
def backend(request: pytest.FixtureRequest) -> tuple[str, str | None]:
    return request.param, request.getfixturevalue("pg_conninfo") if request.param == "postgres" else None


async def test_the_policy_pages_and_sign_up_follow_the_version_in_force(
    backend: tuple[str, str | None], tmp_path: Path
) -> None:
    backend, conninfo = backend
    clock = ManualClock(START)
    async with serve(backend, tmp_path / "aioomi", conninfo, configure=configure(clock)) as app:
        page = await app.client.get("/privacy")
        assert page.status_code == 200
        assert_no_inline_script(page.text)
        assert 'id="policy-current-version">2026-02-15<' in page.text
        assert "<h1>Privacy Policy</h1>" in page.text and "aioomi_visitor_id" in page.text
        assert 'id="policy-upcoming"' not in page.text
        sign_up = await app.client.get("/sign-up")
        assert form_version(sign_up.text) == "2026-02-15"
        assert "accepted_policy_version=2026-02-15" in sign_up.text  # the Google sign-up link
        assert 'href="/privacy"' in sign_up.text and 'id="footer-policy"' in sign_up.text
        assert (await app.client.get("/api/v1/auth/policy")).json() == {"version": "2026-02-15"}

        # A new version, announced 30 days ahead with its text.
        effective = date(2026, 4, 1)
        await app.container.publish_policy_version()(effective, "Clearer retention.", NEW_TEXT)
        page = await app.client.get("/privacy")
        assert 'id="policy-current-version">2026-02-15<' in page.text
        assert 'id="policy-upcoming-version">2026-04-01<' in page.text
        assert '<time datetime="2026-04-01">' in page.text and "Clearer retention." in page.text
        assert "<strong>clearer</strong>" in page.text
        assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
        assert_no_inline_script(page.text)
        versions = await app.client.get("/privacy/versions")
        assert versions.status_code == 200
        assert_no_inline_script(versions.text)
        rows = re.findall(
            r"<tr>\s*<td>([^<]+)</td>\s*<td><time[^>]*>([^<]+)</time></td>\s*<td>[^<]*</td>\s*"
            r"<td>([^<]+)</td>",
            versions.text,
        )
        assert rows == [("2026-04-01", "2026-04-01", "upcoming"), ("2026-02-15", "2026-02-15", "in force")]
        assert form_version((await app.client.get("/sign-up")).text) == "2026-02-15"  # not in force yet
        footer = (await app.client.get("/sign-in")).text
        assert "(version 2026-02-15; version 2026-04-01 from 2026-04-01)" in footer

        # The day it takes effect (the page cache is 5 minutes: a month later it is long gone).
        clock.advance(timedelta(days=30))
        assert clock.now().date() == effective
        page = await app.client.get("/privacy")
        assert 'id="policy-current-version">2026-04-01<' in page.text and 'id="policy-upcoming"' not in page.text
        sign_up = await app.client.get("/sign-up")
        assert form_version(sign_up.text) == "2026-04-01"
        assert "accepted_policy_version=2026-04-01" in sign_up.text  # the Google sign-up link
        assert "version 2026-04-01" in sign_up.text
        assert (await app.client.get("/api/v1/auth/policy")).json() == {"version": "2026-04-01"}
        refused = await app.client.post(
            "/api/v1/auth/signup", json=sign_up_body("late@example.com", accepted_policy_version=CURRENT_POLICY_VERSION)
        )
        problem(refused, 422, "consent_required")
        accepted = await app.client.post(
            "/api/v1/auth/signup",
            json=sign_up_body("new@example.com", accepted_policy_version=form_version(sign_up.text)),
        )
        assert accepted.status_code == 202, accepted.text
        await run_sign_up_mail_jobs(app)
        assert last_mail_to(app.outbox(), "new@example.com", "verify_email")


async def test_the_seeded_versions_stored_text_is_the_shipped_markdown(postgres_container) -> None:
    async with postgres_container.uow()(account_id=None) as uow:
        [seeded] = [v for v in await uow.privacy.list_policy_versions() if v.version == "2026-02-15"]
    assert seeded.body == POLICY_FILE.read_text(encoding="utf-8")
