"""Upward delivery against the provincial emulator: order per item, exactly once by webhook-id,
signatures and schemas as the receiver checks them, outages, rotation, 410 and dead letters."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select

from ops.province_emulator import Running
from services.reporting.db import outbox_tables
from services.reporting.delivery.outcomes import no_answer
from services.reporting.exchange.builders import regenerate
from services.reporting.intake.units import apply_org_event
from services.reporting.ledger.models import Attempt, Endpoint, Submission
from services.reporting.runtime import Runtime
from shared.clock import TestClock
from shared.contract import (
    AccidentEventType,
    DocumentIssued,
    DocumentType,
    Envelope,
    HazardEventType,
    HazardLevel,
    HazardStatus,
    Producer,
)
from shared.db import transaction
from tests.reporting.conftest import (
    CREDIT,
    OLD_SECRET,
    SECRET,
    accident,
    consume,
    hazard,
    issued,
    listing,
    unit_event,
)


async def story(rt: Runtime, clock: TestClock) -> None:
    """A major hazard classified, listed and delisted; an accident's 快报 and two 续报, each
    recorded (which sends nothing upward) and later signed off (签发)."""
    t = clock.now()
    async with transaction(rt.sessionmaker) as session:
        await apply_org_event(session, unit_event(t))
    await consume(
        rt,
        hazard(HazardEventType.CLASSIFIED, t),
        accident(AccidentEventType.REPORTED, t),
        listing(t + timedelta(minutes=5)),
        issued(t + timedelta(minutes=15)),
        accident(AccidentEventType.FOLLOW_UP, t + timedelta(minutes=40), deaths=2),
        issued(t + timedelta(minutes=50), seq=2, kind="follow_up", deaths=2),
        hazard(HazardEventType.CLOSED, t + timedelta(days=20), status=HazardStatus.CLOSED),
        accident(AccidentEventType.CLASS_CHANGED, t + timedelta(hours=3), deaths=3),
        issued(t + timedelta(hours=3, minutes=5), seq=3, kind="supplementary", moved_class=True),
    )


EXPECTED = {
    "hazard:h-1": ["hazard.classified", "hazard.listed", "hazard.closed"],
    "accident:a-1": ["initial", "follow_up", "follow_up"],
}


def arrived(emulator: Running) -> dict[str, list[str]]:
    by_item: dict[str, list[str]] = {}
    for record in emulator.emulator.ordered():
        key = f"{record['item']['kind']}:{record['item']['id']}"
        data = record["data"]
        by_item.setdefault(key, []).append(data.get("event") or data.get("report_kind"))
    return by_item


async def test_each_report_arrives_once_in_order_signed_and_valid(
    runtime: Runtime, emulator: Running, clock: TestClock
) -> None:
    await story(runtime, clock)
    await consume(
        runtime,
        hazard(
            HazardEventType.CLASSIFIED,
            clock.now(),
            hazard_id="h-general",
            level=HazardLevel.GENERAL,
        ),
    )
    await runtime.deliverer.run_until_idle()
    records = emulator.emulator.ordered()
    assert arrived(emulator) == EXPECTED  # the general hazard stayed in the county
    assert not emulator.emulator.refused
    assert all(r["times"] == 1 for r in records)
    assert records[0]["data"]["unit"]["credit_code"] == CREDIT
    async with runtime.sessionmaker() as session:
        rows = list(await session.scalars(select(Submission).order_by(Submission.seq)))
    assert {r.webhook_id for r in rows} == {r["webhook_id"] for r in records}
    for row in rows:
        assert row.state == "delivered" and row.receipt_no
        assert regenerate(row.source) == row.body  # byte for byte from the ledger


async def test_an_accident_goes_upward_only_as_its_signed_off_reports_say(
    runtime: Runtime, emulator: Running, clock: TestClock
) -> None:
    """A report recorded but not signed off sends nothing; each 签发 sends that report's own
    figures and whether it moved the class, not the accident's latest facts (9 deaths here)."""
    t = clock.now()
    async with transaction(runtime.sessionmaker) as session:
        await apply_org_event(session, unit_event(t))
    await consume(
        runtime,
        accident(AccidentEventType.REPORTED, t),
        accident(AccidentEventType.FOLLOW_UP, t + timedelta(minutes=5), deaths=2),
        accident(AccidentEventType.CLASS_CHANGED, t + timedelta(minutes=6), deaths=3),
    )
    await runtime.deliverer.run_until_idle()
    assert emulator.emulator.ordered() == []  # drafts go nowhere
    await consume(
        runtime,
        issued(t + timedelta(minutes=20)),
        issued(t + timedelta(minutes=30), seq=2, kind="supplementary", deaths=3, moved_class=True),
    )
    await runtime.deliverer.run_until_idle()
    data = [r["data"] for r in emulator.emulator.ordered()]
    assert [(d["report_kind"], d["deaths"], d["class_changed"]) for d in data] == [
        ("initial", 1, False),
        ("follow_up", 3, True),
    ]
    assert [d["note"] for d in data] == ["第1次报告", "第2次报告"]


