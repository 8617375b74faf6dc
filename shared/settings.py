"""Settings base shared by the three services (pydantic-settings)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.clock import Clock, OffsetClock, SystemClock
from shared.db import make_engine

if TYPE_CHECKING:
    from shared.repair import RepairSettings

# Values that must never reach production: the compose file and the README ship these.
PLACEHOLDER_SECRETS = frozenset(
    {"", "changeme", "change-me", "secret", "dev-secret", "placeholder"}
)


class DubanSettings(BaseSettings):
    """Common settings; each service subclasses it with its own `env_prefix`.

    `DUBAN_ENV` and `KAFKA_BOOTSTRAP_SERVERS` are read without the service prefix because
    every service of one deployment shares them.
    """

    # Aliases are exact environment names (no bare ENV or CLOCK_OFFSET_FILE from the host);
    # the field names still work as keyword arguments.
    model_config = SettingsConfigDict(env_prefix="DUBAN_", extra="ignore", populate_by_name=True)

    env: Literal["development", "test", "production"] = Field(
        default="production", validation_alias="DUBAN_ENV"
    )
    database_url: str = "sqlite+aiosqlite:///./var/duban.db"
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias="KAFKA_BOOTSTRAP_SERVERS",
    )
    secret_key: str = "changeme"
    service_name: str = "duban"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    # Connections one process keeps to PostgreSQL. Size the pool to the requests a worker has in
    # flight at once: the pool closes an overflow connection as soon as it is returned, so under
    # steady load above pool_size most requests would open (and prepare statements on) a new one.
    db_pool_size: int = Field(default=20, ge=1, le=500)
    db_max_overflow: int = Field(default=10, ge=0, le=500)
    # The longest one statement may take, lock waits included: a connection the network lost
    # without a reset, or a lock nobody releases, would otherwise hold a loop (the timers, a
    # relay) or a request forever. PostgreSQL: asyncpg's command timeout; SQLite: busy timeout.
    db_command_timeout_s: float = Field(default=60.0, gt=0, le=3600)
    # Request bodies (JSON, forms) above this size are refused with 413 before parsing;
    # file uploads are limited by their own route.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=100 * 1024 * 1024)
    # End-to-end tests move the time of every process at once through this file.
    clock_offset_file: str | None = Field(
        default=None,
        validation_alias="DUBAN_CLOCK_OFFSET_FILE",
    )

    # The repair of events a broker lost (shared.repair, shared.acks); `off` for fault tests.
    event_repair: Literal["on", "off"] = Field(default="on", validation_alias="DUBAN_EVENT_REPAIR")
    event_repair_interval_s: float = Field(
        default=30.0, gt=0, validation_alias="DUBAN_EVENT_REPAIR_INTERVAL_S"
    )
    event_repair_settle_s: float = Field(
        default=60.0, ge=0, validation_alias="DUBAN_EVENT_REPAIR_SETTLE_S"
    )
    event_repair_window_s: float = Field(
        default=3600.0, gt=0, validation_alias="DUBAN_EVENT_REPAIR_WINDOW_S"
    )
    # Where each service answers, for the repair's `GET /internal/outbox` between services.
    hazard_api_url: str = Field(
        default="http://127.0.0.1:8000", validation_alias="DUBAN_HAZARD_API_URL"
    )
    escalation_url: str = Field(
        default="http://127.0.0.1:8001", validation_alias="DUBAN_ESCALATION_URL"
    )
    notification_url: str = Field(
        default="http://127.0.0.1:8002", validation_alias="DUBAN_NOTIFICATION_URL"
    )
    reporting_url: str = Field(
        default="http://127.0.0.1:8004", validation_alias="DUBAN_REPORTING_URL"
    )

    @property
    def repair(self) -> RepairSettings:
        from shared.repair import RepairSettings

        return RepairSettings(
            enabled=self.event_repair == "on",
            interval_s=self.event_repair_interval_s,
            settle_s=self.event_repair_settle_s,
            window_s=self.event_repair_window_s,
            producer_urls={
                "hazard_api": self.hazard_api_url,
                "escalation": self.escalation_url,
                "notification": self.notification_url,
                "reporting": self.reporting_url,
            },
        )

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> DubanSettings:
        if self.env != "development" and self.secret_key.strip().lower() in PLACEHOLDER_SECRETS:
            raise ValueError(
                f"{self.service_name}: secret_key is a placeholder; set a real secret "
                "or DUBAN_ENV=development"
            )
        return self

    def make_engine(self) -> AsyncEngine:
        return make_engine(
            self.database_url,
            pool_size=self.db_pool_size,
            max_overflow=self.db_max_overflow,
            command_timeout_s=self.db_command_timeout_s,
        )

    def make_clock(self) -> Clock:
        return OffsetClock(self.clock_offset_file) if self.clock_offset_file else SystemClock()
