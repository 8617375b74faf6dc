"""上报记录 over the reporting service (trusting hazard_api's tokens, as deployed): the county
office's deliveries view with its filters and each submission's attempts, 重新推送 reaching the
reporting service's ledger, CSRF on it, and no way in for an enterprise."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import get_args

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from ops.province_emulator import Running
from services.reporting.exchange.documents import MODELS, Item
from services.reporting.ledger.models import Submission
from services.reporting.main import create_app as create_reporting
from services.reporting.quarterly import document as quarterly
from shared.clock import TestClock
from shared.contract import DocumentIssued, DocumentType, Envelope, HazardEventType, Producer
from shared.db import transaction
from shared.labels import SUBMISSION_DOCUMENT_LABELS, SUBMISSION_ITEM_LABELS
from tests.conftest import DatabaseFactory
from tests.hazard_api.conftest import SECRET as HAZARD_SECRET
from tests.hazard_api.lifecycle.conftest import EventsLoader, outbox_events
from tests.hazard_api.lifecycle.test_accident_class import quick_report
from tests.portal.conftest import HAZARD, Api, SignIn, portal_over
from tests.reporting.conftest import consume, emulator, hazard, listing, make_settings

__all__ = ["emulator", "outbox_events"]


@pytest.fixture
async def reporting_app(
    db_kind: str, make_database_url: DatabaseFactory, clock: TestClock, emulator: Running
) -> AsyncIterator[FastAPI]:
    settings = make_settings(
        await make_database_url(db_kind), emulator.url, run_jobs=False, bearer_key=HAZARD_SECRET
    )
    application = create_reporting(settings, clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def portal_app(
    app: FastAPI, reporting_app: FastAPI, clock: TestClock
) -> AsyncIterator[FastAPI]:
    async with portal_over(clock, hazard_api=app, reporting=reporting_app) as portal:
        yield portal


async def ledger(reporting_app: FastAPI, api: Api, **params: str) -> list[dict[str, object]]:
    transport = httpx.ASGITransport(app=reporting_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://r") as c:
        r = await c.get("/submissions", params=params, headers=api.headers["office"])
        assert r.status_code == 200, r.text
        return list(r.json())


def shown(html: str) -> list[str]:
    return re.findall(r'<tr data-id="([^"]+)"', html)


@pytest.fixture
async def failing(
    reporting_app: FastAPI, api: Api, emulator: Running, clock: TestClock
) -> list[dict[str, object]]:
    """Two submissions about hazard h-1, each tried once and refused with 500 by the province."""
    rt = reporting_app.state.runtime
    emulator.emulator.mode = "500"
    await consume(rt, hazard(HazardEventType.CLASSIFIED, clock.now()), listing(clock.now()))
    await rt.deliverer.run_until_idle()
    return await ledger(reporting_app, api)


async def test_the_county_office_sees_each_submission_and_its_attempts(
    signed_in: SignIn, failing: list[dict[str, object]]
) -> None:
    listing_id, major_id = (str(r["webhook_id"]) for r in failing)
    browser, _ = await signed_in("office")
    page = await browser.get("/reporting")
    assert page.status_code == 200, page.text
    assert '<a href="/reporting">上报记录</a>' in page.text
    assert shown(page.text) == [listing_id, major_id]
    row = re.search(rf'<tr data-id="{major_id}".*?</tr>', page.text, re.S)
    assert row and "重大隐患" in row.group(0) and "失败待重试（答复状态码 500）" in row.group(0)
    assert "待推送" in row.group(0) and "重新推送" in row.group(0)

    only = await browser.get("/reporting", params={"document": "hazard-listing"})
    assert shown(only.text) == [listing_id]
    item = await browser.get("/reporting", params={"item_key": "hazard:h-1", "state": "pending"})
    assert shown(item.text) == [listing_id, major_id]
    none = await browser.get("/reporting", params={"state": "delivered", "document": ""})
    assert shown(none.text) == [] and "没有符合条件的上报记录" in none.text
    bad = await browser.get("/reporting", params={"state": "lost"})
    assert bad.status_code == 422 and "<h1>操作未完成</h1>" in bad.text


async def test_replay_from_the_page_reaches_the_ledger_and_needs_csrf(
    signed_in: SignIn,
    api: Api,
    reporting_app: FastAPI,
    emulator: Running,
    failing: list[dict[str, object]],
) -> None:
    major_id = str(failing[1]["webhook_id"])
    rt = reporting_app.state.runtime
    async with transaction(rt.sessionmaker) as session:  # as if the retry window had passed
        await session.execute(
            update(Submission)
            .where(Submission.webhook_id == major_id)
            .values(state="dead", next_attempt_at=None)
        )
    browser, csrf = await signed_in("office")
    path = f"/reporting/{major_id}/replay"
    for data in ({}, {"csrf_token": "forged"}):
        refused = await browser.post(path, data=data)
        assert refused.status_code == 403 and "表单安全校验未通过" in refused.text
    (row,) = await ledger(reporting_app, api, item_key="hazard:h-1", document="hazard-major")
    assert row["state"] == "dead" and row["replays"] == 0

    done = await browser.post(path, data={"csrf_token": csrf, "back": "hazard:h-1"})
    assert done.status_code == 303
    assert done.headers["location"] == f"/reporting?item_key=hazard%3Ah-1&replayed={major_id}"
    (row,) = await ledger(reporting_app, api, item_key="hazard:h-1", document="hazard-major")
    assert row["state"] == "pending" and row["replays"] == 1

    emulator.emulator.mode = "ok"
    await rt.deliverer.run_until_idle()
    page = await browser.get(done.headers["location"])
    assert "已安排重新推送" in page.text
    replayed = re.search(rf'<tr data-id="{major_id}".*?</tr>', page.text, re.S)
    assert replayed and "已送达" in replayed.group(0) and "已重新推送 1 次" in replayed.group(0)


async def test_an_enterprise_cannot_reach_the_reporting_records(
    signed_in: SignIn, api: Api, reporting_app: FastAPI, failing: list[dict[str, object]]
) -> None:
    major_id = str(failing[1]["webhook_id"])
    browser, csrf = await signed_in("hongxing")
    home = await browser.get("/documents")
    assert "上报记录" not in home.text
    page = await browser.get("/reporting")
    assert page.status_code == 403 and "只有县安委办可以查看和处理上报记录" in page.text
    assert major_id not in page.text
    replay = await browser.post(f"/reporting/{major_id}/replay", data={"csrf_token": csrf})
    assert replay.status_code == 403
    (row,) = await ledger(reporting_app, api, document="hazard-major")
    assert row["replays"] == 0
    # The reporting service refuses the enterprise's own token as well.
    transport = httpx.ASGITransport(app=reporting_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://r") as c:
        direct = await c.get("/submissions", headers=api.headers["hongxing"])
    assert direct.status_code == 403


def test_every_document_and_item_the_reporting_service_sends_has_a_label() -> None:
    documents = {name for name, _ in MODELS} | {quarterly.NAME}
    assert documents - SUBMISSION_DOCUMENT_LABELS.keys() == set()
    items = set(get_args(Item.model_fields["kind"].annotation))
    quarter_kind = quarterly.quarter_key(2026, 1).partition(":")[0]
    assert items | {quarter_kind} == SUBMISSION_ITEM_LABELS.keys()


def _issued(at: datetime) -> Envelope:
    doc_id = uuid.uuid4().hex
    payload = DocumentIssued(
        document_id=doc_id,
        doc_type=DocumentType.SUPERVISION_LETTER,
        doc_no="演示县安委督〔2026〕3号",
        title="关于督促红星烟花事故隐患整改的督办函",
        issuing_body="演示县安全生产委员会",
        sha256="0" * 64,
        url=f"/documents/{doc_id}/pdf",
        issued_at=at,
    )
    return Envelope.of(payload, aggregate_id=doc_id, producer=Producer.HAZARD_API, occurred_at=at)


async def test_rows_name_the_hazard_by_its_code_and_a_code_finds_them(
    signed_in: SignIn, api: Api, reporting_app: FastAPI, clock: TestClock
) -> None:
    created = (await api.as_("hongxing").post("/hazards", HAZARD)).json()
    hid, code = created["id"], created["code"]
    now = clock.now()
    major = hazard(HazardEventType.CLASSIFIED, now, hazard_id=hid, code=code)
    await consume(reporting_app.state.runtime, major, _issued(now))
    browser, _ = await signed_in("office")

    page = await browser.get("/reporting")
    assert page.status_code == 200, page.text
    table = page.text.split('<table class="ledger stacked" id="deliveries">', 1)[1]
    assert f"隐患 {code}" in table and "公文 演示县安委督〔2026〕3号" in table
    assert "公文签发" in table and "重大隐患" in table
    assert "document-issued" not in table and f">hazard:{hid}<" not in table

    (major_row,) = await ledger(reporting_app, api, document="hazard-major")
    found = await browser.get("/reporting", params={"item_key": f" {code.lower()} "})
    assert shown(found.text) == [major_row["webhook_id"]]
    missing = await browser.get("/reporting", params={"item_key": "YH20990101-00000000"})
    assert missing.status_code == 200 and shown(missing.text) == []


async def test_an_accident_is_found_by_its_code(
    signed_in: SignIn,
    api: Api,
    reporting_app: FastAPI,
    clock: TestClock,
    outbox_events: EventsLoader,
) -> None:
    reported = await api.as_("office").post("/accidents", quick_report(clock, deaths=1))
    accident = reported.json()
    # Only a signed-off report goes upward: 核稿 by the township, 签发 by another account.
    rid = (await api.as_("office").get(f"/accidents/{accident['id']}")).json()["reports"][0]["id"]
    signoff = f"/accidents/{accident['id']}/reports/{rid}"
    assert (await api.as_("daping").post(f"{signoff}/review")).status_code == 200
    assert (await api.as_("office").post(f"{signoff}/issue")).status_code == 200
    await consume(reporting_app.state.runtime, *await outbox_events(accident["id"]))
    rows = await ledger(reporting_app, api, item_key=f"accident:{accident['id']}")
    assert rows, "the signed-off quick report went into the reporting ledger"
    browser, _ = await signed_in("office")
    found = await browser.get("/reporting", params={"item_key": f" {accident['code'].lower()} "})
    assert shown(found.text) == [r["webhook_id"] for r in rows]
    assert f"事故 {accident['code']}" in found.text
    missing = await browser.get("/reporting", params={"item_key": "SG-2099-00000000"})
    assert missing.status_code == 200 and shown(missing.text) == []
    unknown_no = await browser.get("/reporting", params={"item_key": "演示县安委督〔2099〕1号"})
    assert unknown_no.status_code == 200 and shown(unknown_no.text) == []


async def test_an_issued_document_is_found_by_its_number(
    signed_in: SignIn,
    api: Api,
    reporting_app: FastAPI,
    outbox_events: EventsLoader,
) -> None:
    office = api.as_("office")
    drafted = (await office.post("/documents", {"doc_type": "bulletin"})).json()
    issued = (await office.post(f"/documents/{drafted['id']}/issue")).json()
    await consume(reporting_app.state.runtime, *await outbox_events(issued["id"]))
    rows = await ledger(reporting_app, api, item_key=f"document:{issued['id']}")
    assert rows, "the issued document went into the reporting ledger"
    browser, _ = await signed_in("office")
    found = await browser.get("/reporting", params={"item_key": issued["doc_no"]})
    assert shown(found.text) == [r["webhook_id"] for r in rows]
    other_no = issued["doc_no"].replace("〕", "〕9")  # a 文号 of nothing issued
    assert shown((await browser.get("/reporting", params={"item_key": other_no})).text) == []
