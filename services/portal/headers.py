"""The security headers and the refreshed session cookie on every portal answer.

A plain ASGI middleware that edits the answer's first message on its way out: Starlette's
`@app.middleware("http")` (BaseHTTPMiddleware) runs each request's app in a task of its own and
passes the body through a memory stream, which was a fifth of the portal's own time per 台账
page (bench/portal.py measures the page through the portal against the API call behind it).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.portal.config import Settings
from services.portal.session import COOKIE, encode, set_cookie

# Pages load only our own files: no inline script, no CDN, never inside another site's frame.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
)


class PageHeaders:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        # The attributes session.set_cookie writes (in one place), taken once: only the value
        # changes from page to page, and session.encode's values need no quoting.
        carrier = Response()
        set_cookie(carrier, COOKIE, "v", secure=settings.env == "production")
        self.cookie_attributes = carrier.headers["set-cookie"].removeprefix(f"{COOKIE}=v")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # request.state lives in this dict; made here so that the app's own copies of the scope
        # share it and the signed-in session set by the page is seen below.
        state = scope.setdefault("state", {})

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS:
                    headers.setdefault(name, value)
                session = state.get("page_session")
                if session is not None and not state.get("signed_out", False):
                    cookie = encode(session, self.settings.secret_key)
                    headers.append("set-cookie", f"{COOKIE}={cookie}{self.cookie_attributes}")
                if headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)
