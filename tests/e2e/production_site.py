"""The production guide's site around the test of it: the site values, the county a first
administrator builds through hazard_api, and the backup the guide takes and drills."""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx

from shared.broker import free_port
from tests.conftest import PG_ADMIN_DSN
from tests.e2e.guide import run_step
from tests.e2e.world import PNG
from tests.notification import emulators

PUBLIC_URL = "https://duban.example.test"
SHANGHAI = ZoneInfo("Asia/Shanghai")
ADMIN_PASSWORD = "Qingshan-anquan-2026"
SERVICES = ("hazard_api", "escalation", "notification", "reporting")


async def admin_execute(*statements: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def rows(database: str, query: str) -> list[tuple[Any, ...]]:
    conn = await asyncpg.connect(PG_ADMIN_DSN.rsplit("/", 1)[0] + "/" + database)
    try:
        return [tuple(r) for r in await conn.fetch(query)]
    finally:
        await conn.close()


class Api:
    """hazard_api as a logged-in user."""

    def __init__(self, client: httpx.AsyncClient, base: str) -> None:
        self.client, self.base = client, base
        self.tokens: dict[str, dict[str, str]] = {}

    async def login(self, username: str, password: str) -> None:
        r = await self.client.post(
            f"{self.base}/auth/token", data={"username": username, "password": password}
        )
        assert r.status_code == 200, r.text
        self.tokens[username] = {"Authorization": f"Bearer {r.json()['access_token']}"}

    async def __call__(self, method: str, path: str, user: str, **kw: Any) -> Any:
        r = await self.client.request(method, self.base + path, headers=self.tokens[user], **kw)
        assert r.status_code in (200, 201), f"{method} {path} as {user}: {r.status_code} {r.text}"
        return r.json()


async def build_county(api: Api, admin: str) -> dict[str, str]:
    """A township, an enterprise in it, who answers for it, and the enterprise's account."""
    county = (await api("GET", "/units?kind=county", admin))[0]
    area = county["area_code"]
    township = await api(
        "POST",
        "/units",
        admin,
        json={"kind": "township", "name": "青山镇", "area_code": area, "parent_id": county["id"]},
    )
    enterprise = await api(
        "POST",
        "/units",
        admin,
        json={
            "kind": "enterprise",
            "name": "青山化工有限公司",
            "area_code": area,
            "territorial_unit_id": township["id"],
            "industry_code": "C2614",
            "industry_name": "有机化学原料制造",
        },
    )
    people = {}
    for key, unit, name, mobile, role, title in (
        ("principal", enterprise, "赵青山", "13900001111", "principal", "总经理"),
        ("township", township, "钱安全", "13900002222", "deputy_safety", "副镇长"),
    ):
        person = await api(
            "POST",
            "/people",
            admin,
            json={
                "unit_id": unit["id"],
                "name": name,
                "mobile": mobile,
                "email": f"{mobile}@example.test",
            },
        )
        await api(
            "POST",
            "/posts",
            admin,
            json={
                "unit_id": unit["id"],
                "role": role,
                "title": title,
                "holder_person_id": person["id"],
            },
        )
        people[key] = mobile
    await api(
        "POST",
        "/users",
        admin,
        json={
            "username": "qingshan",
            "password": "Qingshan-qiye-2026",
            "role": "enterprise",
            "unit_id": enterprise["id"],
        },
    )
    return {"enterprise": enterprise["id"], **people}


def guide_site(
    tmp_path: Path,
    role: str,
    prefix: str,
    *,
    kafka: str,
    ports: dict[str, int],
    smtp_port: int,
    ca_file: Path,
    sms_url: str,
) -> dict[str, str]:
    """The guide's site values (its `site` block) for this machine: folders under `tmp_path`,
    the test's own PostgreSQL role and database prefix, the local stand-ins' addresses."""
    pg = urllib.parse.urlsplit(PG_ADMIN_DSN)
    return {
        "DUBAN_HOME": str(tmp_path / "opt"),
        "DUBAN_ETC": str(tmp_path / "etc"),
        "DUBAN_DATA": str(tmp_path / "data"),
        "DUBAN_BACKUPS": str(tmp_path / "backups"),
        "SYSTEMD_DIR": str(tmp_path / "systemd"),
        "PUBLIC_URL": PUBLIC_URL,
        "PSQL_ADMIN": f"psql {PG_ADMIN_DSN}",
        "DB_HOST": pg.hostname or "127.0.0.1",
        "DB_PORT": str(pg.port or 5432),
        "DB_USER": role,
        "DB_PREFIX": prefix,
        "KAFKA": kafka,
        "HAZARD_API_PORT": str(ports["hazard_api"]),
        "ESCALATION_PORT": str(ports["escalation"]),
        "NOTIFICATION_PORT": str(ports["notification"]),
        "PORTAL_PORT": str(free_port()),  # the pages are not driven here
        "REPORTING_PORT": str(ports["reporting"]),
        # Nothing major is reported in this story: no province to stand in for.
        "PROVINCE_URL": "http://127.0.0.1:9/webhooks/duban",
        "WORKERS": "2",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "SMTP_SECURITY": "starttls",
        "SMTP_USER": "duban",
        "SMTP_PASSWORD": "pw",
        "SMTP_SENDER": "青山县安委办督办系统 <duban@example.test>",
        "SMTP_CA_FILE": str(ca_file),
        "SMS_ENDPOINT": sms_url,
        "SMS_KEY_ID": emulators.ACCESS_KEY_ID,
        "SMS_KEY_SECRET": emulators.ACCESS_KEY_SECRET,
        "SMS_SIGN_NAME": emulators.SIGN_NAME,
        "SMS_TEMPLATE_NOTICE": "SMS_900003",
        "SMS_TEMPLATE_DIGEST": "SMS_900004",
        "SMS_TEMPLATE_REPORT": "SMS_900005",
        "COUNTY_NAME": "青山县",
        "AREA_CODE": "430723",
        "ADMIN_USER": "admin",
        "ADMIN_NAME": "王主任",
    }


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def the_backup(site: dict[str, str], prefix: str) -> Path:
    (backup,) = Path(site["DUBAN_BACKUPS"]).iterdir()
    assert {p.name for p in backup.iterdir()} == {f"{prefix}{s}.dump" for s in SERVICES} | {
        "evidence.tar.gz",
        "SHA256SUMS",
    }
    return backup


async def take_backup(site: dict[str, str], prefix: str) -> Path:
    out = await run_step("backup", site)
    assert "backup written to" in out, out
    return the_backup(site, prefix)


async def restore_drill(site: dict[str, str], prefix: str, backup: Path) -> None:
    out = await run_step("restore-drill", site)
    assert "restore drill passed" in out, out

    # The restored copy holds what the live database holds, row for row…
    live, drill = f"{prefix}hazard_api", f"{prefix}restore_drill"
    for table in ("units", "people", "posts", "users", "hazards", "attachments", "audit_log"):
        query = f"SELECT * FROM {table} ORDER BY 1"
        original = await rows(live, query)
        assert original, f"{table} is empty: nothing to compare"
        assert await rows(drill, query) == original, table
    # …and the evidence folder holds the file the attachment row names, byte for byte.
    ((stored_path,),) = await rows(drill, "SELECT stored_path FROM attachments")
    restored = files(backup / "evidence-drill")
    assert restored == files(Path(site["DUBAN_DATA"]) / "evidence")
    assert restored[stored_path] == PNG
