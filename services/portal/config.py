"""Settings of the portal (env prefix PORTAL_). It owns no data (no database, no broker): only
where the three APIs are, its own cookie key, and how long a page session may sit idle."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.clock import Clock, OffsetClock, SystemClock
from shared.settings import PLACEHOLDER_SECRETS


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PORTAL_", extra="ignore", populate_by_name=True)

    env: Literal["development", "test", "production"] = Field(
        default="production", validation_alias="DUBAN_ENV"
    )
    # Shared by every service of a deployment; the portal itself talks to no broker.
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092", validation_alias="KAFKA_BOOTSTRAP_SERVERS"
    )
    clock_offset_file: str | None = Field(default=None, validation_alias="DUBAN_CLOCK_OFFSET_FILE")
    # Signs the session cookie (which carries the user's hazard_api token and CSRF token).
    secret_key: str = "changeme"
    service_name: str = "portal"
    http_host: str = "127.0.0.1"
    http_port: int = 8003
    # The services the pages are rendered from (called with the user's own token): the same
    # deployment-wide addresses the services use between themselves (`duban run` sets them).
    hazard_api_url: str = Field(
        default="http://127.0.0.1:8000", validation_alias="DUBAN_HAZARD_API_URL"
    )
    escalation_url: str = Field(
        default="http://127.0.0.1:8001", validation_alias="DUBAN_ESCALATION_URL"
    )
    notification_url: str = Field(
        default="http://127.0.0.1:8002", validation_alias="DUBAN_NOTIFICATION_URL"
    )
    # The reporting service (its deliveries view, when the portal shows it).
    reporting_url: str = Field(
        default="http://127.0.0.1:8004", validation_alias="DUBAN_REPORTING_URL"
    )
    upstream_timeout_s: float = Field(default=10.0, gt=0)
    upstream_max_connections: int = Field(default=50, ge=1)
    # A session unused this long is signed out (the cookie is refused at the next request).
    idle_timeout_minutes: int = Field(default=30, ge=1, le=24 * 60)

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Self:
        if self.env != "development" and self.secret_key.strip().lower() in PLACEHOLDER_SECRETS:
            raise ValueError(
                "portal: secret_key is a placeholder; set a real secret or DUBAN_ENV=development"
            )
        return self

    def make_clock(self) -> Clock:
        return OffsetClock(self.clock_offset_file) if self.clock_offset_file else SystemClock()
