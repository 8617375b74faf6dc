"""The 2-hour upward report of a night-time accident chased through the real chain (#15):
hazard_api's accident event → escalation's accident case → notification → texts at the Aliyun
emulator. Reminders 60 and 30 minutes before 01:10 and the overdue notice at 01:10 reach the
county office and the leader in charge at night (`immediate`); once a report is signed off
(核稿 → 签发) the clock's remaining steps leave the case's plan."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.e2e.harness import eventually
from tests.e2e.test_accident_night import NIGHT, SAFETY_LEADER
from tests.e2e.world import World, embedded_world


def clock_texts(w: World, since: int, words: str) -> set[str]:
    """Phones that got a text containing `words` after the `since`-th text."""
    return {
        a.phone
        for a in w.sms.accepted[since:]
        if words in " ".join(str(v) for v in a.params.values())
    }


async def planned_upward_steps(w: World, accident_id: str) -> list[str]:
    case = await w.case(accident_id)
    assert case is not None
    return [
        s["step_key"]
        for s in case["steps"]
        if s["step_key"].startswith("upward") and s["status"] == "planned"
    ]


async def run_scenario(w: World) -> None:
    w.clock.set(NIGHT)
    accident = await w.api(
        "POST",
        "/accidents",
        "hongxing",
        json={
            "channel": "enterprise",
            "occurred_at": (NIGHT - timedelta(minutes=20)).isoformat(),
            "place": "大坪乡红星烟花爆竹有限公司二号工房",
            "accident_type": "explosion",
            "account": "二号工房装药时发生爆炸",
            "reporter_name": "张红星",
            "reporter_phone": "13800001001",
            "deaths": 1,
            "missing": 0,
            "serious_injuries": 0,
            "direct_loss_yuan": 800_000,
        },
    )
    aid = accident["id"]
    await eventually(lambda: SAFETY_LEADER in w.phones_texted(), "the immediate alert")

    async def planned() -> bool:
        return await w.case(aid) is not None

    await eventually(planned, "the accident's case at escalation")
    # 00:10, an hour before the 01:10 deadline: the first reminder, at night.
    for minutes, words in ((60, "上报期限"), (90, "上报期限"), (120, "已超时")):
        since = len(w.sms.accepted)
        w.clock.set(NIGHT + timedelta(minutes=minutes))
        await eventually(
            lambda since=since, words=words: SAFETY_LEADER in clock_texts(w, since, words),
            f"'{words}' at +{minutes} minutes",
            within_s=90,
        )
    texts = [a for a in w.sms.accepted if a.phone == SAFETY_LEADER]
    words = " ".join(str(v) for a in texts for v in a.params.values())
    assert "市应急管理局" in words and "1时10分" in words, words

    async def repeats_planned() -> bool:  # read from escalation's API, which may trail the text
        return await planned_upward_steps(w, aid) == ["upward_overdue", "upward_overdue"]

    await eventually(repeats_planned, "the two hourly repeats planned after the overdue notice")
    # Reviewed by the township, signed off by the county office: the hourly repeats go.
    detail = await w.api("GET", f"/accidents/{aid}", "office")
    report_id = detail["reports"][0]["id"]
    await w.api("POST", f"/accidents/{aid}/reports/{report_id}/review", "daping")
    await w.api("POST", f"/accidents/{aid}/reports/{report_id}/issue", "office")

    async def silent() -> bool:
        return await planned_upward_steps(w, aid) == []

    await eventually(silent, "the upward report's steps leave the plan")


async def test_upward_report_chased_through_the_real_chain(tmp_path: Path) -> None:
    async with embedded_world(tmp_path) as w:
        await run_scenario(w)
