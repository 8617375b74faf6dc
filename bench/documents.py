"""公文 at volume: BENCH_DOCUMENTS (default 1,000) documents issued through hazard_api's API —
the 文号 counter, the row, the audit chain, the outbox event and the GB/T 9704 PDF — against
rendering the same HTML pages to PDF with bare WeasyPrint (`HTML(string=…).write_pdf()`), in
the same run.

hazard_api runs in process (ASGI) on a fresh SQLite file holding the demo county; the county
office drafts each document (not timed: a 通报 of the county's overdue items), then issues it
(timed, one at a time, as people do). The baseline renders each issued document's own HTML.

    RESULT docs_per_s=<n> ratio=<x>

ratio = service documents per second / bare renders per second. Goal: ratio ≥ 0.8 (numbering,
storage and audit cost little next to rendering; the service keeps one font configuration
for every render, which bare WeasyPrint builds anew each time).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services.hazard_api.auth.models import User  # noqa: E402
from services.hazard_api.auth.service import issue_token  # noqa: E402
from services.hazard_api.config import Settings  # noqa: E402
from services.hazard_api.db import MIGRATIONS_DIR  # noqa: E402
from services.hazard_api.directory.seed import seed_demo  # noqa: E402
from services.hazard_api.documents.models import Document  # noqa: E402
from services.hazard_api.documents.render import Fonts, render_html  # noqa: E402
from services.hazard_api.main import create_app  # noqa: E402
from shared.clock import TestClock  # noqa: E402
from shared.db import make_engine, make_sessionmaker, transaction  # noqa: E402
from shared.migrations import upgrade_async  # noqa: E402

DOCUMENTS = int(os.environ.get("BENCH_DOCUMENTS", "1000"))
CHUNK = 25  # documents issued, then rendered bare, in turn
SECRET = "bench-documents-secret-0123456789abcdef"
START = datetime(2026, 3, 6, 1, 0, tzinfo=UTC)


def say(text: str) -> None:
    print(text, flush=True)


async def database(folder: str) -> str:
    url = f"sqlite+aiosqlite:///{folder}/hazard_api.db"
    await upgrade_async(url, MIGRATIONS_DIR)
    engine = make_engine(url)
    try:
        async with transaction(make_sessionmaker(engine)) as session:
            await seed_demo(session=session, clock=TestClock(START))
    finally:
        await engine.dispose()
    return url


async def measure(url: str) -> tuple[float, float]:
    """Issue through the service and render the same pages bare, chunk by chunk in turn, so a
    machine busy with something else slows both sides alike; both are warmed first (the
    import of WeasyPrint and the first font lookup cost seconds, once)."""
    settings = Settings(
        env="test",
        database_url=url,
        secret_key=SECRET,
        outbox_relay=False,
        timeline_consumer=False,
        audit_sealer=False,
    )
    clock = TestClock(START)
    app = create_app(settings, clock=clock)
    async with app.state.sessionmaker() as session:
        office = (await session.scalars(select(User).where(User.username == "office"))).one()
    token = issue_token(office, [], secret_key=SECRET, clock=clock, minutes=24 * 60)
    headers = {"Authorization": f"Bearer {token}"}
    transport = httpx.ASGITransport(app=app)
    service = baseline = 0.0
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://h") as client:
            ids = []
            for _ in range(DOCUMENTS + 1):
                drafted = await client.post(
                    "/documents", json={"doc_type": "bulletin"}, headers=headers
                )
                drafted.raise_for_status()
                ids.append(drafted.json()["id"])
            say(f"{DOCUMENTS} drafts written (and one to warm up); issuing")
            warm = await client.post(f"/documents/{ids.pop(0)}/issue", headers=headers)
            warm.raise_for_status()
            bare([await page_of(app, warm.json()["id"], settings)])
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start : start + CHUNK]
                began = time.perf_counter()
                for document_id in chunk:
                    issued = await client.post(f"/documents/{document_id}/issue", headers=headers)
                    issued.raise_for_status()
                service += time.perf_counter() - began
                pages = [await page_of(app, document_id, settings) for document_id in chunk]
                baseline += await asyncio.to_thread(bare, pages)
    finally:
        await app.state.engine.dispose()
    return service, baseline


async def page_of(app: Any, document_id: str, settings: Settings) -> str:
    async with app.state.sessionmaker() as session:
        doc = await session.get(Document, document_id)
        assert doc is not None and doc.doc_no, "an issued document has its 文号"
        return render_html(doc, Fonts.of(settings))


def bare(pages: list[str]) -> float:
    from weasyprint import HTML

    began = time.perf_counter()
    for page in pages:
        HTML(string=page).write_pdf()
    return time.perf_counter() - began


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = await database(folder)
        service, baseline = await measure(url)
    say(f"service: {DOCUMENTS} issued in {service:.1f} s")
    say(f"bare WeasyPrint: the same {DOCUMENTS} pages rendered in {baseline:.1f} s")
    docs_per_s = DOCUMENTS / service
    ratio = docs_per_s / (DOCUMENTS / baseline)
    say(f"RESULT docs_per_s={docs_per_s:.2f} ratio={ratio:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
