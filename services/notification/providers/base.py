"""What every SMS provider adapter offers, and how its answers are classified."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

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
    template: str  # our template key: "notice", "digest", "report"
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


@runtime_checkable
class BatchSmsProvider(SmsProvider, Protocol):
    """A provider that sends texts of one template to many numbers in one call (Aliyun
    SendBatchSms), each number with its own parameters. One answer for the whole batch."""

    async def send_batch(self, messages: Sequence[SmsMessage], out_id: str) -> SendResult: ...


# Attempt out_ids of a batch's members are "<batch out_id>.<i>"; the provider only knows the
# batch's OutId, so status queries and receipts look for that, together with the number.
BATCH_MEMBER_SEPARATOR = "."
MAX_BATCH = 100  # numbers per SendBatchSms call


def member_out_id(batch_out_id: str, index: int) -> str:
    return f"{batch_out_id}{BATCH_MEMBER_SEPARATOR}{index}"


def provider_out_id(out_id: str) -> str:
    """The OutId the provider was given for this attempt (the batch's, for a member)."""
    return out_id.split(BATCH_MEMBER_SEPARATOR, 1)[0]


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
