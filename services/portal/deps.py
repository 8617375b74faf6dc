"""Who is signed in (the page session), the CSRF check, and the app's parts as dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.portal.config import Settings
from services.portal.session import (
    COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    PageSession,
    csrf_ok,
    decode,
)
from services.portal.upstream import Upstream
from shared.clock import Clock


class LoginRequired(Exception):
    """Rendered as the login page with `reason` (idle, signed out, never signed in)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CsrfRefused(Exception):
    pass


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def upstream_of(request: Request) -> Upstream:
    upstream: Upstream = request.app.state.upstream
    return upstream


def clock_of(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


async def current_session(request: Request) -> PageSession:
    settings, clock = settings_of(request), clock_of(request)
    session = decode(request.cookies.get(COOKIE), settings.secret_key)
    if session is None:
        raise LoginRequired("required")
    now = clock.now()
    if now.timestamp() - session.last_seen > settings.idle_timeout_minutes * 60:
        raise LoginRequired("idle")
    # The middleware writes the refreshed cookie (idle time counts from this request).
    request.state.page_session = session.touched(now)
    return session


async def checked_session(request: Request) -> PageSession:
    """A signed-in POST carrying the session's CSRF token (form field or htmx header)."""
    session = await current_session(request)
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not csrf_ok(session.csrf, given):
        raise CsrfRefused()
    return session


# The dependencies are coroutines: FastAPI runs a plain function dependency in its thread pool,
# and that hand-over to a thread and back cost every page more than the look-up itself (on a
# loaded machine, two more waits for a CPU; bench/portal.py).
async def _settings(request: Request) -> Settings:
    return settings_of(request)


async def _upstream(request: Request) -> Upstream:
    return upstream_of(request)


async def _clock(request: Request) -> Clock:
    return clock_of(request)


SessionDep = Annotated[PageSession, Depends(current_session)]
PostSession = Annotated[PageSession, Depends(checked_session)]
UpstreamDep = Annotated[Upstream, Depends(_upstream)]
SettingsDep = Annotated[Settings, Depends(_settings)]
ClockDep = Annotated[Clock, Depends(_clock)]
