"""The reporting service's runtime on a scratch database, and the provincial emulator."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ops import province_emulator
from services.reporting.config import Settings
from services.reporting.db import MIGRATIONS_DIR
from services.reporting.runtime import Runtime
from shared.clock import TestClock
from shared.contract import (
    AccidentClass,
    AccidentEvent,
    AccidentEventType,
    AccidentFacts,
    AccidentReportFacts,
    AccidentStatus,
    Envelope,
    HazardEvent,
    HazardEventType,
    HazardFacts,
    HazardLevel,
    HazardStatus,
    ListingLevel,
    Producer,
    UnitKind,
    UnitUpserted,
)
from shared.db import transaction
from shared.migrations import upgrade_async

SECRET = "whsec_" + base64.b64encode(b"province-secret-0123456789abcdef").decode()
OLD_SECRET = "whsec_" + base64.b64encode(b"old-province-secret-0123456789ab").decode()
CREDIT = "91430723MA4L0K2X4P"  # a valid GB 32100 code (check character P)
START = datetime(2026, 3, 9, 1, 30, tzinfo=UTC)


def make_settings(database_url: str, url: str, **kw: Any) -> Settings:
    values: dict[str, Any] = {
        "env": "test",
        "secret_key": "reporting-test-secret-0123456789abcdef",
        "database_url": database_url,
        "province_url": url,
        "signing_secrets": [SECRET],
        "county_area_code": "430723",
        "county_name": "青山县安委办",
        "run_consumer": False,
        "run_relay": False,
        "run_delivery": False,
        "delivery_timeout_s": 2.0,
        "event_repair": "off",
    }
    return Settings(**(values | kw))


@pytest.fixture
async def emulator(clock: TestClock) -> AsyncIterator[province_emulator.Running]:
    async with province_emulator.serve([SECRET], clock=clock) as running:
        running.emulator.hang_s = 3.0
        yield running


@pytest.fixture
async def runtime(
    database_url: str, clock: TestClock, emulator: province_emulator.Running
) -> AsyncIterator[Runtime]:
    rt = await start_runtime(make_settings(database_url, emulator.url), clock)
    yield rt
    await rt.stop()
    await rt.engine.dispose()


async def start_runtime(settings: Settings, clock: TestClock) -> Runtime:
    await upgrade_async(settings.database_url, MIGRATIONS_DIR)
    rt = Runtime(settings, settings.make_engine(), clock)
    await rt.start()
    return rt


async def consume(rt: Runtime, *envelopes: Envelope) -> None:
    """What the consumer does with each event (minus the broker), one transaction each."""
    for envelope in envelopes:
        async with transaction(rt.sessionmaker) as session:
            await rt.intake.handle(session, envelope)


def unit_event(at: datetime) -> Envelope:
    unit = UnitUpserted(
        unit_id="u-qs",
        kind=UnitKind.ENTERPRISE,
        name="青山化工有限公司",
        area_code="430723",
        credit_code=CREDIT,
        industry_code="C2614",
    )
    return Envelope.of(unit, aggregate_id="u-qs", producer=Producer.HAZARD_API, occurred_at=at)


def hazard(
    kind: HazardEventType, at: datetime, *, hazard_id: str = "h-1", **facts: Any
) -> Envelope:
    values: dict[str, Any] = {
        "hazard_id": hazard_id,
        "code": "YH-2026-001",
        "status": HazardStatus.CLASSIFIED,
        "level": HazardLevel.MAJOR,
        "unit_id": "u-qs",
        "unit_name": "青山化工有限公司",
        "area_code": "430723",
        "industry_code": "C2614",
        "description": "液氯储罐区未设置泄漏报警装置",
        "classified_at": at,
    }
    payload = HazardEvent(event=kind, facts=HazardFacts(**(values | facts)))
    return Envelope.of(
        payload, aggregate_id=hazard_id, producer=Producer.HAZARD_API, occurred_at=at
    )


def accident(
    kind: AccidentEventType,
    at: datetime,
    *,
    accident_id: str = "a-1",
    deaths: int = 1,
    report: AccidentReportFacts | None = None,
) -> Envelope:
    facts = AccidentFacts(
        accident_id=accident_id,
        code="SG-2026-001",
        status=AccidentStatus.REPORTED,
        accident_class=AccidentClass.GENERAL,
        investigation_level="county",
        unit_id="u-qs",
        unit_name="青山化工有限公司",
        area_code="430723",
        accident_type="中毒和窒息",
        occurred_at=at - timedelta(minutes=30),
        received_at=at - timedelta(minutes=20),
        channel="enterprise",
        deaths=deaths,
    )
    payload = AccidentEvent(event=kind, facts=facts, report=report)
    return Envelope.of(
        payload, aggregate_id=accident_id, producer=Producer.HAZARD_API, occurred_at=at
    )


def issued(
    at: datetime,
    *,
    seq: int = 1,
    kind: str = "first",
    deaths: int | None = 1,
    moved_class: bool = False,
    accident_id: str = "a-1",
) -> Envelope:
    """A report signed off (签发) at `at`: the event that takes it upward. The accident's facts
    say 9 deaths, so a document with the report's own figures cannot come from the facts."""
    report = AccidentReportFacts(
        report_id=f"{accident_id}-r{seq}",
        seq=seq,
        kind=kind,
        received_at=at - timedelta(minutes=10),
        channel="enterprise",
        account=f"第{seq}次报告",
        deaths=deaths,
        class_after=AccidentClass.LARGER if moved_class else AccidentClass.GENERAL,
        within_window=True,
        moved_class=moved_class,
        issued_at=at,
    )
    return accident(
        AccidentEventType.REPORT_ISSUED, at, accident_id=accident_id, deaths=9, report=report
    )


def listing(at: datetime, level: ListingLevel = ListingLevel.COUNTY, **kw: Any) -> Envelope:
    return hazard(
        HazardEventType.LISTED,
        at,
        status=HazardStatus.RECTIFYING,
        listing_level=level,
        listed_at=at,
        deadline_at=at + timedelta(days=30),
        **kw,
    )


def new_id() -> str:
    return uuid.uuid4().hex
