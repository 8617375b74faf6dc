"""The record of service: tampering with or deleting a delivery-log row is named by
/records/verify (the first bad row), on PostgreSQL and SQLite."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy import delete, func, select, text, update

from services.notification.delivery.models import Delivery, DeliveryAttempt
from services.notification.main import create_app
from services.notification.records.models import RecordEntry
from services.notification.records.verify import verify as records_verify
from shared.contract import ChainRole, Urgency
from tests.notification import test_failover as failover
from tests.notification.county import org_events, step_fired
from tests.notification.emulator_records import aliyun_delivered
from tests.notification.harness import Harness
from tests.notification.settings import aliyun_config


@pytest.fixture
async def served(make_harness, aliyun) -> AsyncIterator[tuple[Harness, AsyncClient]]:
    """Two hazards told to the firm and the township, one receipt back."""
    h = await make_harness(
        sms_providers=[aliyun_config(aliyun.url)], default_channels=["sms"], receipt_token="rt-1"
    )
    await h.org(org_events())
    roles = [ChainRole.ENTERPRISE_PRINCIPAL, ChainRole.TOWNSHIP_IN_CHARGE]
    for n in (1, 2):
        await h.step(step_fired(h.clock, roles=roles, urgency=Urgency.IMMEDIATE, hazard_n=n))
    await h.settle()
    app = create_app(h.runtime.settings, h.clock)
    app.state.runtime = h.runtime
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as client:
        sms = aliyun.emulator.accepted[0]
        report = aliyun_delivered(sms)
        assert (await client.post("/receipts/aliyun?token=rt-1", json=[report])).status_code == 200
        yield h, client


async def verify(h: Harness, client: AsyncClient) -> dict[str, Any]:
    answer = await client.get("/records/verify", headers=h.bearer())
    assert answer.status_code == 200
    result: dict[str, Any] = answer.json()
    return result


async def change(h: Harness, *statements: Any) -> None:
    """What somebody with the database's password does, around the service."""
    async with h.runtime.engine.begin() as conn:
        for statement in statements:
            await conn.execute(statement)


async def test_an_untouched_log_verifies_and_only_the_county_office_may_ask(served) -> None:
    h, client = served
    result = await verify(h, client)
    assert result["ok"] is True and result["problem"] is None
    # 4 dispatches, 4 deliveries, 4 attempts, 1 receipt: all recorded, several states each.
    assert result["rows_checked"] == 13 and result["entries_checked"] > 13
    assert (await client.get("/records/verify")).status_code == 401
    township = h.bearer("township", person_id="p-town-in")
    refused = await client.get("/records/verify", headers=township)
    assert refused.status_code == 403 and "县安委办" in refused.json()["detail"]


async def test_a_delivery_row_changed_in_the_database_is_named(served) -> None:
    h, client = served
    async with h.runtime.sessionmaker() as session:
        delivered = (
            await session.scalars(select(Delivery).where(Delivery.status == "delivered"))
        ).one()
    # Somebody turns the undelivered... here: a delivered SMS back into a failed one.
    await change(h, update(Delivery).where(Delivery.id == delivered.id).values(status="failed"))
    result = await verify(h, client)
    assert result["ok"] is False and result["problem"] == "row_tampered"
    assert (result["kind"], result["entity_id"]) == ("delivery", str(delivered.id))
    assert result["fields"] == ["status"] and "投递记录" in result["reason"]


async def test_a_deleted_delivery_row_is_named(served) -> None:
    h, client = served
    async with h.runtime.sessionmaker() as session:
        # Not the one the receipt moved on: which text the emulator accepted first varies (a
        # round sends its texts side by side), and that delivery's last record comes after
        # its attempt's, so its attempt would be named first.
        query = select(Delivery).where(Delivery.status != "delivered")
        victim = (await session.scalars(query.order_by(Delivery.id.desc()))).first()
    assert victim is not None
    # Its attempts go first (they refer to it), then the row itself.
    await change(
        h,
        delete(DeliveryAttempt).where(DeliveryAttempt.delivery_id == victim.id),
        delete(Delivery).where(Delivery.id == victim.id),
    )
    result = await verify(h, client)
    assert result["ok"] is False and result["problem"] == "row_deleted"
    assert (result["kind"], result["entity_id"]) == ("delivery", str(victim.id))
    assert "已被删除" in result["reason"]


async def test_deleting_the_chain_entries_too_is_found(served) -> None:
    h, client = served
    async with h.runtime.sessionmaker() as session:
        last = await session.scalar(select(func.max(RecordEntry.seq)))
    assert last is not None and last > 3
    # The middle: a hole in the sequence.
    await change(h, delete(RecordEntry).where(RecordEntry.seq == 3))
    result = await verify(h, client)
    assert (result["problem"], result["seq"]) == ("entry_missing", 4)
    assert "第 3–3 条缺失" in result["reason"]


async def test_removing_the_last_entries_or_rewriting_one_is_found(served) -> None:
    h, client = served
    async with h.runtime.sessionmaker() as session:
        last = await session.scalar(select(func.max(RecordEntry.seq)))
    await change(h, delete(RecordEntry).where(RecordEntry.seq == last))
    result = await verify(h, client)
    assert result["problem"] == "head_mismatch"
    await change(h, text("UPDATE record_head SET seq = seq - 1"))
    assert (await verify(h, client))["problem"] == "head_mismatch"  # no key: the MAC fails


async def test_a_rewritten_entry_fails_its_hmac(served) -> None:
    h, client = served
    async with h.runtime.sessionmaker() as session:
        entry = await session.get_one(RecordEntry, 2)
        state = dict(entry.state) | {"person_name": "某人"}
    await change(h, update(RecordEntry).where(RecordEntry.seq == 2).values(state=state))
    result = await verify(h, client)
    assert (result["problem"], result["seq"]) == ("entry_tampered", 2)


# Every way the service writes the delivery log is recorded: these scenarios (failover, dead
# letter, reconciliation after a timeout, overflow to email) leave a log that verifies.
SCENARIOS: dict[str, Callable[..., Awaitable[None]]] = {
    "dead_letter": failover.test_nothing_works_until_the_horizon_dead_letter_and_alert,
    "reconciled": failover.test_timeout_after_acceptance_is_reconciled_not_resent,
    "to_email": failover.test_daily_cap_overflows_to_email,
    "bad_number": failover.test_bad_number_is_not_retried,
}


@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_every_write_path_is_recorded(
    scenario: str, make_harness, aliyun, tencent, smtp
) -> None:
    made: list[Harness] = []

    async def capture(**overrides: Any) -> Harness:
        h: Harness = await make_harness(**overrides)
        made.append(h)
        return h

    play = SCENARIOS[scenario]
    wanted = inspect.signature(play).parameters
    fixtures = {"make_harness": capture, "aliyun": aliyun, "tencent": tencent, "smtp": smtp}
    await play(*(fixtures[name] for name in wanted))
    for h in made:
        async with h.runtime.sessionmaker() as session:
            result = await records_verify(session)
        assert result.ok, result
        assert result.rows_checked > 0
