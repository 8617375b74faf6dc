"""`duban calendar load FILE --by USERNAME` as an operator runs it: JSON or YAML, the API's
checks with Chinese messages, versions with who loaded them, and a running hazard_api taking
the schedule up without a restart.

The command counts on the real clock (next year is what it may load), so the schedule here is
built for the year after today's, whatever today is."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI
from sqlalchemy import select

from ops.cli import main as cli_main
from services.hazard_api.auth.models import User
from services.hazard_api.auth.service import issue_token
from services.hazard_api.directory.seed import DemoCounty
from services.hazard_api.schedules.watcher import refresh
from shared.calendar import default_calendar, statutory_holidays
from shared.clock import TestClock
from tests.hazard_api.conftest import SECRET

YEAR = datetime.now(UTC).year + 1


def first_saturday(year: int) -> date:
    day = date(year, 1, 1)
    return day + timedelta(days=(5 - day.weekday()) % 7)


def schedule(**changes: Any) -> dict[str, Any]:
    saturday = first_saturday(YEAR)
    body = {
        "year": YEAR,
        "notice_no": f"国办发明电〔{YEAR - 1}〕7号",
        # The statutory days (a schedule without one is refused) and a Monday bridged to them.
        "holidays": sorted(
            {d.isoformat() for d, _ in statutory_holidays(YEAR)}
            | {(saturday + timedelta(days=2)).isoformat()}
        ),
        "workdays": [(saturday + timedelta(days=7)).isoformat()],
    }
    return body | changes


def duban_calendar(
    database_url: str, path: Path, by: str = "office"
) -> subprocess.CompletedProcess[str]:
    environ = {
        **os.environ,
        "DUBAN_ENV": "production",
        "HAZARD_API_DATABASE_URL": database_url,
        "HAZARD_API_SECRET_KEY": SECRET,
    }
    return subprocess.run(
        [sys.executable, "-m", "ops.cli", "calendar", "load", str(path), "--by", by],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def in_process(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> Callable[[Path, str], Awaitable[int]]:
    """The same command without a new interpreter (each costs seconds of a shared machine)."""
    monkeypatch.setenv("DUBAN_ENV", "production")
    monkeypatch.setenv("HAZARD_API_DATABASE_URL", database_url)
    monkeypatch.setenv("HAZARD_API_SECRET_KEY", SECRET)

    async def run(path: Path, by: str) -> int:
        # Its own event loop, as on the command line.
        return await asyncio.to_thread(cli_main, ["calendar", "load", str(path), "--by", by])

    return run


async def office_get(app: FastAPI, client: httpx.AsyncClient, path: str) -> dict[str, Any]:
    async with app.state.sessionmaker() as session:
        user = await session.scalar(select(User).where(User.username == "office"))
    assert user is not None
    token = issue_token(user, [], secret_key=SECRET, clock=app.state.clock, minutes=60)
    r = await client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_wrong_files_are_refused_in_chinese_and_change_nothing(
    hazard_db: str,
    seeded: DemoCounty,
    app: FastAPI,
    client: httpx.AsyncClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    duban = in_process(monkeypatch, hazard_db)
    saturday = first_saturday(YEAR)
    twice = tmp_path / "twice.json"
    twice.write_text(json.dumps(schedule(holidays=[f"{YEAR}-01-01", f"{YEAR}-01-01"])))
    on_make_up = tmp_path / "both.yaml"
    on_make_up.write_text(yaml.safe_dump(schedule(holidays=[saturday + timedelta(days=7)])))
    no_year = tmp_path / "no-year.yaml"
    no_year.write_text(yaml.safe_dump({k: v for k, v in schedule().items() if k != "year"}))
    not_a_date = tmp_path / "bad-date.json"
    not_a_date.write_text(json.dumps(schedule(holidays=[f"{YEAR}-01-01", f"{YEAR}-02-30"])))
    wrong_year = tmp_path / "wrong-year.json"
    wrong_year.write_text(json.dumps(schedule(year=YEAR + 5)))
    cases = [
        (twice, "office", f"放假日期重复：{YEAR}年1月1日"),
        (on_make_up, "office", "以下日期既是放假日期又是调休上班日期"),
        (no_year, "office", "文件中缺少年份（year）"),
        (not_a_date, "office", "放假日期（holidays）第2项：应为日期"),
        (wrong_year, "office", f"只能导入{YEAR - 2}年至{YEAR}年的放假安排"),
        (tmp_path / "missing.json", "office", "找不到文件"),
        (twice.with_name("ok.json"), "zhujian", "不是有效的县安委办账号"),
    ]
    (tmp_path / "ok.json").write_text(json.dumps(schedule()))
    for path, by, message in cases:
        assert await duban(path, by) == 1, path
        err = capsys.readouterr().err
        assert err.startswith("未导入：") and message in err, err
    shown = await office_get(app, client, f"/calendar/{YEAR}")
    assert shown["source"] != "loaded" and shown["version"] is None


async def test_a_schedule_from_a_file_is_loaded_replaced_and_taken_up_by_a_running_service(
    hazard_db: str,
    seeded: DemoCounty,
    app: FastAPI,
    client: httpx.AsyncClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first = tmp_path / "schedule.yaml"
    first.write_text(yaml.safe_dump(schedule(), allow_unicode=True))
    loaded = duban_calendar(hazard_db, first)
    assert loaded.returncode == 0, loaded.stderr
    assert f"已导入{YEAR}年放假安排（国办发明电〔{YEAR - 1}〕7号，第1版" in loaded.stdout
    shown = await office_get(app, client, f"/calendar/{YEAR}")
    assert (shown["version"], shown["loaded_via"], shown["loaded_by_username"]) == (
        1,
        "cli",
        "office",
    )
    assert shown["provisional"] is False

    # The running service (this app) follows within its refresh, no restart.
    holiday = first_saturday(YEAR) + timedelta(days=2)  # a Monday off
    assert default_calendar().is_workday(holiday)
    clock = TestClock(datetime.now(UTC))
    assert await refresh(app.state.sessionmaker, app.state.settings, clock) == 1
    assert not default_calendar().is_workday(holiday)
    assert await refresh(app.state.sessionmaker, app.state.settings, clock) == 0

    corrected = tmp_path / "corrected.json"
    statutory = [d.isoformat() for d, _ in statutory_holidays(YEAR)]
    corrected.write_text(json.dumps(schedule(holidays=statutory, notice_no="更正通知")))
    assert await in_process(monkeypatch, hazard_db)(corrected, "office") == 0
    assert "第2版" in capsys.readouterr().out
    shown = await office_get(app, client, f"/calendar/{YEAR}")
    assert (shown["version"], shown["notice_no"]) == (2, "更正通知")
    # (Run in this process, the command's own load already moved this process's calendar.)
    assert default_calendar().is_workday(holiday)
    assert await refresh(app.state.sessionmaker, app.state.settings, clock) == 0
