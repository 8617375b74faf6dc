"""Settings: placeholder secrets refused outside development; shared names read unprefixed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from shared.clock import OffsetClock, SystemClock
from shared.settings import DubanSettings

REAL_SECRET = "k3J9-q8vN2xLr7Tz5wYp0aB4"


class ServiceSettings(DubanSettings):
    model_config = SettingsConfigDict(env_prefix="PLUMBING_TEST_")

    service_name: str = "plumbing_test"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DUBAN_ENV", "ENV", "KAFKA_BOOTSTRAP_SERVERS", "DUBAN_CLOCK_OFFSET_FILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("env", [None, "production", "test"])
@pytest.mark.parametrize("secret", [None, "changeme", " CHANGEME ", "secret", ""])
def test_a_placeholder_secret_is_refused_outside_development(
    monkeypatch: pytest.MonkeyPatch, env: str | None, secret: str | None
) -> None:
    if env is not None:
        monkeypatch.setenv("DUBAN_ENV", env)
    if secret is not None:
        monkeypatch.setenv("PLUMBING_TEST_SECRET_KEY", secret)
    with pytest.raises(ValidationError, match="plumbing_test: secret_key is a placeholder"):
        ServiceSettings()


def test_development_accepts_the_placeholder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUBAN_ENV", "development")
    assert ServiceSettings().secret_key == "changeme"


def test_a_real_secret_is_accepted_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLUMBING_TEST_SECRET_KEY", REAL_SECRET)
    monkeypatch.setenv("PLUMBING_TEST_HTTP_PORT", "8123")
    settings = ServiceSettings()
    assert (settings.env, settings.secret_key, settings.http_port) == (
        "production",
        REAL_SECRET,
        8123,
    )


def test_a_stray_unprefixed_env_variable_does_not_switch_to_development(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ENV", "development")  # common in container images
    with pytest.raises(ValidationError, match="placeholder"):
        ServiceSettings()


def test_deployment_wide_names_are_read_without_the_service_prefix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DUBAN_ENV", "development")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka-1:9092,kafka-2:9092")
    offset = tmp_path / "offset"
    monkeypatch.setenv("DUBAN_CLOCK_OFFSET_FILE", str(offset))
    settings = ServiceSettings()
    assert settings.kafka_bootstrap_servers == "kafka-1:9092,kafka-2:9092"
    clock = settings.make_clock()
    assert isinstance(clock, OffsetClock)
    offset.write_text("86400")
    assert clock.now() - datetime.now(UTC) > timedelta(hours=23)


def test_without_an_offset_file_the_clock_is_the_system_clock() -> None:
    settings = ServiceSettings(env="development")
    assert isinstance(settings.make_clock(), SystemClock)


def test_an_unknown_environment_name_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUBAN_ENV", "dev")
    with pytest.raises(ValidationError, match="DUBAN_ENV"):
        ServiceSettings()
