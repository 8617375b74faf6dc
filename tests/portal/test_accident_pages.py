"""The accident and 复工复产 pages over HTTP: the quick report form, the list and detail with
clocks and flags, the 四不放过 checklist whose close shows the 409 in Chinese, the acceptance
checklist of a 停产整顿 order and of a campaign's enterprise; CSRF enforced; an enterprise sees
only its own."""

from __future__ import annotations

import re
from datetime import timedelta

from services.portal.pages.report import BEIJING
from shared.clock import TestClock
from tests.hazard_api.lifecycle.test_accident_class import quick_report
from tests.hazard_api.lifecycle.test_accident_closure import APPLICATION, TEAM
from tests.hazard_api.lifecycle.test_campaign import CAMPAIGN
from tests.portal.conftest import Api, SignIn


def local(clock: TestClock, minutes_ago: int) -> str:
    return (
        (clock.now() - timedelta(minutes=minutes_ago))
        .astimezone(BEIJING)
        .strftime("%Y-%m-%dT%H:%M")
    )


FORM = {
    "place": "二号工房",
    "accident_type": "explosion",
    "account": "二号工房装药时发生爆炸",
    "measures_taken": "已疏散人员",
    "reporter_name": "李安",
    "reporter_phone": "13800001002",
    "deaths": "1",
    "missing": "0",
    "serious_injuries": "2",
    "minor_injuries": "",
    "direct_loss_yuan": "300000",
}


async def test_quick_report_detail_and_the_four_items(
    signed_in: SignIn, api: Api, clock: TestClock
) -> None:
    ent, csrf = await signed_in("hongxing")
    form = await ent.get("/accidents/new")
    assert form.status_code == 200 and "事故快报" in form.text and 'name="channel"' not in form.text
    # Without the form's token: refused, nothing reported.
    refused = await ent.post("/accidents/new", data=FORM | {"occurred_at": local(clock, 75)})
    assert refused.status_code == 403
    assert (await api.as_("hongxing").get("/accidents")).json() == []

    r = await ent.post(
        "/accidents/new", data=FORM | {"occurred_at": local(clock, 75), "csrf_token": csrf}
    )
    assert r.status_code == 303, r.text
    aid = r.headers["location"].split("/accidents/")[1].split("?")[0]
    a = (await api.as_("hongxing").get(f"/accidents/{aid}")).json()["accident"]
    assert (a["deaths"], a["serious_injuries"], a["channel"]) == (1, 2, "enterprise")
    assert a["late_minutes"] is not None  # 75 minutes: 迟报
    page = (await ent.get(r.headers["location"])).text
    assert "迟报" in page and "向设区的市级人民政府安全生产监督管理部门上报" in page
    assert "<dd>300,000元（30万元）</dd>" in page  # the loss as a clerk reads it
    assert "结案" not in page  # the enterprise may not close
    listing = (await ent.get("/accidents")).text
    assert aid in listing and "迟报" in listing

    # The county office: the close names what is missing, in Chinese, on the page.
    office, office_csrf = await signed_in("office")
    closed = await office.post(f"/accidents/{aid}/actions/close", data={"csrf_token": office_csrf})
    assert closed.status_code == 409
    assert "四不放过未落实，不能结案：事故原因未查清（调查报告）" in closed.text
    done = await office.post(
        f"/accidents/{aid}/actions/submit_investigation",
        data={
            "cause": "违规超量装药",
            "report_no": "演调〔2026〕1号",
            "evidence": "调查报告",
            "csrf_token": office_csrf,
        },
    )
    assert done.status_code == 303
    four = (await api.as_("office").get(f"/accidents/{aid}")).json()["accident"]["four_items"]
    assert [i["key"] for i in four if i["done"]] == ["cause"]
    closed = await office.post(f"/accidents/{aid}/actions/close", data={"csrf_token": office_csrf})
    said = closed.text.split('id="error">')[1].split("</p>")[0]
    assert closed.status_code == 409 and said.startswith(
        "四不放过未落实，不能结案：事故责任者未受到处理"
    )
    assert "✔ 事故原因查清（调查报告）" in closed.text

    # Another enterprise's accident is a 404 page for 华宇, and absent from its list.
    huayu, _ = await signed_in("huayu")
    assert (await huayu.get(f"/accidents/{aid}")).status_code == 404
    assert aid not in (await huayu.get("/accidents")).text


