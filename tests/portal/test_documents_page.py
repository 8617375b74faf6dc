"""公文 pages over hazard_api: the list and its filters, a hazard's documents from its detail
page, the GB/T 9704 page in a sandboxed frame with a strict policy, the PDF, and 签发 from the
page (CSRF checked; the 文号 then in the API; a refusal as a Chinese error page)."""

from __future__ import annotations

import re
from typing import Any

from tests.hazard_api.lifecycle.documents import rectifying_hazard
from tests.portal.conftest import HAZARD, Api, SignIn
from tests.portal.formvalues import form_values


async def drafted(api: Api, who: str, doc_type: str, hazard_id: str) -> dict[str, Any]:
    r = await api.as_(who).post("/documents", {"doc_type": doc_type, "hazard_id": hazard_id})
    assert r.status_code == 201, r.text
    return dict(r.json())


def rows(html: str) -> list[str]:
    return re.findall(r'<tr data-id="([^"]+)"', html)


async def test_the_list_filters_and_the_hazard_tab_links_to_it(api: Api, signed_in: SignIn) -> None:
    h = await rectifying_hazard(api)
    notice = await drafted(api, "office", "listing_notice", h["id"])
    issued = await drafted(api, "office", "supervision_letter", h["id"])
    assert (await api.as_("office").post(f"/documents/{issued['id']}/issue")).status_code == 200
    browser, _ = await signed_in("office")

    detail = await browser.get(f"/hazards/{h['id']}")
    assert f'<a id="tab-documents" href="/documents?hazard_id={h["id"]}">公文</a>' in detail.text
    listed = await browser.get("/documents", params={"hazard_id": h["id"]})
    assert listed.status_code == 200, listed.text
    assert set(rows(listed.text)) == {notice["id"], issued["id"]}
    assert "挂牌督办通知书" in listed.text and "（未编号）" in listed.text
    drafts = await browser.get("/documents", params={"hazard_id": h["id"], "status": "draft"})
    assert rows(drafts.text) == [notice["id"]]
    letters = await browser.get("/documents", params={"doc_type": "supervision_letter"})
    assert rows(letters.text) == [issued["id"]]
    everything = await browser.get("/documents", params={"doc_type": "", "status": ""})
    assert {notice["id"], issued["id"]} <= set(rows(everything.text))
    bad = await browser.get("/documents", params={"status": "lost"})
    assert bad.status_code == 422 and "<h1>操作未完成</h1>" in bad.text


async def test_the_document_page_frames_the_api_html_under_a_strict_policy(
    api: Api, signed_in: SignIn
) -> None:
    h = await rectifying_hazard(api)
    d = await drafted(api, "office", "listing_notice", h["id"])
    browser, _ = await signed_in("office")
    shown = await browser.get(f"/documents/{d['id']}")
    assert shown.status_code == 200
    assert f'src="/documents/{d["id"]}/frame" sandbox>' in shown.text
    assert 'id="issue-form"' in shown.text and "签发时编定" in shown.text

    frame = await browser.get(f"/documents/{d['id']}/frame")
    assert frame.status_code == 200 and frame.headers["content-type"].startswith("text/html")
    csp = frame.headers["content-security-policy"]
    assert csp.startswith("sandbox;") and "script-src" not in csp and "default-src 'none'" in csp
    assert "frame-ancestors 'self'" in csp and frame.headers["x-frame-options"] == "SAMEORIGIN"
    assert d["title"] in frame.text and d["addressee"] in frame.text
    # The portal's own pages are still never framed.
    assert "frame-ancestors 'none'" in shown.headers["content-security-policy"]

    pdf = await browser.get(f"/documents/{d['id']}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-disposition"].startswith("attachment;")

    # A township outside the hazard's territory sees neither the page nor the frame.
    elsewhere, _ = await signed_in("daping")
    for path in (f"/documents/{d['id']}", f"/documents/{d['id']}/frame"):
        refused = await elsewhere.get(path)
        assert refused.status_code == 404 and "页面不存在" in refused.text


