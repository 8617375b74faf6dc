"""Who sees which 公文 and who may issue it: a draft is its drafting office's only (a leader or an
integration client bound to the county shares the county's unit, not the county office's
drafts); an issued document follows the scope of the unit it concerns (a 通报 of the whole
county: every supervisor and leader); only the drafting office edits and issues its draft."""

from __future__ import annotations

from typing import Any

from tests.hazard_api.lifecycle.conftest import HAZARD, Api
from tests.hazard_api.lifecycle.documents import rectifying_hazard


async def _drafted(api: Api, who: str, doc_type: str, hazard_id: str | None) -> dict[str, Any]:
    body = {"doc_type": doc_type} | ({"hazard_id": hazard_id} if hazard_id else {})
    r = await api.as_(who).post("/documents", body)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def _issued(api: Api, who: str, doc_type: str, hazard_id: str | None) -> dict[str, Any]:
    d = await _drafted(api, who, doc_type, hazard_id)
    r = await api.as_(who).post(f"/documents/{d['id']}/issue")
    assert r.status_code == 200, r.text
    return dict(r.json())


async def _seen(api: Api, who: str) -> set[str]:
    r = await api.as_(who).get("/documents")
    assert r.status_code == 200, r.text
    return {d["id"] for d in r.json()}


async def test_drafts_are_their_offices_and_issued_documents_follow_scope(api: Api) -> None:
    # 红星烟花爆竹 in 大坪乡: outside 付县长's portfolio (住建、交通、码头铺镇).
    reported = await api.as_("hongxing").post("/hazards", HAZARD)
    assert reported.status_code == 201, reported.text
    fireworks = reported.json()["id"]
    assert (await api.as_("fuxianzhang").get(f"/hazards/{fireworks}")).status_code == 404
    # 建成建筑 in 码头铺镇, supervised by 住建局: inside it.
    building = (await rectifying_hazard(api))["id"]
    assert (await api.as_("fuxianzhang").get(f"/hazards/{building}")).status_code == 200

    fireworks_draft = await _drafted(api, "office", "listing_notice", fireworks)
    fireworks_issued = await _issued(api, "office", "listing_notice", fireworks)
    building_draft = await _drafted(api, "office", "listing_notice", building)
    building_issued = await _issued(api, "office", "listing_notice", building)
    bulletin = await _drafted(api, "office", "bulletin", None)
    dept_draft = await _drafted(api, "zhujian", "rectification_notice", building)
    drafts = {fireworks_draft["id"], building_draft["id"], bulletin["id"], dept_draft["id"]}

    # The leader: issued documents about what he answers for; no county office draft.
    assert await _seen(api, "fuxianzhang") == {building_issued["id"]}
    for d in (fireworks_issued, *(dict(id=i) for i in drafts)):
        for tail in ("", "/html", "/pdf"):
            r = await api.as_("fuxianzhang").get(f"/documents/{d['id']}{tail}")
            assert r.status_code == 404, (d["id"], tail, r.text)
            assert "不在您的管辖范围内" in r.json()["detail"]
    shown = await api.as_("fuxianzhang").get(f"/documents/{building_issued['id']}")
    assert shown.status_code == 200

    # The city's integration client (hazards:read, bound to the county): issued ones only.
    assert await _seen(api, "shiji") == {fireworks_issued["id"], building_issued["id"]}
    for i in drafts:
        assert (await api.as_("shiji").get(f"/documents/{i}")).status_code == 404
    by_status = await api.as_("shiji").get("/documents", params={"status": "draft"})
    assert by_status.status_code == 200 and by_status.json() == []

    # The county office still sees every draft; the department its own office's (also another
    # account of it); the township and the enterprise what is issued about them.
    assert drafts | {fireworks_issued["id"], building_issued["id"]} <= await _seen(api, "office")
    assert await _seen(api, "office2") == await _seen(api, "office")
    assert dept_draft["id"] in await _seen(api, "zhujian2")
    assert await _seen(api, "zhujian") == {dept_draft["id"], building_issued["id"]}
    assert await _seen(api, "daping") == {fireworks_issued["id"]}
    assert await _seen(api, "hongxing") == {fireworks_issued["id"]}

    # The 通报 of the whole county, once issued: every supervisor and leader, not an enterprise.
    issued = await api.as_("office").post(f"/documents/{bulletin['id']}/issue")
    assert issued.status_code == 200, issued.text
    for who in ("fuxianzhang", "shiji", "daping", "zhujian"):
        assert bulletin["id"] in await _seen(api, who), who
    assert bulletin["id"] not in await _seen(api, "hongxing")