async def test_the_office_receives_a_report_by_phone(
    signed_in: SignIn, api: Api, clock: TestClock
) -> None:
    office, csrf = await signed_in("office")
    data = FORM | {
        "unit_id": "ent-jiancheng",
        "channel": "media",
        "occurred_at": local(clock, 30),
        "received_at": local(clock, 5),
        "csrf_token": csrf,
    }
    r = await office.post("/accidents/new", data=data)
    assert r.status_code == 303, r.text
    aid = r.headers["location"].split("/accidents/")[1].split("?")[0]
    a = (await api.as_("office").get(f"/accidents/{aid}")).json()["accident"]
    assert a["channel"] == "media" and a["concealment_review"] is True
    bad = await office.post("/accidents/new", data=data | {"reporter_phone": "abc"})
    assert bad.status_code == 422 and "联系电话：格式不正确" in bad.text


def checklist_form(csrf: str, *, passed: bool, failed_item: bool = False) -> dict[str, str]:
    form = {f"team_{m['unit']}": m["name"] for m in TEAM}
    for i in range(5):
        form[f"item_{i}"] = f"检查项{i}"
        form[f"standard_{i}"] = "符合要求"
        form[f"result_{i}"] = "fail" if failed_item and i == 0 else "pass"
        form[f"evidence_{i}"] = "现场核查记录"
    return form | {"passed": "yes" if passed else "no", "note": "验收意见", "csrf_token": csrf}


async def test_acceptance_checklists(signed_in: SignIn, api: Api, clock: TestClock) -> None:
    o, ent, town = api.as_("office"), api.as_("hongxing"), api.as_("daping")
    aid = (await ent.post("/accidents", quick_report(clock, deaths=1))).json()["id"]
    order = {"unit_id": "ent-hongxing", "order_no": "演应急停〔2026〕1号", "reason": "事故"}
    sid = (await o.post("/suspensions", order | {"accident_id": aid})).json()["id"]
    await ent.post(f"/suspensions/{sid}/application", APPLICATION)
    await town.post(f"/suspensions/{sid}/review", {"passed": True, "note": "材料齐全"})

    office, csrf = await signed_in("office")
    listed = (await office.get("/suspensions")).text
    name = f'href="/suspensions/{sid}" class="detail">红星烟花爆竹有限公司</a>'
    assert f'{name} <span class="badge late">停产整顿中</span>' in listed
    assert "乡镇（街道）已审核" in listed and f"/suspensions/{sid}/acceptance" in listed
    huayu, _ = await signed_in("huayu")
    assert "红星烟花爆竹有限公司" not in (await huayu.get("/suspensions")).text
    url = f"/suspensions/{sid}/acceptance"
    early = await office.post(f"/suspensions/{sid}/resume", data={"csrf_token": csrf})
    assert early.status_code == 409 and "该企业尚未通过复工复产验收，不得恢复生产" in early.text
    page = await office.get(url)
    assert page.status_code == 200 and "乡镇（街道）已审核" in page.text
    r = await office.post(url, data=checklist_form(csrf, passed=True, failed_item=True))
    assert r.status_code == 422 and "验收清单有不合格项，不能同意复产：检查项0" in r.text
    assert (await office.post(url, data=checklist_form("forged", passed=True))).status_code == 403
    r = await office.post(url, data=checklist_form(csrf, passed=True))
    assert r.status_code == 303
    assert (await o.get(f"/suspensions/{sid}")).json()["status"] == "accepted"
    assert "同意复产" in (await office.get(url)).text
    resumed = await office.post(f"/suspensions/{sid}/resume", data={"csrf_token": csrf})
    assert resumed.status_code == 303
    assert (await o.get(f"/suspensions/{sid}")).json()["status"] == "resumed"
    assert (await o.get("/units/ent-hongxing")).json()["status"] == "operating"

    cid = (await o.post("/campaigns", CAMPAIGN)).json()["id"]
    overview = (await office.get(f"/campaigns/{cid}")).text
    # 金龙鞭炮厂 is under the demo county's 停产整顿 order: not on the campaign's lists.
    assert "大坪乡：红星烟花爆竹有限公司、石峰石灰石矿" in overview
    url = f"/campaigns/{cid}/enterprises/ent-shifeng/acceptance"
    assert (await office.post(url, data=checklist_form(csrf, passed=True))).status_code == 303
    rows = (await o.get(f"/campaigns/{cid}/enterprises", params={"status": "accepted"})).json()
    assert [e["unit_id"] for e in rows] == ["ent-shifeng"]
    assert "大坪乡：红星烟花爆竹有限公司</li>" in (await office.get(f"/campaigns/{cid}")).text
    # The enterprise sees its own row only; another's acceptance page is a 404.
    hongxing, _ = await signed_in("hongxing")
    mine = (await hongxing.get(f"/campaigns/{cid}")).text
    assert "红星烟花爆竹有限公司" in mine and "石峰石灰石矿" not in mine
    assert (await hongxing.get(url)).status_code == 404


