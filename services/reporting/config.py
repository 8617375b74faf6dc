"""Settings of the reporting service (environment prefix `REPORTING_`)."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Annotated, Self

from pydantic import Field, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from shared.settings import DubanSettings

# What goes upward by default (the rules of 《安全生产事故隐患排查治理暂行规定》 and 493号令):
# a hazard's classification as major, its listing, raise, extension and delisting; every
# accident report (快报, 续报/补报) and a change of its class; issued documents.
DEFAULT_HAZARD_EVENTS = [
    "hazard.classified",
    "hazard.reclassified",
    "hazard.listed",
    "hazard.listing_raised",
    "hazard.extension_approved",
    "hazard.closed",
]
DEFAULT_ACCIDENT_EVENTS = ["accident.report_issued"]  # a report once signed off (签发)
DEFAULT_DOCUMENT_EVENTS = ["document.issued"]


def _split(value: object) -> object:
    if isinstance(value, str):
        if value.strip().startswith("["):  # the JSON list the configuration table shows
            return json.loads(value)
        return [part for part in value.replace(",", " ").split() if part]
    return value


class Settings(DubanSettings):
    model_config = SettingsConfigDict(env_prefix="REPORTING_", extra="ignore")

    service_name: str = "reporting"
    database_url: str = "sqlite+aiosqlite:///./var/reporting.db"
    http_port: int = 8004
    migrate_on_start: bool = True
    # The key hazard_api signs its bearer tokens with (HAZARD_API_SECRET_KEY): the deliveries
    # view and replay accept those tokens (county office). None: this service's secret_key.
    bearer_key: str | None = None
    consumer_group: str = "reporting"
    consumer_session_timeout_ms: int = Field(default=10_000, ge=1000)
    run_consumer: bool = True
    run_relay: bool = True
    run_delivery: bool = True
    # The county: the sender of every document (GB/T 2260 code and name).
    county_area_code: str = Field(default="000000", pattern=r"^[0-9]{6}$")
    county_name: str = Field(default="本县", min_length=1, max_length=50)
    # The provincial system's webhook address (the single upward endpoint, `province`).
    province_url: str = "http://127.0.0.1:8090/webhooks/duban"
    # Standard Webhooks secrets, `whsec_<base64>`, newest first; during a rotation list the
    # new and the old one: every request carries a signature with each. Empty: one derived
    # from secret_key (development only; check-config reports it).
    signing_secrets: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Which domain events go upward (the rules); an event type not listed is ignored.
    hazard_events: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_HAZARD_EVENTS)
    )
    accident_events: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_ACCIDENT_EVENTS)
    )
    document_events: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_DOCUMENT_EVENTS)
    )
    # Only major hazards (重大事故隐患) go upward; true sends general ones too.
    report_general_hazards: bool = False
    # Delivery: requests in flight at once (across items; one per item), per request timeout.
    delivery_concurrency: int = Field(default=64, ge=1, le=1000)
    delivery_batch: int = Field(default=1000, ge=1, le=20_000)
    delivery_timeout_s: float = Field(default=10.0, gt=0)
    delivery_poll_s: float = Field(default=1.0, gt=0, le=60)
    # Retries: first after retry_base_s, doubling up to retry_max_interval_s, each ± jitter,
    # until retry_horizon_s after the first attempt (about three days); then dead-lettered.
    retry_base_s: float = Field(default=30.0, gt=0)
    retry_max_interval_s: float = Field(default=6 * 3600.0, gt=0)
    retry_jitter: float = Field(default=0.2, ge=0, le=1)
    retry_horizon_s: float = Field(default=3 * 86400.0, gt=0)
    # A Retry-After above this is capped (a receiver cannot park a submission for weeks).
    retry_after_max_s: float = Field(default=6 * 3600.0, gt=0)

    # --- inbound, pull feed, quarterly, acknowledgement (reporting-in) -----------------------
    # hazard_api (at DUBAN_HAZARD_API_URL, the base setting), where city/province listing
    # decisions are applied and the quarterly table is read, as the reporting link's
    # integration client (scopes hazards:read listing:external).
    hazard_api_username: str = "reporting"
    hazard_api_password: str = ""
    hazard_api_timeout_s: float = Field(default=10.0, gt=0)
    # Standard Webhooks secrets the city and province sign inbound messages with
    # (`whsec_<base64>`; several during a rotation). Empty: inbound messages are refused.
    inbound_secrets: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Bearer tokens the province's poller presents to the changes feed (several: rotation).
    feed_tokens: Annotated[list[str], NoDecode] = Field(default_factory=list)
    feed_page_max: int = Field(default=500, ge=1, le=5000)
    # The feed serves a submission once it is this old: one written by a transaction that
    # commits late (a lower seq appearing after a higher one) is not skipped by a cursor.
    feed_settle_s: float = Field(default=5.0, ge=0, le=3600)
    # 季度统计报送: on this day of the month after the quarter (before the 15th, 16号令), at
    # this hour, Beijing time.
    quarterly_day: int = Field(default=10, ge=1, le=14)
    quarterly_hour: int = Field(default=9, ge=0, le=23)
    # How often the quarterly schedule and the accident acknowledgement watch look (seconds).
    jobs_poll_s: float = Field(default=30.0, gt=0, le=3600)
    run_jobs: bool = True

    @field_validator(
        "signing_secrets",
        "hazard_events",
        "accident_events",
        "document_events",
        "inbound_secrets",
        "feed_tokens",
        mode="before",
    )
    @classmethod
    def _lists(cls, value: object) -> object:
        return _split(value)

    @field_validator("signing_secrets", "inbound_secrets")
    @classmethod
    def _whsec(cls, value: list[str]) -> list[str]:
        for secret in value:
            if not secret.startswith("whsec_"):
                raise ValueError("a signing secret is whsec_<base64>")
            try:
                raw = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
            except ValueError as exc:
                raise ValueError("a signing secret is whsec_<base64>") from exc
            if len(raw) < 24:
                raise ValueError("a signing secret needs at least 24 random bytes")
        return value

    @model_validator(mode="after")
    def _retry_window(self) -> Self:
        if self.retry_base_s > self.retry_max_interval_s:
            raise ValueError("retry_base_s must not exceed retry_max_interval_s")
        return self

    @model_validator(mode="after")
    def _county_in_production(self) -> Self:
        # Every upward document names its sender by this code: the placeholder would have the
        # province refuse (or misfile) all of them.
        if self.env == "production" and self.county_area_code[0] not in "12345678":
            raise ValueError("REPORTING_COUNTY_AREA_CODE: the county's GB/T 2260 code is required")
        return self

    @property
    def current_secrets(self) -> list[str]:
        """The secrets to sign with, newest first."""
        if self.signing_secrets:
            return list(self.signing_secrets)
        derived = hashlib.sha256(b"duban-reporting-webhook:" + self.secret_key.encode()).digest()
        return ["whsec_" + base64.b64encode(derived).decode()]
