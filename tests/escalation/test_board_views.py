"""HTTP for the 督办看板 and 升级策略 pages: a set of hazards' ladder stages, the policies and
their frozen versions, a hazard's timeline under the policies in force; county office and
leaders only."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from shared.clock import TestClock
from shared.contract import HazardEventType as E
from tests.escalation.conftest import (
    bearer,
    deliver,
    end_of_day,
    hazard_event,
    make_facts,
    run_until,
    sh,
)
from tests.escalation.test_views import app, client  # noqa: F401  (fixtures)


async def two_cases(app: FastAPI, clock: TestClock) -> tuple[str, str]:  # noqa: F811
    runtime = app.state.runtime
    clock.set(sh(2026, 9, 21, 10, 0))
    early = make_facts(classified_at=clock.now(), deadline_at=end_of_day(2026, 9, 25))
    late = make_facts(classified_at=clock.now(), deadline_at=end_of_day(2026, 12, 25))
    for facts in (early, late):
        await deliver(runtime, hazard_event(E.RECTIFICATION_STARTED, facts, clock.now()))
    await run_until(runtime, clock, sh(2026, 9, 30, 0, 0))
    return early.hazard_id, late.hazard_id


async def test_stages_of_a_set_of_hazards(
    app: FastAPI,  # noqa: F811
    client: httpx.AsyncClient,  # noqa: F811
    clock: TestClock,
) -> None:
    early, late = await two_cases(app, clock)
    answer = await client.get("/cases", params=[("hazard_id", early), ("hazard_id", late)])
    assert answer.status_code == 200, answer.text
    stages = {s["hazard_id"]: s for s in answer.json()}
    assert set(stages) == {early, late}
    overdue = stages[early]
    # 25 Sep deadline: the reminders and the overdue notice (Monday 28 Sep) fired by 30 Sep.
    assert overdue["current"]["step_key"] == "overdue_notice" and overdue["done_steps"] >= 3
    assert overdue["next"]["status"] == "planned" and overdue["next_fire_at"] is not None
    assert stages[late]["current"] is None and stages[late]["done_steps"] == 0
    assert stages[late]["next"]["step_key"] == "remind_3wd"

    leader = await client.get(
        "/cases", params={"hazard_id": early}, headers=bearer(clock, "leader")
    )
    assert leader.status_code == 200 and len(leader.json()) == 1
    unknown = await client.get("/cases", params={"hazard_id": "no-such-hazard"})
    assert unknown.json() == []
    assert (await client.get("/cases")).status_code == 422


async def test_only_the_county_office_and_leaders_see_the_board(
    app: FastAPI,  # noqa: F811
    client: httpx.AsyncClient,  # noqa: F811
    clock: TestClock,
) -> None:
    early, _ = await two_cases(app, clock)
    for role in ("enterprise", "township", "department"):
        headers = bearer(clock, role, unit_id="ent-1")
        for path, params in (
            ("/cases", {"hazard_id": early}),
            (f"/cases/{early}/simulation", {}),
            ("/policies", {}),
        ):
            refused = await client.get(path, params=params, headers=headers)
            assert refused.status_code == 403, (role, path)
            assert "县安委办和县领导" in refused.json()["detail"]
    assert (await client.get("/policies", headers={"Authorization": "Bearer x"})).status_code == 401


async def test_policies_in_force_with_their_frozen_versions(
    app: FastAPI,  # noqa: F811
    client: httpx.AsyncClient,  # noqa: F811
    clock: TestClock,
) -> None:
    await two_cases(app, clock)
    body = (await client.get("/policies", headers=bearer(clock, "leader"))).json()
    by_id = {p["policy_id"]: p for p in body}
    assert {"county-general", "county-major"} <= set(by_id)
    general = by_id["county-general"]
    assert general["version_in_force"] == 1 and general["match"]["levels"] == ["general"]
    [version] = general["versions"]
    assert version["in_force"] and version["cases"] == 2
    assert version["steps"][0]["key"] == "remind_3wd"


async def test_a_hazards_timeline_under_the_policies_in_force(
    app: FastAPI,  # noqa: F811
    client: httpx.AsyncClient,  # noqa: F811
    clock: TestClock,
) -> None:
    early, _ = await two_cases(app, clock)
    sim = await client.get(f"/cases/{early}/simulation")
    assert sim.status_code == 200, sim.text
    body = sim.json()
    assert (body["policy_id"], body["policy_version"]) == ("county-general", 1)
    keys = [(s["step_key"], s["due_at"]) for s in body["steps"]]
    assert ("overdue_notice", "2026-09-28T00:30:00Z") in keys  # 26 Sep: a Saturday
    other = await client.get(f"/cases/{early}/simulation", params={"policy_id": "county-major"})
    assert other.json()["policy_id"] == "county-major"
    missing = await client.get(f"/cases/{early}/simulation", params={"policy_id": "nope"})
    assert missing.status_code == 404 and "现行督办策略" in missing.json()["detail"]
    none = await client.get("/cases/no-such-hazard/simulation")
    assert none.status_code == 404 and none.json()["detail"] == "未找到该隐患的督办案件"
