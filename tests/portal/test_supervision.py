"""督办看板, 通知记录 and 升级策略 over the three services: who sees them, an unsigned leader
marked on the board, 签收 from the portal reaching notification, CSRF on the 签收 form."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.portal.conftest import HAZARD, Api, SignIn
from tests.portal.supervision import (  # noqa: F401  (fixtures)
    Supervision,
    escalation_app,
    full_portal,
    notification_app,
    overdue_hazard,
    supervised_portal,
    supervision,
)

LEADER, FIRM = ("p-chenweidong", "陈卫东"), ("p-hongxing-2", "李安")


@pytest.fixture
def portal_app(supervised_portal: FastAPI) -> FastAPI:  # noqa: F811
    return supervised_portal


async def told(api: Api, supervision: Supervision) -> tuple[dict[str, Any], str, str]:  # noqa: F811
    h = await overdue_hazard(api, supervision, HAZARD)
    leader = await supervision.notice(h, *LEADER, "county.portfolio_leader")
    firm = await supervision.notice(h, *FIRM, "enterprise.safety_manager", channel="email")
    return h, leader, firm


def board_row(html: str, hid: str) -> str:
    match = re.search(rf'<tr data-id="{hid}"[^>]*>.*?</tr>', html, re.S)
    assert match, html
    return match.group(0)


async def api_notices(supervision: Supervision, api: Api, hid: str) -> dict[str, Any]:  # noqa: F811
    transport = httpx.ASGITransport(app=supervision.notification)
    async with httpx.AsyncClient(transport=transport, base_url="http://n") as c:
        rows = (
            await c.get("/notices", params={"hazard_id": hid}, headers=api.headers["office"])
        ).json()
    return {r["person_id"]: r for r in rows}


async def test_the_board_marks_a_leader_who_has_not_signed(
    signed_in: SignIn,
    api: Api,
    supervision: Supervision,  # noqa: F811
) -> None:
    h, _, firm = await told(api, supervision)
    for username in ("office", "fuxianzhang"):
        browser, _ = await signed_in(username)
        board = await browser.get("/board")
        assert board.status_code == 200, board.text
        if username == "fuxianzhang":  # 红星 is not in this 副县长's portfolio (hazard_api)
            assert h["id"] not in board.text
            continue
        row = board_row(board.text, h["id"])
        assert 'class="leader-unacked"' in row and "陈卫东（县分管领导）：<strong>领导未签收" in row
        assert "李安" in row and "未签收" in row and "已到：" in row
        assert "有 1 位领导尚未签收督办通知" in board.text
        assert re.search(
            r"<td>大坪乡</td><td><a href=\"[^\"]*township_id=tw-daping\">1</a>", board.text
        )
        assert "应急管理局" in board.text and "公安局" in board.text

    # The firm signs; the board still marks the leader; the leader signs: no mark left.
    ent, csrf = await signed_in("hongxing")
    signed = await ent.post(f"/notices/{firm}/ack", headers={"X-CSRF-Token": csrf})
    assert signed.status_code == 303
    office, _ = await signed_in("office")
    row = board_row((await office.get("/board")).text, h["id"])
    assert "李安（企业安全管理人员）：已签收" in row and "leader-unacked" in row
    leader, csrf = await signed_in("fuxianzhang")
    [mine] = re.findall(r'data-dispatch="([^"]+)"', (await leader.get("/notices")).text)
    await leader.post(f"/notices/{mine}/ack", headers={"X-CSRF-Token": csrf})
    final = (await office.get("/board")).text
    assert "leader-unacked" not in board_row(final, h["id"]) and "领导尚未签收" not in final


async def test_others_cannot_reach_the_board_or_the_policies(
    signed_in: SignIn,
    api: Api,
    supervision: Supervision,  # noqa: F811
) -> None:
    await told(api, supervision)
    for username in ("hongxing", "daping", "zhujian"):
        browser, _ = await signed_in(username)
        for path in ("/board", "/policies"):
            refused = await browser.get(path)
            assert refused.status_code == 403, (username, path)
            assert (
                "仅供县安委办和县领导使用" in refused.text and '<html lang="zh-CN">' in refused.text
            )
        home = (await browser.get("/")).text
        assert 'href="/board"' not in home and 'href="/notices"' in home
        others = await browser.get("/notices?hazard=YH&person_id=p-chenweidong")
        assert others.status_code == 200 and "陈卫东" not in others.text


async def test_signing_in_the_notices_page_reaches_notification(
    signed_in: SignIn,
    api: Api,
    supervision: Supervision,  # noqa: F811
) -> None:
    h, leader, firm = await told(api, supervision)
    ent, csrf = await signed_in("hongxing")
    page = (await ent.get("/notices")).text
    assert firm in page and leader not in page and "陈卫东" not in page
    assert h["code"] in page and "邮件已送达" in page

    refused = await ent.post(f"/notices/{firm}/ack", data={})
    assert refused.status_code == 403 and "安全校验未通过" in refused.text
    forged = await ent.post(f"/notices/{firm}/ack", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    assert (await api_notices(supervision, api, h["id"]))[FIRM[0]]["acknowledged_at"] is None
    foreign = await ent.post(f"/notices/{leader}/ack", headers={"X-CSRF-Token": csrf})
    assert foreign.status_code == 403 and "只能签收发给本人的通知" in foreign.text

    row = await ent.post(
        f"/notices/{firm}/ack", headers={"X-CSRF-Token": csrf, "HX-Request": "true"}
    )
    assert row.status_code == 200 and row.text.startswith('<tr class="notice-row"')
    assert "已签收" in row.text and "（门户）" in row.text and "<button" not in row.text
    after = await api_notices(supervision, api, h["id"])
    assert after[FIRM[0]]["acknowledged_via"] == "portal"
    assert after[LEADER[0]]["acknowledged_at"] is None

    office, _ = await signed_in("office")
    per_hazard = (await office.get(f"/notices?hazard={h['code']}")).text
    assert "陈卫东" in per_hazard and "李安" in per_hazard and "ack-form" not in per_hazard
    per_person = (await office.get("/notices?person_id=p-chenweidong")).text
    assert "陈卫东" in per_person and "李安" not in per_person
    unknown = (await office.get("/notices?hazard=YH-1999-9999")).text
    assert "未找到编号为「YH-1999-9999」的隐患" in unknown


async def test_the_policies_and_a_hazards_simulated_timeline(
    signed_in: SignIn,
    api: Api,
    supervision: Supervision,  # noqa: F811
) -> None:
    h, _, _ = await told(api, supervision)
    for username in ("office", "fuxianzhang"):
        browser, _ = await signed_in(username)
        page = await browser.get("/policies")
        assert page.status_code == 200, page.text
        assert 'data-policy="county-general"' in page.text and "（现行）" in page.text
        assert "按此版本运行的案件 1 件" in page.text and "整改期限" in page.text
    office, _ = await signed_in("office")
    sim = (await office.get(f"/policies?hazard={h['code']}")).text
    assert 'id="timeline"' in sim and "逾期整改通知" in sim
    # Policies by their titles, not their file ids.
    assert "适用策略：<strong>一般事故隐患限期整改督办（县级默认）</strong>" in sim
    title = "一般事故隐患限期整改督办（县级默认）"
    assert re.search(rf"该隐患督办案件按「{title}」第 \d+ 版运行，已发出 [1-9]\d* 步", sim)
