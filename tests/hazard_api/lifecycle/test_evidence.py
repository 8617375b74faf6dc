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
