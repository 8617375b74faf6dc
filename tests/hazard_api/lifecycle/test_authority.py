"""The authority table, cell by cell, through the HTTP API: for every action and every origin
of hazard, each role that may take it gets a 2xx, each that may not gets 403 with a Chinese
message (on a hazard in its scope), an action that does not apply to the origin gets 409, and
every role that has a scope gets 404 outside it. Parametrized over the table itself: a new row
gets its tests for free (and a missing preparation below fails loudly)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.hazard_api.auth.models import User, UserRole
from services.hazard_api.auth.service import issue_token
from services.hazard_api.hazards.states import RULES, Action, Origin, readme_table
from shared.db import transaction
from tests.hazard_api.lifecycle.conftest import HAZARD, PLAN, Api, _As

R = UserRole
# One account per role, each with ent-jiancheng (建成建筑, 码头铺镇, 住建局) in its scope and
# ent-hongxing (红星烟花, 大坪乡, 应急局/公安局) outside it, but the county office.
ACTORS = {
    R.ENTERPRISE: "jiancheng",
    R.TOWNSHIP: "matoupu",
    R.DEPARTMENT: "zhujian",
    R.COUNTY_OFFICE: "office",
    R.LEADER: "fuxianzhang",
    R.INTEGRATION: "matoupu_app",
}
IN_SCOPE, OUT_OF_SCOPE = "ent-jiancheng", "ent-hongxing"
MAJOR = {"level": "major", "grade": 3, "criterion_id": "JZ-4-1"}  # 建筑施工, applies to E4710


@pytest.fixture
async def cells_api(api: Api, app: FastAPI) -> Api:
    """The lifecycle accounts plus a township of 码头铺镇 and an integration client bound to it
    that may write hazards."""
    extra = [
        User(
            id="u-matoupu",
            username="matoupu",
            password_hash="!no-password-login",
            role=R.TOWNSHIP.value,
            unit_id="tw-matoupu",
            person_id="p-luoxia",
            scopes="",
            active=True,
            created_at=app.state.clock.now(),
        ),
        User(
            id="u-matoupu-app",
            username="matoupu_app",
            password_hash="!no-password-login",
            role=R.INTEGRATION.value,
            unit_id="tw-matoupu",
            person_id=None,
            scopes="hazards:read hazards:write listing:external",
            active=True,
            created_at=app.state.clock.now(),
        ),
    ]
    async with transaction(app.state.sessionmaker) as session:
        session.add_all(extra)
    for user in extra:
        token = issue_token(
            user,
            user.scopes.split(),
            secret_key=app.state.settings.secret_key,
            clock=app.state.clock,
            minutes=60,
        )
        api.headers[user.username] = {"Authorization": f"Bearer {token}"}
    return api


# ---------------------------------------------------------------- bringing a hazard to a state
async def _ok(response: Awaitable[httpx.Response]) -> dict[str, Any]:
    r = await response
    assert r.status_code in (200, 201), r.text
    body: dict[str, Any] = r.json()
    return body


async def reported(api: Api, origin: Origin, unit_id: str = IN_SCOPE) -> str:
    source = "self_check" if origin == Origin.SELF_FOUND else "inspection"
    body = HAZARD | {"unit_id": unit_id, "source": source}
    return str((await _ok(api.as_("office").post("/hazards", body)))["id"])


async def classified(api: Api, origin: Origin, *, major: bool = False) -> str:
    office = api.as_("office")
    hid = await reported(api, origin)
    if origin == Origin.LISTED:
        await _ok(office.post(f"/hazards/{hid}/classify", MAJOR))
        await _ok(office.put(f"/hazards/{hid}/plan", PLAN))
        await _ok(office.post(f"/hazards/{hid}/listing", {"notice_no": "演安委〔2026〕1号"}))
    else:
        await _ok(office.post(f"/hazards/{hid}/classify", MAJOR if major else {"level": "general"}))
    return hid


async def rectifying(api: Api, origin: Origin) -> str:
    hid = await classified(api, origin)
    await _ok(api.as_("office").post(f"/hazards/{hid}/start-rectification", {}))
    return hid


async def evidence(api: Api, hid: str) -> list[str]:
    return [str((await _ok(api.as_("office").upload(hid, purpose="acceptance")))["id"])]


async def rectification_reported(api: Api, origin: Origin) -> str:
    hid = await rectifying(api, origin)
    body = {"summary": "整改完成", "attachment_ids": await evidence(api, hid)}
    await _ok(api.as_("jiancheng").post(f"/hazards/{hid}/rectification-report", body))
    return hid


async def accepted(api: Api, origin: Origin) -> str:
    hid = await rectification_reported(api, origin)
    await _ok(
        api.as_("office2").post(f"/hazards/{hid}/acceptance", {"passed": True, "opinion": "合格"})
    )
    return hid


Call = Callable[[_As], Awaitable[httpx.Response]]


async def _nothing(_api: Api, _hid: str) -> str:
    return "x"


async def _evidence_id(api: Api, hid: str) -> str:
    return (await evidence(api, hid))[0]


async def _extension_id(api: Api, hid: str) -> str:
    body = {"reason": "材料未到", "days": 5}
    return str((await _ok(api.as_("jiancheng").post(f"/hazards/{hid}/extensions", body)))["id"])


@dataclass(frozen=True)
class Case:
    """How to bring a hazard of an origin to where the action starts (`prepare`, then `needs`:
    an attachment or extension the request names), and the action's request (`call`). Outside
    scope the request names a made-up id: the hazard is not found before anything else."""

    prepare: Callable[[Api, Origin], Awaitable[str]]
    call: Callable[[str, str], Call]
    status: int = 200
    needs: Callable[[Api, str], Awaitable[str]] = _nothing


def post(path: str, body: Any) -> Callable[[str, str], Call]:
    return lambda hid, _extra: lambda me: me.post(f"/hazards/{hid}/{path}", body)


def with_evidence(path: str) -> Callable[[str, str], Call]:
    body = {"summary": "已整改"}
    return lambda hid, att: (
        lambda me: me.post(f"/hazards/{hid}/{path}", body | {"attachment_ids": [att]})
    )


async def _major(api: Api, origin: Origin) -> str:
    return await classified(api, origin, major=True)


async def _reported_or_listed(api: Api, origin: Origin) -> str:
    return await (classified(api, origin) if origin == Origin.LISTED else reported(api, origin))


async def _major_or_listed(api: Api, origin: Origin) -> str:
    return await (classified if origin == Origin.LISTED else _major)(api, origin)


# The city's decision as the reporting link relays it (a county listing is raised to the city).
CITY_DECISION = {
    "decided_by": "city",
    "decision_id": "msg_city_0001",
    "notice_no": "演市安委〔2026〕5号",
    "deadline_on": "2026-05-06",
}


CASES: dict[Action, Case] = {
    Action.CLASSIFY_GENERAL: Case(reported, post("classify", {"level": "general"})),
    Action.CLASSIFY_MAJOR: Case(reported, post("classify", MAJOR)),
    Action.PROPOSE_MAJOR: Case(
        reported,
        post("propose-major", {"grade": 3, "criterion_id": "JZ-4-1", "reason": "可能坍塌"}),
    ),
    Action.RECLASSIFY: Case(classified, post("reclassify", MAJOR | {"reason": "复核为重大"})),
    Action.VOID: Case(_reported_or_listed, post("void", {"reason": "重复登记"})),
    Action.SUBMIT_PLAN: Case(
        _major, lambda hid, _: lambda me: me.put(f"/hazards/{hid}/plan", PLAN)
    ),
    Action.START_RECTIFICATION: Case(classified, post("start-rectification", {})),
    Action.RECTIFY_ON_SPOT: Case(reported, with_evidence("rectified-on-spot"), needs=_evidence_id),
    Action.LIST: Case(_major, post("listing", {"notice_no": "演安委〔2026〕2号"})),
    Action.RAISE_LISTING: Case(classified, post("listing/raise", {"reason": "整改拖延"})),
    Action.PUBLISH_LISTING: Case(classified, post("listing/publish", {"published": True})),
    Action.REQUEST_EXTENSION: Case(
        rectifying, post("extensions", {"reason": "材料未到", "days": 5}), 201
    ),
    Action.DECIDE_EXTENSION: Case(
        rectifying,
        lambda hid, ext: (
            lambda me: me.post(
                f"/hazards/{hid}/extensions/{ext}/decision", {"approve": True, "opinion": "同意"}
            )
        ),
        needs=_extension_id,
    ),
    Action.REPORT_RECTIFICATION: Case(
        rectifying, with_evidence("rectification-report"), needs=_evidence_id
    ),
    Action.DECIDE_ACCEPTANCE: Case(
        rectification_reported, post("acceptance", {"passed": True, "opinion": "合格"})
    ),
    Action.CLOSE: Case(accepted, post("close", {"delisting_notice_no": "演安委〔2026〕9号"})),
    Action.RECOUNT_DEADLINE: Case(classified, post("deadline/recount", {})),
    Action.ATTACH_EVIDENCE: Case(
        _reported_or_listed, lambda hid, _: lambda me: me.upload(hid), 201
    ),
    Action.APPLY_EXTERNAL_LISTING: Case(_major_or_listed, post("listing/external", CITY_DECISION)),
}

CELLS = [
    pytest.param(action, origin, id=f"{action.value}-{origin.value}")
    for action in Action
    if action != Action.REPORT
    for origin in Origin
]


@pytest.mark.parametrize(("action", "origin"), CELLS)
async def test_each_role_on_each_origin(cells_api: Api, action: Action, origin: Origin) -> None:
    api, rule, case = cells_api, RULES[action], CASES[action]
    applies = origin in rule.cells
    allowed = rule.cells.get(origin, frozenset())
    # Roles refused (or told the action does not apply) share one hazard: nothing changes it.
    # Where the action does not apply, any hazard of the origin will do (a listed one is never
    # merely reported).
    shared = await (case.prepare if applies else classified)(api, origin)
    call = case.call(shared, await case.needs(api, shared) if applies else "x")
    for role, username in ACTORS.items():
        if role in allowed:
            continue
        r = await call(api.as_(username))
        if role not in rule.roles:
            assert r.status_code == 403, (role, r.text)
            assert r.json()["detail"].startswith(f"当前账号角色无权{rule.label}"), r.text
        elif not applies:
            assert r.status_code == 409, (role, r.text)
        else:
            assert r.status_code == 403, (role, r.text)
            assert f"无权{rule.label}" in r.json()["detail"], r.text
    # Each role allowed gets a hazard of its own in the right state.
    for role in sorted(allowed):
        hid = await case.prepare(api, origin)
        r = await case.call(hid, await case.needs(api, hid))(api.as_(ACTORS[role]))
        assert r.status_code == case.status, (role, r.text)
    # Outside its scope every role but the county office's (which sees the whole county) is
    # answered as if the hazard did not exist.
    elsewhere = await reported(api, Origin.INSPECTOR_FOUND, unit_id=OUT_OF_SCOPE)
    missing = await api.as_("office").get("/hazards/no-such-hazard")
    for role, username in ACTORS.items():
        if role == R.COUNTY_OFFICE:
            continue
        r = await case.call(elsewhere, "x")(api.as_(username))
        assert r.status_code == 404, (role, r.text)
        assert r.json() == missing.json()


@pytest.mark.parametrize("origin", [Origin.SELF_FOUND, Origin.INSPECTOR_FOUND])
async def test_every_role_may_report_within_its_scope(cells_api: Api, origin: Origin) -> None:
    assert RULES[Action.REPORT].cells[origin] == frozenset(R)
    source = "self_check" if origin == Origin.SELF_FOUND else "inspection"
    for role, username in ACTORS.items():
        me = cells_api.as_(username)
        r = await me.post("/hazards", HAZARD | {"unit_id": IN_SCOPE, "source": source})
        assert r.status_code == 201, (role, r.text)
        if role != R.COUNTY_OFFICE:
            out = await me.post("/hazards", HAZARD | {"unit_id": OUT_OF_SCOPE, "source": source})
            assert out.status_code == 404, (role, out.text)


def test_every_action_has_its_cell_tests() -> None:
    assert set(CASES) == set(Action) - {Action.REPORT}


def test_the_table_says_what_county_practice_says() -> None:
    """DOMAIN §9, pinned: the cell tests above follow the table, these follow the practice."""
    E, T, D, C = R.ENTERPRISE, R.TOWNSHIP, R.DEPARTMENT, R.COUNTY_OFFICE
    self_found, found, listed = Origin.SELF_FOUND, Origin.INSPECTOR_FOUND, Origin.LISTED

    def roles(action: Action, origin: Origin) -> frozenset[UserRole]:
        return RULES[action].cells[origin]

    # The enterprise: fixes what it found itself at once, judges only that as general, and
    # proposes a major classification; never classifies what an inspector found.
    assert E in roles(Action.RECTIFY_ON_SPOT, self_found)
    assert E not in roles(Action.RECTIFY_ON_SPOT, found)
    assert E in roles(Action.CLASSIFY_GENERAL, self_found)
    assert E not in roles(Action.CLASSIFY_GENERAL, found)
    assert (
        roles(Action.CLASSIFY_MAJOR, self_found)
        == roles(Action.CLASSIFY_MAJOR, found)
        == {
            D,
            C,
        }
    )
    assert E in roles(Action.PROPOSE_MAJOR, self_found)
    # Verification never by the rectifying side; listed hazards by the listing body.
    for action in (Action.DECIDE_ACCEPTANCE, Action.CLOSE, Action.DECIDE_EXTENSION):
        assert E not in RULES[action].roles and T not in RULES[action].roles
        assert roles(action, listed) == {C}
    for action in (Action.RECLASSIFY, Action.VOID):
        assert E not in RULES[action].roles
    assert RULES[Action.PUBLISH_LISTING].cells == {listed: {C}}


def test_the_readme_shows_the_code_table() -> None:
    readme = (Path(__file__).parents[3] / "README.md").read_text()
    assert readme_table() in readme
