"""hazard_api settings (environment prefix HAZARD_API_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import DubanSettings


class Settings(DubanSettings):
    model_config = SettingsConfigDict(env_prefix="HAZARD_API_", extra="ignore")

    service_name: str = "hazard_api"
    database_url: str = "sqlite+aiosqlite:///./var/hazard_api.db"
    http_port: int = 8000
    # Bearer tokens (JWT, HS256 signed with secret_key).
    access_token_minutes: int = Field(default=8 * 60, ge=1, le=30 * 24 * 60)
    # The relay publishes the outbox; switch off only for tools that never need the broker.
    outbox_relay: bool = True
    outbox_poll_seconds: float = Field(default=1.0, gt=0)
