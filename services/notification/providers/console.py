"""A provider for development: writes the message to the log instead of sending it."""

from __future__ import annotations

from datetime import datetime

from services.notification.config import SmsProviderConfig
from services.notification.providers.base import Lookup, Outcome, SendResult, SmsMessage


class ConsoleProvider:
    def __init__(self, config: SmsProviderConfig) -> None:
        self.config = config
        self.sent: list[SmsMessage] = []

    @property
    def name(self) -> str:
        return self.config.name

    async def send(self, message: SmsMessage) -> SendResult:
        self.sent.append(message)
        # `duban run` shows these lines to the developer (see ops/stack.py).
        print(f"[SMS] {message.phone} ({message.template}): {message.text}", flush=True)
        return SendResult(Outcome.ACCEPTED, provider_message_id=f"console-{message.out_id}")

    async def lookup(self, *, phone: str, out_id: str, sent_at: datetime) -> Lookup | None:
        return None

    async def aclose(self) -> None:
        return None
