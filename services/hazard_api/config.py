"""hazard_api settings (environment prefix HAZARD_API_)."""

from __future__ import annotations

import re

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from shared.contract import DeadlineKind
from shared.settings import PLACEHOLDER_SECRETS, DubanSettings

_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,20}$")
# 发文机关 and 文号 prefix per document type (GB/T 9704: 发文机关代字); {county} is the county's
# name, {unit} the issuing office's (a department or township issuing a 整改通知书).
DOCUMENT_BODIES = {
    "rectification_notice": "{county}{unit}",
    "listing_notice": "{county}安全生产委员会",
    "supervision_letter": "{county}安全生产委员会",
    "bulletin": "{county}安全生产委员会办公室",
    "delisting_notice": "{county}安全生产委员会",
}
DOCUMENT_PREFIXES = {
    "rectification_notice": "{county}{unit}隐改",
    "listing_notice": "{county}安委挂",
    "supervision_letter": "{county}安委督",
    "bulletin": "{county}安委办",
    "delisting_notice": "{county}安委摘",
}
AUDIT_KEY_MIN_LENGTH = 32


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
    # 事故等级: 失踪人员按死亡计（common practice, 死亡（含失踪））; a county may count them apart.
    accident_missing_count_as_deaths: bool = True
    # 延期申请须在期限届满前若干个工作日提出（挂牌隐患青岛做法为20个工作日）
    extension_lead_workdays: int = Field(default=2, ge=0, le=60)
    extension_lead_workdays_listed: int = Field(default=20, ge=0, le=60)
    evidence_dir: str = "./var/evidence"
    evidence_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    evidence_types: list[str] = Field(default=["image/jpeg", "image/png", "application/pdf"])
    # Consume escalation/notification events for the hazard timeline.
    timeline_consumer: bool = True
    timeline_session_timeout_ms: int = Field(default=10_000, ge=1000)

    # ---- audit (audit/README.md): HMAC keys outside the database, sealing and anchoring
    # {"key id": "key"}; empty: one key derived from secret_key.
    audit_keys: dict[str, str] = Field(default_factory=dict)
    audit_key_id: str | None = None  # the key new rows are made with (with several keys)
    audit_sealer: bool = True  # seal the global chain (and anchor it) in this process
    audit_seal_seconds: float = Field(default=5.0, gt=0)
    audit_anchor_file: str | None = None  # append-only JSON lines the operator keeps
    audit_anchor_seconds: float = Field(default=300.0, gt=0)

    # ---- official documents (公文, GB/T 9704-2012): who issues them, their 文号, the typefaces
    document_bodies: dict[str, str] = Field(default_factory=lambda: dict(DOCUMENT_BODIES))
    document_prefixes: dict[str, str] = Field(default_factory=lambda: dict(DOCUMENT_PREFIXES))
    # Stand-ins for the official typefaces where they are not installed.
    document_font_title: str = "Noto Serif CJK SC"  # 方正小标宋简体 (标题, 版头)
    document_font_body: str = "Noto Serif CJK SC"  # 仿宋_GB2312 (正文)
    document_font_heading: str = "Noto Sans CJK SC"  # 黑体 (一级标题)

    @model_validator(mode="after")
    def _check_documents(self) -> Settings:
        for name in ("document_bodies", "document_prefixes"):
            given: dict[str, str] = getattr(self, name)
            if set(given) != set(DOCUMENT_PREFIXES):
                raise ValueError(f"{name}: one entry for each of {sorted(DOCUMENT_PREFIXES)}")
        county_wide = [p for p in self.document_prefixes.values() if "{unit}" not in p]
        if len(set(county_wide)) != len(county_wide):
            # Each type counts on its own: a shared prefix would give two documents one 文号.
            raise ValueError("document_prefixes: each document type needs its own prefix")
        return self

    @model_validator(mode="after")
    def _check_audit_keys(self) -> Settings:
        for key_id, key in self.audit_keys.items():
            if not _KEY_ID.match(key_id) or key_id == "legacy":
                raise ValueError(f"audit_keys: bad key id {key_id!r} (1-20 of A-Z a-z 0-9 _ -)")
            weak = len(key) < AUDIT_KEY_MIN_LENGTH or key.strip().lower() in PLACEHOLDER_SECRETS
            if weak and self.env != "development":
                raise ValueError(
                    f"audit_keys: key {key_id!r} is too weak "
                    f"(at least {AUDIT_KEY_MIN_LENGTH} characters)"
                )
        if self.audit_key_id is not None and self.audit_key_id not in self.audit_keys:
            raise ValueError("audit_key_id names no key of audit_keys")
        if self.audit_key_id is None and len(self.audit_keys) > 1:
            raise ValueError("audit_key_id: say which of audit_keys new rows are made with")
        return self
