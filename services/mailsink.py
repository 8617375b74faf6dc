"""The development SMTP sink of `duban run`: every email kept as a file and announced."""

from __future__ import annotations

import time
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path
from typing import Any


class MailSink:
    """aiosmtpd handler: every message is written to <dir>/<n>.eml and announced in one line."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw: bytes = envelope.original_content or envelope.content
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = self.directory / f"{stamp}-{time.monotonic_ns() % 10**9:09d}.eml"
        path.write_bytes(raw)
        message = message_from_bytes(raw, policy=default_policy)
        recipients = ", ".join(envelope.rcpt_tos)
        print(
            f"mail   | [EMAIL] to {recipients}: {message.get('Subject', '')} → {path}",
            flush=True,
        )
        return "250 Message accepted for delivery"


def start_mail_sink(host: str, port: int, directory: Path) -> Any:
    from aiosmtpd.controller import Controller

    controller = Controller(MailSink(directory), hostname=host, port=port)
    controller.start()
    return controller
