"""On the real broker: hazard events in order per hazard; the timeline consumes the others."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from fastapi import FastAPI
from sqlalchemy import select

from services.hazard_api.db import outbox_tables
from services.hazard_api.timeline.flows import timeline_consumer
from shared.clock import TestClock, local
from shared.contract import (
    ESCALATION_EVENTS,
    HAZARD_EVENTS,
    NOTIFICATION_EVENTS,
    ChainRole,
    Channel,
    Envelope,
    EscalationAction,
    HazardEvent,
    NotificationChanged,
    NotificationStatus,
    Producer,
    StepFired,
    Urgency,
)
from shared.outbox import OutboxRelay
from tests.hazard_api.lifecycle.conftest import HAZARD, Api, EventsLoader


async def test_consumer_receives_each_hazards_events_in_order(
    api: Api, app: FastAPI, broker: str, clock: TestClock, outbox_events: EventsLoader
) -> None:
    ent = api.as_("hongxing")
    a = (await ent.post("/hazards", HAZARD)).json()["id"]
    b = (await ent.post("/hazards", HAZARD | {"description": "灭火器过期"})).json()["id"]
    # Interleave the two hazards' transitions.
    for step in ("classify", "start-rectification"):
        for hid in (a, b):
            body = {"level": "general"} if step == "classify" else {}
            assert (await ent.post(f"/hazards/{hid}/{step}", body)).status_code == 200
    expected = {hid: [str(e.event_id) for e in await outbox_events(hid)] for hid in (a, b)}
    assert all(len(v) == 3 for v in expected.values())

    relay = OutboxRelay(
        app.state.engine, outbox_tables.outbox, broker, clock=clock, poll_interval=0.1
    )
    consumer = AIOKafkaConsumer(
        HAZARD_EVENTS,
        bootstrap_servers=broker,
        group_id=None,  # every partition at once: no group join to wait for
        auto_offset_reset="earliest",
    )
    received: dict[str, list[str]] = {a: [], b: []}
    await relay.start()
    await consumer.start()
    try:
        async with asyncio.timeout(60):
            while sum(map(len, received.values())) < 6:
                batches = await consumer.getmany(timeout_ms=200)
                for records in batches.values():
                    for record in records:
                        key = record.key.decode() if record.key else ""
                        if key in received:
                            envelope = Envelope.parse_message(record.value)
                            assert envelope.aggregate_id == key
                            assert isinstance(envelope.typed_payload(), HazardEvent)
                            # Deduplicated, as every consumer does: the relay publishes again
                            # what a slow broker did not yet show when asked.
                            if str(envelope.event_id) not in received[key]:
                                received[key].append(str(envelope.event_id))
    finally:
        await consumer.stop()
        await relay.stop()
    assert received == expected


async def test_timeline_shows_state_changes_escalation_and_notifications_in_order(
    api: Api, app: FastAPI, broker: str, clock: TestClock
) -> None:
    ent = api.as_("hongxing")
    created = await ent.post("/hazards", HAZARD)
    hid = created.json()["id"]
    other = (await ent.post("/hazards", HAZARD | {"description": "另一处隐患"})).json()["id"]
    await ent.post(f"/hazards/{hid}/classify", {"level": "general", "deadline_days": 1})
    facts = (await ent.get(f"/hazards/{hid}")).json()["hazard"]
    t0 = clock.now()
    step = StepFired(
        case_id="case-1",
        hazard_id=hid,
        policy_id="general",
        policy_version=1,
        step_key="overdue",
        step_index=1,
        action=EscalationAction.OVERDUE_NOTICE,
        urgency=Urgency.NORMAL,
        target_roles=[ChainRole.ENTERPRISE_PRINCIPAL, ChainRole.TOWNSHIP_IN_CHARGE],
        due_at=t0 + timedelta(minutes=1),
        fired_at=t0 + timedelta(minutes=1),
        facts=HazardEvent.model_validate(await _latest_payload(app, hid)).facts,
    )
    notices = [
        NotificationChanged(
            notification_id="n-1",
            request_event_id="e-1",
            hazard_ids=[hid, other],  # one digest about two hazards
            person_id="p-hongxing-1",
            person_name="张红星",
            chain_role=ChainRole.ENTERPRISE_PRINCIPAL,
            channel=Channel.SMS,
            provider="aliyun",
            status=status,
            at=t0 + timedelta(minutes=minutes),
        )
        for status, minutes in (
            (NotificationStatus.SENT, 2),
            (NotificationStatus.DELIVERED, 3),
            (NotificationStatus.ACKNOWLEDGED, 10),
        )
    ]
    producer = AIOKafkaProducer(bootstrap_servers=broker, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            ESCALATION_EVENTS,
            Envelope.of(
                step, aggregate_id=hid, producer=Producer.ESCALATION, occurred_at=t0
            ).to_bytes(),
            key=hid.encode(),
        )
        for n in notices:
            envelope = Envelope.of(
                n, aggregate_id=hid, producer=Producer.NOTIFICATION, occurred_at=n.at
            )
            await producer.send_and_wait(NOTIFICATION_EVENTS, envelope.to_bytes(), key=hid.encode())
    finally:
        await producer.stop()

    runner = timeline_consumer(
        bootstrap_servers=broker,
        sessionmaker=app.state.sessionmaker,
        session_timeout_ms=6000,
        name=f"timeline-{uuid.uuid4().hex[:8]}",
        clock=clock,
    )
    await runner.start()
    try:
        async with asyncio.timeout(60):
            while True:
                items = (await ent.get(f"/hazards/{hid}/timeline")).json()
                if len(items) >= 6:
                    break
                await asyncio.sleep(0.2)
    finally:
        await runner.stop()
    assert facts["status"] == "classified"
    assert (facts["status_label"], facts["level_label"], facts["listing_level_label"]) == (
        "已判定",
        "一般事故隐患",
        "",
    )
    assert [(i["kind"], i["source"]) for i in items] == [
        ("state_change", "hazard_api"),
        ("state_change", "hazard_api"),
        ("escalation_step", "escalation"),
        ("notice", "notification"),
        ("delivery", "notification"),
        ("acknowledgement", "notification"),
    ]
    assert items[0]["summary"] == "登记隐患"
    assert items[1]["summary"] == "判定隐患等级（状态：已登记→已判定）"
    assert items[1]["actor_role_label"] == "生产经营单位"
    deadline = local(datetime.fromisoformat(facts["deadline_at"]))
    assert facts["deadline_label"] == f"{deadline.year}年{deadline.month}月{deadline.day}日23:59"
    assert items[2]["summary"] == (
        "督办升级：逾期整改通知（常规），通知企业主要负责人、乡镇（街道）分管安全负责人；"
        f"整改期限{facts['deadline_label']}"
    )
    assert (items[2]["kind_label"], items[2]["source_label"]) == ("督办升级", "督办服务")
    assert items[5]["summary"] == "短信通知企业主要负责人张红星：已确认收到"
    assert (items[5]["kind_label"], items[5]["source_label"]) == ("签收", "通知服务")
    at = local(datetime.fromisoformat(items[5]["at"]))
    assert items[5]["at_label"] == f"{at.year}年{at.month}月{at.day}日{at:%H:%M}"
    # The digest shows on the other hazard's timeline too.
    other_items = (await ent.get(f"/hazards/{other}/timeline")).json()
    assert [i["kind"] for i in other_items][-3:] == ["notice", "delivery", "acknowledgement"]


async def _latest_payload(app: FastAPI, hazard_id: str) -> dict[str, object]:
    o = outbox_tables.outbox
    async with app.state.sessionmaker() as session:
        value = await session.scalar(
            select(o.c.value).where(o.c.key == hazard_id).order_by(o.c.id.desc()).limit(1)
        )
    assert value is not None
    return Envelope.model_validate_json(value).payload
