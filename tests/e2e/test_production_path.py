"""docs/production.md, run as written: from an empty PostgreSQL to a text on a phone, then a
backup and a restore drill that round-trips a database and the evidence folder.

The guide's `# step:` blocks run in bash after the test's own site values (the one block a
site edits): settings, databases, migrate, the first administrator, check-config, the systemd
unit, backup and the restore drill. The three services run as that unit says (uvicorn with
its workers, its environment files). Local stand-ins only where a county has something this
machine cannot have: the embedded broker for Apache Kafka (topics created as `duban run` does),
the Aliyun SMS emulator for Aliyun, a TLS proxy for nginx, an aiosmtpd server (STARTTLS, login)
for the county's mail relay. Time moves through the clock offset file so the rectification
reminder falls due; the guide's settings themselves have no movable clock (check-config says
so). Not run: `install` (this test runs in the project's virtualenv), the Kafka topics loop,
`systemctl`, nginx.
"""

from __future__ import annotations

import io
import signal
import ssl
import urllib.parse
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest
import trustme
from aiosmtpd.controller import Controller

from ops.stack import topic_partitions
from shared.broker import EmbeddedBroker, ensure_topics, free_port
from tests.conftest import PG_ADMIN_DSN
from tests.e2e.guide import Service, TlsProxy, Unit, run_step, site_variables, steps, venv_prefix
from tests.e2e.harness import VirtualClock, eventually
from tests.notification import emulators
from tests.notification.mail import Mailbox, authenticator

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("pg_available")]

PUBLIC_URL = "https://duban.example.test"
SHANGHAI = ZoneInfo("Asia/Shanghai")
ADMIN_PASSWORD = "Qingshan-anquan-2026"
SERVICES = ("hazard_api", "escalation", "notification", "reporting")
# Monday 2026-03-09, 09:30 in Shanghai: an ordinary working week.
START = datetime(2026, 3, 9, 1, 30, tzinfo=UTC)
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


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


@pytest.fixture
async def pg_names() -> AsyncIterator[tuple[str, str]]:
    """A role and a database prefix of this test's own, dropped afterwards."""
    role = f"duban_g_{uuid.uuid4().hex[:10]}"
    yield role, f"{role}_"
    databases = [f"{role}_{s}" for s in (*SERVICES, "restore_drill")]
    await admin_execute(
        *(f'DROP DATABASE IF EXISTS "{d}" WITH (FORCE)' for d in databases),
        f'DROP ROLE IF EXISTS "{role}"',
    )


