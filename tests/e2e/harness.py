"""What the end-to-end tests need around the stack: a shared clock, the SMS emulator, mailboxes.

- `VirtualClock` writes the offset file every service process reads (`DUBAN_CLOCK_OFFSET_FILE`
  → `shared.clock.OffsetClock`): setting it moves the time of all of them at once.
- The SMS provider is the Aliyun emulator of tests/notification (a local HTTP server checking
  signature, template and parameters like the provider would).
- Emails land either in `duban run`'s own SMTP sink (files under var/mail) or in an aiosmtpd
  server the test runs itself (when the stack is told to use a "real" SMTP server).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

from tests.notification import emulators


class VirtualClock:
    """The time of every service process: real time plus the offset in one file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def set(self, when: datetime) -> None:
        offset = (when - datetime.now(UTC)).total_seconds()
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(f"{offset:.6f}", encoding="ascii")
        tmp.replace(self.path)  # atomic: a reader never sees a half-written number

    def now(self) -> datetime:
        try:
            offset = float(self.path.read_text(encoding="ascii") or 0)
        except FileNotFoundError:
            offset = 0.0
        return datetime.now(UTC) + timedelta(seconds=offset)

    def advance(self, delta: timedelta) -> datetime:
        target = self.now() + delta
        self.set(target)
        return target


def aliyun_provider(url: str, **overrides: Any) -> dict[str, Any]:
    """NOTIFICATION_SMS_PROVIDERS entry for the Aliyun emulator."""
    return {
        "name": "aliyun",
        "kind": "aliyun",
        "endpoint": url,
        "access_key_id": emulators.ACCESS_KEY_ID,
        "access_key_secret": emulators.ACCESS_KEY_SECRET,
        "sign_name": emulators.SIGN_NAME,
        "timeout_s": 5.0,
        "templates": {
            "notice": {
                "code": "SMS_900003",
                "params": ["county", "unit", "level", "code", "status", "ask", "phone", "link"],
            },
            "digest": {
                "code": "SMS_900004",
                "params": ["county", "count", "overdue", "upcoming", "phone", "link"],
            },
            "report": {
                "code": "SMS_900005",
                "params": ["county", "unit", "period", "due", "phone"],
            },
        },
        **overrides,
    }


def providers_env(*providers: dict[str, Any]) -> str:
    return json.dumps(list(providers), ensure_ascii=False)


@dataclass(frozen=True)
class Mail:
    to: list[str]
    subject: str
    text: str
    html: str = ""


@dataclass
class Mailbox:
    """Every email the stack sent so far, from sink files or an in-process SMTP server."""

    directory: Path | None = None
    received: list[Mail] = field(default_factory=list)

    def all(self) -> list[Mail]:
        if self.directory is None:
            return list(self.received)
        mails = []
        for path in sorted(self.directory.glob("*.eml")) if self.directory.exists() else []:
            mails.append(parse_mail(path.read_bytes()))
        return mails

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        mail = parse_mail(envelope.original_content or envelope.content)
        self.received.append(Mail(list(envelope.rcpt_tos), mail.subject, mail.text, mail.html))
        return "250 OK"


def parse_mail(raw: bytes) -> Mail:
    message = message_from_bytes(raw, policy=default_policy)
    assert isinstance(message, EmailMessage)
    body = message.get_body(preferencelist=("plain", "html"))
    text = body.get_content() if body is not None else ""
    html_part = message.get_body(preferencelist=("html",))
    html = html_part.get_content() if html_part is not None else ""
    to = [str(a) for a in message.get_all("To", [])]
    return Mail(to, str(message["Subject"]), text, html)


async def eventually(
    check: Callable[[], Awaitable[bool]] | Callable[[], bool],
    what: str,
    within_s: float = 60.0,
) -> None:
    """Poll until `check` holds (no timing assertion: the bound only stops a hung test)."""
    deadline = time.monotonic() + within_s
    while True:
        result = check()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {within_s:.0f}s for: {what}")
        await asyncio.sleep(0.2)
