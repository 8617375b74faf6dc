"""The three services as `duban run` starts them, around one test: the clock every process
reads, the Aliyun SMS emulator, a mailbox, and hazard_api and escalation as named users of the
demo county see them. The stack on the embedded configuration (SQLite files, `duban run`'s own
tansu broker and SMTP sink) or on PostgreSQL, with an external broker and SMTP server or not.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller

from shared.broker import EmbeddedBroker, free_port
from tests.conftest import DatabaseFactory
from tests.e2e.harness import Mailbox, VirtualClock, aliyun_provider, eventually, providers_env
from tests.e2e.stack import Stack
from tests.notification import emulators

PASSWORD = "duban-demo-2026"
# Monday 2026-03-09, 09:30 in Shanghai: an ordinary working week (official calendar).
START = datetime(2026, 3, 9, 1, 30, tzinfo=UTC)
DIGEST_WINDOW = timedelta(seconds=600)  # the notification service's default window
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
PLAN = {
    "goal_and_tasks": "一个月内将库存药量降至核定药量以下，修复防护屏障",
    "methods_and_measures": "清理超量成品，分批转运至合规仓库；按设计修复防护土堤",
    "funds_and_materials": "安排整改资金12万元，防护材料已采购",
    "organisation_and_persons": "总经理张红星为第一责任人，安全管理员李安具体负责",
    "time_limit": "2026年3月23日前完成，每周报告进度",
    "safety_and_emergency": "整改期间停止涉药作业，设置警戒区，落实应急预案和应急物资",
    "funds_budget": 120000,
    "responsible_person": "张红星",
}


@dataclass
class World:
    stack: Stack
    clock: VirtualClock
    sms: emulators.Emulator
    mailbox: Mailbox
    client: httpx.AsyncClient
    tokens: dict[str, dict[str, str]]

    async def as_(self, username: str) -> dict[str, str]:
        if username not in self.tokens:
            r = await self.client.post(
                self.stack.url("hazard_api") + "/auth/token",
                data={"username": username, "password": PASSWORD},
            )
            assert r.status_code == 200, r.text
            self.tokens[username] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        return self.tokens[username]

    async def api(self, method: str, path: str, user: str, **kw: Any) -> Any:
        url = self.stack.url("hazard_api") + path
        r = await self.client.request(method, url, headers=await self.as_(user), **kw)
        if r.status_code == 401:  # the token expired while time moved on: log in again
            del self.tokens[user]
            r = await self.client.request(method, url, headers=await self.as_(user), **kw)
        assert r.status_code in (200, 201), f"{method} {path} as {user}: {r.status_code} {r.text}"
        return r.json()

    async def case(self, hazard_id: str) -> dict[str, Any] | None:
        url = f"{self.stack.url('escalation')}/cases/{hazard_id}"
        r = await self.client.get(url, headers=await self.as_("office"))
        if r.status_code == 401:  # the token expired while time moved on: log in again
            del self.tokens["office"]
            r = await self.client.get(url, headers=await self.as_("office"))
        if r.status_code == 404:
            return None
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    def phones_texted(self, since: int = 0) -> set[str]:
        return {a.phone for a in self.sms.accepted[since:]}


@contextlib.asynccontextmanager
async def world(
    tmp_path: Path, extra_env: dict[str, str], mailbox: Mailbox
) -> AsyncIterator[World]:
    clock = VirtualClock(tmp_path / "clock-offset")
    clock.set(START)
    async with emulators.serve("aliyun") as aliyun:
        env = {
            "DUBAN_CLOCK_OFFSET_FILE": str(clock.path),
            "NOTIFICATION_SMS_PROVIDERS": providers_env(aliyun_provider(aliyun.url)),
            **extra_env,
        }
        stack = Stack(tmp_path / "stack", extra_env=env)
        if mailbox.directory is not None:  # `duban run`'s own SMTP sink writes the files
            mailbox.directory = stack.mail_dir
        await stack.start()
        try:
            async with httpx.AsyncClient(timeout=30) as client:
                yield World(stack, clock, aliyun.emulator, mailbox, client, {})
        except BaseException:
            print(stack.output()[-20000:])  # shown by pytest for the failed test
            print("SMS emulator:", aliyun.emulator.requests, aliyun.emulator.rejected)
            for a in aliyun.emulator.accepted:
                print("  SMS", a.at, a.phone, a.template, a.params)
            raise
        finally:
            code = await stack.stop()
            assert code == 0, stack.output()[-4000:]
            assert not stack.tracebacks(), stack.tracebacks()


def embedded_world(tmp_path: Path) -> contextlib.AbstractAsyncContextManager[World]:
    """The stack on the embedded configuration: SQLite files, `duban run`'s own broker and
    SMTP sink (whose files the mailbox reads)."""
    return world(tmp_path, {}, Mailbox(directory=tmp_path / "placeholder"))


@contextlib.asynccontextmanager
async def postgres_world(
    tmp_path: Path, make_database_url: DatabaseFactory, *, external: bool = True
) -> AsyncIterator[World]:
    """The stack on PostgreSQL (a database of its own per service); `external`: with a broker
    and an SMTP server of the test's own, as a county runs them, instead of `duban run`'s."""
    env = {
        f"{svc.upper()}_DATABASE_URL": await make_database_url("postgresql")
        for svc in ("hazard_api", "escalation", "notification")
    }
    if not external:
        async with world(tmp_path, env, Mailbox(directory=tmp_path / "placeholder")) as w:
            yield w
        return
    mailbox = Mailbox()
    smtp_port = free_port()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    try:
        with EmbeddedBroker() as broker:
            env |= {
                "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
                "NOTIFICATION_SMTP_HOST": "127.0.0.1",
                "NOTIFICATION_SMTP_PORT": str(smtp_port),
            }
            async with world(tmp_path, env, mailbox) as w:
                yield w
    finally:
        smtp.stop()


async def settle(w: World) -> None:
    """Give the scheduler of every service a few rounds at the new time."""
    texts = len(w.sms.accepted)
    marker = datetime.now(UTC)
    await eventually(
        lambda: (datetime.now(UTC) - marker).total_seconds() > 3 or len(w.sms.accepted) > texts,
        "schedulers to run at the new time",
    )
