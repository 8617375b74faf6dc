"""Lifecycle fixtures: the demo county plus a few more accounts, and small request helpers."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from services.hazard_api.auth.models import User, UserRole
from services.hazard_api.auth.service import issue_token
from services.hazard_api.db import outbox_tables
from services.hazard_api.directory.seed import DemoCounty
from shared.contract import Envelope
from shared.db import transaction

# A 1×1 PNG and a tiny PDF: real magic numbers, as a phone or scanner would send.
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# Extra accounts beside the demo ones: a second person in the same offices, and enterprises.
EXTRA_USERS = [
    ("office2", UserRole.COUNTY_OFFICE, "dep-yingji", "p-huangtao"),
    ("zhujian2", UserRole.DEPARTMENT, "dep-zhujian", "p-gaoyang"),
    ("jiancheng", UserRole.ENTERPRISE, "ent-jiancheng", "p-jiancheng-2"),
    ("huayu", UserRole.ENTERPRISE, "ent-huayu", "p-huayu-2"),
]


@dataclass
class Api:
    """`await api.as_("hongxing").post(...)`: the HTTP client with one user's token."""

    client: httpx.AsyncClient
    headers: dict[str, dict[str, str]]

    def as_(self, username: str) -> _As:
        return _As(self.client, self.headers[username])


@dataclass
class _As:
    client: httpx.AsyncClient
    headers: dict[str, str]

    async def get(self, path: str, **kw: Any) -> httpx.Response:
        return await self.client.get(path, headers=self.headers, **kw)

    async def post(self, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        return await self.client.post(path, json=json, headers=self.headers, **kw)

    async def put(self, path: str, json: Any = None) -> httpx.Response:
        return await self.client.put(path, json=json, headers=self.headers)

    async def patch(self, path: str, json: Any = None) -> httpx.Response:
        return await self.client.patch(path, json=json, headers=self.headers)

    async def upload(
        self, hazard_id: str, data: bytes = PNG, name: str = "现场.png", purpose: str = "hazard"
    ) -> httpx.Response:
        return await self.client.post(
            f"/hazards/{hazard_id}/attachments",
            files={"file": (name, io.BytesIO(data), "application/octet-stream")},
            data={"purpose": purpose},
            headers=self.headers,
        )


@pytest.fixture
async def api(app: FastAPI, client: httpx.AsyncClient, seeded: DemoCounty, tmp_path: Any) -> Api:
    settings = app.state.settings
    settings.evidence_dir = str(tmp_path / "evidence")
    async with transaction(app.state.sessionmaker) as session:
        for username, role, unit, person in EXTRA_USERS:
            session.add(
                User(
                    id=f"u-{username}",
                    username=username,
                    password_hash="!no-password-login",  # tokens are issued directly below
                    role=role.value,
                    unit_id=unit,
                    person_id=person,
                    scopes="",
                    active=True,
                    created_at=app.state.clock.now(),
                )
            )
    headers: dict[str, dict[str, str]] = {}
    async with app.state.sessionmaker() as session:
        for user in await session.scalars(select(User)):
            # Same tokens /auth/token issues, without an argon2 verification per account.
            token = issue_token(
                user,
                user.scopes.split(),
                secret_key=settings.secret_key,
                clock=app.state.clock,
                minutes=14 * 24 * 60,  # tests move the clock by days
            )
            headers[user.username] = {"Authorization": f"Bearer {token}"}
    return Api(client, headers)


# Found by the enterprise itself (自查): it may classify it as general and fix it on the spot;
# tests of inspector-found hazards say "source": "inspection".
HAZARD = {
    "location": "二号库房东侧",
    "description": "库房内存放药量超过核定药量，且防护屏障部分缺失",
    "source": "self_check",
    "found_at": "2026-03-05T02:00:00Z",
}

PLAN = {
    "goal_and_tasks": "一个月内将库存药量降至核定药量以下，修复防护屏障",
    "methods_and_measures": "清理超量成品，分批转运至合规仓库；按设计修复防护土堤",
    "funds_and_materials": "安排整改资金12万元，防护材料已采购",
    "organisation_and_persons": "总经理张红星为第一责任人，安全管理员李安具体负责",
    "time_limit": "2026年4月30日前完成，每周报告进度",
    "safety_and_emergency": "整改期间停止涉药作业，设置警戒区，落实应急预案和应急物资",
    "funds_budget": 120000,
    "responsible_person": "张红星",
}

EventsLoader = Callable[[str], Awaitable[list[Envelope]]]


@pytest.fixture
def outbox_events(app: FastAPI) -> EventsLoader:
    """The hazard's events as queued in the outbox, in order."""

    async def load(hazard_id: str) -> list[Envelope]:
        o = outbox_tables.outbox
        async with app.state.sessionmaker() as session:
            rows = await session.execute(
                select(o.c.value).where(o.c.key == hazard_id).order_by(o.c.id)
            )
            return [Envelope.model_validate_json(r.value) for r in rows]

    return load
