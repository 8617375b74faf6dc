"""Send rounds beside the reconciler: settling stale attempts while rounds record their
answers neither deadlocks (PostgreSQL) nor sends a text twice, and a round whose claim raised
after committing leaves its attempts to the reconciler, which sends each text once."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import event

from shared.contract import ChainRole, Urgency
from tests.notification.county import org_events, step_fired
from tests.notification.settings import aliyun_config
from tests.notification.test_send_rounds import CHAIN, TOWN_PHONE, attempt_outcomes


@pytest.mark.parametrize("db_kind", ["postgresql"])
async def test_reconciling_beside_send_rounds_neither_deadlocks_nor_sends_twice(
    make_harness: Any, aliyun: Any
) -> None:
    h = await make_harness(
        sms_providers=[aliyun_config(aliyun.url, timeout_s=0.3, daily_cap=1000)],
        default_channels=["sms"],
    )
    await h.org(org_events())
    rt = h.runtime
    # Wave 1: accepted, but the answers come too late: unknown, for the reconciler to settle.
    aliyun.emulator.mode = "timeout"
    aliyun.emulator.delay_s = 1.0
    for n in range(1, 7):
        await h.step(step_fired(h.clock, roles=CHAIN, urgency=Urgency.IMMEDIATE, hazard_n=n))
    await rt.prepare()
    while await rt.sender.send_due():
        pass
    unknown = await attempt_outcomes(h)
    assert {o for outcomes in unknown.values() for o in outcomes} == {"unknown"}
    # Wave 2 while the reconciler asks about wave 1: rounds and reconciles side by side.
    aliyun.emulator.mode = "ok"
    for n in range(7, 19):
        await h.step(step_fired(h.clock, roles=CHAIN, urgency=Urgency.IMMEDIATE, hazard_n=n))
    await rt.prepare()
    for _ in range(3):
        await asyncio.gather(
            *(rt.sender.send_due() for _ in range(4)),
            *(rt.reconciler.reconcile() for _ in range(4)),
        )
    # On a loaded machine a call may time out before it left (transient: retried after its
    # backoff, which a frozen clock never reaches); past it, every text must be out once.
    h.clock.advance(seconds=600)
    await h.settle()
    texts = Counter(
        (a.phone, a.params.get("code")) for a in aliyun.emulator.accepted
    )  # one text per number and accident, wave 1 included (found, not sent again)
    assert len(texts) == 18 * len(CHAIN)
    assert set(texts.values()) == {1}
    settled = await attempt_outcomes(h)
    assert {o for outcomes in settled.values() for o in outcomes} == {"accepted"}


def commit_answer_lost(rt: Any) -> list[int]:
    """The sender's next claim commits, and then its transaction raises as if the connection
    dropped before the commit's answer came back; how many claims did so."""
    lost: list[int] = []
    claim = rt.sender.claim

    async def claiming(*, session: Any, now: Any) -> Any:
        claimed = await claim(session=session, now=now)
        if not lost:

            def dropped(_session: Any) -> None:
                raise ConnectionResetError("the commit's answer was lost")

            event.listen(session.sync_session, "after_commit", dropped, once=True)
            lost.append(1)
        return claimed

    rt.sender.claim = claiming
    return lost


@pytest.mark.parametrize("through", ["send round", "accident pass"])
async def test_attempts_whose_claim_raised_after_committing_are_reconciled_and_sent_once(
    make_harness: Any, aliyun: Any, through: str
) -> None:
    """Pending attempts whose round never called are not "live" forever: the reconciler asks
    the provider about them once they are stale, finds nothing, and they are sent once."""
    h = await make_harness(sms_providers=[aliyun_config(aliyun.url)], default_channels=["sms"])
    await h.org(org_events())
    rt = h.runtime
    lost = commit_answer_lost(rt)
    step = step_fired(
        h.clock, roles=[ChainRole.TOWNSHIP_PRINCIPAL], urgency=Urgency.IMMEDIATE, hazard_n=1
    )
    await h.step(step)
    with pytest.raises(ConnectionResetError):
        if through == "send round":
            await rt.prepare()
            await rt.sender.send_due()
        else:
            await rt.prepare_and_claim()
    assert lost and rt.sender.in_flight == set()
    assert (await attempt_outcomes(h))["h-1"] == ["pending"]  # committed, never called
    assert aliyun.emulator.sends_to(TOWN_PHONE) == []
    # Stale (60 s) and, at the provider, not found for long enough (Aliyun: 120 s).
    h.clock.advance(seconds=180)
    assert await rt.reconciler.reconcile() == 1
    while await rt.sender.send_due():
        pass
    await h.settle()
    assert len(aliyun.emulator.sends_to(TOWN_PHONE)) == 1
    assert sorted((await attempt_outcomes(h))["h-1"]) == ["accepted", "not_accepted"]
