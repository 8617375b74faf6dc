"""Fixtures of the notification tests: emulated SMS providers, a real SMTP server, a
migrated database per test (SQLite and PostgreSQL), a directory and escalation steps."""

from __future__ import annotations

import asyncio
import email
import email.policy
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword, Session
from aiosmtpd.smtp import Envelope as SmtpEnvelope
from sqlalchemy import select

from services.notification.config import ProviderTemplate, Settings, SmsProviderConfig
from services.notification.db import MIGRATIONS_DIR, outbox_tables
from services.notification.directory.flows import apply_org_event
from services.notification.runtime import Runtime
from shared.bearer import encode_token
from shared.broker import free_port
from shared.clock import TestClock
from shared.contract import (
    ChainRole,
    DocumentRef,
    Envelope,
    EscalationAction,
    HazardFacts,
    HazardLevel,
    HazardStatus,
    PersonUpserted,
    PostRole,
    PostUpserted,
    Producer,
    StepFired,
    UnitKind,
    UnitUpserted,
    Urgency,
)
from shared.db import make_engine, transaction
from shared.migrations import upgrade_async
from tests.notification import emulators

SECRET = "test-secret-key-for-notification"


# ---------------------------------------------------------------- SMTP (aiosmtpd)
@dataclass
class Mailbox:
    messages: list[EmailMessage] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    # A reply to every RCPT instead of accepting it, e.g. "421 4.3.2 Service not available".
    refuse: str | None = None
    # Keep the message but answer this after its DATA (the answer a sender never saw).
    lose_answer: str | None = None

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: SmtpEnvelope, address: str, options: Any
    ) -> str:
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: SmtpEnvelope) -> str:
        raw = envelope.original_content or b""
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append(msg)
        return self.lose_answer or "250 OK"


