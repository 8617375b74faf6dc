"""Intake's two paths (one statement on PostgreSQL, the general one) write the same rows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update

from services.hazard_api.audit.models import AuditRow
from services.hazard_api.auth.models import User
from services.hazard_api.db import outbox_tables
from services.hazard_api.hazards import intake_statement
from services.hazard_api.hazards.models import Hazard
from services.hazard_api.hazards.schemas import HazardOut
from shared.db import is_sqlite
from tests.hazard_api.lifecycle.conftest import HAZARD, Api


class _Paths:
    """Which path each intake took (True: the one statement answered, or refused)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.taken: list[bool] = []
        self.general_only = False
        one_statement = intake_statement.report_in_one_statement

        async def spy(*args: Any, **kwargs: Any) -> HazardOut | None:
            if self.general_only:
                self.taken.append(False)
                return None
            self.taken.append(True)
            out = await one_statement(*args, **kwargs)
            self.taken[-1] = out is not None
            return out

        monkeypatch.setattr(intake_statement, "report_in_one_statement", spy)


async def _rows(app: FastAPI, hazard_id: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    o = outbox_tables.outbox
    async with app.state.sessionmaker() as session:
        hazard = await session.get(Hazard, hazard_id)
        audit = await session.scalar(select(AuditRow).where(AuditRow.entity_id == hazard_id))
        event = await session.scalar(select(o.c.value).where(o.c.key == hazard_id))
    assert hazard is not None and audit is not None and event is not None
    columns = {c.key: getattr(hazard, c.key) for c in Hazard.__table__.columns}
    audit_columns = {c.key: getattr(audit, c.key) for c in AuditRow.__table__.columns}
    return columns, audit_columns, event


def _same_apart_from_ids(a: Mapping[str, Any], b: Mapping[str, Any], ids: set[str]) -> None:
    assert a.keys() == b.keys()
    for key in a.keys() - ids:
        assert a[key] == b[key], key


@pytest.mark.parametrize(
    ("username", "unit_id"),
    [
        ("office", "ent-tongda"),  # two supervising departments
        ("office", "tw-daping"),  # no industry, no departments
        ("hongxing", None),  # an enterprise's own unit
        ("daping", "ent-chaoshi"),  # a township's territory
    ],
)
async def test_both_paths_write_the_same_hazard_audit_row_and_event(
    api: Api, app: FastAPI, monkeypatch: pytest.MonkeyPatch, username: str, unit_id: str | None
) -> None:
    paths = _Paths(monkeypatch)
    me = api.as_(username)
    body = HAZARD | ({"unit_id": unit_id} if unit_id else {})
    paths.general_only = True
    general = await me.post("/hazards", body)
    paths.general_only = False
    fast = await me.post("/hazards", body)  # the identity is known now
    assert general.status_code == fast.status_code == 201, (general.text, fast.text)
    on_pg = not is_sqlite(app.state.engine)
    assert paths.taken == [False, on_pg]

    g, f = general.json(), fast.json()
    _same_apart_from_ids(g, f, {"id", "code"})
    if unit_id == "ent-tongda":  # 住建局 linked; 交通运输局 regulates road construction (E48)
        assert f["department_ids"] == ["dep-jiaotong", "dep-zhujian"]
    g_hazard, g_audit, g_event = await _rows(app, g["id"])
    f_hazard, f_audit, f_event = await _rows(app, f["id"])
    _same_apart_from_ids(g_hazard, f_hazard, {"id", "code", "audit_head"})
    _same_apart_from_ids(g_audit, f_audit, {"id", "chain_key", "entity_id", "hash", "prev_hash"})
    assert f_audit["seq"] == 1 and f_hazard["audit_head"] == f_audit["hash"]
    # The event's JSON is the same text, unit facts spliced in by SQL or not.
    g_event_id = g_event.split('"event_id":"', 1)[1][:36]
    f_event_id = f_event.split('"event_id":"', 1)[1][:36]
    assert f_event.replace(f["id"], "H").replace(f["code"], "C").replace(f_event_id, "E") == (
        g_event.replace(g["id"], "H").replace(g["code"], "C").replace(g_event_id, "E")
    )
    verify = await api.as_("office").get("/audit/verify")
    assert verify.json()["ok"] is True, verify.json()


async def test_one_statement_writes_nothing_for_a_unit_out_of_scope(
    api: Api, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = _Paths(monkeypatch)
    daping = api.as_("daping")  # township of 大坪镇
    await daping.get("/hazards")  # any authenticated request: this process knows the identity
    assert (await daping.post("/hazards", HAZARD | {"unit_id": "ent-chaoshi"})).status_code == 201
    async with app.state.sessionmaker() as session:
        before = await session.scalar(select(func.count()).select_from(Hazard))
    for unit_id in ("ent-jiancheng", "no-such-unit"):
        refused = await daping.post("/hazards", HAZARD | {"unit_id": unit_id})
        assert refused.status_code == 404 and "管辖范围" in refused.json()["detail"]
    async with app.state.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Hazard)) == before
        assert await session.scalar(select(func.count()).select_from(AuditRow)) == before
    assert paths.taken == [not is_sqlite(app.state.engine)] * 3


