"""The development SMTP sink of `duban run`: every email kept as a file and announced."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path
from typing import Any


class MailSink:
    """aiosmtpd handler: every message is written to <dir>/<time>-<n>.eml and announced.

    File names sort in arrival order (readers list the folder to find new mail).
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._seq = itertools.count()
        directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw: bytes = envelope.original_content or envelope.content
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
        path = self.directory / f"{stamp}-{next(self._seq):06d}.eml"
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
