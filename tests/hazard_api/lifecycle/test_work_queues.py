"""What the portal needs from the API: work-queue counts that equal the list they name, the
filters behind them, the caller's allowed actions, and changing one's own password."""

from __future__ import annotations

from typing import Any

import httpx

from shared.clock import TestClock
from tests.hazard_api.conftest import DEMO_PASSWORD
from tests.hazard_api.lifecycle.conftest import HAZARD, PLAN, Api


async def test_each_count_is_the_total_of_the_list_it_names(api: Api, clock: TestClock) -> None:
    ent, office = api.as_("hongxing"), api.as_("office")
    ids = [
        (await ent.post("/hazards", HAZARD | {"description": f"第{n}处隐患"})).json()["id"]
        for n in range(5)
    ]
    await api.as_("huayu").post("/hazards", HAZARD)
    await office.post(f"/hazards/{ids[0]}/classify", {"level": "general", "deadline_days": 5})
    await office.post(f"/hazards/{ids[1]}/classify", {"level": "general", "deadline_days": 1})
    await office.post(
        f"/hazards/{ids[2]}/classify", {"level": "major", "grade": 3, "criterion_id": "YH-05"}
    )
    await ent.put(f"/hazards/{ids[2]}/plan", PLAN)
    await office.post(f"/hazards/{ids[2]}/listing", {"notice_no": "演安委〔2026〕1号"})
    await ent.post(f"/hazards/{ids[2]}/start-rectification", {})
    await ent.post(f"/hazards/{ids[2]}/extensions", {"reason": "雨季", "days": 15})
    await office.post(f"/hazards/{ids[3]}/void", {"reason": "重复登记"})
    # Voided while its extension request waits: voiding withdraws the request (nobody could
    # decide it any more), so 待审批延期 and the list it links to leave it out alike.
    await office.post(f"/hazards/{ids[4]}/classify", {"level": "general", "deadline_days": 30})
    await ent.post(f"/hazards/{ids[4]}/start-rectification", {})
    asked = await ent.post(f"/hazards/{ids[4]}/extensions", {"reason": "设备到货延迟", "days": 10})
    assert asked.status_code == 201, asked.text
    voided = await office.post(f"/hazards/{ids[4]}/void", {"reason": "重复登记"})
    assert voided.status_code == 200, voided.text
    pending = await office.get("/hazards", params={"extension_pending": "true"})
    assert ids[4] not in [h["id"] for h in pending.json()["items"]]
    clock.advance(days=2)

    expected = {
        "office": {
            "pending_classification": 1,
            "rectifying": 1,
            "due_soon": 1,
            "overdue": 1,
            "listed": 1,
            "awaiting_acceptance": 0,
            "extension_pending": 1,
        },
        "huayu": {"pending_classification": 1, "rectifying": 0, "overdue": 0, "listed": 0},
    }
    for who, want in expected.items():
        got = await counts_as_listed(api, who)
        assert got["due_soon"]["label"] == "即将到期"
        for key, n in want.items():
            assert got[key]["count"] == n, (who, key)

    # Time alone moves a hazard from 即将到期 to 已逾期 (no write, so no counter row changes):
    # the deadline 5 days after classification has passed 6 days on.
    clock.advance(days=4)
    got = await counts_as_listed(api, "office")
    assert (got["due_soon"]["count"], got["overdue"]["count"]) == (0, 2)
    # Rectified late, then accepted and closed: 整改中 → 待验收 → no queue at all.
    assert (await ent.post(f"/hazards/{ids[1]}/start-rectification", {})).status_code == 200
    photo = (await ent.upload(ids[1], purpose="acceptance")).json()["id"]
    done = {"summary": "已整改完毕", "attachment_ids": [photo]}
    assert (await ent.post(f"/hazards/{ids[1]}/rectification-report", done)).status_code == 200
    got = await counts_as_listed(api, "office")
    assert (got["rectifying"]["count"], got["awaiting_acceptance"]["count"]) == (1, 1)
    assert got["overdue"]["count"] == 1  # 申请验收: its deadline no longer runs
    accepted = await office.post(
        f"/hazards/{ids[1]}/acceptance", {"passed": True, "opinion": "合格"}
    )
    assert accepted.status_code == 200, accepted.text
    assert (await office.post(f"/hazards/{ids[1]}/close", {})).status_code == 200
    got = await counts_as_listed(api, "office")
    assert (got["awaiting_acceptance"]["count"], got["pending_classification"]["count"]) == (0, 1)

    found = await office.get("/hazards", params={"q": "第2处"})
    assert [h["id"] for h in found.json()["items"]] == [ids[2]]
    still_open = await office.get("/hazards", params={"open": "true"})
    assert ids[3] not in [h["id"] for h in still_open.json()["items"]]
    assert (await office.get("/hazards", params={"due_within_days": 0})).status_code == 422


async def counts_as_listed(api: Api, who: str) -> dict[str, dict[str, Any]]:
    """The caller's 工作台 counts, each checked against the total of the 台账 it links to."""
    counts = await api.as_(who).get("/hazards/counts")
    assert counts.status_code == 200, counts.text
    got = {q["key"]: q for q in counts.json()["queues"]}
    for q in got.values():
        listed = await api.as_(who).get("/hazards", params=q["query"] | {"page_size": 100})
        assert listed.json()["total"] == q["count"] == len(listed.json()["items"]), (who, q)
    return got


async def test_the_detail_says_what_the_caller_may_do_now(api: Api) -> None:
    hid = (await api.as_("hongxing").post("/hazards", HAZARD)).json()["id"]
    allowed = {
        who: (await api.as_(who).get(f"/hazards/{hid}")).json()["allowed_actions"]
        for who in ("hongxing", "daping", "office")
    }
    assert allowed["hongxing"]["propose_major"] == "提出重大事故隐患判定建议"
    assert "classify_major" not in allowed["hongxing"] and "classify_general" in allowed["hongxing"]
    assert {"classify_general", "propose_major", "void"} <= allowed["daping"].keys()
    assert "classify_major" not in allowed["daping"]
    assert {"classify_major", "void"} <= allowed["office"].keys()
    assert "list" not in allowed["office"]  # not classified yet


async def test_a_user_changes_their_own_password(
    client: httpx.AsyncClient, api: Api, clock: TestClock
) -> None:
    town = api.as_("daping")
    body = {"current_password": "wrong", "new_password": "Xk9-新的口令-2026"}
    wrong = await town.post("/auth/password", body)
    assert wrong.status_code == 403 and wrong.json()["detail"] == "当前密码错误"
    weak = await town.post(
        "/auth/password", {"current_password": DEMO_PASSWORD, "new_password": "1"}
    )
    assert weak.status_code == 422
    body["current_password"] = DEMO_PASSWORD
    clock.advance(seconds=1)  # tokens carry whole seconds: this one is older than the change
    assert (await town.post("/auth/password", body)).status_code == 204
    assert (await town.get("/hazards")).status_code == 401  # the old token is cut off
    old = await client.post("/auth/token", data={"username": "daping", "password": DEMO_PASSWORD})
    assert old.status_code == 401
    new = await client.post(
        "/auth/token", data={"username": "daping", "password": body["new_password"]}
    )
    assert new.status_code == 200
