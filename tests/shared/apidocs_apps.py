"""Each service's app as its factory builds it, for the API docs tests (no lifespan: the
docs pages and the OpenAPI schema need no database, broker or SMTP server)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from services.escalation.config import Settings as EscalationSettings
from services.escalation.main import create_app as escalation_app
from services.hazard_api.config import Settings as HazardSettings
from services.hazard_api.main import create_app as hazard_app
from services.notification.config import Settings as NotificationSettings
from services.notification.main import create_app as notification_app
from shared.clock import TestClock


def service_apps(folder: Path, clock: TestClock) -> dict[str, FastAPI]:
    def settings(name: str) -> dict[str, Any]:
        return {
            "env": "test",
            "secret_key": "apidocs-test-secret",
            "database_url": f"sqlite+aiosqlite:///{folder / name}.db",
        }

    return {
        "hazard_api": hazard_app(HazardSettings(**settings("hazard_api")), clock),
        "escalation": escalation_app(EscalationSettings(**settings("escalation")), clock),
        "notification": notification_app(NotificationSettings(**settings("notification")), clock),
    }


def operations(app: FastAPI) -> set[tuple[str, str, str]]:
    """(METHOD, path, operationId) of every operation in the app's OpenAPI schema."""
    methods = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
    return {
        (method.upper(), path, op["operationId"])
        for path, item in app.openapi()["paths"].items()
        for method, op in item.items()
        if method in methods
    }
