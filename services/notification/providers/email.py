"""Email through SMTP (aiosmtplib): STARTTLS or SSL, optional login, HTML and plain text."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib

from services.notification.config import Settings
from services.notification.providers.base import Outcome, Scope, SendResult


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str
    message_id: str  # stable per delivery, so a resend after a crash is recognisable


def build_message(sender: str, email: Email) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = email.to
    msg["Subject"] = email.subject
    msg["Message-ID"] = email.message_id
    msg.set_content(email.text)
    msg.add_alternative(email.html, subtype="html")
    return msg


def message_id(dispatch_id: str, delivery_id: int, domain: str = "duban.local") -> str:
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
            return SendResult(Outcome.PERMANENT, detail=str(exc), scope=Scope.RECIPIENT)
        except aiosmtplib.SMTPAuthenticationError as exc:
            return SendResult(Outcome.PERMANENT, detail=str(exc))
        except aiosmtplib.SMTPResponseException as exc:
            outcome = Outcome.PERMANENT if 500 <= exc.code < 600 else Outcome.TRANSIENT
            return SendResult(outcome, detail=f"{exc.code} {exc.message}")
        except (aiosmtplib.SMTPException, OSError) as exc:
            return SendResult(Outcome.TRANSIENT, detail=f"{type(exc).__name__}: {exc}")
        return SendResult(Outcome.ACCEPTED, provider_message_id=email.message_id)
