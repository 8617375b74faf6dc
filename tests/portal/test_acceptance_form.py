"""The 复工复产验收 checklist page: a refused form comes back exactly as typed (停产整顿 and a
campaign's enterprise alike), the decision is never a silent default, and a refusal counts the
team in people."""

from __future__ import annotations

from shared.clock import TestClock
from tests.hazard_api.lifecycle.test_accident_class import quick_report
from tests.hazard_api.lifecycle.test_accident_closure import APPLICATION
from tests.portal.conftest import Api, SignIn
from tests.portal.test_accident_pages import checklist_form
from tests.portal.test_form_messages import alert


async def reviewed_suspension(api: Api, clock: TestClock) -> str:
    """A 停产整顿 order of 红星 the township has reviewed: waiting for the acceptance team."""
    o, ent = api.as_("office"), api.as_("hongxing")
    aid = (await ent.post("/accidents", quick_report(clock, deaths=1))).json()["id"]
    order = {"unit_id": "ent-hongxing", "order_no": "演应急停〔2026〕1号", "reason": "事故"}
    sid: str = (await o.post("/suspensions", order | {"accident_id": aid})).json()["id"]
    await ent.post(f"/suspensions/{sid}/application", APPLICATION)
    await api.as_("daping").post(f"/suspensions/{sid}/review", {"passed": True, "note": "材料齐全"})
    return sid


async def test_a_missing_team_is_counted_in_people(
    signed_in: SignIn, api: Api, clock: TestClock
) -> None:
    sid = await reviewed_suspension(api, clock)
    office, csrf = await signed_in("office")
    form = checklist_form(csrf, passed=True) | {f"team_{u}": "" for u in ("department", "township")}
    refused = await office.post(f"/suspensions/{sid}/acceptance", data=form)
    assert refused.status_code == 422
    assert alert(refused.text) == "验收人员：至少须有3人"
    assert (await api.as_("office").get(f"/suspensions/{sid}")).json()["acceptances"] == []
