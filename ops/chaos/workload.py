"""The work the stack does while faults hit it: major hazards reported, classified, listed
(挂牌督办) and put under rectification, then time moving on so escalation steps fire and
people are told.

Calls go to hazard_api like a client's would, and are retried while a fault lasts. A retried
report may have been stored the first time (the answer was lost): the checker then simply has
one more hazard to follow. A retried transition that answers 409 was applied the first time.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

PASSWORD = "duban-demo-2026"
PLAN = {
    "goal_and_tasks": "降低库存药量，修复防护屏障",
    "methods_and_measures": "超量成品转运至合规仓库，修复防护土堤",
    "funds_and_materials": "整改资金12万元",
    "organisation_and_persons": "总经理张红星负责",
    "time_limit": "30日内完成",
    "safety_and_emergency": "停止涉药作业，设警戒区，落实应急预案",
    "funds_budget": 120000,
    "responsible_person": "张红星",
}


class GaveUp(RuntimeError):
    pass


@dataclass
class Client:
    base_url: str
    http: httpx.AsyncClient
    tokens: dict[str, str] = field(default_factory=dict)
    retries: int = 0

    async def _token(self, user: str) -> str:
        if user not in self.tokens:
            body = await self._send(
                "POST", "/auth/token", None, data={"username": user, "password": PASSWORD}
            )
            self.tokens[user] = body["access_token"]
        return self.tokens[user]

    async def call(self, method: str, path: str, user: str, **kw: Any) -> Any:
        return await self._send(method, path, user, **kw)

    async def _send(self, method: str, path: str, user: str | None, **kw: Any) -> Any:
        failed_before = False
        for _ in range(120):  # about two minutes: longer than any single fault holds
            headers = {"Authorization": f"Bearer {await self._token(user)}"} if user else {}
            try:
                r = await self.http.request(method, self.base_url + path, headers=headers, **kw)
            except httpx.HTTPError:
                r = None
            if r is not None and r.status_code in (200, 201):
                return r.json()
            if r is not None and r.status_code == 401 and user:
                self.tokens.pop(user, None)
            elif r is not None and r.status_code == 409 and failed_before:
                return None  # applied by the attempt whose answer was lost
            elif r is not None and r.status_code < 500 and r.status_code != 429:
                raise GaveUp(f"{method} {path}: {r.status_code} {r.text}")
            failed_before = True
            self.retries += 1
            await asyncio.sleep(1.0)
        raise GaveUp(f"{method} {path}: no answer while faults held")


async def list_major_hazard(client: Client, rng: random.Random, found_at: datetime) -> str:
    hazard = await client.call(
        "POST",
        "/hazards",
        "daping",
        json={
            "unit_id": "ent-hongxing",
            "location": f"{rng.randint(1, 9)}号库房",
            "description": "库房存药量超过核定药量，防护屏障部分缺失",
            "source": "inspection",
            "found_at": found_at.astimezone(UTC).isoformat(),
        },
    )
    hid: str = hazard["id"]
    await client.call(
        "POST",
        f"/hazards/{hid}/classify",
        "office",
        json={"level": "major", "grade": 3, "criterion_id": "YH-05"},
    )
    await client.call("PUT", f"/hazards/{hid}/plan", "hongxing", json=PLAN)
    await client.call(
        "POST",
        f"/hazards/{hid}/listing",
        "office",
        json={
            "notice_no": f"演安委〔2026〕{rng.randint(1, 999)}号",
            "deadline_days": rng.randint(3, 12),
            "published": True,
        },
    )
    await client.call("POST", f"/hazards/{hid}/start-rectification", "hongxing", json={})
    return hid


def found_time(now: datetime) -> datetime:
    return now - timedelta(hours=2)
