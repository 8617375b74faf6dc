"""文号 under concurrency (PostgreSQL): 200 issues of one type for one body at once, with some
issuing transactions failing after they took a number, give exactly 1…200."""

from __future__ import annotations

import asyncio
import re

import pytest

from services.hazard_api.documents import render
from services.hazard_api.documents.models import Document
from services.hazard_api.errors import Conflict
from tests.hazard_api.lifecycle.conftest import Api

ISSUED = 200
FAILING = 30
FAILURE = "模拟印制失败"


def serial_of(doc_no: str) -> int:
    found = re.fullmatch(r"演示县安委办〔2026〕(\d+)号", doc_no)
    assert found is not None, doc_no
    return int(found[1])


@pytest.mark.parametrize("db_kind", ["postgresql"])
async def test_concurrent_issues_are_consecutive_without_gaps(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    office = api.as_("office")
    ids = []
    for _ in range(ISSUED + FAILING):
        drafted = await office.post("/documents", {"doc_type": "bulletin"})
        assert drafted.status_code == 201, drafted.text
        ids.append(drafted.json()["id"])
    doomed = set(ids[::7][:FAILING])
    assert len(doomed) == FAILING

    # Printing fails for some after their number was taken: those transactions roll back.
    # (The real renderer is tested elsewhere; here it would only make the queue slower.)
    def printer(doc: Document, _fonts: render.Fonts) -> bytes:
        if doc.id in doomed:
            raise Conflict(FAILURE)
        return f"%PDF-1.7 {doc.doc_no}".encode()

    monkeypatch.setattr(render, "render_pdf", printer)
    answers = await asyncio.gather(*(office.post(f"/documents/{i}/issue") for i in ids))

    failed = [a for a in answers if a.status_code == 409]
    assert len(failed) == FAILING and {a.json()["detail"] for a in failed} == {FAILURE}
    issued = [a.json() for a in answers if a.status_code == 200]
    assert len(issued) == ISSUED
    serials = sorted(serial_of(d["doc_no"]) for d in issued)
    assert serials == list(range(1, ISSUED + 1))

    # The failed ones are still drafts, and the next issue continues the sequence.
    again = await office.post(f"/documents/{sorted(doomed)[0]}/issue")
    assert again.status_code == 409
    monkeypatch.undo()
    first_doomed = sorted(doomed)[0]
    assert (await office.get(f"/documents/{first_doomed}")).json()["status"] == "draft"
    retried = await office.post(f"/documents/{first_doomed}/issue")
    assert retried.status_code == 200, retried.text
    assert retried.json()["doc_no"] == f"演示县安委办〔2026〕{ISSUED + 1}号"
