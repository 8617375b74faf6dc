"""The services' HTTP APIs, called with the signed-in user's own token: one pooled
`httpx.AsyncClient` per service per app, so scoping stays where the APIs enforce it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
import orjson

from services.portal.config import Settings


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


def message_of(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"请求未成功（{response.status_code}）"
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            field, text = errors[0].get("field"), errors[0].get("message", "")
            return f"{field}：{text}" if field else str(text)
        detail = body.get("detail")
        if isinstance(detail, str):
            return detail
    return f"请求未成功（{response.status_code}）"


class Upstream:
    """Clients for hazard_api, escalation, notification and reporting; `transports` lets tests
    put the apps in the same process."""

    def __init__(
        self,
        settings: Settings,
        transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
    ) -> None:
        transports = transports or {}
        limits = httpx.Limits(
            max_connections=settings.upstream_max_connections,
            max_keepalive_connections=settings.upstream_max_connections,
        )
        timeout = httpx.Timeout(settings.upstream_timeout_s)

        def client(name: str, url: str) -> httpx.AsyncClient:
            return httpx.AsyncClient(
                base_url=url, timeout=timeout, limits=limits, transport=transports.get(name)
            )

        self.clients = {
            "hazard_api": client("hazard_api", settings.hazard_api_url),
            "escalation": client("escalation", settings.escalation_url),
            "notification": client("notification", settings.notification_url),
            # Reporting trusts hazard_api's tokens (its REPORTING_BEARER_KEY), so the same one.
            "reporting": client("reporting", settings.reporting_url),
        }

    async def aclose(self) -> None:
        for c in self.clients.values():
            await c.aclose()

    async def send(
        self, service: str, method: str, path: str, *, token: str | None, **kwargs: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            response = await self.clients[service].request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise Unavailable(f"{service}: {type(exc).__name__}") from exc
        if response.status_code == 401 and token:
            raise SignedOut()
        if response.status_code >= 500:
            raise Unavailable(f"{service}: HTTP {response.status_code}")
        return response

    async def call(
        self, service: str, method: str, path: str, *, token: str | None, **kwargs: Any
    ) -> Any:
        """The JSON body of a 2xx answer; UpstreamError with the API's message otherwise."""
        response = await self.send(service, method, path, token=token, **kwargs)
        if response.status_code >= 400:
            raise UpstreamError(response.status_code, message_of(response))
        # orjson: a 台账 page's JSON parses in a third of the standard library's time.
        return orjson.loads(response.content) if response.content else None

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
    ) -> httpx.Response:
        """An open streamed GET (the caller closes it): a 4xx is read and raised before any
        byte goes to the browser, so a bad filter is still an error page."""
        client = self.clients[service]
        request = client.build_request(
            "GET",
            path,
            params=tuple(params),
            headers={"Authorization": f"Bearer {token}"},
        )
        try:
            response = await client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise Unavailable(f"{service}: {type(exc).__name__}") from exc
        if response.status_code < 400:
            return response
        await response.aread()
        await response.aclose()
        if response.status_code == 401:
            raise SignedOut()
        if response.status_code >= 500:
            raise Unavailable(f"{service}: HTTP {response.status_code}")
        raise UpstreamError(response.status_code, message_of(response))
