"""公文 through the API: each type drafted from the hazard's data and issued by a person with the
authority, its 文号, its PDF (text, page image, same bytes again), immutability and correction,
the sha256 in the audit chain and the event on the outbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image
from sqlalchemy import select

from services.hazard_api.audit.models import AuditRow
from services.hazard_api.documents import render
from services.hazard_api.documents.models import Document
from shared.clock import TestClock
from shared.contract import DocumentIssued, Envelope
from tests.hazard_api.lifecycle.conftest import Api, EventsLoader
from tests.hazard_api.lifecycle.documents import (
    FOUND,
    accept,
    keep_first_page,
    pdf_text,
    rectifying_hazard,
)

COUNTY_BODY = "演示县安全生产委员会"


async def _draft_and_issue(
    api: Api, who: str, doc_type: str, hazard_id: str | None
) -> dict[str, Any]:
    user = api.as_(who)
    drafted = await user.post("/documents", {"doc_type": doc_type, "hazard_id": hazard_id})
    assert drafted.status_code == 201, drafted.text
    assert drafted.json()["status"] == "draft" and drafted.json()["doc_no"] is None
    issued = await user.post(f"/documents/{drafted.json()['id']}/issue")
    assert issued.status_code == 200, issued.text
    return dict(issued.json())


async def test_each_type_is_issued_with_its_number_and_reads_right_in_the_pdf(
    api: Api, clock: TestClock, outbox_events: EventsLoader, tmp_path: Path
) -> None:
    h = await rectifying_hazard(api)
    hid, code = h["id"], h["code"]

    notice = await _draft_and_issue(api, "zhujian", "rectification_notice", hid)
    assert notice["issuing_body"] == "演示县住建局"
    assert notice["doc_no"] == "演示县住建局隐改〔2026〕1号"
    assert notice["addressee"] == "建成建筑工程有限公司"
    assert notice["issued_by_name"] and notice["status_label"] == "已印发"

    listing = await _draft_and_issue(api, "office", "listing_notice", hid)
    assert listing["doc_no"] == "演示县安委挂〔2026〕1号"
    assert listing["addressee"] == "码头铺镇、住建局"

    clock.advance(days=10)  # past the deadline (2026-03-13)
    letter = await _draft_and_issue(api, "office", "supervision_letter", hid)
    assert letter["doc_no"] == "演示县安委督〔2026〕1号"
    # The letter cites the rectification order already issued, and the days overdue.
    assert notice["doc_no"] in letter["body"] and "已逾期" in letter["body"]

    bulletin = await _draft_and_issue(api, "office", "bulletin", None)
    assert bulletin["doc_no"] == "演示县安委办〔2026〕1号"
    assert [r["code"] for r in bulletin["table"]] == [code]
    assert bulletin["table"][0]["township"] == "码头铺镇"
    assert "码头铺镇1项" in bulletin["body"] and "住建局1项" in bulletin["body"]

    await accept(api, clock, hid)
    delisting = await _draft_and_issue(api, "office", "delisting_notice", hid)
    assert delisting["doc_no"] == "演示县安委摘〔2026〕1号"
    assert listing["doc_no"] in delisting["body"]

    # A second notice of the same body, type and year takes the next number.
    again = await _draft_and_issue(api, "zhujian", "rectification_notice", hid)
    assert again["doc_no"] == "演示县住建局隐改〔2026〕2号"

    office = api.as_("office")
    for doc in (notice, listing, letter, bulletin, delisting):
        got = await office.get(f"/documents/{doc['id']}/pdf")
        assert got.status_code == 200 and got.headers["content-type"] == "application/pdf"
        text = pdf_text(got.content)
        # The style sheet reaches the renderer as written: the configured stand-in typefaces
        # (quoted family names) are not escaped away.
        page = (await office.get(f"/documents/{doc['id']}/html")).text
        assert 'font-family: "Noto Serif CJK SC"' in page and "&#34;" not in page
        assert doc["issuing_body"] in text and doc["doc_no"] in text
        assert doc["title"] in text and doc["addressee"] in text
        assert "2026年3月" in text  # 成文日期 (Beijing)
        assert code in text and "建成建筑工程有限公司" in text
        if doc is not bulletin:
            assert FOUND["description"] in text
        assert render.sha256_of(got.content) == doc["sha256"]
        shot = keep_first_page(got.content, doc["doc_type"], tmp_path)
        with Image.open(shot) as image:
            assert image.size[0] > 800 and image.getextrema() != ((255, 255),) * 3

    # Issue events on hazard.events for escalation and notification.
    issued = [
        DocumentIssued.model_validate(e.payload)
        for e in await outbox_events(hid)
        if e.type == "document.issued"
    ]
    assert [e.doc_no for e in issued] == [
        notice["doc_no"],
        listing["doc_no"],
        letter["doc_no"],
        delisting["doc_no"],
        again["doc_no"],
    ]
    assert issued[0].url == f"/documents/{notice['id']}/pdf"
    bulletin_events = await outbox_events(bulletin["id"])
    assert [Envelope.model_validate(e).type for e in bulletin_events] == ["document.issued"]


async def test_the_same_record_renders_the_same_bytes_and_verifies(
    api: Api, clock: TestClock
) -> None:
    h = await rectifying_hazard(api)
    doc = await _draft_and_issue(api, "office", "listing_notice", h["id"])
    office = api.as_("office")
    first = (await office.get(f"/documents/{doc['id']}/pdf")).content
    clock.advance(days=3)
    verified = await office.get(f"/documents/{doc['id']}/verify")
    assert verified.status_code == 200, verified.text
    assert verified.json()["matches"] is True
    assert verified.json()["rendered_sha256"] == doc["sha256"] == render.sha256_of(first)
    html = await office.get(f"/documents/{doc['id']}/html")
    assert html.status_code == 200 and doc["doc_no"] in html.text
    assert "Noto Serif CJK SC" in html.text  # the configured stand-in for 方正小标宋


async def test_sha256_is_in_the_audit_chain_and_a_changed_record_no_longer_verifies(
    api: Api, app: object
) -> None:
    h = await rectifying_hazard(api)
    doc = await _draft_and_issue(api, "office", "listing_notice", h["id"])
    sessionmaker = app.state.sessionmaker  # type: ignore[attr-defined]
    async with sessionmaker() as session:
        rows = list(
            await session.scalars(
                select(AuditRow)
                .where(AuditRow.entity_type == "document", AuditRow.entity_id == doc["id"])
                .order_by(AuditRow.seq)
            )
        )
        assert [r.action for r in rows] == ["document.drafted", "document.issued"]
        assert rows[1].after["sha256"] == doc["sha256"]
        assert rows[1].after["doc_no"] == doc["doc_no"]
        # Someone edits the issued record behind the service's back.
        stored = await session.get(Document, doc["id"])
        assert stored is not None
        stored.body = stored.body.replace("挂牌督办", "提醒")
        await session.commit()
    verified = await api.as_("office").get(f"/documents/{doc['id']}/verify")
    assert verified.json()["matches"] is False


async def test_authority_immutability_and_correction(api: Api) -> None:
    h = await rectifying_hazard(api)
    hid = h["id"]
    dept, office, ent = api.as_("zhujian"), api.as_("office"), api.as_("jiancheng")

    # County-office documents: a department may neither draft nor issue them.
    refused = await dept.post("/documents", {"doc_type": "supervision_letter", "hazard_id": hid})
    assert refused.status_code == 403
    assert "行业监管部门无权" in refused.json()["detail"]
    assert "县安委办" in refused.json()["detail"]
    by_ent = await ent.post("/documents", {"doc_type": "rectification_notice", "hazard_id": hid})
    assert by_ent.status_code == 403 and "无权" in by_ent.json()["detail"]
    # A township outside the hazard's territory does not see it.
    elsewhere = await api.as_("daping").post(
        "/documents", {"doc_type": "rectification_notice", "hazard_id": hid}
    )
    assert elsewhere.status_code == 404
    no_hazard = await dept.post("/documents", {"doc_type": "rectification_notice"})
    assert no_hazard.status_code == 422
    too_early = await office.post("/documents", {"doc_type": "delisting_notice", "hazard_id": hid})
    assert too_early.status_code == 409 and "验收" in too_early.json()["detail"]

    # A draft is edited by its office; the issued document never changes.
    draft = (
        await dept.post("/documents", {"doc_type": "rectification_notice", "hazard_id": hid})
    ).json()
    edited = await dept.patch(f"/documents/{draft['id']}", {"cc": "码头铺镇人民政府"})
    assert edited.status_code == 200 and edited.json()["cc"] == "码头铺镇人民政府"
    other_office = await api.as_("daping").post(f"/documents/{draft['id']}/issue")
    assert other_office.status_code in (403, 404)
    issued = (await dept.post(f"/documents/{draft['id']}/issue")).json()
    assert issued["status"] == "issued"
    late_edit = await dept.patch(f"/documents/{draft['id']}", {"title": "改过的标题"})
    assert late_edit.status_code == 409 and "已印发" in late_edit.json()["detail"]
    twice = await dept.post(f"/documents/{draft['id']}/issue")
    assert twice.status_code == 409

    # A correction is a new document that names the one it replaces, with its own number.
    fix = await dept.post(
        "/documents",
        {"doc_type": "rectification_notice", "hazard_id": hid, "replaces_id": draft["id"]},
    )
    assert fix.status_code == 201, fix.text
    assert fix.json()["replaces_id"] == draft["id"]
    assert issued["doc_no"] in fix.json()["body"]
    fixed = (await dept.post(f"/documents/{fix.json()['id']}/issue")).json()
    assert fixed["doc_no"] == "演示县住建局隐改〔2026〕2号"
    original = (await dept.get(f"/documents/{draft['id']}")).json()
    assert original["doc_no"] == issued["doc_no"] and original["title"] == issued["title"]

    listed = await office.get("/documents", params={"hazard_id": hid, "status": "issued"})
    assert {d["id"] for d in listed.json()} == {draft["id"], fix.json()["id"]}
    assert (await ent.get("/documents", params={"hazard_id": hid})).json() != []
