"""Logs never carry a full mobile number or a working acknowledgement link.

Every log record of the process is redacted when it is made (a log record factory): mainland
mobiles become 138****5678, and the token of an acknowledgement link (`/a/<token>`, in an
access-log line or a message) becomes `/a/***`. Records below a logger's level are never
made, so quiet loggers cost nothing. An exception's traceback text is not rewritten; messages
that name a person's number or link should not be raised as exceptions.
"""

from __future__ import annotations

import logging
import re
from typing import Any

_MOBILE = re.compile(r"(?<![0-9A-Za-z])(\+?86[- ]?)?(1[3-9][0-9])([0-9]{4})([0-9]{4})(?![0-9])")
_ACK_TOKEN = re.compile(r"/a/[A-Za-z0-9_\-=%]{8,}")


def mask_mobile(phone: str) -> str:
    """13812345678 → 138****5678 (anything else: kept but its middle hidden)."""
    digits = phone.strip()
    if len(digits) >= 7:
        return digits[:3] + "****" + digits[-4:]
    return "****"


def redact(text: str) -> str:
    text = _ACK_TOKEN.sub("/a/***", text)
    return _MOBILE.sub(lambda m: f"{m.group(1) or ''}{m.group(2)}****{m.group(4)}", text)


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, BaseException | bytes) or not isinstance(value, int | float | type(None)):
        text = str(value)
        cleaned = redact(text)
        return cleaned if cleaned != text else value
    return value


_installed = False


def install_log_redaction() -> None:
    """Once per process (each service's app factory calls it)."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        # Each argument on its own: formatters such as uvicorn's access log unpack the args.
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_clean(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _clean(v) for k, v in record.args.items()}
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
