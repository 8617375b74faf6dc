"""The services' HTTP APIs, called with the signed-in user's own token: one pooled aiohttp
session per service per app, so scoping stays where the APIs enforce it.

aiohttp rather than httpx: a 台账 page's call to hazard_api cost the portal about 0.6 ms of
CPU through httpx (URL and header models, the cookie jar, h11's pure-Python parser, anyio)
and about 0.2 ms through aiohttp (its C parser), and that difference was a fifth of the
portal's own time per page (bench/portal.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
from multidict import CIMultiDictProxy

from services.portal.config import Settings
from services.portal.fields import field_label

SERVICES = ("hazard_api", "escalation", "notification", "reporting")
# uvicorn closes an idle keep-alive connection after 5 s; ours are dropped before that, so a
# POST never goes out on a connection the server is closing (it would not be retried).
KEEPALIVE_S = 4.0

Files = Mapping[str, tuple[str | None, bytes, str]]
Params = Mapping[str, Any] | Sequence[tuple[str, Any]]


class UpstreamError(Exception):
    """A 4xx the page shows to the user (the API's Chinese message)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class SignedOut(Exception):
    """The API refused the token (expired, password changed, account locked)."""


class Unavailable(Exception):
    """A service did not answer (down, timeout, 5xx)."""


@dataclass(frozen=True)
class Answer:
    """A service's whole answer, read."""

    status_code: int
    headers: CIMultiDictProxy[str]
    content: bytes

    def json(self) -> Any:
        return orjson.loads(self.content)


def message_of(answer: Answer) -> str:
    try:
        body = answer.json()
    except ValueError:
        return f"请求未成功（{answer.status_code}）"
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            field, text = errors[0].get("field") or "", errors[0].get("message", "")
            label = field_label(str(field))
            return f"{label}：{text}" if label else str(text)
        detail = body.get("detail")
        if isinstance(detail, str):
            return detail
    return f"请求未成功（{answer.status_code}）"


def _query(params: Params | None) -> list[tuple[str, str]] | None:
    """Query parameters as text, booleans as the APIs read them (`true`/`false`)."""
    if params is None:
        return None
    items = params.items() if isinstance(params, Mapping) else params
    return [(k, _text(v)) for k, v in items]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


# A file's name as browsers (and httpx) write it in a multipart part (HTML5): UTF-8 as it is,
# only quotes and control characters escaped. aiohttp's default percent-escapes every non-ASCII
# character, and hazard_api would keep a photo 现场.png as `%E7%8E%B0%E5%9C%BA.png`.
_HTML5_NAME = {ord('"'): "%22"} | {c: f"%{c:02X}" for c in range(0x20) if c != 0x1B}


def _form(data: Mapping[str, Any] | None, files: Files | None) -> Any:
    """A multipart form when there are files; otherwise the fields urlencoded, as a form."""
    if files is None:
        return None if data is None else {k: _text(v) for k, v in data.items()}
    form = aiohttp.FormData(quote_fields=False)
    for name, value in (data or {}).items():
        form.add_field(name, _text(value))
    for name, (filename, content, content_type) in files.items():
        shown = (filename or name).translate(_HTML5_NAME)
        form.add_field(name, content, filename=shown, content_type=content_type)
    return form


class Upstream:
    """Sessions for hazard_api, escalation, notification and reporting, made on first use (an
    aiohttp session belongs to the event loop that runs the app)."""

    def __init__(self, settings: Settings) -> None:
        self.urls = {
            "hazard_api": settings.hazard_api_url,
            "escalation": settings.escalation_url,
            "notification": settings.notification_url,
            # Reporting trusts hazard_api's tokens (its REPORTING_BEARER_KEY), so the same one.
            "reporting": settings.reporting_url,
        }
        self.max_connections = settings.upstream_max_connections
        # Per connect and per read, as httpx counted it: an export streams for longer than that.
        self.timeout = aiohttp.ClientTimeout(
            total=None, connect=settings.upstream_timeout_s, sock_read=settings.upstream_timeout_s
        )
        self.sessions: dict[str, aiohttp.ClientSession] = {}

    def session(self, service: str) -> aiohttp.ClientSession:
        session = self.sessions.get(service)
        if session is None or session.closed:
            connector = aiohttp.TCPConnector(
                limit=self.max_connections, keepalive_timeout=KEEPALIVE_S
            )
            session = aiohttp.ClientSession(
                base_url=self.urls[service].rstrip("/") + "/",
                connector=connector,
                timeout=self.timeout,
                # The user's token goes in each request; no cookie jar, nothing from the env.
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,
                raise_for_status=False,
            )
            self.sessions[service] = session
        return session

    async def aclose(self) -> None:
        for session in self.sessions.values():
            await session.close()
        self.sessions.clear()

    async def _open(
        self,
        service: str,
        method: str,
        path: str,
        *,
        token: str | None,
        params: Params | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        files: Files | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> aiohttp.ClientResponse:
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        try:
            return await self.session(service).request(
                method,
                path.lstrip("/"),
                params=_query(params),
                json=json,
                data=_form(data, files),
                headers=sent,
                allow_redirects=False,
            )
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise Unavailable(f"{service}: {method} {path}: {type(exc).__name__}: {exc}") from exc

    async def send(
        self, service: str, method: str, path: str, *, token: str | None, **kwargs: Any
    ) -> Answer:
        response = await self._open(service, method, path, token=token, **kwargs)
        return await self._read(service, response, token=token)

    async def _read(
        self, service: str, response: aiohttp.ClientResponse, *, token: str | None
    ) -> Answer:
        """The whole answer, the connection released; a refused token and a 5xx raised."""
        try:
            answer = Answer(response.status, response.headers, await response.read())
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise Unavailable(f"{service}: {response.url}: {type(exc).__name__}: {exc}") from exc
        finally:
            response.release()
        if answer.status_code == 401 and token:
            raise SignedOut()
        if answer.status_code >= 500:
            raise Unavailable(
                f"{service}: {response.url}: HTTP {answer.status_code} {message_of(answer)}"
            )
        return answer

    async def call(
        self, service: str, method: str, path: str, *, token: str | None, **kwargs: Any
    ) -> Any:
        """The JSON body of a 2xx answer; UpstreamError with the API's message otherwise."""
        answer = await self.send(service, method, path, token=token, **kwargs)
        if answer.status_code >= 400:
            raise UpstreamError(answer.status_code, message_of(answer))
        # orjson: a 台账 page's JSON parses in a third of the standard library's time.
        return answer.json() if answer.content else None

    async def pages(
        self, path: str, params: list[tuple[str, str]], *, token: str, page_size: int = 100
    ) -> AsyncIterator[dict[str, Any]]:
        """Every row of a paged hazard_api list, page by page (exports stream this)."""
        page = 1
        while True:
            query = [*params, ("page", str(page)), ("page_size", str(page_size))]
            body = await self.call("hazard_api", "GET", path, token=token, params=query)
            for item in body["items"]:
                yield item
            # A short page is the last: `total` is capped on large sets (total_exact false).
            if len(body["items"]) < page_size:
                return
            page += 1

    async def stream(
        self, service: str, path: str, *, token: str, params: list[tuple[str, str]]
    ) -> aiohttp.ClientResponse:
        """An open streamed GET (the caller releases it): a 4xx is read and raised before any
        byte goes to the browser, so a bad filter is still an error page."""
        response = await self._open(service, "GET", path, token=token, params=params)
        if response.status < 400:
            return response
        answer = await self._read(service, response, token=token)
        raise UpstreamError(answer.status_code, message_of(answer))