async def test_only_the_drafting_office_edits_and_issues_its_draft(api: Api) -> None:
    hid = (await rectifying_hazard(api))["id"]
    draft = await _drafted(api, "zhujian", "rectification_notice", hid)
    office = api.as_("office")

    # The county office reads the department's draft but does not issue it under 住建局's 文号.
    refused = await office.post(f"/documents/{draft['id']}/issue")
    assert refused.status_code == 403, refused.text
    assert refused.json()["detail"] == "本公文草稿由演示县住建局拟制，只有拟稿单位可以修改、签发"
    edit = await office.patch(f"/documents/{draft['id']}", {"cc": "码头铺镇人民政府"})
    assert edit.status_code == 403 and "只有拟稿单位" in edit.json()["detail"]
    unchanged = (await office.get(f"/documents/{draft['id']}")).json()
    assert unchanged["status"] == "draft" and unchanged["doc_no"] is None
    assert unchanged["cc"] == draft["cc"]

    # Another account of the drafting office may.
    done = await api.as_("zhujian2").post(f"/documents/{draft['id']}/issue")
    assert done.status_code == 200, done.text
    assert done.json()["doc_no"] == "演示县住建局隐改〔2026〕1号"

    # A county-wide document is the county office's, whichever of its accounts drafted it.
    letter = await _drafted(api, "office", "listing_notice", hid)
    by_colleague = await api.as_("office2").post(f"/documents/{letter['id']}/issue")
    assert by_colleague.status_code == 200, by_colleague.text

    # The county office's own 整改通知书 is its own (应急管理局) to issue, not 住建局's.
    own = await _drafted(api, "office", "rectification_notice", hid)
    assert (await api.as_("zhujian").post(f"/documents/{own['id']}/issue")).status_code == 404
    mine = await office.post(f"/documents/{own['id']}/issue")
    assert mine.status_code == 200, mine.text


async def test_the_document_lists_what_the_caller_may_do_with_it(api: Api) -> None:
    hid = (await rectifying_hazard(api))["id"]
    draft = await _drafted(api, "zhujian", "rectification_notice", hid)
    path = f"/documents/{draft['id']}"

    def allowed(r: Any) -> dict[str, str]:
        assert r.status_code == 200, r.text
        return dict(r.json()["allowed_actions"])

    both = {"edit": "修改该类公文", "issue": "签发该类公文"}
    assert allowed(await api.as_("zhujian").get(path)) == both
    assert allowed(await api.as_("zhujian2").get(path)) == both
    assert allowed(await api.as_("office").get(path)) == {}  # reads it, does not issue it

    letter = await _drafted(api, "office", "listing_notice", hid)
    assert allowed(await api.as_("office2").get(f"/documents/{letter['id']}")) == both

    issued = await api.as_("zhujian").post(f"{path}/issue")
    assert issued.status_code == 200 and "allowed_actions" not in issued.json()
    for who in ("zhujian", "office", "fuxianzhang", "jiancheng", "shiji"):
        assert allowed(await api.as_(who).get(path)) == {}, who
    listed = await api.as_("zhujian").get("/documents")
    assert all("allowed_actions" not in d for d in listed.json())
