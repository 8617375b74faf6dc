"""A real reminder through the responsibility chain of an enterprise two departments supervise.

通达路桥 (王家厂镇) is supervised by 住建局 (linked) and 交通运输局 (it regulates road
construction, E48; no link); 交通运输局's deputy post is vacant in the demo county. A major
hazard's reminder to the departments' deputies in charge reaches 住建局's deputy and, for the
vacant seat, 交通运输局's own head — never 住建局's head for it. The township's party secretary
is told beside its head (党政同责), and an acting holder named for the reminder's day answers
in the secretary's place: who holds a post is read at the time of sending. The three services
run as `duban run` does it, time moved through the clock offset file, texts at the Aliyun SMS
emulator; on SQLite with the embedded broker and on PostgreSQL with an external one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from shared.clock import SHANGHAI
from tests.conftest import DatabaseFactory
from tests.e2e.harness import eventually
from tests.e2e.world import DIGEST_WINDOW, START, World, embedded_world, postgres_world

# The demo county's people (services/hazard_api/directory/demo_county.yaml).
ENTERPRISE_PRINCIPAL = "13800001061"  # 路通达, 通达路桥
TOWNSHIP_PRINCIPAL = "13800000021"  # 孙鹏, 王家厂镇 代镇长
TOWNSHIP_SECRETARY = "13800000023"  # 龚伟, 王家厂镇 党委书记
ACTING_SECRETARY = "13800000022"  # 何静, standing in for 龚伟 on the reminder's day
ZHUJIAN_DEPUTY = "13900000122"  # 徐明, 住建局 副局长
ZHUJIAN_HEAD = "13900000121"  # 高阳, 住建局 局长
JIAOTONG_HEAD = "13900000131"  # 唐辉, 交通运输局 局长 (its deputy post is vacant)


async def run_scenario(w: World) -> None:
    hazard = await w.api(
        "POST",
        "/hazards",
        "office",
        json={
            "unit_id": "ent-tongda",
            "location": "K12+300桥梁施工段",
            "description": "高墩施工危大工程未编制专项施工方案，作业平台临边防护缺失",
            "source": "inspection",
            "found_at": (START - timedelta(hours=20)).isoformat(),
        },
    )
    hid = hazard["id"]
    assert hazard["department_ids"] == ["dep-jiaotong", "dep-zhujian"]
    await w.api(
        "POST",
        f"/hazards/{hid}/classify",
        "office",
        json={"level": "major", "grade": 3, "criterion_id": "JZ-4-4", "deadline_days": 30},
    )

    async def planned() -> bool:
        case = await w.case(hid)
        return bool(
            case
            and case["policy_id"] == "county-major"
            and any(s["step_key"] == "remind_5wd" for s in case["steps"])
        )

    await eventually(planned, "escalation case with the major-hazard policy")
    # The rectification order went to both departments' heads and to the township's head
    # and party secretary at once; let those texts go out before the reminder's turn.
    await texts_reach(
        w,
        {ENTERPRISE_PRINCIPAL, TOWNSHIP_PRINCIPAL, TOWNSHIP_SECRETARY, ZHUJIAN_HEAD, JIAOTONG_HEAD},
        since=0,
        what="the rectification order",
    )
    case = await w.case(hid)
    assert case is not None
    step = next(s for s in case["steps"] if s["step_key"] == "remind_5wd")
    assert {"township.principal", "township.party_secretary", "department.in_charge"} <= set(
        step["targets"]
    )
    due = datetime.fromisoformat(step["due_at"])
    # 何静 stands in for the party secretary from the reminder's day for three days; today
    # (before it) 龚伟 still holds the post.
    day = due.astimezone(SHANGHAI).date()
    await w.api(
        "PATCH",
        "/posts/post-wjc-shuji",
        "office",
        json={
            "acting_person_id": "p-hejing",
            "acting_from": day.isoformat(),
            "acting_until": (day + timedelta(days=2)).isoformat(),
        },
    )
    today = await w.api("GET", "/units/ent-tongda/chain", "office")
    secretaries = [
        link["mobile"] for link in today["links"] if link["role"] == "township.party_secretary"
    ]
    assert secretaries == [TOWNSHIP_SECRETARY]

    # ---- the reminder falls due: move time there and let its texts go out
    texts_before = len(w.sms.accepted)
    w.clock.set(due + timedelta(seconds=1))

    async def fired() -> bool:
        case = await w.case(hid)
        return case is not None and any(
            s["step_key"] == "remind_5wd" and s["status"] == "done" for s in case["steps"]
        )

    await eventually(fired, "step remind_5wd fired")
    expected = {
        ENTERPRISE_PRINCIPAL,
        TOWNSHIP_PRINCIPAL,
        ACTING_SECRETARY,
        ZHUJIAN_DEPUTY,
        JIAOTONG_HEAD,
    }
    await texts_reach(w, expected, since=texts_before, what="remind_5wd")
    texted_to = w.phones_texted(texts_before)
    # 住建局's head is not asked for the vacant seat of 交通运输局; the secretary who is away
    # is not texted while someone acts for him.
    assert ZHUJIAN_HEAD not in texted_to, texted_to
    assert TOWNSHIP_SECRETARY not in texted_to, texted_to
    jiaotong = [a for a in w.sms.accepted[texts_before:] if a.phone == JIAOTONG_HEAD]
    assert jiaotong and "督促" in " ".join(str(v) for a in jiaotong for v in a.params.values())

    # 唐辉's email says whose seat he answers for; the timeline records 徐明 for his own
    # department's duty and 何静 as the (acting) party secretary.
    covering = "您的职责：行业监管部门主要负责人（代行业监管部门分管负责人，该岗位空缺）"
    await eventually(
        lambda: any("tanghui@example.cn" in m.to and covering in m.text for m in w.mailbox.all()),
        "email to 唐辉 naming the vacant seat he answers for",
    )
    for who in ("行业监管部门分管负责人徐明", "乡镇（街道）党（工）委书记何静"):

        async def noticed(who: str = who) -> bool:
            items = await w.api("GET", f"/hazards/{hid}/timeline", "office")
            return any(i["kind"] == "notice" and who in i["summary"] for i in items)

        await eventually(noticed, f"timeline notice to {who}")


async def texts_reach(w: World, phones: set[str], *, since: int, what: str) -> None:
    """Let time run on a minute at a time (notices wait for their digest window) until every
    phone got a text after the `since`-th one."""
    released_by = w.clock.now() + DIGEST_WINDOW * 3

    async def texted() -> bool:
        if w.phones_texted(since) >= phones:
            return True
        if w.clock.now() < released_by:
            w.clock.advance(timedelta(minutes=1))
        return False

    await eventually(texted, f"{what}: SMS to {sorted(phones)}", within_s=120)


async def test_department_chain_on_the_embedded_configuration(tmp_path: Path) -> None:
    async with embedded_world(tmp_path) as w:
        await run_scenario(w)


@pytest.mark.usefixtures("pg_available")
async def test_department_chain_on_postgresql(
    tmp_path: Path, make_database_url: DatabaseFactory
) -> None:
    async with postgres_world(tmp_path, make_database_url) as w:
        await run_scenario(w)
