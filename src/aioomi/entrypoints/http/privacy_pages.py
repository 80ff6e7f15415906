"""The privacy policy, published: ``/privacy`` (the version in force, and the next one during
its 30-day notice) and ``/privacy/versions`` (every version with its effective date).

Public pages, no script: the Markdown is rendered with raw HTML off, so a policy text can
carry no markup of its own.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.datastructures import CacheControlHeader
from litestar.response import Template
from markdown_it import MarkdownIt

from aioomi.domain.model.privacy import PolicyVersion

_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def policy_html(version: PolicyVersion) -> str:
    """The version's text as HTML (raw HTML in the Markdown is shown as text, never kept)."""
    return _MARKDOWN.render(version.body or f"*The text of version {version.version} is not stored.*")


async def load_policy(request: Request[Any, Any, Any]) -> None:
    """For every page: the version in force (and the next one), read through the same use case
    as sign-up, so the footer and the sign-up form never name a version the API refuses."""
    request.state.policy = await request.app.state.container.published_policy()()


class PrivacyPolicyPages(Controller):
    path = "/privacy"
    include_in_schema = False
    cache_control = CacheControlHeader(max_age=300)
    before_request = load_policy  # type: ignore[assignment]  # a plain function, not a method: Litestar passes the request

    @get("/")
    async def policy(self, request: Request[Any, Any, Any]) -> Template:
        published = request.state.policy
        return Template(
            "privacy.html",
            context={
                "owner": None,
                "title": "Privacy policy",
                "current": published.current,
                "current_html": policy_html(published.current),
                "upcoming": published.upcoming,
                "upcoming_html": policy_html(published.upcoming) if published.upcoming else None,
            },
        )

    @get("/versions")
    async def versions(self, request: Request[Any, Any, Any]) -> Template:
        published = request.state.policy
        return Template(
            "privacy_versions.html",
            context={
                "owner": None,
                "title": "Privacy policy versions",
                "versions": published.versions,
                "current": published.current,
                "upcoming": published.upcoming,
            },
        )
