"""A notice still waiting (digest window) when its hazard's case moves on is withdrawn, never
sent (nobody is to 督促 a closed hazard); once the rectification is reported, only the steps
that stop then; and one whose deadline moved meanwhile goes with the deadline in force."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from services.notification.intake.models import Notice, NotificationRequest
from shared.contract import CaseChanged, ChainRole, Envelope, HazardFacts, Producer
from tests.notification.county import PEOPLE, org_events, step_fired
from tests.notification.settings import aliyun_config

FIRM_PHONE = PEOPLE["p-firm"].mobile or ""
PRINCIPAL = [ChainRole.ENTERPRISE_PRINCIPAL]


def case_changed(
    h: Any, hazard_n: int, *, state: str, reason: str, facts: HazardFacts | None = None
) -> Envelope:
    change = CaseChanged(
        case_id=f"case-{hazard_n}",
        hazard_id=f"h-{hazard_n}",
        state=state,
        policy_id="default",
        policy_version=1,
        reason=reason,
        facts=facts,
    )
    return Envelope.of(
        change,
        aggregate_id=f"case-{hazard_n}",
        producer=Producer.ESCALATION,
        occurred_at=h.clock.now(),
    )


def with_stop(envelope: Envelope, condition: str | None) -> Envelope:
    step = envelope.typed_payload().model_copy(update={"stop_condition": condition})
    return Envelope.of(
        step,
        aggregate_id=envelope.aggregate_id,
        producer=Producer.ESCALATION,
        occurred_at=envelope.occurred_at,
    )


async def statuses(h: Any) -> dict[tuple[str | None, str | None], str]:
    """Each notice's status by (hazard, step stop condition)."""
    async with h.runtime.sessionmaker() as session:
        rows = await session.execute(
            select(Notice.hazard_id, NotificationRequest.step, Notice.status).join(
                NotificationRequest, NotificationRequest.event_id == Notice.request_id
            )
        )
        return {(hazard, step.get("stop_condition")): status for hazard, step, status in rows}


async def test_a_closed_hazards_waiting_notice_is_withdrawn_and_the_rest_of_the_digest_goes(
    make_harness: Any, aliyun: Any
) -> None:
    h = await make_harness(sms_providers=[aliyun_config(aliyun.url)], default_channels=["sms"])
    await h.org(org_events())
    for n in (1, 2):
        await h.step(step_fired(h.clock, roles=PRINCIPAL, hazard_n=n))
    await h.settle()
    assert aliyun.emulator.sends_to(FIRM_PHONE) == []  # both wait in the digest window
    await h.step(case_changed(h, 1, state="stopped", reason="stopped: closed"))
    h.clock.advance(seconds=900)
    await h.settle()
    [text] = aliyun.emulator.sends_to(FIRM_PHONE)
    assert text.params["code"] == "YH-2026-0002", text.params
    assert "YH-2026-0001" not in str(text.params)
    assert await statuses(h) == {("h-1", None): "withdrawn", ("h-2", None): "bundled"}


async def test_a_moved_deadline_brings_the_waiting_notices_up_to_date(
    make_harness: Any, aliyun: Any
) -> None:
    """An extension approved while the overdue notice waited: it goes, naming the deadline in
    force (and no longer 已逾期), not the old one."""
    h = await make_harness(sms_providers=[aliyun_config(aliyun.url)], default_channels=["sms"])
    await h.org(org_events())
    step = step_fired(h.clock, roles=PRINCIPAL, hazard_n=1)  # a day overdue
    await h.step(step)
    await h.settle()
    facts = step.typed_payload().facts  # type: ignore[attr-defined]
    extended = facts.model_copy(update={"deadline_at": h.clock.now() + timedelta(days=20)})
    await h.step(case_changed(h, 1, state="active", reason="rebaselined", facts=extended))
    h.clock.advance(seconds=900)
    await h.settle()
    [text] = aliyun.emulator.sends_to(FIRM_PHONE)
    said = " ".join(str(v) for v in text.params.values())
    assert "3月26日" in said and "逾期" not in said, text.params
    assert await statuses(h) == {("h-1", None): "bundled"}


async def test_a_reported_rectification_withdraws_only_the_steps_that_stop_then(
    make_harness: Any, aliyun: Any
) -> None:
    h = await make_harness(sms_providers=[aliyun_config(aliyun.url)], default_channels=["sms"])
    await h.org(org_events())
    chase = with_stop(step_fired(h.clock, roles=PRINCIPAL, hazard_n=1), "rectified")
    listing = with_stop(step_fired(h.clock, roles=PRINCIPAL, hazard_n=1, step_key="listing"), None)
    for step in (chase, listing):
        await h.step(step)
    await h.settle()
    # A replan that changes no facts a notice cites leaves both waiting.
    await h.step(case_changed(h, 1, state="active", reason="replanned"))
    assert await statuses(h) == {("h-1", "rectified"): "waiting", ("h-1", None): "waiting"}
    await h.step(case_changed(h, 1, state="paused", reason="paused"))
    assert await statuses(h) == {("h-1", "rectified"): "withdrawn", ("h-1", None): "waiting"}
    h.clock.advance(seconds=900)
    await h.settle()
    assert len(aliyun.emulator.sends_to(FIRM_PHONE)) == 1