async def test_production_guide_from_empty_database_to_a_text_and_a_restored_backup(
    tmp_path: Path, pg_names: tuple[str, str]
) -> None:
    role, prefix = pg_names
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "duban.example.test").configure_cert(tls)

    mailbox = Mailbox()
    smtp_port = free_port()
    smtp = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=smtp_port,
        tls_context=tls,
        require_starttls=True,
        authenticator=authenticator(mailbox),
        auth_required=True,
    )
    smtp.start()
    home = tmp_path / "opt"
    home.mkdir()
    (home / "venv").symlink_to(venv_prefix())  # what the install step would have built
    data = tmp_path / "data"
    (data / "evidence").mkdir(parents=True)  # as the install step does
    (tmp_path / "backups").mkdir()
    (tmp_path / "systemd").mkdir()
    pg = urllib.parse.urlsplit(PG_ADMIN_DSN)
    ports = {s: free_port() for s in SERVICES}
    clock = VirtualClock(tmp_path / "clock-offset")
    clock.set(START)
    running: list[Service] = []
    try:
        async with emulators.serve("aliyun") as aliyun:
            with EmbeddedBroker() as broker:
                # Stand-in for the Kafka topics loop of §2.
                await ensure_topics(broker.bootstrap_servers, topic_partitions(6))
                site = {
                    "DUBAN_HOME": str(home),
                    "DUBAN_ETC": str(tmp_path / "etc"),
                    "DUBAN_DATA": str(data),
                    "DUBAN_BACKUPS": str(tmp_path / "backups"),
                    "SYSTEMD_DIR": str(tmp_path / "systemd"),
                    "PUBLIC_URL": PUBLIC_URL,
                    "PSQL_ADMIN": f"psql {PG_ADMIN_DSN}",
                    "DB_HOST": pg.hostname or "127.0.0.1",
                    "DB_PORT": str(pg.port or 5432),
                    "DB_USER": role,
                    "DB_PREFIX": prefix,
                    "KAFKA": broker.bootstrap_servers,
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
                    "SMS_ENDPOINT": aliyun.url,
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
                assert list(site) == site_variables(steps()["site"])

                for step in ("settings", "databases", "migrate"):
                    await run_step(step, site)
                await run_step("admin", site, stdin=ADMIN_PASSWORD + "\n")
                checked = await run_step("check-config", site)
                assert "未发现不安全的配置（DUBAN_ENV=production）" in checked, checked
                await run_step("units", site)

                unit = Unit(tmp_path / "systemd" / "duban@.service")
                # A production service refuses a movable clock (shared/safety.py): the
                # services run as the guide says, but as a test stack, to move time.
                clock_env = {"DUBAN_CLOCK_OFFSET_FILE": str(clock.path), "DUBAN_ENV": "test"}
                proxy = TlsProxy(tls, ports["notification"])
                try:
                    for name in SERVICES:
                        running.append(await unit.start(name, clock_env))
                    await proxy.start(free_port())
                    await scenario(site, ports, clock, aliyun.emulator, mailbox, proxy)
                    # While the services run, as the guide says backups are taken.
                    backup = await take_backup(site, prefix)
                finally:
                    await proxy.stop()
                    codes = [await service.stop() for service in reversed(running)]
                # Clean stops as systemd counts them: exit 0, or SIGTERM re-raised by a single
                # uvicorn process after its graceful shutdown.
                assert set(codes) <= {0, -signal.SIGTERM}, codes
                for service in running:
                    output = "\n".join(service.lines)
                    assert "Application shutdown complete" in output, output
                    assert "Traceback" not in output, output

            await restore_drill(site, prefix, backup)
    except BaseException:
        for service in running:
            print(f"---- {service.name}\n" + "\n".join(service.lines[-200:]))
        raise
    finally:
        smtp.stop()


async def scenario(
    site: dict[str, str],
    ports: dict[str, int],
    clock: VirtualClock,
    sms: emulators.Emulator,
    mailbox: Mailbox,
    proxy: TlsProxy,
) -> None:
    async with httpx.AsyncClient(timeout=30) as client:

        async def ready() -> bool:
            for name in SERVICES:
                try:
                    r = await client.get(f"http://127.0.0.1:{ports[name]}/readyz")
                except httpx.TransportError:
                    return False
                if r.status_code != 200:
                    return False
            return True

        await eventually(ready, "every /readyz green", within_s=120)
        api = Api(client, f"http://127.0.0.1:{ports['hazard_api']}")
        admin = site["ADMIN_USER"]
        await api.login(admin, ADMIN_PASSWORD)
        me = await api("GET", "/auth/me", admin)
        assert me["role"] == "county_office"
        county = await build_county(api, admin)

        # The enterprise reports a hazard with a photo; the county office classifies it.
        await api.login("qingshan", "Qingshan-qiye-2026")
        hazard = await api(
            "POST",
            "/hazards",
            "qingshan",
            json={
                "location": "甲类仓库北侧",
                "description": "仓库可燃气体报警器失效，未及时维修",
                "source": "self_check",
                "found_at": (START - timedelta(hours=2)).isoformat(),
            },
        )
        hid = hazard["id"]
        photo = await api(
            "POST",
            f"/hazards/{hid}/attachments",
            "qingshan",
            files={"file": ("现场.png", io.BytesIO(PNG), "image/png")},
            data={"purpose": "hazard"},
        )
        await api(
            "POST",
            f"/hazards/{hid}/classify",
            admin,
            json={"level": "general", "deadline_days": 10},
        )

        # The rectification order (限期整改) reaches the principal once its digest window (10
        # minutes) has passed; wait for it, or it would share one digest with the reminder.
        def to_principal() -> list[Any]:
            return [a for a in sms.accepted if a.phone.endswith(county["principal"])]

        async def ordered() -> bool:
            if to_principal():
                return True
            clock.advance(timedelta(minutes=1))
            return False

        await eventually(ordered, "the rectification order text to the principal", within_s=180)
        orders = len(to_principal())

        # Escalation plans the general-hazard ladder; the first reminder reaches the
        # enterprise's principal once its time comes (and its digest window has passed).
        escalation = f"http://127.0.0.1:{ports['escalation']}"

        async def case() -> dict[str, Any] | None:
            # Escalation takes hazard_api's tokens (ESCALATION_BEARER_KEY in the guide).
            r = await client.get(f"{escalation}/cases/{hid}", headers=api.tokens[admin])
            if r.status_code == 401:  # the token expired while time moved on
                await api.login(admin, ADMIN_PASSWORD)
                r = await client.get(f"{escalation}/cases/{hid}", headers=api.tokens[admin])
            return r.json() if r.status_code == 200 else None

        async def planned() -> bool:
            c = await case()
            return c is not None and any(s["step_key"] == "remind_3wd" for s in c["steps"])

        await eventually(planned, "escalation case planned")
        planned_case = await case()
        assert planned_case is not None
        step = next(s for s in planned_case["steps"] if s["step_key"] == "remind_3wd")
        clock.set(datetime.fromisoformat(step["due_at"]) + timedelta(seconds=1))

        async def fired() -> bool:
            c = await case()
            return c is not None and any(
                s["step_key"] == "remind_3wd" and s["status"] == "done" for s in c["steps"]
            )

        await eventually(fired, "the reminder step fired")
        # A reminder waits for its person's digest window (10 minutes) from when notification
        # got it: let time run on, a minute at a time, but not into the evening's quiet hours.
        due = datetime.fromisoformat(step["due_at"]).astimezone(SHANGHAI)
        released_by = due.replace(hour=20, minute=0)

        async def texted() -> bool:
            if len(to_principal()) > orders:
                return True
            if clock.now() < released_by:
                clock.advance(timedelta(minutes=1))
            return False

        try:
            await eventually(texted, "the reminder text to the enterprise principal", within_s=180)
        except AssertionError as exc:
            sent = [(a.phone, a.template, a.params) for a in sms.accepted]
            seen = f"at {clock.now()} the emulator had {sent}, rejected {sms.rejected}"
            raise AssertionError(f"{exc}; {seen}") from exc
        text = to_principal()[orders]
        assert text.template == "SMS_900003"
        assert text.params["unit"] == "青山化工有限公司"
        # The rectifier is told what to do, by when (the texts per duty).
        assert text.params["ask"].startswith("请于") and "完成整改" in text.params["ask"]
        link = text.params["link"]
        assert link.startswith(PUBLIC_URL + "/a/"), link
        await eventually(
            lambda: bool(mailbox.to(f"{county['principal']}@example.test")),
            "the reminder email to the enterprise principal",
        )
        assert "duban" in mailbox.logins  # over STARTTLS, logged in, as the settings say

        # The link, through HTTPS as people open it (nginx's place taken by the TLS proxy).
        assert proxy.server is not None
        local = f"https://127.0.0.1:{proxy.server.sockets[0].getsockname()[1]}"
        trusting = ssl.create_default_context(cafile=site["SMTP_CA_FILE"])  # the same test CA
        async with httpx.AsyncClient(verify=trusting, timeout=30) as browser:
            page = await browser.get(local + link.removeprefix(PUBLIC_URL))
        assert page.status_code == 200, page.text
        assert "确认" in page.text

        evidence = files(Path(site["DUBAN_DATA"]) / "evidence")
        assert list(evidence.values()) == [PNG], photo


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
