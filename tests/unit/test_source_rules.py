"""The pure rules of knowledge-base sources: settings per kind, path patterns, schedules and
freshness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aioomi.domain.model.billing import Plan, PlanLimitReached
from aioomi.domain.model.errors import InvalidInput
from aioomi.domain.model.sources import (
    Freshness,
    Source,
    SourceKind,
    SourceLimits,
    SourceSettings,
    SyncSchedule,
    check_settings,
    check_source_name,
    crawl_page_limit,
    freshness,
    next_sync,
    normalise_url,
    on_site,
    path_allowed,
    source_page_limit,
)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
LIMITS = SourceLimits(max_pages_per_source=300)


def test_web_sources_need_a_public_looking_http_address() -> None:
    for bad in (
        None,
        "",
        "ftp://example.com/",
        "https://",
        "https://ada:pw@example.com/",
        "https://exa mple.com/",
        "https://example.com/" + "a" * 2100,
    ):
        with pytest.raises(InvalidInput) as caught:
            check_settings(SourceKind.WEBSITE, SourceSettings(url=bad), LIMITS)
        assert caught.value.code == "invalid_source_url"


def test_crawled_sources_default_to_the_page_limit_and_refuse_more() -> None:
    settings = check_settings(SourceKind.SITEMAP, SourceSettings(url="https://example.com/sitemap.xml"), LIMITS)
    assert settings.max_pages is None and settings.max_depth == 3  # as many as the limit allows at each run
    assert crawl_page_limit(settings, None, LIMITS) == 300
    assert (
        check_settings(SourceKind.WEBSITE, SourceSettings(url="https://example.com/", max_pages=300), LIMITS).max_pages
        == 300
    )
    with pytest.raises(InvalidInput) as caught:
        check_settings(SourceKind.WEBSITE, SourceSettings(url="https://example.com/", max_pages=301), LIMITS)
    assert (caught.value.code, caught.value.field) == ("invalid_source_settings", "settings.max_pages")
    with pytest.raises(InvalidInput):
        check_settings(SourceKind.WEBSITE, SourceSettings(url="https://example.com/", max_pages=0), LIMITS)
    with pytest.raises(InvalidInput):
        check_settings(SourceKind.WEBSITE, SourceSettings(url="https://example.com/", max_depth=11), LIMITS)


def test_the_page_limit_comes_from_the_plan_and_the_server_only_without_one() -> None:
    starter = Plan(id="starter", name="Starter", max_source_pages=50)
    big = Plan(id="big", name="Big", max_source_pages=2_000)  # above the server's 300: the plan holds
    unlimited = Plan(id="unlimited", name="Unlimited")  # sets no page limit: the server's ceiling
    assert (
        source_page_limit(starter, LIMITS),
        source_page_limit(big, LIMITS),
        source_page_limit(unlimited, LIMITS),
        source_page_limit(None, LIMITS),
    ) == (50, 2_000, 300, 300)
    url = "https://example.com/"
    assert check_settings(SourceKind.WEBSITE, SourceSettings(url=url, max_pages=1_500), LIMITS, big).max_pages == 1_500
    with pytest.raises(PlanLimitReached) as caught:
        check_settings(SourceKind.WEBSITE, SourceSettings(url=url, max_pages=51), LIMITS, starter)
    assert caught.value.code == "plan_limit_reached" and "Starter plan allows 50 pages" in caught.value.detail
    with pytest.raises(InvalidInput) as refused:  # no page limit in the plan: the server's, as without a plan
        check_settings(SourceKind.WEBSITE, SourceSettings(url=url, max_pages=301), LIMITS, unlimited)
    assert refused.value.code == "invalid_source_settings"
    # a source set up under a bigger plan is capped at each run by the plan in force, not refused
    assert crawl_page_limit(SourceSettings(url=url, max_pages=1_500), starter, LIMITS) == 50
    assert crawl_page_limit(SourceSettings(url=url, max_pages=20), starter, LIMITS) == 20
    assert crawl_page_limit(SourceSettings(url=url), big, LIMITS) == 2_000


def test_a_url_source_is_just_its_address_and_others_have_no_settings() -> None:
    assert check_settings(
        SourceKind.URL, SourceSettings(url="https://example.com/a", max_pages=5, max_depth=3), LIMITS
    ) == SourceSettings(url="https://example.com/a", max_depth=0)
    assert check_settings(SourceKind.QA, SourceSettings(), LIMITS) == SourceSettings()
    with pytest.raises(InvalidInput) as caught:
        check_settings(SourceKind.UPLOAD, SourceSettings(url="https://example.com/"), LIMITS)
    assert caught.value.code == "invalid_source_settings"


def test_path_patterns_are_checked_and_deduplicated() -> None:
    settings = check_settings(
        SourceKind.WEBSITE,
        SourceSettings(url="https://example.com/", include_paths=("/docs/*", " /docs/* ", "/blog/*")),
        LIMITS,
    )
    assert settings.include_paths == ("/docs/*", "/blog/*")
    for bad in (("docs/*",), ("/" + "a" * 200,), tuple(f"/p{i}" for i in range(21)), ("/a\nb",)):
        with pytest.raises(InvalidInput) as caught:
            check_settings(SourceKind.WEBSITE, SourceSettings(url="https://example.com/", exclude_paths=bad), LIMITS)
        assert caught.value.code == "invalid_path_pattern"


def test_a_path_must_match_an_include_pattern_and_no_exclude_pattern() -> None:
    settings = SourceSettings(include_paths=("/docs/*", "/faq"), exclude_paths=("/docs/old/*",))
    assert path_allowed("/docs/setup", settings)
    assert path_allowed("/faq", settings)
    assert not path_allowed("/faq/more", settings)
    assert not path_allowed("/docs/old/setup", settings)
    assert not path_allowed("/blog/post", settings)
    assert path_allowed("", SourceSettings())  # no patterns: everything, the root too


def test_names_are_one_trimmed_line() -> None:
    assert check_source_name("  Help \n centre ", "x") == "Help centre"
    assert check_source_name(None, "https://example.com/") == "https://example.com/"
    assert check_source_name(None, "x" * 250) == "x" * 200  # a derived name is cut, a given one refused
    with pytest.raises(InvalidInput):
        check_source_name("x" * 201, "fallback")


def source(schedule: SyncSchedule, last: datetime | None) -> Source:
    return Source(
        id="src_x",
        account_id="acct_x",
        agent_id="agt_x",
        kind=SourceKind.WEBSITE,
        name="Site",
        settings=SourceSettings(url="https://example.com/"),
        schedule=schedule,
        created_at=T0,
        updated_at=T0,
        last_synced_at=last,
    )


def test_a_source_is_fresh_within_its_schedule_period_and_an_hour_of_grace() -> None:
    assert freshness(source(SyncSchedule.DAILY, None), T0) is Freshness.NEVER_SYNCED
    daily = source(SyncSchedule.DAILY, T0)
    assert freshness(daily, T0 + timedelta(hours=25)) is Freshness.FRESH
    assert freshness(daily, T0 + timedelta(hours=25, seconds=1)) is Freshness.STALE
    weekly = source(SyncSchedule.WEEKLY, T0)
    assert freshness(weekly, T0 + timedelta(days=7, hours=1)) is Freshness.FRESH
    assert freshness(weekly, T0 + timedelta(days=7, hours=2)) is Freshness.STALE
    manual = source(SyncSchedule.OFF, T0)
    assert freshness(manual, T0 + timedelta(days=7)) is Freshness.FRESH
    assert freshness(manual, T0 + timedelta(days=8)) is Freshness.STALE


def test_the_next_sync_is_one_period_after_the_last() -> None:
    assert next_sync(SyncSchedule.DAILY, T0) == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert next_sync(SyncSchedule.WEEKLY, T0) == datetime(2026, 3, 8, 9, 0, tzinfo=UTC)
    assert next_sync(SyncSchedule.OFF, T0) is None


def test_malformed_addresses_are_refused_not_raised() -> None:
    for bad in ("http://[::1", "http://example.com:port/", "https://example.com:99999/"):
        with pytest.raises(InvalidInput):
            check_settings(SourceKind.WEBSITE, SourceSettings(url=bad), LIMITS)
        assert not on_site(bad, "https://example.com/", True)


def test_on_site_means_the_same_host_or_when_asked_its_subdomains() -> None:
    start = "https://www.example.com/docs/"
    assert on_site("http://example.com/a", start, False)
    assert on_site("https://WWW.EXAMPLE.COM/b", start, False)
    assert not on_site("https://help.example.com/a", start, False)
    assert on_site("https://help.example.com/a", start, True)
    assert not on_site("https://badexample.com/a", start, True)
    assert not on_site("mailto:ada@example.com", start, True)


def test_addresses_compare_normalised() -> None:
    assert normalise_url("HTTPS://Example.com:443/a?x=1#top") == "https://example.com/a?x=1"
    assert normalise_url("http://example.com") == "http://example.com/"
    assert normalise_url("http://example.com:8080/a") == "http://example.com:8080/a"
