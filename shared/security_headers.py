"""Security headers on every response of every service.

`nosniff` everywhere, so a browser never runs an upload or a JSON body as a page. Pages (HTML)
also get a Content-Security-Policy: scripts only from the service itself (no inline script, so
an injected `<script>` does nothing), no framing (clickjacking of the acknowledgement button),
forms post only back to the service, and no Referer (acknowledgement links carry their token).
Styles may be inline: the pages use style attributes and ReDoc injects its styles at run time.
A response that set its own policy (an evidence download) keeps it.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable

from fastapi.responses import HTMLResponse
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def page_policy(script_hashes: Iterable[str] = ()) -> str:
    """The pages' policy; `script_hashes` admits the page's own inline scripts, no others."""
    scripts = " ".join(["'self'", *(f"'sha256-{h}'" for h in script_hashes)])
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src {scripts}",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            # ReDoc searches in a worker it builds from its own bundle (a blob: URL).
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


PAGE_POLICY = page_policy()


def page_with_inline_scripts(html: str, status_code: int = 200) -> HTMLResponse:
    """A page whose inline scripts (written by us, e.g. Swagger UI's start-up) may run."""
    hashes = [
        base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        for body in _INLINE_SCRIPT.findall(html)
    ]
    return HTMLResponse(
        html, status_code=status_code, headers={"Content-Security-Policy": page_policy(hashes)}
    )


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                if headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault("Content-Security-Policy", PAGE_POLICY)
                    headers.setdefault("X-Frame-Options", "DENY")
                    headers.setdefault("Referrer-Policy", "no-referrer")
            await send(message)

        await self.app(scope, receive, send_with_headers)