async def test_issuing_from_the_page_numbers_the_draft_and_needs_csrf(
    api: Api, signed_in: SignIn
) -> None:
    h = await rectifying_hazard(api)
    d = await drafted(api, "zhujian", "rectification_notice", h["id"])
    browser, csrf = await signed_in("zhujian")

    forged = await browser.post(f"/documents/{d['id']}/issue", data={"csrf_token": "forged"})
    assert forged.status_code == 403 and "表单安全校验未通过" in forged.text
    missing = await browser.post(f"/documents/{d['id']}/issue", data={})
    assert missing.status_code == 403
    assert (await api.as_("zhujian").get(f"/documents/{d['id']}")).json()["doc_no"] is None

    done = await browser.post(f"/documents/{d['id']}/issue", data={"csrf_token": csrf})
    assert done.status_code == 303 and done.headers["location"] == f"/documents/{d['id']}?issued=1"
    in_api = (await api.as_("zhujian").get(f"/documents/{d['id']}")).json()
    assert in_api["status"] == "issued" and in_api["doc_no"] == "演示县住建局隐改〔2026〕1号"
    page = await browser.get(done.headers["location"])
    assert "已签发，文号 演示县住建局隐改〔2026〕1号" in page.text
    # The hash wraps on a phone (portal.css) instead of widening the page.
    assert f'<code class="document-hash">{in_api["sha256"]}</code>' in page.text
    assert 'id="issue-form"' not in page.text

    # Issued once: a second 签发 is refused by hazard_api, shown as a Chinese error page.
    again = await browser.post(f"/documents/{d['id']}/issue", data={"csrf_token": csrf})
    assert again.status_code == 409 and "<h1>操作未完成</h1>" in again.text
    assert "当前为“已印发”" in again.text


async def test_who_may_not_issue_gets_hazard_api_403_as_a_chinese_page(
    api: Api, signed_in: SignIn
) -> None:
    h = await rectifying_hazard(api)
    d = await drafted(api, "zhujian", "rectification_notice", h["id"])
    outside, csrf = await signed_in("daping")  # a draft is its drafting office's only
    hidden = await outside.post(f"/documents/{d['id']}/issue", data={"csrf_token": csrf})
    assert hidden.status_code == 404 and "页面不存在" in hidden.text
    assert (await api.as_("zhujian").get(f"/documents/{d['id']}")).json()["doc_no"] is None

    assert (await api.as_("zhujian").post(f"/documents/{d['id']}/issue")).status_code == 200
    browser, csrf = await signed_in("jiancheng")  # the enterprise the notice is addressed to
    shown = await browser.get(f"/documents/{d['id']}")
    assert shown.status_code == 200 and 'id="issue-form"' not in shown.text
    refused = await browser.post(f"/documents/{d['id']}/issue", data={"csrf_token": csrf})
    assert refused.status_code == 403 and "<h1>操作未完成</h1>" in refused.text
    assert "当前账号角色无权签发该类公文" in refused.text


async def test_the_issue_form_is_offered_only_to_the_drafting_office(
    api: Api, signed_in: SignIn
) -> None:
    """hazard_api's `allowed_actions` decides: the county office reads a department's draft
    but is not offered its 签发; a leader does not see the county office's draft at all."""
    h = await rectifying_hazard(api)
    d = await drafted(api, "zhujian", "rectification_notice", h["id"])
    office, _ = await signed_in("office")
    shown = await office.get(f"/documents/{d['id']}")
    assert shown.status_code == 200, shown.text
    assert 'id="issue-form"' not in shown.text and 'id="draft-note"' in shown.text
    department, _ = await signed_in("zhujian2")
    own = await department.get(f"/documents/{d['id']}")
    assert 'id="issue-form"' in own.text and 'id="draft-note"' not in own.text

    notice = await drafted(api, "office", "listing_notice", h["id"])
    leader, _ = await signed_in("fuxianzhang")
    hidden = await leader.get(f"/documents/{notice['id']}")
    assert hidden.status_code == 404 and "页面不存在" in hidden.text
    assert notice["id"] not in rows((await leader.get("/documents")).text)
    assert (await api.as_("office").post(f"/documents/{notice['id']}/issue")).status_code == 200
    issued = await leader.get(f"/documents/{notice['id']}")
    assert issued.status_code == 200 and 'id="issue-form"' not in issued.text
    assert 'id="draft-note"' not in issued.text


async def test_a_draft_is_made_from_the_page_with_what_the_role_may_draft(
    api: Api, signed_in: SignIn
) -> None:
    """A clerk saw an empty list with no way to start a document: the hazard's 公文 page now
    drafts the types the role may (a department: 整改通知书 only), the whole list a 通报."""
    h = await rectifying_hazard(api)
    dept, dept_csrf = await signed_in("zhujian")
    page = await dept.get("/documents", params={"hazard_id": h["id"]})
    offered = re.findall(r'<option value="(\w+)">', page.text.split('id="draft-form"')[1])
    assert offered == ["rectification_notice"]
    made = await dept.post(
        "/documents/new",
        data={"doc_type": "rectification_notice", "hazard_id": h["id"], "csrf_token": dept_csrf},
    )
    assert made.status_code == 303, made.text
    doc_id = made.headers["location"].split("/documents/")[1].split("?")[0]
    doc = (await api.as_("office").get(f"/documents/{doc_id}")).json()
    assert (doc["doc_type"], doc["status"], doc["hazard_id"]) == (
        "rectification_notice",
        "draft",
        h["id"],
    )
    assert "草稿已拟制" in (await dept.get(made.headers["location"])).text
    # What the role may not draft is refused in words, nothing made; no token, no draft.
    refused = await dept.post(
        "/documents/new",
        data={"doc_type": "listing_notice", "hazard_id": h["id"], "csrf_token": dept_csrf},
    )
    assert refused.status_code == 403 and 'id="error"' in refused.text
    assert (await dept.post("/documents/new", data={"doc_type": "bulletin"})).status_code == 403
    office, _ = await signed_in("office")
    county = await office.get("/documents")
    assert re.findall(r'<option value="(\w+)">', county.text.split('id="draft-form"')[1]) == [
        "bulletin"
    ]
    hazard_page = await office.get("/documents", params={"hazard_id": h["id"]})
    assert "bulletin" not in hazard_page.text.split('id="draft-form"')[1]
    listed = (await api.as_("office").get("/documents", params={"hazard_id": h["id"]})).json()
    assert [d["doc_type"] for d in listed] == ["rectification_notice"]


