"""A major hazard from a township clerk's report to a county leader's phone, and back to 销号.

The three services run as separate processes (`duban run`), time moves for all of them through
the clock offset file, texts go to the Aliyun SMS emulator and emails to an SMTP server. The
same scenario runs on the embedded configuration (SQLite files, `duban run`'s own tansu broker
and SMTP sink) and on PostgreSQL with an external broker and SMTP server.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shared.clock import SHANGHAI
from tests.conftest import DatabaseFactory
from tests.e2e import readable
from tests.e2e.harness import eventually
from tests.e2e.world import (
    DIGEST_WINDOW,
    PLAN,
    PNG,
    START,
    World,
    embedded_world,
    postgres_world,
    settle,
)


async def run_scenario(w: World) -> str:
    """Plays the hazard's life; returns its id."""
    # ---- a township clerk (大坪乡) reports a hazard at an enterprise in its territory
    found_at = (START - timedelta(hours=20)).isoformat()
    hazard = await w.api(
        "POST",
        "/hazards",
        "daping",
        json={
            "unit_id": "ent-hongxing",
            "location": "二号库房东侧",
            "description": "库房内存放药量超过核定药量，且防护屏障部分缺失",
            "source": "inspection",
            "found_at": found_at,
        },
    )
    hid: str = hazard["id"]

    # ---- the county office classifies it as major, the enterprise submits the six-part plan,
    # the office lists it (挂牌督办, county level) with a 14-day deadline, rectification starts
    await w.api(
        "POST",
        f"/hazards/{hid}/classify",
        "office",
        json={"level": "major", "grade": 3, "criterion_id": "YH-05"},
    )
    await w.api("PUT", f"/hazards/{hid}/plan", "hongxing", json=PLAN)
    listed = await w.api(
        "POST",
        f"/hazards/{hid}/listing",
        "office",
        json={"notice_no": "演安委〔2026〕1号", "deadline_days": 14, "published": True},
    )
    assert listed["listing_level"] == "county"
    await w.api("POST", f"/hazards/{hid}/start-rectification", "hongxing", json={})
    office_list = await w.api("GET", "/hazards", "office", params={"listing_level": "county"})
    assert hid in [h["id"] for h in office_list["items"]]

    # ---- the escalation service has a case with the listed-hazard policy (re-selected at
    # listing), planned from the listing's deadline: the overdue notice falls due at 08:30 of
    # the next working day, not at the deadline's last minute
    deadline = datetime.fromisoformat(listed["deadline_at"])

    def next_morning(due: datetime) -> bool:
        local_due = due.astimezone(SHANGHAI)
        return deadline < due < deadline + timedelta(days=5) and (
            local_due.hour,
            local_due.minute,
        ) == (8, 30)

    async def planned() -> bool:
        case = await w.case(hid)
        return bool(
            case
            and case["state"] == "active"
            and any(
                s["step_key"] == "overdue_notice"
                and next_morning(datetime.fromisoformat(s["due_at"]))
                for s in case["steps"]
            )
        )

    await eventually(planned, "escalation case planned from the listing deadline")
    case = await w.case(hid)
    assert case is not None and case["policy_id"] == "county-listed"
    steps = {(s["step_key"], s["repeat_index"]): s for s in case["steps"]}

    # Who answers for this enterprise (一岗双责), from hazard_api's directory.
    chain = await w.api("GET", "/units/ent-hongxing/chain", "office")
    by_role: dict[str, set[str]] = {}
    for link in chain["links"]:
        by_role.setdefault(link["role"], set()).add(link["person_id"])
    people: dict[str, dict[str, Any]] = {}
    for pid in {p for ps in by_role.values() for p in ps}:
        people[pid] = await w.api("GET", f"/people/{pid}", "office")

    def expected(step: dict[str, Any]) -> tuple[set[str], set[str]]:
        persons = {p for role in step["targets"] for p in by_role.get(role, set())}
        phones = {people[p]["mobile"] for p in persons if people[p].get("mobile")}
        emails = {people[p]["email"] for p in persons if people[p].get("email")}
        return phones, emails

    async def fire(key: str) -> tuple[set[str], set[str]]:
        """Move time to the step, let it fire, let its notices go; who got them."""
        step = steps[(key, 0)]
        texts_before, mails_before = len(w.sms.accepted), len(w.mailbox.all())
        w.clock.set(datetime.fromisoformat(step["due_at"]) + timedelta(seconds=1))

        async def fired() -> bool:
            case = await w.case(hid)
            return case is not None and any(
                s["step_key"] == key and s["status"] == "done" for s in case["steps"]
            )

        await eventually(fired, f"step {key} fired")
        phones, emails = expected(step)
        assert phones and emails, f"nobody to tell for {key}: {step['targets']}"
        # A notice waits for its person's digest window (an urgent one for the shorter urgent
        # window): let time run on, a minute at a time, until the texts went out (at most half
        # an hour).
        released_by = w.clock.now() + DIGEST_WINDOW * 3

        async def texted() -> bool:
            if w.phones_texted(texts_before) >= phones:
                return True
            if w.clock.now() < released_by:
                w.clock.advance(timedelta(minutes=1))
            return False

        await eventually(texted, f"{key}: SMS to {sorted(phones)}", within_s=120)
        await eventually(
            lambda: {t for m in w.mailbox.all()[mails_before:] for t in m.to} >= emails,
            f"{key}: email to {sorted(emails)}",
        )
        return phones, emails

    # ---- five working days before the deadline: the reminder reaches the enterprise
    # principal, the township principal and the departments' deputies in charge
    reminded, _ = await fire("remind_5wd")
    assert people[next(iter(by_role["enterprise.principal"]))]["mobile"] in reminded
    assert people[next(iter(by_role["township.principal"]))]["mobile"] in reminded

    # ---- the township principal (a leader in the chain) acknowledges through the link
    township_mobile = people[next(iter(by_role["township.principal"]))]["mobile"]
    text = next(a for a in reversed(w.sms.accepted) if a.phone == township_mobile)
    link = text.params["link"]
    assert link.startswith(w.stack.url("notification") + "/a/")
    page = await w.client.get(link)
    assert page.status_code == 200 and "确认" in page.text
    # 本人签收: the last four digits of the mobile the text went to.
    confirmed = await w.client.post(link, data={"who": "self", "phone_tail": township_mobile[-4:]})
    assert confirmed.status_code == 200, confirmed.text

    # ---- not rectified: the second reminder, then the deadline passes (urgent overdue notice
    # the next working morning to the county leader whose portfolio covers it), then two
    # working days later the county office is asked to decide on a 督办函 (a task, not a text
    # announcing one)
    await fire("remind_2wd")
    overdue, _ = await fire("overdue_notice")
    portfolio = {people[p]["mobile"] for p in by_role["county.portfolio_leader"]}
    assert portfolio <= overdue
    letter, _ = await fire("letter_due")
    office = {people[p]["mobile"] for p in by_role["county_office"]}
    assert office <= letter and not office <= reminded

    # ---- the enterprise reports rectification with evidence; the office (not the rectifier)
    # accepts; the listing is removed (摘牌销号)
    photo = await w.api(
        "POST",
        f"/hazards/{hid}/attachments",
        "hongxing",
        files={"file": ("整改后.png", io.BytesIO(PNG), "image/png")},
        data={"purpose": "acceptance"},
    )
    await w.api(
        "POST",
        f"/hazards/{hid}/rectification-report",
        "hongxing",
        json={
            "summary": "超量成品已转运，防护屏障已修复",
            "funds_spent": 110000,
            "attachment_ids": [photo["id"]],
        },
    )
    accepted = await w.api(
        "POST",
        f"/hazards/{hid}/acceptance",
        "office",
        json={"passed": True, "opinion": "现场验收合格"},
    )
    assert accepted["passed"] is True
    closed = await w.api(
        "POST",
        f"/hazards/{hid}/close",
        "office",
        json={"delisting_notice_no": "演安委〔2026〕9号", "published": True},
    )
    assert closed["status"] == "closed"

    async def stopped() -> bool:
        case = await w.case(hid)
        return case is not None and case["state"] == "stopped"

    await eventually(stopped, "escalation case stopped after 销号")

    # ---- no further notices: a month later nothing more was sent about this hazard
    texts_after = len(w.sms.accepted)
    w.clock.advance(timedelta(days=30))
    bulletin_due = datetime.fromisoformat(steps[("bulletin_due", 0)]["due_at"])
    assert w.clock.now() > bulletin_due
    await settle(w)
    assert len(w.sms.accepted) == texts_after, [a.params for a in w.sms.accepted[texts_after:]]

    # ---- the timeline shows every step, notice, delivery and acknowledgement
    async def timeline_complete() -> bool:
        items = await w.api("GET", f"/hazards/{hid}/timeline", "office")
        kinds = {i["kind"] for i in items}
        return {"state_change", "escalation_step", "notice", "acknowledgement"} <= kinds

    await eventually(timeline_complete, "timeline with steps, notices and the acknowledgement")
    items = await w.api("GET", f"/hazards/{hid}/timeline", "office")
    actions = [i["detail"].get("action") for i in items if i["kind"] == "state_change"]
    for action in (
        "hazard.reported",
        "hazard.classified",
        "hazard.listed",
        "hazard.rectification_started",
        "hazard.rectification_reported",
        "hazard.accepted",
        "hazard.closed",
    ):
        assert action in actions, (action, actions)
    step_summaries = " ".join(i["summary"] for i in items if i["kind"] == "escalation_step")
    for label in ("整改期限提醒", "逾期整改通知", "待研究事项", "挂牌督办告知"):
        assert label in step_summaries
    notices = [i for i in items if i["kind"] == "notice"]
    assert any("短信" in i["summary"] for i in notices)
    assert any("邮件" in i["summary"] for i in notices)
    assert [i["at"] for i in items] == sorted(i["at"] for i in items)
    expired = await w.client.get(link)  # a month on, the link has expired
    assert expired.status_code == 410
    pages = [page.text, confirmed.text, expired.text]
    await readable.assert_readable(w, hid, deadline, pages)
    return hid


async def test_reminder_chain_on_the_embedded_configuration(tmp_path: Path) -> None:
    async with embedded_world(tmp_path) as w:
        assert "(embedded tansu" in w.stack.output()
        assert "SMTP sink" in w.stack.output()
        await run_scenario(w)


@pytest.mark.usefixtures("pg_available")
async def test_reminder_chain_on_postgresql(
    tmp_path: Path, make_database_url: DatabaseFactory
) -> None:
    async with postgres_world(tmp_path, make_database_url) as w:
        assert "postgresql+asyncpg" in w.stack.output()
        await run_scenario(w)
