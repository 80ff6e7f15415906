"""Settings: defaults, validation naming the variable, and secrets kept out of reprs."""

from __future__ import annotations

import pytest

from aioomi.settings import Settings, SettingsError, load_settings


def test_no_variables_means_the_embedded_default() -> None:
    settings = load_settings({})
    assert settings.embedded_database and settings.port == 8000 and settings.host == "127.0.0.1"


def test_values_are_decoded_from_strings() -> None:
    settings = load_settings(
        {"AIOOMI_PORT": "9001", "AIOOMI_WORKER_POLL_S": "0.5", "DATABASE_URL": "postgresql://u@db:5432/aioomi"}
    )
    assert settings.port == 9001 and settings.worker_poll_s == 0.5 and not settings.embedded_database


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("AIOOMI_PORT", "abc"),
        ("AIOOMI_PORT", "70000"),
        ("AIOOMI_LOG_LEVEL", "loud"),
        ("DATABASE_URL", "mysql://x"),
        ("OPENAI_BASE_URL", "not a url"),
        ("AIOOMI_DB_POOL_MIN", "0"),
        ("AIOOMI_WORKER_CONCURRENCY", "-1"),
    ],
)
def test_a_bad_value_names_its_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({variable: value})
    assert caught.value.variable == variable
    assert caught.value.detail.startswith(variable + ": ")
    assert "\n" not in caught.value.detail


def test_pool_bounds_must_be_ordered() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"AIOOMI_DB_POOL_MIN": "20", "AIOOMI_DB_POOL_MAX": "5"})
    assert caught.value.variable == "AIOOMI_DB_POOL_MIN"


def test_secrets_never_appear_in_repr() -> None:
    settings = Settings(
        database_url="postgresql://app:hunter2@db/aioomi",
        openai_api_key="sk-secret",
        stripe_secret_key="sk_live_secret",
        stripe_webhook_secret="whsec_secret",
        google_client_secret="gsecret",
        rerank_api_key="rk-secret",
    )
    shown = repr(settings) + str(settings)
    for secret in ("hunter2", "sk-secret", "sk_live_secret", "whsec_secret", "gsecret", "rk-secret"):
        assert secret not in shown
    assert "postgresql://app:***@db/aioomi" in shown


def test_the_reranker_is_off_by_default_and_read_from_its_variables() -> None:
    assert load_settings({}).rerank_url is None
    settings = load_settings(
        {
            "AIOOMI_RERANK_URL": "https://api.jina.ai/v1/rerank",
            "AIOOMI_RERANK_MODEL": "m",
            "AIOOMI_RERANK_API_KEY": "k",
            "AIOOMI_RERANK_TIMEOUT_S": "1.5",
        }
    )
    assert (settings.rerank_url, settings.rerank_model, settings.rerank_api_key, settings.rerank_timeout_s) == (
        "https://api.jina.ai/v1/rerank",
        "m",
        "k",
        1.5,
    )
    with pytest.raises(SettingsError) as caught:
        load_settings({"AIOOMI_RERANK_URL": "ftp://x"})
    assert caught.value.variable == "AIOOMI_RERANK_URL"


def test_the_rerankers_gate_is_read_from_its_variable_and_must_be_inside_0_to_1() -> None:
    assert load_settings({}).rerank_gate == 0.5
    assert load_settings({"AIOOMI_RERANK_GATE": "0.2"}).rerank_gate == 0.2
    for bad in ("0", "1", "1.5"):
        with pytest.raises(SettingsError) as caught:
            load_settings({"AIOOMI_RERANK_GATE": bad})
        assert caught.value.variable == "AIOOMI_RERANK_GATE"
