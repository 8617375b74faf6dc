"""A night-time accident reaches the county chain at once, through the three services as
`duban run` runs them (texts at the Aliyun emulator), while a hazard's rectification order
given the same minute waits for working hours (立即 is not "urgent": only an accident may reach
a person at night)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import DatabaseFactory
from tests.e2e.harness import eventually
from tests.e2e.test_department_chain import texts_reach
from tests.e2e.world import World, embedded_world, postgres_world

# 23:10 on Monday 9 March 2026, Beijing time.
NIGHT = datetime(2026, 3, 9, 15, 10, tzinfo=UTC)
# The demo county's people (services/hazard_api/directory/demo_county.yaml).
COUNTY_PRINCIPAL = "13800000001"  # 李建国, 县长
COUNTY_SECRETARY = "13800000006"  # 钟华, 县委书记
SAFETY_LEADER = "13800000002"  # 王志强, 常务副县长（分管安全生产）
PORTFOLIO_LEADER = "13800000004"  # 刘海涛, 副县长 (大坪乡, 公安局, C267)
YINGJI_HEAD = "13900000101"  # 黄涛, 应急管理局局长
TOWNSHIP_PRINCIPAL = "13800000011"  # 周军, 大坪乡乡长
TOWNSHIP_SECRETARY = "13800000014"  # 贺平, 大坪乡党委书记
TONGDA_PRINCIPAL = "13800001061"  # 路通达: only the hazard's order would text him


async def run_scenario(w: World) -> None:
    w.clock.set(NIGHT)
    hazard = await w.api(
        "POST",
        "/hazards",
        "office",
        json={
            "unit_id": "ent-tongda",
            "location": "K12+300桥梁施工段",
            "description": "高墩施工作业平台临边防护缺失",
            "source": "inspection",
            "found_at": (NIGHT - timedelta(hours=3)).isoformat(),
        },
    )
    await w.api(
        "POST",
        f"/hazards/{hazard['id']}/classify",
        "office",
        json={"level": "major", "grade": 3, "criterion_id": "JZ-4-4", "deadline_days": 30},
    )
    accident = await w.api(
        "POST",
        "/accidents",
        "hongxing",
        json={
            "channel": "enterprise",
            "occurred_at": (NIGHT - timedelta(minutes=25)).isoformat(),
            "place": "大坪乡红星烟花爆竹有限公司二号工房",
            "accident_type": "explosion",
            "account": "二号工房装药时发生爆炸",
            "reporter_name": "张红星",
            "reporter_phone": "13800001001",
            "deaths": 3,
            "missing": 0,
            "serious_injuries": 2,
            "direct_loss_yuan": 3_000_000,
        },
    )
    assert accident["accident_class"] == "larger"
    chain = {
        COUNTY_PRINCIPAL,
        COUNTY_SECRETARY,
        SAFETY_LEADER,
        PORTFOLIO_LEADER,
        YINGJI_HEAD,
        TOWNSHIP_PRINCIPAL,
        TOWNSHIP_SECRETARY,
    }
    # No time moves: the texts go at once, at night.
    await eventually(
        lambda: w.phones_texted() >= chain, f"accident texts to {sorted(chain)}", within_s=90
    )
    texts = [a for a in w.sms.accepted if a.phone == COUNTY_PRINCIPAL]
    words = " ".join(str(v) for a in texts for v in a.params.values())
    assert "较大事故" in words and "死亡3人" in words, words
    # Each is asked by duty: the leaders to know and urge, the township to go to the scene.
    assert "请知悉，并督促有关单位立即做好救援处置和事故报告" in words, words
    township = [a for a in w.sms.accepted if a.phone == TOWNSHIP_PRINCIPAL]
    assert "立即赶赴现场" in str(township[0].params), township
    # The hazard's order given the same minute is not sent at night, even minutes later.
    w.clock.advance(timedelta(minutes=30))
    night_texts = len(w.sms.accepted)
    assert TONGDA_PRINCIPAL not in w.phones_texted()
    # From 08:30 it goes (after its digest window).
    w.clock.set(datetime(2026, 3, 10, 0, 31, tzinfo=UTC))
    await texts_reach(w, {TONGDA_PRINCIPAL}, since=night_texts, what="the hazard's order")


async def test_night_accident_on_the_embedded_configuration(tmp_path: Path) -> None:
    async with embedded_world(tmp_path) as w:
        await run_scenario(w)


@pytest.mark.usefixtures("pg_available")
async def test_night_accident_on_postgresql(
    tmp_path: Path, make_database_url: DatabaseFactory
) -> None:
    async with postgres_world(tmp_path, make_database_url) as w:
        await run_scenario(w)
