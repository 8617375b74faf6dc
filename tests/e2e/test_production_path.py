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
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
from aiosmtpd.controller import Controller

from ops.stack import topic_partitions
from shared.broker import EmbeddedBroker, ensure_topics, free_port
from tests.e2e.guide import (
    Service,
    TlsProxy,
    Unit,
    read_environment_file,
    run_step,
    site_variables,
    steps,
    venv_prefix,
)
from tests.e2e.harness import VirtualClock, eventually
from tests.e2e.production_site import (
    ADMIN_PASSWORD,
    PUBLIC_URL,
    SERVICES,
    SHANGHAI,
    Api,
    admin_execute,
    build_county,
    files,
    guide_site,
    restore_drill,
    take_backup,
)
from tests.e2e.stack import tracebacks
from tests.e2e.world import PNG, START
from tests.notification import emulators
from tests.notification.mail import Mailbox, authenticator

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("pg_available")]


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
    ports = {s: free_port() for s in SERVICES}
    clock = VirtualClock(tmp_path / "clock-offset")
    clock.set(START)
    running: list[Service] = []
    try:
        async with emulators.serve("aliyun") as aliyun:
            with EmbeddedBroker() as broker:
                # Stand-in for the Kafka topics loop of §2.
                await ensure_topics(broker.bootstrap_servers, topic_partitions(6))
                site = guide_site(
                    tmp_path,
                    role,
                    prefix,
                    kafka=broker.bootstrap_servers,
                    ports=ports,
                    smtp_port=smtp_port,
                    ca_file=ca_file,
                    sms_url=aliyun.url,
                )
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
                    assert not tracebacks(service.lines), tracebacks(service.lines)

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
        # Reporting's own account, made by the admin step with the password in duban.env, logs
        # in with the scopes its quarterly statistics and the listing decisions need.
        env = read_environment_file(Path(site["DUBAN_ETC"]) / "duban.env")
        reporting = await client.post(
            f"{api.base}/auth/token",
            data={
                "username": env["REPORTING_HAZARD_API_USERNAME"],
                "password": env["REPORTING_HAZARD_API_PASSWORD"],
                "scope": "hazards:read listing:external",
            },
        )
        assert reporting.status_code == 200, reporting.text
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
