"""Guarded transitions: 409 naming the needed state, 403 for the wrong role, 404 outside scope."""

from __future__ import annotations

import pytest

from services.hazard_api.hazards.states import RULES, Action
from tests.hazard_api.lifecycle.conftest import HAZARD, Api


async def test_illegal_transition_names_the_state_it_needs(api: Api) -> None:
    ent = api.as_("hongxing")
    hid = (await ent.post("/hazards", HAZARD | {"source": "self_check"})).json()["id"]
    start = await ent.post(f"/hazards/{hid}/start-rectification", {})
    assert start.status_code == 409
    assert start.json()["detail"] == "开始整改需要隐患处于“已判定”状态，当前为“已登记”"
    report = await ent.post(
        f"/hazards/{hid}/rectification-report", {"summary": "好了", "attachment_ids": ["x"]}
    )
    assert report.status_code == 409
    assert report.json()["detail"] == "申请验收需要隐患处于“整改中”状态，当前为“已登记”"
    await ent.post(f"/hazards/{hid}/classify", {"level": "general"})
    again = await ent.post(f"/hazards/{hid}/classify", {"level": "general"})
    assert again.status_code == 409
    assert again.json()["detail"] == ("判定为一般事故隐患需要隐患处于“已登记”状态，当前为“已判定”")
    accept = await api.as_("office").post(
        f"/hazards/{hid}/acceptance", {"passed": True, "opinion": "合格"}
    )
    assert accept.status_code == 409 and "“已申请验收”" in accept.json()["detail"]


@pytest.mark.parametrize(
    ("username", "path", "body"),
    [
        ("fuxianzhang", "classify", {"level": "general"}),  # a leader watches, does not act
        ("hongxing", "acceptance", {"passed": True, "opinion": "自己验收"}),
        ("daping", "acceptance", {"passed": True, "opinion": "乡镇验收"}),
        ("hongxing", "listing", {"notice_no": "x"}),
        ("hongxing", "close", {}),
    ],
)
async def test_a_role_that_may_not_act_gets_403_on_its_own_hazards(
    api: Api, username: str, path: str, body: dict[str, object]
) -> None:
    ent = api.as_("hongxing") if username != "fuxianzhang" else api.as_("jiancheng")
    hid = (await ent.post("/hazards", HAZARD)).json()["id"]
    me = api.as_(username)
    assert (await me.get(f"/hazards/{hid}")).status_code == 200  # in scope
    response = await me.post(f"/hazards/{hid}/{path}", body)
    assert response.status_code == 403, response.text
    assert "无权" in response.json()["detail"]


async def test_outside_scope_is_404_and_looks_like_a_missing_hazard(api: Api) -> None:
    hid = (await api.as_("jiancheng").post("/hazards", HAZARD)).json()["id"]
    for username in ("daping", "hongxing", "huayu"):
        me = api.as_(username)
        for method, path, body in [
            ("get", f"/hazards/{hid}", None),
            ("get", f"/hazards/{hid}/timeline", None),
            ("post", f"/hazards/{hid}/classify", {"level": "general"}),
            ("post", f"/hazards/{hid}/acceptance", {"passed": True, "opinion": "x"}),
        ]:
            r = await (me.get(path) if method == "get" else me.post(path, body))
            assert r.status_code == 404, (username, path, r.text)
        missing = await me.get("/hazards/no-such-hazard")
        assert missing.json() == (await me.get(f"/hazards/{hid}")).json()
    # Reporting for a unit outside one's scope is refused the same way.
    assert (
        await api.as_("daping").post("/hazards", HAZARD | {"unit_id": "ent-jiancheng"})
    ).status_code == 404


async def test_integration_clients_need_the_write_scope(api: Api) -> None:
    city = api.as_("shiji")  # hazards:read only
    assert (await city.post("/hazards", HAZARD | {"unit_id": "ent-hongxing"})).status_code == 403
    assert (await city.get("/hazards")).status_code == 200


def test_every_action_has_roles_and_states() -> None:
    for action in Action:
        rule = RULES[action]
        assert rule.roles and rule.label
        assert bool(rule.from_states) is (action != Action.REPORT)  # reporting creates
