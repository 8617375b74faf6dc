"""The province's changes feed: what the county reported, in ledger order, page by page after
an opaque cursor, for the poller holding a feed token; a submission still settling waits."""

from __future__ import annotations

import json
from datetime import timedelta

from services.reporting.ledger.service import NewSubmission, enqueue_many
from tests.hazard_api.conftest import seeded_templates  # noqa: F401 - a fixture
from tests.reporting.hazard_side import (
    FEED_TOKEN,
    Sides,
    sides_fixture,  # noqa: F401 - the `sides` fixture
)

POLLER = {"Authorization": f"Bearer {FEED_TOKEN}"}


async def _enqueue(s: Sides, n: int, start: int = 0) -> None:
    items = [
        NewSubmission(
            document="hazard-listing",
            version=1,
            item_key=f"hazard:h-{i % 3}",
            source_key=f"event-{i}",
            source={"n": i},
            body=json.dumps({"n": i, "名称": "挂牌"}, ensure_ascii=False).encode(),
        )
        for i in range(start, start + n)
    ]
    async with s.runtime.sessionmaker() as session, session.begin():
        await enqueue_many(session, items, now=s.clock.now())


async def _all_pages(s: Sides, limit: int, cursor: str | None = None) -> tuple[list[int], str]:
    seen: list[int] = []
    while True:
        params = {"limit": str(limit)} | ({"cursor": cursor} if cursor else {})
        page = await s.client.get("/feed/submissions", params=params, headers=POLLER)
        assert page.status_code == 200, page.text
        body = page.json()
        seen += [json.loads(item["body"])["n"] for item in body["items"]]
        cursor = body["next_cursor"]
        assert cursor is not None
        if not body["has_more"]:
            return seen, cursor


async def test_the_feed_pages_in_ledger_order_and_resumes_from_its_cursor(sides: Sides) -> None:
    s = sides
    await _enqueue(s, 7)
    # Not settled yet: a poller does not see what may still have a late-committing neighbour.
    assert (await _all_pages(s, 3))[0] == []
    s.clock.advance(seconds=6)
    seen, cursor = await _all_pages(s, 3)
    assert seen == list(range(7))
    # Later submissions come after the cursor kept, and only those.
    await _enqueue(s, 4, start=7)
    s.clock.advance(seconds=6)
    later, _ = await _all_pages(s, 3, cursor)
    assert later == [7, 8, 9, 10]
    page = (await s.client.get("/feed/submissions", params={"limit": 2}, headers=POLLER)).json()
    first = page["items"][0]
    assert first["document"] == "hazard-listing" and first["webhook_id"].startswith("msg_")
    assert first["state"] == "pending" and len(first["body_sha256"]) == 64
    assert page["has_more"] is True


async def test_the_feed_wants_its_token_and_a_cursor_it_gave(sides: Sides) -> None:
    s = sides
    assert (await s.client.get("/feed/submissions")).status_code == 401
    wrong = await s.client.get("/feed/submissions", headers={"Authorization": "Bearer guess"})
    assert wrong.status_code == 401 and "令牌" in wrong.json()["detail"]
    bad = await s.client.get("/feed/submissions", params={"cursor": "!!"}, headers=POLLER)
    assert bad.status_code == 422 and "cursor" in bad.json()["detail"]
    s.clock.advance(timedelta(seconds=1))
    empty = (await s.client.get("/feed/submissions", headers=POLLER)).json()
    assert empty == {"items": [], "next_cursor": empty["next_cursor"], "has_more": False}
