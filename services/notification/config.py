"""Settings of the notification service (env prefix NOTIFICATION_)."""

from __future__ import annotations

import re
from datetime import time
from email.utils import parseaddr
from typing import Literal, Self

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from shared.contract import Channel
from shared.settings import DubanSettings


class ProviderTemplate(BaseModel):
    """How one of our templates maps onto a provider's approved template."""

    code: str  # Aliyun TemplateCode / Tencent TemplateId
    # Names of our template variables, in the order (Tencent) or under the keys (Aliyun)
    # the provider's approved template expects them.
    params: list[str] = []


class SmsProviderConfig(BaseModel):
    name: str
    kind: Literal["aliyun", "tencent", "console"]
    endpoint: str = ""
    access_key_id: str = ""
    access_key_secret: str = ""
    # The signature (短信签名) approved at this provider; empty: the sending organisation
    # (`sender_organisation`), which is what a county registers, e.g. 某县安委办.
    sign_name: str = ""
    region: str = ""
    sdk_app_id: str = ""  # Tencent SmsSdkAppId
    timeout_s: float = Field(default=5.0, gt=0)
    # Kept-alive connections to the provider (new TLS handshakes per send are slow), closed
    # after this idle time, well before a server would close them under a request in flight.
    max_connections: int = Field(default=32, ge=1)
    keepalive_s: float = Field(default=2.0, gt=0)
    # After a crash or timeout: how long the status query may miss an accepted message before
    # we conclude it was never accepted and resend. None: Aliyun lists a message as soon as it
    # accepts it (SendStatus 1, waiting for the receipt) → 120 s; Tencent only once a receipt
    # came back → the service-wide `reconcile_not_found_after_s`.
    not_found_after_s: float | None = Field(default=None, ge=0)
    # Per-number caps at this provider: same content at most once per interval, N per day.
    same_content_interval_s: int = Field(default=30, ge=0)
    daily_cap: int = Field(default=10, ge=1)
    # Aliyun SendBatchSms: texts due together that share this provider and template go out
    # up to this many numbers per call (its limit is 100); 1 sends each text on its own.
    # Tencent cannot batch ours (its batch takes one parameter set; every ack link differs).
    batch_size: int = Field(default=100, ge=1, le=100)
    # The secret this provider's receipt callback carries (`?token=`); empty: the service-wide
    # `receipt_token`. One per provider, so a leaked callback URL exposes one provider only.
    receipt_token: str = Field(default="", max_length=200)
    # our template key ("notice", "digest", "report") → the provider's template
    # (variables: messages/limits.py; README, "A provider entry")
    templates: dict[str, ProviderTemplate] = {}


def _default_providers() -> list[SmsProviderConfig]:
    return [SmsProviderConfig(name="console", kind="console")]


# A template a deployment's NOTIFICATION_TEMPLATE_VERSIONS does not name keeps this version
# (a file written before the report reminders named only notice and digest).
TEMPLATE_VERSIONS = {"notice": 2, "digest": 2, "report": 2}


