"""Policies as data: validation with precise messages, selection, versioned snapshots."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from services.escalation.cases import service
from services.escalation.main import create_app
from services.escalation.policy.loader import PolicyLoadError, PolicySet
from shared.clock import TestClock
from shared.contract import HazardEventType as E
from shared.contract import HazardLevel, ListingLevel
from tests.escalation.conftest import (
    LEGACY_POLICIES,
    deliver,
    end_of_day,
    fired_steps,
    hazard_event,
    make_facts,
    make_settings,
    run_until,
    sh,
    start_runtime,
)

REPO = Path(__file__).resolve().parents[2]


def copy_policies(tmp_path: Path) -> Path:
    folder = tmp_path / "policies"
    shutil.copytree(LEGACY_POLICIES, folder)
    return folder


def edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def break_general(tmp_path: Path) -> Path:
    folder = copy_policies(tmp_path)

    def bad_unit(data: dict) -> None:  # type: ignore[type-arg]
        data["steps"][3]["unit"] = "fortnights"

    edit(folder / "county-general.yaml", bad_unit)
    return folder


def test_policies_load_and_are_chosen_by_level_grade_listing_and_industry(
    tmp_path: Path,
) -> None:
    folder = copy_policies(tmp_path)
    (folder / "chemicals.yaml").write_text(
        yaml.safe_dump(
            {
                "id": "chem-listed-grade2",
                "version": 1,
                "title": "危化品市级挂牌隐患",
                "priority": 50,
                "match": {
                    "levels": ["major"],
                    "grades": [2],
                    "listed": True,
                    "industries": ["C26"],
                },
                "steps": [
                    {
                        "key": "overdue",
                        "title": "逾期",
                        "offset": 0,
                        "unit": "hours",
                        "targets": ["county.principal"],
                        "action": "raise_listing",
                    }
                ],
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    policies = PolicySet.load(folder)
    major_listed = {"level": HazardLevel.MAJOR, "grade": 2, "listing_level": ListingLevel.CITY}
    assert policies.select(make_facts(**major_listed)).id == "chem-listed-grade2"  # type: ignore[union-attr]
    for other in (
        {**major_listed, "industry_code": "B06"},
        {**major_listed, "grade": 3},
        {**major_listed, "listing_level": None},
    ):
        assert policies.select(make_facts(**other)).id == "county-major"  # type: ignore[union-attr]
    assert policies.select(make_facts(level=HazardLevel.GENERAL)).id == "county-general"  # type: ignore[union-attr]
    assert policies.select(make_facts(level=None)) is None


def test_invalid_policy_names_file_step_and_field(tmp_path: Path) -> None:
    folder = break_general(tmp_path)
    with pytest.raises(PolicyLoadError) as caught:
        PolicySet.load(folder)
    message = str(caught.value)
    assert "county-general.yaml" in message
    assert "step 4 (overdue_3wd)" in message
    assert "field 'unit'" in message


def test_no_policy_step_raises_the_undelivered_notice_task(tmp_path: Path) -> None:
    """通知未送达 is raised by a failed notice (notification.alert), never by a step."""
    from services.escalation.config import DEFAULT_POLICIES_DIR

    folder = tmp_path / "policies"
    shutil.copytree(DEFAULT_POLICIES_DIR, folder)

    def undelivered(data: dict) -> None:  # type: ignore[type-arg]
        tasks = [step for step in data["steps"] if step.get("task")]
        assert tasks
        for step in tasks:
            step["task"] = "notice_undelivered"

    edit(folder / "county-general.yaml", undelivered)
    with pytest.raises(PolicyLoadError) as caught:
        PolicySet.load(folder)
    assert "notice_undelivered" in str(caught.value)


def test_invalid_policy_stops_app_start_up(tmp_path: Path) -> None:
    folder = break_general(tmp_path)
    settings = make_settings("sqlite+aiosqlite:///" + str(tmp_path / "x.db"), policies_dir=folder)
    with pytest.raises(PolicyLoadError, match=r"step 4 \(overdue_3wd\), field 'unit'"):
        create_app(settings)


def test_invalid_policy_stops_a_real_process(tmp_path: Path) -> None:
    folder = break_general(tmp_path)
    env = {
        **os.environ,
        "DUBAN_ENV": "test",
        "ESCALATION_SECRET_KEY": "escalation-test-secret",
        "ESCALATION_DATABASE_URL": "sqlite+aiosqlite:///" + str(tmp_path / "x.db"),
        "ESCALATION_POLICIES_DIR": str(folder),
    }
    done = subprocess.run(
        [sys.executable, "-m", "services.escalation.worker", "--until-idle"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "county-general.yaml: step 4 (overdue_3wd), field 'unit'" in done.stderr


async def test_policy_edited_after_a_case_started_leaves_it_alone(
    database_url: str, clock: TestClock, tmp_path: Path
) -> None:
    folder = copy_policies(tmp_path)
    clock.set(sh(2026, 3, 2, 10, 0))
    deadline = end_of_day(2026, 3, 20)
    old = make_facts(classified_at=clock.now(), deadline_at=deadline)
    first = await start_runtime(database_url, clock, folder)
    await deliver(first, hazard_event(E.RECTIFICATION_STARTED, old, clock.now()))
    await first.engine.dispose()

    def tighten(data: dict) -> None:  # type: ignore[type-arg]
        data["version"] = 2
        data["steps"][0]["offset"] = -5  # remind 5 working days ahead instead of 3

    edit(folder / "county-general.yaml", tighten)
    second = await start_runtime(database_url, clock, folder)
    try:
        new = make_facts(classified_at=clock.now(), deadline_at=deadline)
        await deliver(second, hazard_event(E.RECTIFICATION_STARTED, new, clock.now()))
        async with second.sessionmaker() as session:
            old_case = await service.get_case(session=session, hazard_id=old.hazard_id)
            new_case = await service.get_case(session=session, hazard_id=new.hazard_id)
        assert old_case is not None and new_case is not None
        assert (old_case.policy_version, new_case.policy_version) == (1, 2)
        await run_until(second, clock, sh(2026, 3, 18, 12, 0))
        first_reminders = {
            s.hazard_id: (s.policy_version, s.due_at)
            for s in await fired_steps(second)
            if s.step_key == "remind_3wd" and s.repeat_index == 0
        }
        assert first_reminders == {
            old.hazard_id: (1, sh(2026, 3, 17, 9, 0)),  # 3 working days before Fri 20 Mar
            new.hazard_id: (2, sh(2026, 3, 13, 9, 0)),  # 5 working days before
        }
    finally:
        await second.engine.dispose()


async def test_changed_policy_without_a_new_version_is_refused(
    database_url: str, clock: TestClock, tmp_path: Path
) -> None:
    folder = copy_policies(tmp_path)
    rt = await start_runtime(database_url, clock, folder)
    await rt.engine.dispose()

    def sneaky(data: dict) -> None:  # type: ignore[type-arg]
        data["steps"][0]["offset"] = -4

    edit(folder / "county-general.yaml", sneaky)
    with pytest.raises(PolicyLoadError, match="county-general version 1 differs"):
        await start_runtime(database_url, clock, folder)
