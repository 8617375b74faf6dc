"""The proof of service (送达凭证) of a hazard: JSON, CSV and PDF, the document the notices
concerned, receipts, who acknowledged and who else used a link; scoped to who may see it."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from httpx import ASGITransport, AsyncClient
from pypdf import PdfReader
from sqlalchemy import update

from services.notification.delivery.models import Delivery
from services.notification.main import create_app
from shared.bearer import encode_token
from shared.contract import ChainRole, DocumentRef, DocumentType, Urgency
from shared.hashchain import canonical, sha256_hex
from tests.notification.county import DEPT, PEOPLE, TOWN, org_events, step_fired
from tests.notification.emulator_records import aliyun_delivered
from tests.notification.harness import Harness, new_id
from tests.notification.settings import SECRET, aliyun_config

ORDER = DocumentRef(
    document_id="doc-7",
    doc_type=DocumentType.RECTIFICATION_NOTICE,
    doc_no="某安委办〔2026〕12号",
    title="隐患整改通知书",
    issuing_body="某县安全生产委员会办公室",
    url="/documents/doc-7/pdf",
)


@pytest.fixture
async def served(make_harness, aliyun) -> AsyncIterator[tuple[Harness, AsyncClient, Any]]:
    """Hazard 1 told to the firm and the township (citing a document), hazard 2 to the firm;
    a receipt for the firm's SMS about hazard 1; the township's link used by somebody else."""
    h = await make_harness(
        sms_providers=[aliyun_config(aliyun.url)],
        default_channels=["sms"],
        receipt_token="rt-1",
        ack_link_ttl_s=86400,
    )
    await h.org(org_events())
    roles = [ChainRole.ENTERPRISE_PRINCIPAL, ChainRole.TOWNSHIP_IN_CHARGE]
    first = step_fired(
        h.clock, roles=roles, urgency=Urgency.IMMEDIATE, township_id=TOWN, document=ORDER
    )
    await h.step(first)
    await h.step(
        step_fired(
            h.clock, roles=[ChainRole.ENTERPRISE_PRINCIPAL], urgency=Urgency.IMMEDIATE, hazard_n=2
        )
    )
    await h.settle()
    app = create_app(h.runtime.settings, h.clock)
    app.state.runtime = h.runtime
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as client:
        firm = (PEOPLE["p-firm"].mobile or "")[-4:]
        town = PEOPLE["p-town-in"].mobile or ""
        for sms in aliyun.emulator.accepted:
            path = sms.params["link"].removeprefix("http://duban.test")
            if sms.phone == town:
                other = {"who": "other", "name": "镇安监站小李", "unit": "某镇安监站"}
                assert (await client.post(path, data=other)).status_code == 200
            elif sms.params.get("code") == "YH-2026-0001":
                report = aliyun_delivered(sms)
                answer = await client.post("/receipts/aliyun?token=rt-1", json=[report])
                assert answer.status_code == 200
                signed = await client.post(path, data={"who": "self", "phone_tail": firm})
                assert signed.status_code == 200
        yield h, client, aliyun


def headers(h: Harness, role: str, unit_id: str | None) -> dict[str, str]:
    claims = {"sub": new_id(), "role": role, "unit_id": unit_id, "person_id": None}
    token = encode_token(claims, secret_key=SECRET, clock=h.clock, minutes=60)
    return {"Authorization": f"Bearer {token}"}


async def test_the_dossier_lists_each_notice_with_receipt_ack_and_document(served) -> None:
    h, client, aliyun = served
    answer = await client.get("/hazards/h-1/service", headers=h.bearer())
    assert answer.status_code == 200
    d = answer.json()
    assert d["hazard"]["code"] == "YH-2026-0001" and d["chain"]["ok"] is True
    by_person = {e["person_id"]: e for e in d["entries"]}
    assert sorted(by_person) == ["p-firm", "p-town-in"]  # hazard 2's notice is not here
    sent = {
        s.message_id for s in aliyun.emulator.accepted if s.params.get("code") == "YH-2026-0001"
    }
    assert {e["provider_message_id"] for e in d["entries"]} == sent
    firm, town = by_person["p-firm"], by_person["p-town-in"]
    assert (firm["status"], firm["status_label"], firm["receipt_code"]) == (
        "delivered",
        "已送达",
        "DELIVERED",
    )
    assert firm["acknowledged_by"] == "厂长壬本人（核对手机号码后四位）"
    assert firm["address"] == "138****0009" and firm["provider"] == "aliyun"
    assert firm["document"] == ORDER.model_dump()
    assert "企业" in firm["post"] and firm["deadline"]
    assert town["acknowledged_at"] is None and town["acknowledged_by"] is None
    assert [(u["name"], u["claimed_recipient"]) for u in town["link_uses"]] == [
        ("镇安监站小李", False)
    ]
    body = {"hazard": d["hazard"], "entries": d["entries"]}
    assert d["content_sha256"] == sha256_hex(canonical(body))


async def test_csv_and_pdf_carry_the_same_content_and_hash(served) -> None:
    h, client, _ = served
    d = (await client.get("/hazards/h-1/service", headers=h.bearer())).json()
    answer = await client.get("/hazards/h-1/service.csv", headers=h.bearer())
    assert answer.status_code == 200 and answer.headers["x-content-sha256"] == d["content_sha256"]
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    table = rows[2 : 2 + len(d["entries"])]
    assert {r[1] for r in table} == {"厂长壬", "副镇长己"}
    firm = next(r for r in table if r[1] == "厂长壬")
    assert "隐患整改通知书（某安委办〔2026〕12号）" in firm
    assert "已送达" in firm and "厂长壬本人（核对手机号码后四位）" in firm
    town = next(r for r in table if r[1] == "副镇长己")
    assert town[-2] == "" and "镇安监站小李（某镇安监站）" in town[-1] and "未签收" in town
    assert ["校验值（SHA-256）", d["content_sha256"]] in rows
    assert ["记录链校验", "通过（送达记录未被改动）"] in rows

    pdf = await client.get("/hazards/h-1/service.pdf", headers=h.bearer())
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    flat = text.replace("\n", "").replace(" ", "")
    for fragment in (
        "隐患督办通知送达凭证",
        "YH-2026-0001",
        "厂长壬",
        "副镇长己",
        "某安委办〔2026〕12号",
        "镇安监站小李",
        d["content_sha256"],
        "通过（送达记录未被改动）",
    ):
        assert fragment in flat, fragment
    again = await client.get("/hazards/h-1/service.pdf", headers=h.bearer())
    assert again.content == pdf.content  # the same record, the same bytes
    assert b"/CreationDate" not in pdf.content and b"/ModDate" not in pdf.content


async def test_a_changed_delivery_row_shows_in_the_dossier(served) -> None:
    h, client, _ = served
    async with h.runtime.engine.begin() as conn:
        await conn.execute(update(Delivery).values(status="failed"))
    d = (await client.get("/hazards/h-1/service", headers=h.bearer())).json()
    assert d["chain"]["ok"] is False and "被改动" in d["chain"]["reason"]
    answer = await client.get("/hazards/h-1/service.csv", headers=h.bearer())
    assert answer.headers["x-chain-verified"] == "false"


async def test_only_the_county_office_and_the_hazards_own_township_or_department(served) -> None:
    h, client, _ = served
    assert (await client.get("/hazards/h-1/service")).status_code == 401
    township = await client.get("/hazards/h-1/service", headers=headers(h, "township", TOWN))
    assert township.status_code == 200
    for role, unit in (("township", "u-other-town"), ("department", DEPT), ("enterprise", None)):
        refused = await client.get("/hazards/h-1/service", headers=headers(h, role, unit))
        assert refused.status_code == 404 and "管辖范围" in refused.json()["detail"], role
    unknown = await client.get("/hazards/h-404/service", headers=h.bearer())
    assert unknown.status_code == 404
