"""挂牌督办通知书 names the listing level once, whatever the level: 「实行市级挂牌督办」, never
「实行市级挂牌督办挂牌督办」."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy import update

from services.hazard_api.hazards.models import Hazard
from tests.hazard_api.lifecycle.conftest import Api
from tests.hazard_api.lifecycle.documents import rectifying_hazard


@pytest.mark.parametrize(
    ("level", "words"),
    [
        (None, "实行县级挂牌督办。"),  # drafted before the listing is recorded
        ("county", "实行县级挂牌督办。"),
        ("city", "实行市级挂牌督办。"),
        ("province", "实行省级挂牌督办。"),
    ],
)
async def test_the_listing_notice_names_the_level_once(
    api: Api, app: FastAPI, level: str | None, words: str
) -> None:
    hid = (await rectifying_hazard(api))["id"]
    # City and province listings arrive only through the reporting relay; the notice reads
    # the level off the hazard, so setting it here exercises the same wording.
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(update(Hazard).where(Hazard.id == hid).values(listing_level=level))
    office = api.as_("office")
    drafted = await office.post("/documents", {"doc_type": "listing_notice", "hazard_id": hid})
    assert drafted.status_code == 201, drafted.text
    issued = await office.post(f"/documents/{drafted.json()['id']}/issue")
    assert issued.status_code == 200, issued.text

    page = (await office.get(f"/documents/{drafted.json()['id']}/html")).text
    assert words in page
    assert "挂牌督办挂牌督办" not in page