async def test_the_listing_form_cites_the_listing_notice_issued_here(
    api: Api, signed_in: SignIn
) -> None:
    """Two numbers for one notice (the one typed into 挂牌, the one the issued 挂牌督办通知书
    bears) confused the ledger: the form now brings the issued one."""
    hid: str = (await api.as_("hongxing").post("/hazards", HAZARD)).json()["id"]
    office_api = api.as_("office")
    classified = await office_api.post(
        f"/hazards/{hid}/classify", {"level": "major", "grade": 3, "criterion_id": "YH-05"}
    )
    assert classified.status_code == 200, classified.text
    office, _ = await signed_in("office")
    page = await office.get(f"/hazards/{hid}")
    assert "list" in (await office_api.get(f"/hazards/{hid}")).json()["allowed_actions"]
    assert form_values(page.text.split('id="action-list"')[1])["notice_no"] == ""
    notice = await drafted(api, "office", "listing_notice", hid)
    issued = (await office_api.post(f"/documents/{notice['id']}/issue")).json()
    page = await office.get(f"/hazards/{hid}")
    shown = form_values(page.text.split('id="action-list"')[1].split("</form>")[0])
    assert shown["notice_no"] == issued["doc_no"] and issued["doc_no"]


async def test_the_drafting_office_corrects_its_draft_from_the_page(
    api: Api, signed_in: SignIn
) -> None:
    """修改草稿 is offered where hazard_api allows it (the drafting office, before 签发); a
    refused change comes back as typed with hazard_api's message; the change is what 签发
    then prints."""
    h = await rectifying_hazard(api)
    d = await drafted(api, "zhujian", "rectification_notice", h["id"])
    office, _ = await signed_in("office")  # reads the department's draft, may not change it
    assert 'id="edit-form"' not in (await office.get(f"/documents/{d['id']}")).text
    browser, csrf = await signed_in("zhujian")
    shown = await browser.get(f"/documents/{d['id']}")
    assert 'id="edit-form"' in shown.text
    values = form_values(shown.text)
    assert values["title"] == d["title"] and values["body"] == d["body"]

    typed = values | {"title": "", "body": d["body"] + "\n请于三日内书面回复。", "csrf_token": csrf}
    refused = await browser.post(f"/documents/{d['id']}/edit", data=typed)
    assert refused.status_code == 422, refused.text
    assert (
        'role="alert"' in refused.text
        and '<details class="action" id="edit-draft" open>' in refused.text
    )
    assert form_values(refused.text)["body"] == typed["body"]
    assert (await api.as_("zhujian").get(f"/documents/{d['id']}")).json()["title"] == d["title"]

    fixed = typed | {
        "title": "关于限期整改液氯储罐区隐患的通知",
        "attachments": "整改方案\n\n验收表",
    }
    done = await browser.post(f"/documents/{d['id']}/edit", data=fixed)
    assert done.status_code == 303 and done.headers["location"] == f"/documents/{d['id']}?edited=1"
    in_api = (await api.as_("zhujian").get(f"/documents/{d['id']}")).json()
    assert in_api["title"] == "关于限期整改液氯储罐区隐患的通知"
    assert in_api["body"].endswith("请于三日内书面回复。")
    assert in_api["attachments"] == ["整改方案", "验收表"]
    assert "草稿已修改" in (await browser.get(done.headers["location"])).text

    assert (await api.as_("zhujian").post(f"/documents/{d['id']}/issue")).status_code == 200
    issued = await browser.get(f"/documents/{d['id']}")
    assert 'id="edit-form"' not in issued.text
    late = await browser.post(f"/documents/{d['id']}/edit", data=fixed)
    assert late.status_code in (403, 409) and "<h1>" in late.text
