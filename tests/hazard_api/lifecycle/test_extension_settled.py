"""A pending 延期 request is settled by the transition that ends the rectification order it
would extend (作废, 申请验收, 改判): withdrawn with its reason, on the audit row and the
timeline, gone from 待审批延期, from the hazard and from the event escalation chases on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest

from shared.contract import HazardEvent
from tests.hazard_api.lifecycle.conftest import HAZARD, Api, EventsLoader


async def _void(api: Api, hid: str) -> httpx.Response:
    return await api.as_("office").post(f"/hazards/{hid}/void", {"reason": "重复登记"})


async def _report(api: Api, hid: str) -> httpx.Response:
    ent = api.as_("hongxing")
    photo = (await ent.upload(hid, purpose="acceptance")).json()
    body = {"summary": "已整改完成", "attachment_ids": [photo["id"]]}
    return await ent.post(f"/hazards/{hid}/rectification-report", body)


async def _reclassify(api: Api, hid: str) -> httpx.Response:
    major = {"level": "major", "grade": 3, "criterion_id": "YH-05", "reason": "复核为重大"}
    return await api.as_("office").post(f"/hazards/{hid}/reclassify", major)


Transition = Callable[[Api, str], Awaitable[httpx.Response]]
CASES = [
    (_void, "hazard.voided", "隐患已作废，待审批的延期申请自动撤回"),
    (_report, "hazard.rectification_reported", "已申请验收，待审批的延期申请自动撤回"),
    (
        _reclassify,
        "hazard.reclassified",
        "隐患已改判并重新确定整改期限，待审批的延期申请自动撤回",
    ),
]


@pytest.mark.parametrize(
    ("transition", "event", "reason"), CASES, ids=["void", "report", "reclassify"]
)
async def test_the_transition_withdraws_the_pending_extension_request(
    api: Api, outbox_events: EventsLoader, transition: Transition, event: str, reason: str
) -> None:
    ent, office = api.as_("hongxing"), api.as_("office")
    hid = (await ent.post("/hazards", HAZARD)).json()["id"]
    await office.post(f"/hazards/{hid}/classify", {"level": "general", "deadline_days": 30})
    await ent.post(f"/hazards/{hid}/start-rectification", {})
    refused = (await ent.post(f"/hazards/{hid}/extensions", {"reason": "雨季", "days": 5})).json()
    no = {"approve": False, "opinion": "理由不充分"}
    await office.post(f"/hazards/{hid}/extensions/{refused['id']}/decision", no)
    asked = await ent.post(f"/hazards/{hid}/extensions", {"reason": "设备到货延迟", "days": 10})
    assert asked.status_code == 201, asked.text
    queue = {"extension_pending": "true"}
    assert hid in [h["id"] for h in (await office.get("/hazards", params=queue)).json()["items"]]

    done = await transition(api, hid)
    assert done.status_code == 200, done.text
    pending = (await office.get("/hazards", params=queue)).json()["items"]
    assert hid not in [h["id"] for h in pending]
    # The decided request keeps its decision; only the pending one is withdrawn.
    earlier, ext = (await office.get(f"/hazards/{hid}")).json()["extensions"]
    assert (earlier["status"], earlier["opinion"]) == ("rejected", "理由不充分")
    assert (ext["status"], ext["status_label"], ext["opinion"]) == (
        "withdrawn",
        "已自动撤回",
        reason,
    )
    assert ext["decided_at"] is not None
    # Audited with the transition itself (one row), and shown on the timeline.
    audit = (await office.get(f"/hazards/{hid}/audit")).json()
    assert audit[-1]["action"] == event
    timeline = (await office.get(f"/hazards/{hid}/timeline")).json()
    [entry] = [t for t in timeline if t["detail"].get("action") == event]
    assert entry["summary"].endswith(f"；{reason}")
    # The event escalation takes the facts from: the decision chase's anchor is gone.
    events = [HazardEvent.model_validate(e.payload) for e in await outbox_events(hid)]
    assert [e.facts.extension_requested_at for e in events if e.event.value == event] == [None]
    # Nothing is left to decide.
    decided = await office.post(
        f"/hazards/{hid}/extensions/{ext['id']}/decision", {"approve": True, "opinion": "同意"}
    )
    assert decided.status_code == 409