class Settings(DubanSettings):
    model_config = SettingsConfigDict(
        env_prefix="NOTIFICATION_",
        env_nested_delimiter="__",
        extra="ignore",
        env_parse_none_str="null",  # NOTIFICATION_QUIET_HOURS_START=null: no quiet hours
    )

    service_name: str = "notification"
    database_url: str = "sqlite+aiosqlite:///./var/notification.db"
    http_port: int = 8002
    public_base_url: str = "http://127.0.0.1:8002"
    consumer_group: str = "notification"
    consumer_session_timeout_ms: int = 10_000
    run_consumers: bool = True
    run_scheduler: bool = True
    migrate_on_start: bool = True

    # SMS providers, tried in this order (failover on transient errors).
    sms_providers: list[SmsProviderConfig] = Field(default_factory=_default_providers)
    # Tries in a row at one SMS provider before failing over to the next (urgent: one); after
    # the last provider the round starts again at the first, after a backoff.
    provider_attempts: int = Field(default=2, ge=1)
    # Transient failures (5xx, timeouts, refused connections, SMTP 4xx, throttling) are tried
    # again, waiting retry_backoff_s, doubling up to retry_backoff_max_s, each wait shortened
    # by a random fraction up to retry_jitter (so a recovering provider is not hit by every
    # retry at once), until retry_horizon_s after the delivery was planned: then it has
    # failed for good (alert, metric).
    retry_backoff_s: float = Field(default=10.0, ge=0)
    retry_backoff_max_s: float = Field(default=300.0, ge=0)
    retry_jitter: float = Field(default=0.2, ge=0, le=1)
    retry_horizon_s: float = Field(default=86400.0, gt=0)

    # Email (SMTP through aiosmtplib).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_security: Literal["none", "starttls", "ssl"] = "none"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_sender: str = "督办系统 <duban@localhost>"
    smtp_timeout_s: float = 10.0
    smtp_validate_certs: bool = True
    # Production refuses smtp_security "none" to a relay off this machine unless this says so.
    smtp_allow_plain: bool = False
    smtp_ca_file: str | None = None  # a private CA to trust, in addition to the system's
    # The right-hand side of every Message-ID <dispatch.delivery@domain>; empty: the domain of
    # smtp_sender. Kept short: the id is stored in a 100-character column.
    smtp_message_id_domain: str = ""

    # Who speaks in every text and email (DOMAIN §9): the county, the sending organisation
    # (the SMS signature unless a provider sets its own) and the office's contact phone.
    county_name: str = Field(default="本县", min_length=1, max_length=35)
    sender_organisation: str = Field(default="县安委办", min_length=1, max_length=35)
    contact_phone: str = Field(default="12350", pattern=r"^[0-9][0-9-]{3,13}[0-9]$")

    # Preference defaults (a person's own row overrides them).
    default_channels: list[Channel] = Field(default_factory=lambda: [Channel.SMS, Channel.EMAIL])
    quiet_hours_start: time | None = time(21, 0)
    quiet_hours_end: time | None = time(8, 0)
    digest_window_s: int = Field(default=600, ge=0)
    # Urgent notices for one person within this window become one text (forty major hazards
    # overdue on one morning: one text); they wait for the end of quiet hours like the rest.
    # Only `immediate` notices go at once, alone, day or night.
    urgent_window_s: int = Field(default=600, ge=0)

    # Current version of each message template (messages/templates/*/<name>.v<N>.*.j2).
    # v1 (督促落实 to everyone) stays for deliveries recorded before v2.
    template_versions: dict[str, int] = Field(default_factory=lambda: dict(TEMPLATE_VERSIONS))

    # Acknowledgement links.
    ack_link_ttl_s: int = Field(default=7 * 86400, gt=0)

    # Scheduler and crash reconciliation.
    scheduler_interval_s: float = Field(default=1.0, gt=0)
    dispatch_batch: int = Field(default=500, ge=1)
    # Provider calls in flight at once (httpx's pool costs more CPU per call as it grows).
    send_concurrency: int = Field(default=16, ge=1)
    # A provider attempt still "pending" this long after it started belongs to a dead process.
    reconcile_after_s: float = Field(default=60.0, ge=0)
    # A provider that cannot find an attempt this long after it started never accepted it.
    reconcile_not_found_after_s: float = Field(default=1800.0, ge=0)
    # Roles that resolve to nobody are retried this long, then reported.
    unresolved_retry_s: float = Field(default=60.0, gt=0)
    unresolved_give_up_s: float = Field(default=86400.0, gt=0)

    # The key hazard_api signs its bearer tokens with (HAZARD_API_SECRET_KEY): /preferences and
    # /deliveries accept those tokens. None: this service's own secret_key (one deployment key).
    bearer_key: str | None = None

    # Shared token in the receipt callback URLs (the providers' HTTP push is not signed);
    # a provider entry's own `receipt_token` replaces it for that provider.
    receipt_token: str = ""
    # One receipt callback carries at most this many reports and bytes (413 beyond).
    receipt_max_reports: int = Field(default=1000, ge=1, le=100_000)
    receipt_max_bytes: int = Field(default=512 * 1024, ge=1024)

    @field_validator("template_versions")
    @classmethod
    def _every_template(cls, versions: dict[str, int]) -> dict[str, int]:
        return {**TEMPLATE_VERSIONS, **versions}

    @model_validator(mode="after")
    def _signatures(self) -> Self:
        for provider in self.sms_providers:
            if not provider.sign_name:
                provider.sign_name = self.sender_organisation
        return self

    @model_validator(mode="after")
    def _message_id_domain(self) -> Self:
        if not self.smtp_message_id_domain:
            address = parseaddr(self.smtp_sender)[1]
            self.smtp_message_id_domain = address.rpartition("@")[2] or "localhost"
        if not _DOMAIN.fullmatch(self.smtp_message_id_domain):
            raise ValueError(
                f"smtp_message_id_domain {self.smtp_message_id_domain!r} is not a domain name "
                "of at most 48 characters (set NOTIFICATION_SMTP_MESSAGE_ID_DOMAIN)"
            )
        return self


# A dot-atom domain as RFC 5322 allows on the right of a Message-ID, and short enough for the
# column the id is recorded in.
_DOMAIN = re.compile(r"(?=.{1,48}$)[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*")
