"""Evidence upload: type sniffed from content, size limit, checksum, scoped download."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

from fastapi import FastAPI

from tests.hazard_api.lifecycle.conftest import HAZARD, PDF, PNG, Api


async def test_upload_is_checked_stored_by_checksum_and_scoped(api: Api, app: FastAPI) -> None:
    ent = api.as_("hongxing")
    hid = (await ent.post("/hazards", HAZARD)).json()["id"]
    stored = await ent.upload(hid, data=PNG, name="../../etc/现场照片.png")
    assert stored.status_code == 201, stored.text
    body = stored.json()
    assert body["sha256"] == hashlib.sha256(PNG).hexdigest() and body["size"] == len(PNG)
    assert body["content_type"] == "image/png" and body["filename"] == "现场照片.png"
    digest = body["sha256"]
    on_disk = Path(app.state.settings.evidence_dir) / digest[:2] / f"{digest}.png"
    assert await asyncio.to_thread(on_disk.read_bytes) == PNG

    download = await ent.get(f"/attachments/{body['id']}/content")
    assert download.status_code == 200 and download.content == PNG
    assert download.headers["content-type"] == "image/png"
    # Outside the hazard's scope the file does not exist.
    assert (await api.as_("jiancheng").get(f"/attachments/{body['id']}/content")).status_code == 404
    listed = (await api.as_("office").get(f"/hazards/{hid}/attachments")).json()
    assert [a["id"] for a in listed] == [body["id"]]
    pdf = await ent.upload(hid, data=PDF, name="方案.pdf", purpose="plan")
    assert pdf.status_code == 201 and pdf.json()["purpose"] == "plan"


async def test_wrong_type_and_oversize_files_are_refused(api: Api, app: FastAPI) -> None:
    ent = api.as_("hongxing")
    hid = (await ent.post("/hazards", HAZARD)).json()["id"]
    exe = await ent.upload(hid, data=b"MZ\x90\x00" + b"\x00" * 100, name="photo.png")
    assert exe.status_code == 415 and "不支持的文件类型" in exe.json()["detail"]
    empty = await ent.upload(hid, data=b"", name="empty.png")
    assert empty.status_code == 422
    app.state.settings.evidence_max_bytes = 1024
    big = await ent.upload(hid, data=PNG + b"\x00" * 2048, name="big.png")
    assert big.status_code == 413 and "文件过大" in big.json()["detail"]
    # Nothing was recorded for the refused files.
    assert (await ent.get(f"/hazards/{hid}/attachments")).json() == []


async def test_no_uploads_to_a_closed_hazard_and_none_by_leaders(api: Api) -> None:
    ent, office = api.as_("jiancheng"), api.as_("office")
    hid = (await ent.post("/hazards", HAZARD)).json()["id"]
    # The county leader whose portfolio covers construction sees it, but does not upload.
    assert (await api.as_("fuxianzhang").get(f"/hazards/{hid}")).status_code == 200
    assert (await api.as_("fuxianzhang").upload(hid)).status_code == 403
    photo = (await ent.upload(hid)).json()
    await ent.post(
        f"/hazards/{hid}/rectified-on-spot", {"summary": "已整改", "attachment_ids": [photo["id"]]}
    )
    await office.post(f"/hazards/{hid}/acceptance", {"passed": True, "opinion": "合格"})
    await office.post(f"/hazards/{hid}/close", {})
    late = await ent.upload(hid)
    assert late.status_code == 409 and "已销号" in late.json()["detail"]


# A JPEG as a phone writes it (SOI, APP0 JFIF, …, EOI), a WebP and an HEIC of the same kind.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64
JPEG += b"\xff\xd9"
_VP8L = b"VP8L" + (6).to_bytes(4, "little") + b"/\x00\x00\x00\x00\x00"
WEBP = b"RIFF" + (4 + len(_VP8L)).to_bytes(4, "little") + b"WEBP" + _VP8L
HEIC = (24).to_bytes(4, "big") + b"ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 40


async def test_type_is_judged_by_the_whole_file_not_its_first_bytes(api: Api, app: FastAPI) -> None:
    ent = api.as_("hongxing")
    hid = (await ent.post("/hazards", HAZARD)).json()["id"]
    page = b"<html><body><script>alert(document.cookie)</script></body></html>"
    disguised = {
        "png_then_html": PNG[:8] + page,
        "png_chunks_then_html": PNG[:-12] + page + PNG[-12:],
        "jpeg_then_html": JPEG[:4] + page + b"\xff\xd9",
        "pdf_then_html": b"%PDF-1.4\n" + page + b"\n%%EOF\n",
        "html_named_png": page,
        "svg_as_png": b'<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>',
        "truncated_png": PNG[:40],
        "webp_not_allowed": WEBP,
    }
    for name, data in disguised.items():
        refused = await ent.upload(hid, data=data, name=f"{name}.png")
        assert refused.status_code == 415, (name, refused.text)
        assert "不支持的文件类型" in refused.json()["detail"]
    assert (await ent.get(f"/hazards/{hid}/attachments")).json() == []

    jpeg = await ent.upload(hid, data=JPEG, name="现场.jpg")
    assert jpeg.status_code == 201 and jpeg.json()["content_type"] == "image/jpeg"
    # Phones' formats, once a county allows them.
    app.state.settings.evidence_types = [*app.state.settings.evidence_types, "image/webp"]
    app.state.settings.evidence_types.append("image/heic")
    for data, kind in ((WEBP, "image/webp"), (HEIC, "image/heic")):
        photo = await ent.upload(hid, data=data, name="手机照片")
        assert photo.status_code == 201 and photo.json()["content_type"] == kind, photo.text


async def test_downloads_cannot_run_as_pages(api: Api) -> None:
    ent = api.as_("hongxing")
    hid = (await ent.post("/hazards", HAZARD)).json()["id"]
    photo = (await ent.upload(hid, data=PNG, name="现场; x='1'.png")).json()
    report = (await ent.upload(hid, data=PDF, name="整改 报告.pdf", purpose="plan")).json()

    shown = await ent.get(f"/attachments/{photo['id']}/content")
    assert shown.headers["x-content-type-options"] == "nosniff"
    assert shown.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert shown.headers["content-disposition"] == (
        "inline; filename=\"____x__1_.png\"; filename*=UTF-8''"
        "%E7%8E%B0%E5%9C%BA%3B%20x%3D%271%27.png"
    )
    saved = await ent.get(f"/attachments/{report['id']}/content")
    assert saved.headers["content-type"] == "application/pdf"
    assert saved.headers["x-content-type-options"] == "nosniff"
    assert saved.headers["content-disposition"] == (
        'attachment; filename="_____.pdf"; '
        "filename*=UTF-8''%E6%95%B4%E6%94%B9%20%E6%8A%A5%E5%91%8A.pdf"
    )


async def test_a_malformed_upload_is_bad_input_in_chinese(api: Api) -> None:
    ent = api.as_("hongxing")
    hid = (await ent.post("/hazards", HAZARD)).json()["id"]
    for content_type, body in (
        ("multipart/form-data", b"--x\r\n"),  # no boundary parameter
        ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data\r\n\r\n1"),
    ):
        headers = {**ent.headers, "content-type": content_type}
        answer = await ent.client.post(f"/hazards/{hid}/attachments", content=body, headers=headers)
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["message"] == "请求体无法解析"
