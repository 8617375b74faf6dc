"""Email through SMTP (aiosmtplib): STARTTLS or SSL, optional login.

Every message is what RFC 5322 and receiving servers expect: `Date` (the attempt's time on the
service clock, in Beijing time), a `Message-ID` derived from the delivery, and a
multipart/alternative body with a plain-text and an HTML part.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib

from services.notification.config import Settings
from services.notification.providers.base import Outcome, Scope, SendResult
from shared.clock import local


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str
    message_id: str  # stable per delivery, so a resend after a crash is recognisable
    date: datetime  # aware; when this attempt was made (the injected clock's now)


def build_message(sender: str, email: Email) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = email.to
    msg["Subject"] = email.subject
    msg["Date"] = format_datetime(local(email.date))
    msg["Message-ID"] = email.message_id
    # RFC 3834: vacation responders and the like must not answer a machine.
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(email.text)
    msg.add_alternative(email.html, subtype="html")
    return msg


def message_id(dispatch_id: str, delivery_id: int, domain: str) -> str:
    """The same for every attempt of one delivery (a resend after a crash or a timeout is
    recognisable as the same message), different for any two deliveries."""
    return f"<{dispatch_id}.{delivery_id}@{domain}>"


class SmtpSender:
    name = "smtp"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._tls_context: ssl.SSLContext | None = None

    def tls_context(self) -> ssl.SSLContext | None:
        """Built once: loading the CA bundle took about half the service's CPU when it was
        done for every email."""
        s = self.settings
        if s.smtp_security == "none":
            return None
        if self._tls_context is None:
            context = ssl.create_default_context(cafile=s.smtp_ca_file)
            if not s.smtp_validate_certs:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            self._tls_context = context
        return self._tls_context

    async def send(self, email: Email) -> SendResult:
        s = self.settings
        try:
            await aiosmtplib.send(
                build_message(s.smtp_sender, email),
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.smtp_username,
                password=s.smtp_password,
                use_tls=s.smtp_security == "ssl",
                start_tls=s.smtp_security == "starttls",
                tls_context=self.tls_context(),
                timeout=s.smtp_timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            # 4xx to RCPT (421 closing, 450 mailbox busy …) passes; 5xx (no such mailbox) not.
            if exc.recipients and all(400 <= r.code < 500 for r in exc.recipients):
                return SendResult(Outcome.TRANSIENT, detail=str(exc))
            return SendResult(Outcome.PERMANENT, detail=str(exc), scope=Scope.RECIPIENT)
        except aiosmtplib.SMTPAuthenticationError as exc:
            return SendResult(Outcome.PERMANENT, detail=str(exc))
        except aiosmtplib.SMTPResponseException as exc:
            outcome = Outcome.PERMANENT if 500 <= exc.code < 600 else Outcome.TRANSIENT
            return SendResult(outcome, detail=f"{exc.code} {exc.message}")
        except (aiosmtplib.SMTPException, OSError) as exc:
            return SendResult(Outcome.TRANSIENT, detail=f"{type(exc).__name__}: {exc}")
        return SendResult(Outcome.ACCEPTED, provider_message_id=email.message_id)
