"""A refused form comes back as it was typed, with the reason in Chinese: the accident quick
report (a township officer on a phone at the scene) and 登记隐患. Nothing is saved."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.portal.pages.report import BEIJING
from shared.clock import TestClock
from tests.portal.conftest import PLAN, Api, SignIn
from tests.portal.formvalues import form_values
from tests.portal.test_accident_pages import FORM, local
from tests.portal.test_form_numbers import major_hazard


def later(clock: TestClock, hours: int) -> str:
    return (clock.now() + timedelta(hours=hours)).astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.parametrize(
    "wrong",
    [
        {"unit": "ent-nowhere"},
        {"reporter_phone": "请打给我"},
        {"occurred_at": "future"},
    ],
    ids=["unknown-unit", "bad-phone", "future-time"],
)
async def test_a_refused_quick_report_keeps_what_was_typed(
    signed_in: SignIn, api: Api, clock: TestClock, wrong: dict[str, str]
) -> None:
    town, csrf = await signed_in("daping")
    typed = FORM | {
        "unit": "ent-shifeng",
        "channel": "public",
        "accident_type": "collapse",
        "occurred_at": local(clock, 40),
        "received_at": local(clock, 10),
        "minor_injuries": "3",
        "trapped": "2",
        "poisoned": "0",
    }
    typed |= {k: later(clock, 2) if v == "future" else v for k, v in wrong.items()}
    refused = await town.post("/accidents/new", data=typed | {"csrf_token": csrf})
    assert 400 <= refused.status_code < 500, refused.text
    assert 'role="alert"' in refused.text
    assert form_values(refused.text) == typed
    assert (await api.as_("office").get("/accidents")).json() == []


async def test_a_refused_hazard_report_keeps_what_was_typed(
    signed_in: SignIn, api: Api, clock: TestClock
) -> None:
    town, csrf = await signed_in("daping")
    typed = {
        "unit": "ent-nowhere",
        "source": "complaint",
        "location": "石灰窑东侧平台",
        "description": "平台护栏缺失，作业人员无安全带",
        "found_at": local(clock, 30),
        "latitude": "27.5",
        "longitude": "111.9",
    }
    refused = await town.post("/hazards/new", data=typed | {"csrf_token": csrf})
    assert 400 <= refused.status_code < 500, refused.text
    assert 'role="alert"' in refused.text
    assert form_values(refused.text) == typed
    assert (await api.as_("office").get("/hazards")).json()["items"] == []


async def test_a_photo_refused_after_the_hazard_was_registered_does_not_bring_the_form_back(
    signed_in: SignIn, api: Api, clock: TestClock
) -> None:
    """The hazard stands once the API took it: showing the filled form again would have it
    registered twice on the next submit. Its page says the photo is still to be added."""
    ent, csrf = await signed_in("hongxing")
    typed = {
        "location": "二号库房",
        "description": "防护屏障部分缺失",
        "found_at": local(clock, 30),
        "csrf_token": csrf,
    }
    r = await ent.post(
        "/hazards/new", data=typed, files={"photos": ("现场.png", b"not a picture", "image/png")}
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"].endswith("?tab=evidence&photo=failed")
    page = await ent.get(r.headers["location"])
    assert "隐患已登记，但现场照片未能上传" in page.text
    assert len((await api.as_("office").get("/hazards")).json()["items"]) == 1


async def test_a_refused_plan_comes_back_as_it_was_typed(signed_in: SignIn, api: Api) -> None:
    """The six-part plan is the longest thing a clerk types: a refusal keeps all of it."""
    hid = await major_hazard(api)
    ent, csrf = await signed_in("hongxing")
    typed = {k: str(v) for k, v in PLAN.items()} | {"funds_budget": "12万"}
    refused = await ent.post(
        f"/hazards/{hid}/actions/submit_plan", data=typed | {"tab": "plan", "csrf_token": csrf}
    )
    assert refused.status_code == 422, refused.text
    shown = form_values(refused.text)
    assert {k: shown.get(k) for k in typed} == typed
    assert 'id="action-submit_plan" open' in refused.text
    assert (await api.as_("hongxing").get(f"/hazards/{hid}")).json()["plan"] is None