async def test_a_redelivered_event_adds_nothing(
    runtime: Runtime, emulator: Running, clock: TestClock
) -> None:
    event = hazard(HazardEventType.CLASSIFIED, clock.now())
    await consume(runtime, event, event)
    await runtime.deliverer.run_until_idle()
    assert len(emulator.emulator.ordered()) == 1


async def test_an_hour_of_outage_then_everything_in_order_without_duplicates(
    runtime: Runtime, emulator: Running, clock: TestClock
) -> None:
    emu = emulator.emulator
    emu.mode = "500"
    await story(runtime, clock)
    await runtime.deliverer.run_until_idle()
    for mode in ("500", "timeout", "429"):
        emu.mode, emu.retry_after = mode, "600"
        for _ in range(3):
            clock.advance(minutes=7)
            await runtime.deliverer.run_until_idle()
    assert emu.ordered() == []
    async with runtime.sessionmaker() as session:
        attempts = list(await session.scalars(select(Attempt).order_by(Attempt.id)))
        latest = {a.submission_seq: a for a in attempts}
        heads = {r.seq: r for r in await session.scalars(select(Submission))}
    throttled = [a for a in latest.values() if a.status_code == 429]
    assert throttled and all(a.retry_after_s == 600 for a in throttled)
    for a in throttled:  # Retry-After is honoured: not due again before it
        due = heads[a.submission_seq].next_attempt_at
        assert due is not None and due >= a.started_at + timedelta(seconds=600)
    assert {a.error for a in attempts if a.status_code is None} == {"超时：省级平台未在时限内答复"}
    emu.mode = "ok"
    clock.advance(hours=6)
    for _ in range(6):  # one submission per item per round
        await runtime.deliverer.run_until_idle()
        clock.advance(minutes=1)
    assert arrived(emulator) == EXPECTED
    assert all(r["times"] == 1 for r in emu.ordered())
    ids = [r["webhook_id"] for r in emu.requests if r["webhook_id"]]
    async with runtime.sessionmaker() as session:
        sent = set(await session.scalars(select(Submission.webhook_id)))
    assert set(ids) == sent  # retries repeat the same six ids, no others


async def test_rotation_sends_both_signatures_and_either_is_accepted(
    database_url: str, emulator: Running, clock: TestClock
) -> None:
    from tests.reporting.conftest import make_settings, start_runtime

    settings = make_settings(database_url, emulator.url, signing_secrets=[SECRET, OLD_SECRET])
    rt = await start_runtime(settings, clock)
    try:
        emulator.emulator.secrets = [OLD_SECRET]  # the province has not switched yet
        await consume(rt, hazard(HazardEventType.CLASSIFIED, clock.now()))
        await rt.deliverer.run_until_idle()
        emulator.emulator.secrets = [SECRET]  # the province switched
        await consume(rt, listing(clock.now() + timedelta(minutes=1)))
        await rt.deliverer.run_until_idle()
        records = emulator.emulator.ordered()
        assert len(records) == 2 and not emulator.emulator.refused
        assert all(len(r["signature"].split(" ")) == 2 for r in records)
        emulator.emulator.secrets = [OLD_SECRET.replace("b2", "c3")]  # neither: refused
        await consume(rt, hazard(HazardEventType.CLOSED, clock.now(), status=HazardStatus.CLOSED))
        await rt.deliverer.run_until_idle()
        assert emulator.emulator.refused and len(emulator.emulator.ordered()) == 2
    finally:
        await rt.stop()
        await rt.engine.dispose()


async def test_410_disables_the_endpoint_and_alerts_the_county_office(
    runtime: Runtime, emulator: Running, clock: TestClock
) -> None:
    emulator.emulator.mode = "410"
    await story(runtime, clock)
    await runtime.deliverer.run_until_idle()
    requests = len(emulator.emulator.requests)
    clock.advance(hours=1)
    assert await runtime.deliverer.run_until_idle() == 0  # nothing more goes out
    assert len(emulator.emulator.requests) == requests
    async with runtime.sessionmaker() as session:
        endpoint = await session.get(Endpoint, "province")
        assert endpoint is not None and endpoint.state == "disabled"
        alerts = list(
            await session.scalars(
                select(outbox_tables.outbox.c.value).where(
                    outbox_tables.outbox.c.topic == "reporting.events"
                )
            )
        )
    assert len(alerts) == 1 and "endpoint_disabled" in alerts[0] and "410" in alerts[0]


