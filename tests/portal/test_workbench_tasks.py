"""我的待办 on the county office's 工作台: each task links to the page of what it is about — a
停产整顿 order's steps to the order, a campaign's 催办 to the campaign, a hazard's proposal to
the hazard — and a failed notice or a reporting alert, which may be about any of these,
through `/tasks/subject/…`, which asks hazard_api which one it is."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI

from shared.clock import TestClock
from tests.hazard_api.lifecycle.test_accident_class import quick_report
from tests.hazard_api.lifecycle.test_accident_closure import APPLICATION
from tests.hazard_api.lifecycle.test_campaign import CAMPAIGN
from tests.portal.conftest import HAZARD, Api, SignIn
from tests.portal.supervision import (  # noqa: F401  (fixtures)
    Supervision,
    escalation_app,
    full_portal,
    notification_app,
    supervised_portal,
    supervision,
)

ORDER = {"unit_id": "ent-shifeng", "order_no": "演应急停〔2027〕5号", "reason": "越界开采"}


@pytest.fixture
def portal_app(supervised_portal: FastAPI) -> FastAPI:  # noqa: F811
    return supervised_portal


def task_links(html: str) -> dict[str, str]:
    """The 我的待办 list: task title → the link's target."""
    section = html.split('id="tasks"', 1)[1]
    rows = re.findall(r'<li><a href="([^"]+)">[^<]*</a>：(.+)</li>', section)
    return {title: href for href, title in rows}


async def test_an_orders_and_a_campaigns_tasks_open_their_own_pages(
    signed_in: SignIn,
    api: Api,
    supervision: Supervision,  # noqa: F811
) -> None:
    o = api.as_("office")
    sid = (await o.post("/suspensions", ORDER)).json()["id"]
    r = await o.post(f"/suspensions/{sid}/application", APPLICATION)
    assert r.status_code == 200, r.text
    cid = (await o.post("/campaigns", CAMPAIGN)).json()["id"]
    assert (await o.post(f"/campaigns/{cid}/reminders", {})).status_code == 200
    await supervision.feed_escalation(("suspension.", "campaign."))

    office, _ = await signed_in("office")
    links = task_links((await office.get("/")).text)
    [order_task] = [t for t in links if "已申请复工复产" in t]
    assert links[order_task] == f"/suspensions/{sid}"
    campaign_tasks = [href for t, href in links.items() if t.startswith("复工复产验收：")]
    assert campaign_tasks and set(campaign_tasks) == {f"/campaigns/{cid}"}
    order_page = await office.get(links[order_task])
    assert order_page.status_code == 200 and ORDER["order_no"] in order_page.text
    campaign_page = await office.get(f"/campaigns/{cid}")
    assert campaign_page.status_code == 200 and "演安委〔2027〕2号" in campaign_page.text


async def test_a_failed_notices_task_finds_the_page_of_what_it_was_about(
    signed_in: SignIn, api: Api, clock: TestClock, portal_app: FastAPI
) -> None:
    hid = (await api.as_("hongxing").post("/hazards", HAZARD)).json()["id"]
    aid = (await api.as_("hongxing").post("/accidents", quick_report(clock, deaths=1))).json()["id"]
    office, _ = await signed_in("office")
    sid = (await api.as_("office").post("/suspensions", ORDER)).json()["id"]
    cid = (await api.as_("office").post("/campaigns", CAMPAIGN)).json()["id"]
    for item, page in (
        (hid, f"/hazards/{hid}"),
        (aid, f"/accidents/{aid}"),
        (sid, f"/suspensions/{sid}"),
        (cid, f"/campaigns/{cid}"),
    ):
        r = await office.get(f"/tasks/subject/{item}?kind=notice_undelivered")
        assert (r.status_code, r.headers["location"]) == (303, page)
    r = await office.get("/tasks/subject/quarterly-2026Q4?kind=reporting_alert")
    assert (r.status_code, r.headers["location"]) == (303, "/reporting")
    r = await office.get("/tasks/subject/no-such-item?kind=notice_undelivered")
    assert r.status_code == 404 and "待办所涉事项不存在，或不在您的查看范围内" in r.text
