"""A refusal names the field as the form labels it, never by the API's name, and says the bound
the API checked: the hazard_api answers read through the portal's pages."""

from __future__ import annotations

import re

import pytest

from services.portal.fields import field_label
from shared.clock import TestClock
from tests.hazard_api.lifecycle.documents import rectifying_hazard
from tests.portal.conftest import HAZARD, Api, SignIn
from tests.portal.test_accident_pages import local

# An API field name before the colon of a message, e.g. "location：" or "holidays.0：".
API_NAME = re.compile(r"[a-z_]+(\.\d+)*：")


def alert(html: str) -> str:
    found = re.search(r'<p class="notice"[^>]*>([^<]*)<', html)
    assert found, html
    return found.group(1)


async def test_a_blank_hazard_location_is_named_by_its_label(
    signed_in: SignIn, api: Api, clock: TestClock
) -> None:
    ent, csrf = await signed_in("hongxing")
    form = {k: HAZARD[k] for k in ("description", "source")} | {"location": "   "}
    refused = await ent.post(
        "/hazards/new", data=form | {"found_at": local(clock, 5), "csrf_token": csrf}
    )
    assert refused.status_code == 422
    assert alert(refused.text) == "隐患部位：不能为空"


async def test_a_rectification_report_without_a_photo_says_the_photo_is_missing(
    signed_in: SignIn, api: Api
) -> None:
    hid = (await rectifying_hazard(api))["id"]
    ent, csrf = await signed_in("jiancheng")
    refused = await ent.post(
        f"/hazards/{hid}/actions/report_rectification",
        data={"summary": "已补齐连墙件", "funds_spent": "3000", "csrf_token": csrf},
    )
    assert refused.status_code == 422
    assert alert(refused.text) == "整改后照片：至少须有1项"


async def test_a_bad_holiday_date_names_the_list_and_the_line(signed_in: SignIn, api: Api) -> None:
    office, csrf = await signed_in("office")
    form = {"year": "2027", "notice_no": "国办发明电〔2026〕12号", "csrf_token": csrf}
    refused = await office.post(
        "/directory/calendar", data=form | {"holidays": "2027-01-01\n2027-13-01", "workdays": ""}
    )
    assert refused.status_code == 422
    said = alert(refused.text)
    assert said.startswith("放假日期（第2项）："), said
    assert not API_NAME.search(said), said


async def test_a_short_new_password_says_how_long_it_must_be(signed_in: SignIn) -> None:
    ent, csrf = await signed_in("hongxing")
    refused = await ent.post(
        "/password",
        data={
            "current_password": "whatever",
            "new_password": "Ab1",
            "new_password_again": "Ab1",
            "csrf_token": csrf,
        },
    )
    assert refused.status_code == 422
    said = alert(refused.text)
    assert re.fullmatch(r"新密码：内容过短（至少\d+个字符）", said), said


async def test_the_api_says_the_bound_it_checked(api: Api) -> None:
    hid = (await rectifying_hazard(api))["id"]
    asked = await api.as_("jiancheng").post(
        f"/hazards/{hid}/extensions", {"reason": "雨季施工受限", "days": 9999}
    )
    assert asked.status_code == 422
    error = asked.json()["errors"][0]
    assert (field_label(error["field"]), error["message"]) == ("延期天数", "不能大于365")


@pytest.mark.parametrize(
    ("loc", "shown"),
    [
        ("location", "隐患部位"),
        ("holidays.0", "放假日期（第1项）"),
        ("checklist.2.evidence", "验收清单（第3项）佐证"),
        ("no_such_field", ""),
    ],
)
def test_field_labels(loc: str, shown: str) -> None:
    assert field_label(loc) == shown