@dataclass
class SmtpServer:
    mailbox: Mailbox
    port: int
    controller: Controller | None = None

    def start(self) -> None:
        """Listen (again) on the same port, with the same mailbox."""
        if self.controller is None:
            self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
            self.controller.start()

    def stop(self) -> None:
        """Down: connections to the port are refused until `start`."""
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(Mailbox(), free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


def authenticator(mailbox: Mailbox) -> Callable[..., AuthResult]:
    def check(server: SMTP, session: Session, envelope: SmtpEnvelope, mechanism: str, data: Any):
        if isinstance(data, LoginPassword) and data.login == b"duban" and data.password == b"pw":
            mailbox.logins.append(data.login.decode())
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    return check


# ---------------------------------------------------------------- SMS emulators
@pytest.fixture
async def aliyun() -> AsyncIterator[emulators.Running]:
    async with emulators.serve("aliyun") as running:
        yield running


@pytest.fixture
async def tencent() -> AsyncIterator[emulators.Running]:
    async with emulators.serve("tencent") as running:
        yield running


# The v2 templates' variables (README, "A provider entry").
NOTICE_PARAMS = ["county", "unit", "level", "code", "status", "ask", "phone", "link"]
DIGEST_PARAMS = ["county", "count", "overdue", "upcoming", "phone", "link"]
REPORT_PARAMS = ["county", "unit", "period", "due", "phone"]
COUNTY_NAME = "示范县"
CONTACT_PHONE = "0571-88880000"


def aliyun_config(url: str, name: str = "aliyun", **kw: Any) -> SmsProviderConfig:
    return SmsProviderConfig(
        name=name,
        kind="aliyun",
        endpoint=url,
        access_key_id=emulators.ACCESS_KEY_ID,
        access_key_secret=emulators.ACCESS_KEY_SECRET,
        sign_name=kw.pop("sign_name", emulators.SIGN_NAME),
        timeout_s=kw.pop("timeout_s", 1.0),
        templates={
            "notice": ProviderTemplate(code="SMS_900003", params=NOTICE_PARAMS),
            "digest": ProviderTemplate(code="SMS_900004", params=DIGEST_PARAMS),
            "report": ProviderTemplate(code="SMS_900005", params=REPORT_PARAMS),
        },
        **kw,
    )


def tencent_config(url: str, name: str = "tencent", **kw: Any) -> SmsProviderConfig:
    return SmsProviderConfig(
        name=name,
        kind="tencent",
        endpoint=url,
        access_key_id=emulators.SECRET_ID,
        access_key_secret=emulators.SECRET_KEY,
        sdk_app_id=emulators.SDK_APP_ID,
        sign_name=kw.pop("sign_name", emulators.SIGN_NAME),
        timeout_s=kw.pop("timeout_s", 1.0),
        templates={
            "notice": ProviderTemplate(code="2000003", params=NOTICE_PARAMS),
            "digest": ProviderTemplate(code="2000004", params=DIGEST_PARAMS),
            "report": ProviderTemplate(code="2000005", params=REPORT_PARAMS),
        },
        **kw,
    )


def make_settings(database_url: str, smtp_port: int, **overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "env": "test",
        "secret_key": SECRET,
        "database_url": database_url,
        "kafka_bootstrap_servers": "127.0.0.1:1",
        "public_base_url": "http://duban.test",
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_port,
        "run_consumers": False,
        "run_scheduler": False,
        "migrate_on_start": False,
        "retry_backoff_s": 5.0,
        "reconcile_after_s": 60.0,
        # Most tests want an urgent notice sent at once (daytime); the urgent digest window
        # has its own tests, which set it.
        "urgent_window_s": 0,
        "county_name": COUNTY_NAME,
        "sender_organisation": emulators.SIGN_NAME,
        "contact_phone": CONTACT_PHONE,
    }
    base.update(overrides)
    return Settings(**base)


# ---------------------------------------------------------------- a small county directory
COUNTY, OFFICE, TOWN, DEPT, FIRM = "u-county", "u-office", "u-town", "u-dept", "u-firm"


def person(pid: str, name: str, n: int) -> PersonUpserted:
    return PersonUpserted(
        person_id=pid, name=name, mobile=f"1380000{n:04d}", email=f"{pid}@gov.test"
    )


PEOPLE = {
    "p-county": person("p-county", "县长甲", 1),
    "p-safety": person("p-safety", "副县长乙", 2),
    "p-portfolio": person("p-portfolio", "副县长丙", 3),
    "p-office": person("p-office", "安委办主任丁", 4),
    "p-town": person("p-town", "镇长戊", 5),
    "p-town-in": person("p-town-in", "副镇长己", 6),
    "p-dept": person("p-dept", "局长庚", 7),
    "p-dept-in": person("p-dept-in", "副局长辛", 8),
    "p-firm": person("p-firm", "厂长壬", 9),
    "p-firm-sm": person("p-firm-sm", "安全员癸", 10),
}


def post(pid: str | None, unit: str, role: PostRole, title: str, **kw: Any) -> PostUpserted:
    return PostUpserted(
        post_id=f"post-{unit}-{role.value}-{kw.pop('n', 0)}",
        unit_id=unit,
        role=role,
        title=title,
        holder_person_id=pid,
        **kw,
    )


def org_events() -> list[Any]:
    units = [
        UnitUpserted(unit_id=COUNTY, kind=UnitKind.COUNTY, name="示范县", area_code="330000"),
        UnitUpserted(
            unit_id=OFFICE,
            kind=UnitKind.DEPARTMENT,
            name="县应急管理局",
            area_code="330000",
            parent_id=COUNTY,
            is_safety_office=True,
        ),
        UnitUpserted(
            unit_id=TOWN,
            kind=UnitKind.TOWNSHIP,
            name="城关镇",
            area_code="330001",
            parent_id=COUNTY,
        ),
        UnitUpserted(
            unit_id=DEPT,
            kind=UnitKind.DEPARTMENT,
            name="县住建局",
            area_code="330000",
            parent_id=COUNTY,
        ),
        UnitUpserted(
            unit_id=FIRM,
            kind=UnitKind.ENTERPRISE,
            name="示范建材有限公司",
            area_code="330001",
            parent_id=TOWN,
            territorial_unit_id=TOWN,
            supervising_department_ids=[DEPT],
            industry_code="C3011",
        ),
    ]
    posts = [
        post("p-county", COUNTY, PostRole.PRINCIPAL, "县长"),
        post("p-safety", COUNTY, PostRole.DEPUTY_SAFETY, "常务副县长"),
        post(
            "p-portfolio",
            COUNTY,
            PostRole.LEADERSHIP_MEMBER,
            "副县长",
            portfolio_unit_ids=[DEPT, TOWN],
        ),
        post("p-office", OFFICE, PostRole.PRINCIPAL, "局长"),
        post("p-town", TOWN, PostRole.PRINCIPAL, "镇长"),
        post("p-town-in", TOWN, PostRole.DEPUTY_SAFETY, "副镇长"),
        post("p-dept", DEPT, PostRole.PRINCIPAL, "局长"),
        post("p-dept-in", DEPT, PostRole.DEPUTY_SAFETY, "副局长"),
        post("p-firm", FIRM, PostRole.PRINCIPAL, "总经理"),
        post("p-firm-sm", FIRM, PostRole.SAFETY_MANAGER, "安全员"),
    ]
    return [*units, *PEOPLE.values(), *posts]


def envelope_of(payload: Any, clock: TestClock, key: str = "k") -> Envelope:
    return Envelope.of(
        payload, aggregate_id=key, producer=Producer.HAZARD_API, occurred_at=clock.now()
    )


def step_fired(
    clock: TestClock,
    *,
    roles: list[ChainRole],
    hazard_n: int = 1,
    urgency: Urgency = Urgency.NORMAL,
    action: EscalationAction = EscalationAction.OVERDUE_NOTICE,
    unit_id: str = FIRM,
    level: HazardLevel = HazardLevel.GENERAL,
    document: DocumentRef | None = None,
    hazard_id: str | None = None,
    **facts_kw: Any,
) -> Envelope:
    now = clock.now()
    facts_kw.setdefault("deadline_at", now - timedelta(days=1))
    facts = HazardFacts(
        hazard_id=hazard_id or f"h-{hazard_n}",
        code=f"YH-2026-{hazard_n:04d}",
        status=HazardStatus.RECTIFYING,
        level=level,
        unit_id=unit_id,
        unit_name="示范建材有限公司",
        area_code="330001",
        description=f"粉尘涉爆除尘系统未设置泄爆装置（第{hazard_n}处）",
        **facts_kw,
    )
    step = StepFired(
        case_id=f"case-{hazard_n}",
        hazard_id=facts.hazard_id,
        policy_id="default",
        policy_version=1,
        step_key="overdue",
        step_index=1,
        action=action,
        urgency=urgency,
        target_roles=roles,
        due_at=now,
        fired_at=now,
        facts=facts,
        document=document,
    )
    return Envelope.of(
        step, aggregate_id=f"case-{hazard_n}", producer=Producer.ESCALATION, occurred_at=now
    )


# ---------------------------------------------------------------- the service under test
@dataclass
class Harness:
    runtime: Runtime
    clock: TestClock

    async def org(self, payloads: list[Any]) -> None:
        async with transaction(self.runtime.sessionmaker) as session:
            for payload in payloads:
                await apply_org_event(session, envelope_of(payload, self.clock))

    async def step(self, envelope: Envelope) -> None:
        async with transaction(self.runtime.sessionmaker) as session:
            await self.runtime.on_escalation_event(session, envelope)

    async def settle(self) -> None:
        await self.runtime.run_until_idle()

    def bearer(
        self,
        role: str = "county_office",
        person_id: str | None = None,
        scopes: tuple[str, ...] = (),
    ) -> dict[str, str]:
        """Headers carrying a token as hazard_api issues them (same key, same claims)."""
        claims = {"sub": new_id(), "role": role, "person_id": person_id, "scopes": list(scopes)}
        token = encode_token(claims, secret_key=SECRET, clock=self.clock, minutes=60)
        return {"Authorization": f"Bearer {token}"}

    async def events(self, type_: str = "notification.changed") -> list[dict[str, Any]]:
        o = outbox_tables.outbox
        async with self.runtime.engine.connect() as conn:
            rows = (await conn.execute(select(o.c.value).order_by(o.c.id))).scalars().all()
        envelopes = [Envelope.model_validate_json(v) for v in rows]
        return [e.payload for e in envelopes if e.type == type_]


HarnessFactory = Callable[..., Any]


@pytest.fixture
async def make_harness(
    database_url: str, clock: TestClock, smtp: SmtpServer
) -> AsyncIterator[Callable[..., Any]]:
    made: list[Runtime] = []
    migrated = False

    async def make(**overrides: Any) -> Harness:
        nonlocal migrated
        if not migrated:
            await upgrade_async(database_url, MIGRATIONS_DIR)
            migrated = True
        settings = make_settings(database_url, overrides.pop("smtp_port", smtp.port), **overrides)
        runtime = Runtime(settings, make_engine(database_url), clock)
        made.append(runtime)
        return Harness(runtime, clock)

    yield make
    for runtime in made:
        await runtime.stop()
        await runtime.engine.dispose()


def body(msg: EmailMessage, kind: str) -> str:
    part = msg.get_body(preferencelist=(kind,))
    assert part is not None, f"no {kind} part"
    content: str = part.get_content()
    return content


def new_id() -> str:
    return uuid.uuid4().hex


async def wait_for(predicate: Callable[[], bool], seconds: float = 20.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")
