"""What every SMS provider adapter offers, and how its answers are classified."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from services.notification.config import SmsProviderConfig


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    TRANSIENT = "transient"  # retry here with backoff, then fail over
    THROTTLED = "throttled"  # the provider's own limits: fail over at once
    PERMANENT = "permanent"  # never retried
    UNKNOWN = "unknown"  # may or may not have been sent: reconcile before anything else


class Scope(StrEnum):
    PROVIDER = "provider"  # this provider cannot do it (credentials, template): try the next
    RECIPIENT = "recipient"  # nobody can (bad number): no SMS provider will do better


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    template: str  # our template key, e.g. "notice", "digest"
    variables: dict[str, str]
    text: str  # our own rendering, for the console and the log
    out_id: str  # correlation id handed to the provider


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    provider_message_id: str | None = None
    detail: str = ""
    scope: Scope = Scope.PROVIDER


@dataclass(frozen=True)
class Lookup:
    """The provider's view of an earlier attempt, found by its out_id."""

    found: bool
    provider_message_id: str | None = None
    delivered: bool | None = None
    detail: str = ""


class LookupFailed(Exception):
    """The provider's status query itself failed: try again later."""


@dataclass
class TemplateError(Exception):
    template: str
    provider: str
    missing: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"provider {self.provider} has no mapping for template {self.template!r}"


class SmsProvider(Protocol):
    config: SmsProviderConfig

    @property
    def name(self) -> str: ...

    async def send(self, message: SmsMessage) -> SendResult: ...

    async def lookup(self, *, phone: str, out_id: str, sent_at: datetime) -> Lookup | None:
        """None: this provider offers no status query."""
        ...

    async def aclose(self) -> None: ...


def template_params(config: SmsProviderConfig, message: SmsMessage) -> tuple[str, list[str]]:
    """The provider's template code and our variables in its declared order."""
    mapping = config.templates.get(message.template)
    if mapping is None:
        raise TemplateError(message.template, config.name)
    missing = [name for name in mapping.params if name not in message.variables]
    if missing:
        raise TemplateError(message.template, config.name, missing)
    return mapping.code, mapping.params


def mainland_number(phone: str) -> str:
    """The 11-digit number without country code (Aliyun wants it bare)."""
    digits = phone.strip().removeprefix("+86").removeprefix("0086")
    return digits
