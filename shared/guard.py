"""What every service installs on its app: refusal of unsafe production settings, a request
body limit, database and encoding errors as 4xx, and redacted logs."""

from __future__ import annotations

from fastapi import FastAPI

from shared.errors import install_storage_error_handlers
from shared.limits import BodySizeLimit
from shared.redaction import install_log_redaction
from shared.safety import refuse_unsafe_start
from shared.settings import DubanSettings


def check_start(settings: DubanSettings) -> None:
    """Before anything is built: raises UnsafeSettings in production (see shared/safety.py)."""
    refuse_unsafe_start(settings)
    install_log_redaction()


def guard_app(app: FastAPI, settings: DubanSettings) -> None:
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    install_storage_error_handlers(app)
