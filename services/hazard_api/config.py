"""hazard_api settings (environment prefix HAZARD_API_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.contract import DeadlineKind
from shared.settings import DubanSettings


class Settings(DubanSettings):
    model_config = SettingsConfigDict(env_prefix="HAZARD_API_", extra="ignore")

    service_name: str = "hazard_api"
    database_url: str = "sqlite+aiosqlite:///./var/hazard_api.db"
    http_port: int = 8000
    # Bearer tokens (JWT, HS256 signed with secret_key).
    access_token_minutes: int = Field(default=8 * 60, ge=1, le=30 * 24 * 60)
    # Login throttling: this many failures within the window block an account or a client
    # address (429 with Retry-After) until the window ends.
    login_failures_per_account: int = Field(default=5, ge=1, le=1000)
    login_failures_per_address: int = Field(default=20, ge=1, le=100_000)
    login_failure_window_minutes: int = Field(default=15, ge=1, le=24 * 60)
    # The relay publishes the outbox; switch off only for tools that never need the broker.
    outbox_relay: bool = True
    outbox_poll_seconds: float = Field(default=1.0, gt=0)

    # ---- hazard lifecycle (DOMAIN.md §1, §2): local choices, configurable
    general_deadline_days: int = Field(default=30, ge=1, le=365)
    general_deadline_kind: DeadlineKind = DeadlineKind.CALENDAR_DAYS
    major_deadline_days: int = Field(default=60, ge=1, le=365)
    # The longest deadline a classifier may set, in calendar days (县级规定; DOMAIN §2, §9).
    general_deadline_max_days: int = Field(default=30, ge=1, le=365)
    major_deadline_max_days: int = Field(default=90, ge=1, le=365)
    listing_deadline_days: int = Field(default=60, ge=1, le=365)  # 挂牌督办一般60日
    listing_deadline_max_days: int = Field(default=90, ge=1, le=365)  # 最长90日
    acceptance_review_days: int = Field(default=10, ge=1, le=60)  # 10日内现场验收
    # 延期申请须在期限届满前若干个工作日提出（挂牌隐患青岛做法为20个工作日）
    extension_lead_workdays: int = Field(default=2, ge=0, le=60)
    extension_lead_workdays_listed: int = Field(default=20, ge=0, le=60)
    evidence_dir: str = "./var/evidence"
    evidence_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    evidence_types: list[str] = Field(default=["image/jpeg", "image/png", "application/pdf"])
    # Consume escalation/notification events for the hazard timeline.
    timeline_consumer: bool = True
    timeline_session_timeout_ms: int = Field(default=10_000, ge=1000)