async def test_after_the_retry_window_a_dead_letter_then_replay_delivers_it(
    database_url: str, emulator: Running, clock: TestClock
) -> None:
    from services.reporting.operations.replay import replay
    from tests.reporting.conftest import make_settings, start_runtime

    settings = make_settings(
        database_url, emulator.url, retry_base_s=60, retry_horizon_s=600, retry_jitter=0
    )
    rt = await start_runtime(settings, clock)
    try:
        emulator.emulator.mode = "500"
        await consume(rt, hazard(HazardEventType.CLASSIFIED, clock.now()), listing(clock.now()))
        for _ in range(8):
            await rt.deliverer.run_until_idle()
            clock.advance(minutes=3)
        async with rt.sessionmaker() as session:
            first, second = list(await session.scalars(select(Submission).order_by(Submission.seq)))
            assert first.state == "dead" and second.state == "pending"
            assert second.attempt_count == 0  # the listing never overtook the classification
            alert = await session.scalar(select(outbox_tables.outbox.c.value))
            assert alert is not None and "dead_letter" in alert
        emulator.emulator.mode = "ok"
        async with transaction(rt.sessionmaker) as session:
            await replay(session, first.webhook_id, now=clock.now())
        await rt.deliverer.run_until_idle()
        await rt.deliverer.run_until_idle()
        records = emulator.emulator.ordered()
        assert [r["webhook_id"] for r in records] == [first.webhook_id, second.webhook_id]
        async with rt.sessionmaker() as session:
            row = await session.get(Submission, first.seq)
            attempts = await session.scalar(
                select(func.count()).where(Attempt.submission_seq == first.seq)
            )
        assert row is not None and row.state == "delivered" and row.replays == 1
        assert attempts is not None and attempts > 2  # the failed history is kept
    finally:
        await rt.stop()
        await rt.engine.dispose()


@pytest.mark.parametrize(
    ("exc", "text"),
    [
        (httpx.ConnectError("refused"), "连接失败：无法连接省级平台"),
        (httpx.ConnectTimeout("slow"), "连接省级平台超时"),
        (httpx.ReadTimeout("slow"), "超时：省级平台未在时限内答复"),
        (httpx.RemoteProtocolError("closed"), "连接失败：省级平台中断了连接"),
        (httpx.DecodingError("bad"), "网络错误：推送未完成"),
    ],
)
def test_a_push_without_an_answer_is_told_in_words(exc: httpx.HTTPError, text: str) -> None:
    # What the 上报记录 page shows for the attempt: no exception names.
    assert no_answer(exc) == text


def _document(at: datetime, doc_no: str, doc_type: DocumentType, hazard_id: str | None) -> Envelope:
    issued = DocumentIssued(
        document_id=f"d-{doc_no}",
        doc_type=doc_type,
        doc_no=doc_no,
        title="关于隐患整改的通知",
        issuing_body="演示县安全生产委员会办公室",
        hazard_id=hazard_id,
        unit_id="u-qs",
        sha256="0" * 64,
        url=f"/documents/d-{doc_no}/pdf",
        issued_at=at,
    )
    return Envelope.of(
        issued,
        aggregate_id=hazard_id or f"d-{doc_no}",
        producer=Producer.HAZARD_API,
        occurred_at=at,
    )


async def test_a_document_goes_upward_with_its_hazard(
    runtime: Runtime, emulator: Running, clock: TestClock
) -> None:
    """The 整改通知书 of a general hazard stays in the county with the hazard; one of a hazard
    reported upward as major goes, and so does a 通报 about no hazard."""
    t = clock.now()
    async with transaction(runtime.sessionmaker) as session:
        await apply_org_event(session, unit_event(t))
    general = hazard(
        HazardEventType.CLASSIFIED, t, hazard_id="h-general", level=HazardLevel.GENERAL
    )
    notice = DocumentType.RECTIFICATION_NOTICE
    await consume(
        runtime,
        general,
        _document(t, "演安委〔2026〕1号", notice, "h-general"),
        hazard(HazardEventType.CLASSIFIED, t),  # h-1, major
        _document(t, "演安委〔2026〕2号", notice, "h-1"),
        _document(t, "演安委〔2026〕3号", DocumentType.BULLETIN, None),
    )
    await runtime.deliverer.run_until_idle()
    sent = [r["data"] for r in emulator.emulator.ordered() if "payload" in r["data"]]
    assert sorted(d["payload"]["doc_no"] for d in sent) == [
        "演安委〔2026〕2号",
        "演安委〔2026〕3号",
    ]