async def test_follow_ups_and_the_sign_off_of_each_report(
    signed_in: SignIn, api: Api, clock: TestClock
) -> None:
    """The enterprise files a 续报 from the detail page; the township reviews (核稿) and the
    county office issues (签发) the quick report, which starts counting as reported upward;
    the one account that reviewed a report may not issue it (hazard_api's 409, in words)."""
    ent, csrf = await signed_in("hongxing")
    r = await ent.post(
        "/accidents/new", data=FORM | {"occurred_at": local(clock, 30), "csrf_token": csrf}
    )
    aid = r.headers["location"].split("/accidents/")[1].split("?")[0]
    page = (await ent.get(f"/accidents/{aid}")).text
    assert "续报或补报" in page and "快报" in page and "拟稿，待核稿" in page
    assert 'id="review-1"' not in page  # an enterprise neither reviews nor issues
    follow_up = {
        "kind": "follow_up",
        "account": "一名重伤人员经抢救无效死亡",
        "reporter_name": "李安",
        "reporter_phone": "13800001002",
        "deaths": "2",
    }
    assert (await ent.post(f"/accidents/{aid}/reports", data=follow_up)).status_code == 403
    typo = await ent.post(
        f"/accidents/{aid}/reports", data=follow_up | {"deaths": "两人", "csrf_token": csrf}
    )
    assert typo.status_code == 422 and "死亡人数须为0至100000之间的整数（人）" in typo.text
    assert len((await api.as_("hongxing").get(f"/accidents/{aid}")).json()["reports"]) == 1
    filed = await ent.post(f"/accidents/{aid}/reports", data=follow_up | {"csrf_token": csrf})
    assert filed.status_code == 303, filed.text
    d = (await api.as_("hongxing").get(f"/accidents/{aid}")).json()
    assert [(x["kind"], x["signoff"]) for x in d["reports"]] == [
        ("first", "drafted"),
        ("follow_up", "drafted"),
    ]
    assert d["accident"]["deaths"] == 2
    first, second = (x["id"] for x in d["reports"])
    assert "续报" in (await ent.get(f"/accidents/{aid}")).text

    town, town_csrf = await signed_in("daping")
    page = (await town.get(f"/accidents/{aid}")).text
    assert 'id="review-1"' in page and 'id="issue-1"' not in page
    reviewed = await town.post(
        f"/accidents/{aid}/reports/{first}/review", data={"csrf_token": town_csrf}
    )
    assert reviewed.status_code == 303, reviewed.text
    page = (await town.get(f"/accidents/{aid}")).text
    assert "已核稿，待签发" in page and 'id="issue-1"' not in page  # a township may not issue

    office, office_csrf = await signed_in("office")
    assert 'id="issue-1"' in (await office.get(f"/accidents/{aid}")).text
    issued = await office.post(
        f"/accidents/{aid}/reports/{first}/issue", data={"csrf_token": office_csrf}
    )
    assert issued.status_code == 303, issued.text
    d = (await api.as_("office").get(f"/accidents/{aid}")).json()
    assert d["reports"][0]["signoff"] == "issued" and d["reports"][0]["issued_at"]
    page = (await office.get(f"/accidents/{aid}")).text
    assert "已签发" in page
    # 办理记录: each step of the accident's audit chain, in words, with who acted.
    history = page.split('id="history"')[1]
    steps = re.findall(r"<li><time>[^<]+</time> (.*?)</li>", history)
    assert steps == [
        "接报事故（快报）（生产经营单位）",
        "续报、补报（生产经营单位）",
        "核稿（乡镇（街道））",
        "签发报告（向上报告）（县安委办）",
    ], steps

    await office.post(f"/accidents/{aid}/reports/{second}/review", data={"csrf_token": office_csrf})
    same = await office.post(
        f"/accidents/{aid}/reports/{second}/issue", data={"csrf_token": office_csrf}
    )
    assert same.status_code == 409 and "核稿人与签发人不能为同一账号" in same.text
    unknown = await office.post(
        f"/accidents/{aid}/reports/{second}/approve", data={"csrf_token": office_csrf}
    )
    assert unknown.status_code == 404 and "不支持的操作" in unknown.text
