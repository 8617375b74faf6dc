"""The directory read model: built from org.events, rebuilt from the topic start."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaProducer

from services.notification.db import MIGRATIONS_DIR
from services.notification.directory import service
from services.notification.directory.flows import apply_org_event
from services.notification.runtime import Runtime
from shared.consumer import PermanentError
from shared.contract import (
    ORG_EVENTS,
    ChainRole,
    Envelope,
    PostRemoved,
    PostRole,
    UnitKind,
    UnitUpserted,
)
from shared.db import make_engine, transaction
from shared.migrations import upgrade_async
from shared.responsibility import resolve_role
from tests.notification.county import FIRM, TOWN, envelope_of, org_events, post
from tests.notification.settings import make_settings


async def test_events_build_a_directory_that_resolves_roles(make_harness) -> None:
    h = await make_harness()
    await h.org(org_events())
    async with h.runtime.sessionmaker() as session:
        snap = await service.load_snapshot(session=session)
    assert [
        e.person_id
        for e in resolve_role(snap.directory, FIRM, ChainRole.DEPARTMENT_HEAD, at=h.clock.now())
    ] == ["p-dept"]
    assert snap.persons["p-firm"].mobile == "13800000009"


async def test_removed_post_and_vacancy_fall_through(make_harness) -> None:
    h = await make_harness()
    await h.org(org_events())
    town_deputy = post("p-town-in", TOWN, PostRole.DEPUTY_SAFETY, "副镇长")
    await h.org([PostRemoved(post_id=town_deputy.post_id, unit_id=TOWN)])
    async with h.runtime.sessionmaker() as session:
        snap = await service.load_snapshot(session=session)
    entries = resolve_role(snap.directory, FIRM, ChainRole.TOWNSHIP_IN_CHARGE, at=h.clock.now())
    assert [(e.person_id, e.covering_for) for e in entries] == [
        ("p-town", ChainRole.TOWNSHIP_IN_CHARGE)
    ]


async def test_snapshot_cache_sees_every_change(make_harness) -> None:
    h = await make_harness()
    cache = service.SnapshotCache()
    await h.org(org_events())
    async with h.runtime.sessionmaker() as session:
        first = await cache.get(session=session)
    await h.org([post(None, FIRM, PostRole.PRINCIPAL, "总经理")])
    async with h.runtime.sessionmaker() as session:
        second = await cache.get(session=session)
    assert second.version > first.version
    assert resolve_role(second.directory, FIRM, ChainRole.ENTERPRISE_PRINCIPAL, at=h.clock.now())[
        0
    ].covering_for


async def test_an_empty_database_rebuilds_from_the_start_of_the_topic(
    make_database_url, broker, clock, smtp
) -> None:
    suffix = uuid.uuid4().hex[:8]
    unit = UnitUpserted(
        unit_id=f"u-rebuild-{suffix}", kind=UnitKind.TOWNSHIP, name="重建镇", area_code="330002"
    )
    producer = AIOKafkaProducer(bootstrap_servers=broker, acks="all")
    await producer.start()
    try:
        for payload in [unit, *org_events()]:
            env = envelope_of(payload, clock, key=suffix)
            await producer.send_and_wait(ORG_EVENTS, env.to_bytes(), key=suffix.encode())
    finally:
        await producer.stop()

    async def build(kind: str) -> str:
        url = await make_database_url(kind)
        await upgrade_async(url, MIGRATIONS_DIR)
        settings = make_settings(
            url,
            smtp.port,
            kafka_bootstrap_servers=broker,
            run_consumers=True,
            consumer_group=f"notif-{uuid.uuid4().hex[:6]}",
            consumer_session_timeout_ms=6000,
        )
        engine = make_engine(url)
        runtime = Runtime(settings, engine, clock)
        await runtime.start()
        found: list[bool] = []
        try:
            for _ in range(400):
                async with runtime.sessionmaker() as session:
                    snap = await service.load_snapshot(session=session)
                if unit.unit_id in snap.directory.units and "p-firm" in snap.persons:
                    found.append(True)
                    break
                await asyncio.sleep(0.1)
            async with runtime.sessionmaker() as session:
                epoch = await service.read_model_epoch(session=session)
        finally:
            await runtime.stop()
            await engine.dispose()
        assert found, f"directory not rebuilt on {kind}"
        return epoch

    # Two empty databases (one of each kind): each replays org.events from the beginning.
    first = await build("sqlite")
    second = await build("postgresql")
    assert first != second


async def test_unknown_org_payloads_are_refused(make_harness) -> None:
    h = await make_harness()
    bad = Envelope(
        type="org.person_upserted",
        occurred_at=h.clock.now(),
        aggregate_id="x",
        producer="hazard_api",
        payload={"nope": 1},
    )
    async with transaction(h.runtime.sessionmaker) as session:
        with pytest.raises(PermanentError):
            await apply_org_event(session, bad)
