"""hazard_api as the reporting link's integration client sees it: city/province listing
decisions are applied, and the quarterly table read, through hazard_api's own API, so its
authority, scope and audit rules hold for them as for any caller.

The client signs in with its account (`REPORTING_HAZARD_API_USERNAME`/`_PASSWORD`, an
integration client bound to the county with `hazards:read listing:external`), keeps the token
until half its life has passed on the injected clock, and signs in again on a 401.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx

from services.reporting.config import Settings
from shared.clock import Clock

SCOPES = "hazards:read listing:external"


class HazardApiUnavailable(Exception):
    """hazard_api did not answer, or answered 5xx: the caller tries again later."""


class HazardApiRefused(Exception):
    """hazard_api answered 4xx: its status and its (Chinese) message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"隐患系统未接受请求（{response.status_code}）"
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("message", ""))
        if isinstance(body.get("detail"), str):
            return str(body["detail"])
    return f"隐患系统未接受请求（{response.status_code}）"


class HazardLink:
    def __init__(
        self, settings: Settings, clock: Clock, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.settings, self.clock = settings, clock
        self.client = httpx.AsyncClient(
            base_url=settings.hazard_api_url,
            timeout=httpx.Timeout(settings.hazard_api_timeout_s),
            transport=transport,
        )
        self._token: str | None = None
        self._renew_at: datetime | None = None

    async def aclose(self) -> None:
        await self.client.aclose()

    async def _sign_in(self) -> str:
        form = {
            "username": self.settings.hazard_api_username,
            "password": self.settings.hazard_api_password,
            "scope": SCOPES,
        }
        response = await self._send("POST", "/auth/token", data=form)
        if response.status_code != 200:
            raise HazardApiUnavailable(f"上报服务登录隐患系统失败：{_message(response)}")
        body = response.json()
        self._token = str(body["access_token"])
        self._renew_at = self.clock.now() + timedelta(seconds=int(body["expires_in"]) / 2)
        return self._token

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise HazardApiUnavailable(f"隐患系统无法连接：{type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise HazardApiUnavailable(f"隐患系统暂不可用（{response.status_code}）")
        return response

    async def _token_now(self) -> str:
        if self._token is None or self._renew_at is None or self.clock.now() >= self._renew_at:
            return await self._sign_in()
        return self._token

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """The JSON answer of a 2xx; HazardApiRefused on a 4xx, HazardApiUnavailable else."""
        token = await self._token_now()
        response = await self._send(method, path, headers=_bearer(token), **kwargs)
        if response.status_code == 401:  # revoked or expired early: sign in once more
            fresh = _bearer(await self._sign_in())
            response = await self._send(method, path, headers=fresh, **kwargs)
        if response.status_code >= 400:
            raise HazardApiRefused(response.status_code, _message(response))
        return response.json()

    async def apply_listing_decision(self, hazard_id: str, decision: dict[str, Any]) -> Any:
        return await self.call("POST", f"/hazards/{hazard_id}/listing/external", json=decision)

    async def quarter_statistics(self, year: int, quarter: int) -> dict[str, Any]:
        params = {"year": year, "quarter": quarter, "group_by": "unit", "format": "json"}
        body: dict[str, Any] = await self.call("GET", "/statistics/hazards", params=params)
        return body


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
