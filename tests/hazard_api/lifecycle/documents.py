"""Helpers of the document tests: a hazard in the state a document needs, and a PDF's text and
first page as a person would see them."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pypdfium2
from pypdf import PdfReader

from shared.clock import TestClock
from tests.hazard_api.lifecycle.conftest import HAZARD, Api

# 建成建筑工程有限公司: territory 码头铺镇, supervised by 住建局 (demo_county.yaml).
FOUND = HAZARD | {"description": "脚手架连墙件缺失，外架存在坍塌风险", "source": "self_check"}


async def rectifying_hazard(api: Api) -> dict[str, Any]:
    ent = api.as_("jiancheng")
    created = await ent.post("/hazards", FOUND)
    assert created.status_code == 201, created.text
    hid = created.json()["id"]
    classified = await ent.post(
        f"/hazards/{hid}/classify",
        {"level": "general", "deadline_days": 5, "deadline_kind": "working_days"},
    )
    assert classified.status_code == 200, classified.text
    started = await ent.post(f"/hazards/{hid}/start-rectification", {})
    assert started.status_code == 200, started.text
    return dict(started.json())


async def accept(api: Api, clock: TestClock, hid: str) -> None:
    ent = api.as_("jiancheng")
    photo = await ent.upload(hid, purpose="acceptance")
    assert photo.status_code == 201, photo.text
    reported = await ent.post(
        f"/hazards/{hid}/rectification-report",
        {"summary": "已补齐连墙件", "funds_spent": 3000, "attachment_ids": [photo.json()["id"]]},
    )
    assert reported.status_code == 200, reported.text
    clock.advance(hours=2)
    passed = await api.as_("zhujian").post(
        f"/hazards/{hid}/acceptance", {"passed": True, "opinion": "现场复查合格"}
    )
    assert passed.status_code == 200, passed.text


def pdf_text(data: bytes) -> str:
    """Every page's text with line breaks removed (a long title wraps)."""
    reader = PdfReader(io.BytesIO(data))
    return "".join(page.extract_text() for page in reader.pages).replace("\n", "")


def keep_first_page(data: bytes, name: str, tmp_path: Path) -> Path:
    """Page 1 as PNG, kept where the page tests keep their screenshots."""
    folder = Path(os.environ.get("DUBAN_SCREENSHOTS") or tmp_path) / "documents"
    folder.mkdir(parents=True, exist_ok=True)
    pdf = pypdfium2.PdfDocument(data)
    try:
        image = pdf[0].render(scale=1.5).to_pil()
    finally:
        pdf.close()
    target = folder / f"{name}.png"
    image.save(target)
    return target
