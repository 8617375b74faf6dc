"""The 停产整顿 pages: the order form (责令停产停业整顿) for the roles with the order right only,
an order's page with the application (申请复工复产) and the township's review offered as
hazard_api's `allowed_actions` says, and every refused form shown again exactly as typed."""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import Any

from services.hazard_api.suspensions.states import RULES, Action
from services.portal.pages.suspensions import ORDER_ROLES
from shared.clock import TestClock
from shared.labels import beijing_time
from tests.hazard_api.lifecycle.test_accident_class import quick_report
from tests.hazard_api.lifecycle.test_accident_closure import APPLICATION
from tests.portal.conftest import Api, SignIn
from tests.portal.test_form_messages import alert

ORDER = {"order_no": "演应急停〔2026〕3号", "reason": "发生一般生产安全事故，责令停产整顿"}


def shown(page: str, form_id: str) -> dict[str, str]:
    """The form's fields as the page fills them: inputs' values, checked radios, textareas."""
    form = page.split(f'id="{form_id}"')[1].split("</form>")[0]
    values = {}
    for tag in re.findall(r"<input [^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if name is None or name[1] == "csrf_token":
            continue
        value = re.search(r'value="([^"]*)"', tag)
        if 'type="radio"' in tag:
            if " checked" in tag and value:
                values[name[1]] = value[1]
        else:
            values[name[1]] = value[1] if value else ""
    values |= dict(re.findall(r'<textarea name="([^"]+)"[^>]*>([^<]*)</textarea>', form))
    return {k: html.unescape(v) for k, v in values.items()}


def test_the_order_form_is_offered_to_the_roles_hazard_api_lets_order() -> None:
    """An order not yet made has no `allowed_actions`: the portal's roles are its rule's."""
    assert {role.value for role in RULES[Action.ORDER].roles} == ORDER_ROLES


async def orders_of(api: Api, unit_id: str) -> list[dict[str, Any]]:
    """The orders of one enterprise (the demo county's 金龙鞭炮厂 is under its own order)."""
    rows = (await api.as_("office").get("/suspensions")).json()
    return [r for r in rows if r["unit_id"] == unit_id]


async def test_the_walk_from_the_order_to_the_acceptance(
    signed_in: SignIn, api: Api, clock: TestClock
) -> None:
    """The county office orders from the accident's page, the enterprise applies, the township
    reviews; the list links the order's page, which then offers the acceptance team's checklist."""
    aid = (await api.as_("hongxing").post("/accidents", quick_report(clock, deaths=1))).json()["id"]
    office, office_csrf = await signed_in("office")
    accident = (await office.get(f"/accidents/{aid}")).text
    assert f'href="/suspensions/new?accident_id={aid}"' in accident
    blank = await office.get(f"/suspensions/new?accident_id={aid}")
    assert shown(blank.text, "order-form") == {
        "unit": "红星烟花爆竹有限公司（ent-hongxing）",
        "order_no": "",
        "accident_id": aid,
        "reason": "",
    }
    form = shown(blank.text, "order-form") | ORDER | {"csrf_token": office_csrf}
    ordered = await office.post("/suspensions/new", data=form)
    assert ordered.status_code == 303, ordered.text
    url = ordered.headers["location"].split("?")[0]
    sid = url.removeprefix("/suspensions/")
    s = (await api.as_("office").get(f"/suspensions/{sid}")).json()
    assert (s["unit_id"], s["order_no"], s["accident_id"]) == (
        "ent-hongxing",
        ORDER["order_no"],
        aid,
    )
    listing = (await office.get("/suspensions")).text
    assert f'href="{url}" class="detail">红星烟花爆竹有限公司' in listing
    page = (await office.get(url)).text
    for said in (ORDER["order_no"], ORDER["reason"], f'href="/accidents/{aid}"', "停产整顿中"):
        assert said in page, said
    # The accident's page now shows the order instead of offering a second one.
    accident = (await office.get(f"/accidents/{aid}")).text
    assert 'id="order-suspension"' not in accident
    assert f'<a href="{url}">查看停产整顿</a>' in accident and ORDER["order_no"] in accident

    ent, ent_csrf = await signed_in("hongxing")
    page = (await ent.get(url)).text
    assert shown(page, "apply-form") == dict.fromkeys(APPLICATION, "")
    assert 'id="review-form"' not in page
    applied = await ent.post(f"{url}/application", data=APPLICATION | {"csrf_token": ent_csrf})
    assert applied.status_code == 303, applied.text
    page = (await ent.get(url)).text
    assert 'id="apply-form"' not in page
    applied_at = (await api.as_("office").get(f"/suspensions/{sid}")).json()["applied_at"]
    assert f'<dd id="applied-at">{beijing_time(datetime.fromisoformat(applied_at))}</dd>' in page
    for key, value in APPLICATION.items():
        assert f'<dd data-record="{key}">{value}</dd>' in page

    town, town_csrf = await signed_in("daping")
    page = (await town.get(url)).text
    assert shown(page, "review-form") == {"note": ""}  # 同意 or 不同意 is chosen, never a default
    form = {"passed": "yes", "note": "材料齐全，提请验收", "csrf_token": town_csrf}
    assert (await town.post(f"{url}/review", data=form)).status_code == 303
    s = (await api.as_("office").get(f"/suspensions/{sid}")).json()
    assert (s["status"], s["review"]["passed"]) == ("reviewed", True)
    assert "材料齐全，提请验收" in (await town.get(url)).text
    page = (await office.get(url)).text
    assert f'href="{url}/acceptance" class="button accept">复工复产验收' in page


async def test_a_township_that_disagrees_sends_the_order_back(signed_in: SignIn, api: Api) -> None:
    """不同意: the order is 停产整顿中 again and the enterprise applies again, from its first
    application."""
    sid = (
        await api.as_("office").post("/suspensions", ORDER | {"unit_id": "ent-hongxing"})
    ).json()["id"]
    await api.as_("hongxing").post(f"/suspensions/{sid}/application", APPLICATION)
    town, csrf = await signed_in("daping")
    form = {"passed": "no", "note": "演练记录不全", "csrf_token": csrf}
    assert (await town.post(f"/suspensions/{sid}/review", data=form)).status_code == 303
    ent, _ = await signed_in("hongxing")
    page = (await ent.get(f"/suspensions/{sid}")).text
    assert '<dd id="review-result">不同意</dd>' in page
    assert shown(page, "apply-form") == APPLICATION


async def test_refused_forms_come_back_as_typed(signed_in: SignIn, api: Api) -> None:
    office, csrf = await signed_in("office")
    # hazard_api's 422, named by the field's label.
    typed = {"unit": "红星烟花爆竹有限公司", "order_no": "  ", "reason": '超量"储存" & <违规>'}
    refused = await office.post("/suspensions/new", data=typed | {"csrf_token": csrf})
    assert refused.status_code == 422
    assert alert(refused.text) == "文号：不能为空"
    assert shown(refused.text, "order-form") == typed
    # The portal's own refusal: a name no enterprise in scope has.
    typed = {"unit": "不存在的企业", "order_no": "演应急停〔2026〕4号", "reason": "事故"}
    refused = await office.post("/suspensions/new", data=typed | {"csrf_token": csrf})
    assert refused.status_code == 422
    assert alert(refused.text).startswith("未找到名称含「不存在的企业」的单位")
    assert shown(refused.text, "order-form") == typed
    assert await orders_of(api, "ent-hongxing") == []

    sid = (
        await api.as_("office").post("/suspensions", ORDER | {"unit_id": "ent-hongxing"})
    ).json()["id"]
    # A second order while the first is open: hazard_api's 409 in words.
    typed = {"unit": "红星烟花爆竹有限公司（ent-hongxing）"} | ORDER
    refused = await office.post("/suspensions/new", data=typed | {"csrf_token": csrf})
    assert refused.status_code == 409
    assert alert(refused.text) == "该企业已在停产整顿中"
    assert shown(refused.text, "order-form") == typed

    ent, ent_csrf = await signed_in("hongxing")
    typed = APPLICATION | {"training_records": " ", "drill_records": "演练<记录> & 照片"}
    refused = await ent.post(
        f"/suspensions/{sid}/application", data=typed | {"csrf_token": ent_csrf}
    )
    assert refused.status_code == 422
    assert alert(refused.text) == "培训记录：不能为空"
    assert shown(refused.text, "apply-form") == typed
    assert (await api.as_("office").get(f"/suspensions/{sid}")).json()["application"] is None

    await api.as_("hongxing").post(f"/suspensions/{sid}/application", APPLICATION)
    town, town_csrf = await signed_in("daping")
    undecided = {"note": "材料基本齐全"}
    refused = await town.post(
        f"/suspensions/{sid}/review", data=undecided | {"csrf_token": town_csrf}
    )
    assert refused.status_code == 422
    assert alert(refused.text) == "审核结论：请选择同意或不同意"
    assert shown(refused.text, "review-form") == undecided
    silent = {"passed": "no", "note": " "}
    refused = await town.post(f"/suspensions/{sid}/review", data=silent | {"csrf_token": town_csrf})
    assert alert(refused.text) == "审核意见：不能为空"
    assert shown(refused.text, "review-form") == {"passed": "no", "note": " "}
    assert (await api.as_("office").get(f"/suspensions/{sid}")).json()["status"] == "applied"


async def test_only_accounts_with_the_right_are_offered_the_forms(
    signed_in: SignIn, api: Api, clock: TestClock
) -> None:
    """The order form for the county office and a department; the application and the review
    only where hazard_api's `allowed_actions` has them."""
    aid = (await api.as_("hongxing").post("/accidents", quick_report(clock, deaths=1))).json()["id"]
    offers = {}
    for user in ("office", "zhujian", "daping", "hongxing"):
        browser, csrf = await signed_in(user)
        listing = (await browser.get("/suspensions")).text
        form = await browser.get("/suspensions/new")
        offers[user] = (
            'id="new-order"' in listing,
            form.status_code,
            'id="order-form"' in form.text,
        )
        if user in ("daping", "hongxing"):
            accident = (await browser.get(f"/accidents/{aid}")).text
            assert 'id="order-suspension"' not in accident
            sent = await browser.post(
                "/suspensions/new",
                data={"unit": "ent-hongxing", "csrf_token": csrf} | ORDER,
            )
            assert sent.status_code == 403 and "无权责令停产停业整顿" in alert(sent.text)
    assert offers == {
        "office": (True, 200, True),
        "zhujian": (True, 200, True),
        "daping": (False, 403, False),
        "hongxing": (False, 403, False),
    }
    assert await orders_of(api, "ent-hongxing") == []

    sid = (
        await api.as_("office").post("/suspensions", ORDER | {"unit_id": "ent-hongxing"})
    ).json()["id"]

    async def forms() -> dict[str, list[str]]:
        said = {}
        for user in ("office", "daping", "hongxing"):
            page = (await (await signed_in(user))[0].get(f"/suspensions/{sid}")).text
            said[user] = [f for f in ("apply-form", "review-form") if f'id="{f}"' in page]
        return said

    # 停产整顿中: the application, for the enterprise, its township and the county office.
    assert await forms() == {
        "office": ["apply-form"],
        "daping": ["apply-form"],
        "hongxing": ["apply-form"],
    }
    await api.as_("hongxing").post(f"/suspensions/{sid}/application", APPLICATION)
    # 已申请: the review, for the township and the county office only.
    assert await forms() == {
        "office": ["review-form"],
        "daping": ["review-form"],
        "hongxing": [],
    }
