"""A real SMTP server for the notification tests (aiosmtpd): the mailbox it delivers to, a
server that can go down and come back on its port, a login check, a message's body."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword, Session
from aiosmtpd.smtp import Envelope as SmtpEnvelope


@dataclass
class Mailbox:
    messages: list[EmailMessage] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    # A reply to every RCPT instead of accepting it, e.g. "421 4.3.2 Service not available".
    refuse: str | None = None
    # Keep the message but answer this after its DATA (the answer a sender never saw).
    lose_answer: str | None = None

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: SmtpEnvelope, address: str, options: Any
    ) -> str:
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: SmtpEnvelope) -> str:
        raw = envelope.original_content or b""
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append(msg)
        return self.lose_answer or "250 OK"


@dataclass
class SmtpServer:
    mailbox: Mailbox
    port: int
    controller: Controller | None = None

    def start(self) -> None:
        """Listen (again) on the same port, with the same mailbox."""
        if self.controller is None:
            self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
            self.controller.start()

    def stop(self) -> None:
        """Down: connections to the port are refused until `start`."""
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def authenticator(mailbox: Mailbox) -> Callable[..., AuthResult]:
    def check(server: SMTP, session: Session, envelope: SmtpEnvelope, mechanism: str, data: Any):
        if isinstance(data, LoginPassword) and data.login == b"duban" and data.password == b"pw":
            mailbox.logins.append(data.login.decode())
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    return check


def body(msg: EmailMessage, kind: str) -> str:
    part = msg.get_body(preferencelist=(kind,))
    assert part is not None, f"no {kind} part"
    content: str = part.get_content()
    return content
