"""The 复工复产验收 checklist page: a refused form comes back exactly as typed (停产整顿 and a
campaign's enterprise alike), the decision is never a silent default, and a refusal counts the
team in people."""

from __future__ import annotations

import html
import re

import httpx

from shared.clock import TestClock
from tests.hazard_api.lifecycle.test_accident_class import quick_report
from tests.hazard_api.lifecycle.test_accident_closure import APPLICATION
from tests.hazard_api.lifecycle.test_campaign import CAMPAIGN
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


def typed(csrf: str) -> dict[str, str]:
    """The defect's form: the team filled, item 4 不合格, 不同意复产, a note, item 3's evidence
    left empty; two of a row's texts changed from the page's own (one with characters HTML
    escapes)."""
    return checklist_form(csrf, passed=False) | {
        "item_1": "全员安全培训（补训）",
        "standard_1": '"合格率" > 95% & <考核>',
        "result_3": "fail",
        "evidence_2": "",
        "note": "应急演练记录不全，不同意复产",
    }


def shown(page: str) -> dict[str, str]:
    """The checklist form's fields as the page fills them: inputs' values, each select's
    selected option ("" when none is), the note's text."""
    form = page.split('id="checklist"')[1].split("</form>")[0]
    values = dict(re.findall(r'<input name="([^"]+)" value="([^"]*)"', form))
    for name, options in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', form):
        chosen = re.findall(r'<option value="([^"]*)" selected>', options)
        assert len(chosen) <= 1, options
        values[name] = chosen[0] if chosen else ""
    values["note"] = re.findall(r'<textarea name="note"[^>]*>([^<]*)</textarea>', form)[0]
    return {k: html.unescape(v) for k, v in values.items()}


async def refused_as_typed(office: httpx.AsyncClient, url: str, csrf: str) -> None:
    form = typed(csrf)
    refused = await office.post(url, data=form)
    assert refused.status_code == 422, refused.text
    assert alert(refused.text) == "验收清单（第3项）佐证：不能为空"
    assert shown(refused.text) == {k: v for k, v in form.items() if k != "csrf_token"}


async def test_a_refused_suspension_acceptance_comes_back_as_typed(
    signed_in: SignIn, api: Api, clock: TestClock
) -> None:
    sid = await reviewed_suspension(api, clock)
    office, csrf = await signed_in("office")
    url = f"/suspensions/{sid}/acceptance"
    await refused_as_typed(office, url, csrf)
    assert (await api.as_("office").get(f"/suspensions/{sid}")).json()["acceptances"] == []


async def test_a_refused_campaign_acceptance_comes_back_as_typed(
    signed_in: SignIn, api: Api
) -> None:
    cid = (await api.as_("office").post("/campaigns", CAMPAIGN)).json()["id"]
    office, csrf = await signed_in("office")
    await refused_as_typed(office, f"/campaigns/{cid}/enterprises/ent-shifeng/acceptance", csrf)
    rows = (await api.as_("office").get(f"/campaigns/{cid}/enterprises")).json()
    assert [e["status"] for e in rows if e["unit_id"] == "ent-shifeng"] == ["pending"]


async def test_the_decision_is_chosen_never_a_default(
    signed_in: SignIn, api: Api, clock: TestClock
) -> None:
    """A new checklist offers no decision and asks for the team and every piece of evidence;
    a form sent without a decision is refused, not recorded as either."""
    sid = await reviewed_suspension(api, clock)
    office, csrf = await signed_in("office")
    url = f"/suspensions/{sid}/acceptance"
    blank = (await office.get(url)).text
    values = shown(blank)
    assert values["passed"] == "" and values["result_3"] == "pass"
    assert values["item_0"] == "复工复产方案" and values["evidence_0"] == ""
    form = blank.split('id="checklist"')[1]
    assert '<select name="passed" required>' in form
    for name in ("evidence_0", "evidence_4", "team_emergency", "team_township"):
        assert re.search(rf'<input name="{name}" value="[^"]*" required', form), name
    undecided = checklist_form(csrf, passed=True) | {"passed": ""}
    refused = await office.post(url, data=undecided)
    assert refused.status_code == 422
    assert alert(refused.text) == "验收结论：请选择同意复产或不同意复产"
    assert shown(refused.text)["evidence_0"] == "现场核查记录"
    assert (await api.as_("office").get(f"/suspensions/{sid}")).json()["acceptances"] == []


def row_actions(listing: str, sid: str) -> list[str]:
    """The actions the /suspensions row of the order offers, by their words."""
    row = listing.split(f'<tr data-id="{sid}">')[1].split("</tr>")[0]
    return re.findall(r"<(?:a|button)[^>]*>(复工复产验收|恢复生产)</", row)


def page_actions(page: str) -> list[str]:
    """What the acceptance page offers: the checklist form, the 恢复生产 button."""
    return [
        name
        for key, name in (('id="checklist"', "验收清单"), ('id="resume"', "恢复生产"))
        if key in page
    ]


async def test_the_suspension_pages_offer_only_what_the_api_allows(
    signed_in: SignIn, api: Api, clock: TestClock
) -> None:
    """The list and the acceptance page offer the acceptance and 恢复生产 only to the roles
    and in the states hazard_api allows them (its `allowed_actions`)."""
    o, ent = api.as_("office"), api.as_("hongxing")
    aid = (await ent.post("/accidents", quick_report(clock, deaths=1))).json()["id"]
    order = {"unit_id": "ent-hongxing", "order_no": "演应急停〔2026〕1号", "reason": "事故"}
    sid = (await o.post("/suspensions", order | {"accident_id": aid})).json()["id"]
    browsers = {user: await signed_in(user) for user in ("office", "daping", "hongxing")}
    url = f"/suspensions/{sid}/acceptance"

    async def offered() -> dict[str, tuple[list[str], list[str]]]:
        said = {}
        for user, (browser, _) in browsers.items():
            listing, page = (await browser.get("/suspensions")).text, (await browser.get(url)).text
            said[user] = (row_actions(listing, sid), page_actions(page))
        return said

    nothing: tuple[list[str], list[str]] = ([], [])
    # 停产整顿中 (before the application and the township's review): neither, for anyone.
    assert await offered() == {"office": nothing, "daping": nothing, "hongxing": nothing}
    await ent.post(f"/suspensions/{sid}/application", APPLICATION)
    await api.as_("daping").post(f"/suspensions/{sid}/review", {"passed": True, "note": "齐"})
    # 乡镇（街道）已审核: the acceptance team's checklist, for the county office only.
    assert await offered() == {
        "office": (["复工复产验收"], ["验收清单"]),
        "daping": nothing,
        "hongxing": nothing,
    }
    office, csrf = browsers["office"]
    assert (await office.post(url, data=checklist_form(csrf, passed=True))).status_code == 303
    # 验收合格: 恢复生产, for the county office only; no second checklist.
    assert await offered() == {
        "office": (["恢复生产"], ["恢复生产"]),
        "daping": nothing,
        "hongxing": nothing,
    }
    listing = (await office.get("/suspensions")).text
    assert f'action="/suspensions/{sid}/resume"' in listing
    resumed = await office.post(f"/suspensions/{sid}/resume", data={"csrf_token": csrf})
    assert resumed.status_code == 303
    # 已复工复产: nothing left to do; the records stay readable from the list.
    assert await offered() == {"office": nothing, "daping": nothing, "hongxing": nothing}
    mine = (await browsers["hongxing"][0].get("/suspensions")).text
    assert f'href="{url}" class="records">验收记录' in mine
    assert "本账号没有可办理的复工复产验收事项" in (await browsers["hongxing"][0].get(url)).text