async def test_text_the_database_cannot_store_is_refused_not_a_crash(
    api: Api, app: FastAPI
) -> None:
    me = api.as_("hongxing")
    await me.get("/hazards")  # this process knows the identity: the one statement is tried
    bad = await me.post("/hazards", HAZARD | {"description": "库房\x00药量"})
    # PostgreSQL cannot store NUL in text: refused at the edge on every database, as the
    # OpenAPI's pattern says.
    assert bad.status_code == 422, bad.text
    assert bad.json()["errors"][0]["message"] == "内容不能包含控制字符"


@pytest.mark.parametrize("change", ["password", "lock"])
async def test_a_cut_off_token_is_refused_on_the_one_statement_path(
    api: Api, app: FastAPI, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    """#17: the fast path trusted a remembered identity; a password changed by another worker
    (this process still remembers the identity) must cut the old token off here too."""
    paths = _Paths(monkeypatch)
    me = api.as_("hongxing")
    assert (await me.post("/hazards", HAZARD)).status_code == 201  # identity remembered
    clock = app.state.clock
    clock.advance(seconds=5)
    values: dict[str, Any] = {"tokens_valid_from": clock.now()}
    if change == "lock":
        values["active"] = False
    async with app.state.sessionmaker() as session, session.begin():
        # What update_user writes in another worker (whose memory is not this one's).
        await session.execute(update(User).where(User.username == "hongxing").values(**values))
    async with app.state.sessionmaker() as session:
        before = await session.scalar(select(func.count()).select_from(Hazard))
    refused = await me.post("/hazards", HAZARD)
    assert refused.status_code == 401, refused.text
    assert refused.json()["detail"] == "未登录或登录已过期，请重新登录"
    on_pg = not is_sqlite(app.state.engine)
    # On PostgreSQL the one statement ran and found the users row no longer matching.
    assert paths.taken == [on_pg, False]
    async with app.state.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Hazard)) == before


@pytest.mark.parametrize("general_only", [True, False])
async def test_a_found_date_with_a_mistyped_year_is_refused_on_both_paths(
    api: Api, monkeypatch: pytest.MonkeyPatch, general_only: bool
) -> None:
    paths = _Paths(monkeypatch)
    paths.general_only = general_only
    me = api.as_("hongxing")
    typo = await me.post("/hazards", HAZARD | {"found_at": "1900-03-05T02:00:00Z"})
    assert typo.status_code == 422, typo.text
    assert "发现时间早于五年前，请核对年份" in typo.text
    backlog = await me.post("/hazards", HAZARD | {"found_at": "2022-03-05T02:00:00Z"})
    assert backlog.status_code == 201, backlog.text
