"""`duban admin create|reset-password` as an operator runs them, then a login through the API."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from select import select as wait_readable

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from services.hazard_api.audit.models import AuditRow
from services.hazard_api.auth.models import User
from services.hazard_api.directory.models import Person, Unit
from services.hazard_api.directory.seed import DemoCounty
from tests.hazard_api.conftest import DEMO_PASSWORD, SECRET

NEW_PASSWORD = "县里的新密码-2027"
CLIENT_PASSWORD = "kV3uP9-reporting-link"
PROMPT_END = "密码：".encode()


def admin(
    database_url: str, *args: str, password: str = NEW_PASSWORD, stdin: bool = True
) -> subprocess.CompletedProcess[str]:
    """`duban admin …` in production, the password on standard input (a pipe, not a TTY)."""
    environ = {
        **os.environ,
        "DUBAN_ENV": "production",
        "HAZARD_API_DATABASE_URL": database_url,
        "HAZARD_API_SECRET_KEY": SECRET,
    }
    flags = ["--password-stdin"] if stdin else []
    return subprocess.run(
        [sys.executable, "-m", "ops.cli", "admin", *args, *flags],
        env=environ,
        input=password + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def token_status(client: httpx.AsyncClient, username: str, password: str) -> int:
    response = await client.post("/auth/token", data={"username": username, "password": password})
    return response.status_code


async def login(client: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    response = await client.post("/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def count_users(app: FastAPI) -> int:
    async with app.state.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(User)) or 0)


async def test_first_administrator_of_an_empty_production_directory(
    hazard_db: str, app: FastAPI, client: httpx.AsyncClient
) -> None:
    unit_missing = admin(hazard_db, "create", "chenming", "--name", "陈明")
    assert unit_missing.returncode == 1
    assert "组织目录还是空的" in unit_missing.stderr
    assert "--county" in unit_missing.stderr

    created = admin(
        hazard_db,
        "create",
        "chenming",
        "--name",
        "陈明",
        "--mobile",
        "13912345678",
        "--county",
        "示范县",
        "--area-code",
        "430723",
    )
    assert created.returncode == 0, created.stderr
    assert "已创建县安委办管理员账号 chenming（陈明，新建县级单位「示范县」）" in created.stdout

    headers = await login(client, "chenming", NEW_PASSWORD)
    me = (await client.get("/auth/me", headers=headers)).json()
    assert me["role"] == "county_office"
    async with app.state.sessionmaker() as session:
        unit = await session.get(Unit, me["unit_id"])
        person = await session.get(Person, me["person_id"])
    assert unit is not None and (unit.kind, unit.name, unit.area_code) == (
        "county",
        "示范县",
        "430723",
    )
    assert person is not None and (person.name, person.mobile) == ("陈明", "13912345678")
    # The point of it all: this account can now create the county's other accounts.
    users = await client.get("/users", headers=headers)
    assert users.status_code == 200
    assert [u["username"] for u in users.json()] == ["chenming"]

    again = admin(
        hazard_db, "create", "chenming", "--name", "陈明二", password="另一个足够长的密码-123"
    )
    assert again.returncode == 1
    assert "用户名 chenming 已存在" in again.stderr
    assert await count_users(app) == 1
    assert await token_status(client, "chenming", "另一个密码-123") == 401


def test_an_unmigrated_database_is_said_plainly(database_url: str) -> None:
    result = admin(database_url, "reset-password", "office")
    assert result.returncode == 1
    assert "是否已运行 duban migrate hazard_api" in result.stderr
    assert "Traceback" not in result.stderr


async def test_an_administrator_joins_the_safety_office_of_an_existing_directory(
    seeded: DemoCounty, app: FastAPI, client: httpx.AsyncClient
) -> None:
    database_url = app.state.settings.database_url
    created = admin(database_url, "create", "wanghong", "--name", "王红")
    assert created.returncode == 0, created.stderr
    assert "所属单位「应急管理局」" in created.stdout
    me = (
        await client.get("/auth/me", headers=await login(client, "wanghong", NEW_PASSWORD))
    ).json()
    assert (me["role"], me["unit_id"]) == ("county_office", "dep-yingji")

    on_enterprise = admin(
        database_url, "create", "wrongunit", "--name", "李四", "--unit", "ent-hongxing"
    )
    assert on_enterprise.returncode == 1
    assert "不是县级单位或部门" in on_enterprise.stderr
    bad_mobile = admin(database_url, "create", "zhaoliu", "--name", "赵六", "--mobile", "12345")
    assert bad_mobile.returncode == 1
    assert "手机号码：手机号码须为11位大陆手机号" in bad_mobile.stderr
    bad_username = admin(database_url, "create", "赵 六", "--name", "赵六")
    assert bad_username.returncode == 1
    assert "用户名（3至50位字母、数字、_ . -）：格式不正确" in bad_username.stderr
    async with app.state.sessionmaker() as session:
        people = await session.scalar(
            select(func.count()).select_from(Person).where(Person.name == "赵六")
        )
    assert people == 0


async def test_reset_password_replaces_the_old_one_and_unlocks(
    seeded: DemoCounty, app: FastAPI, client: httpx.AsyncClient
) -> None:
    database_url = app.state.settings.database_url
    async with app.state.sessionmaker() as session, session.begin():
        office = await session.scalar(select(User).where(User.username == "office"))
        assert office is not None
        office.active = False  # locked by the county office, e.g. after a lost phone
    assert await token_status(client, "office", DEMO_PASSWORD) == 401

    reset = admin(database_url, "reset-password", "office")
    assert reset.returncode == 0, reset.stderr
    assert "已为 office 设置新密码，并解除了账号锁定" in reset.stdout
    assert await token_status(client, "office", NEW_PASSWORD) == 200
    assert await token_status(client, "office", DEMO_PASSWORD) == 401
    # The reset is audited as the operator's, never with the password or its hash.
    async with app.state.sessionmaker() as session:
        (row,) = await session.scalars(
            select(AuditRow).where(AuditRow.chain_key == f"user:{office.id}")
        )
    assert (row.action, row.actor_role, row.actor_user_id) == (
        "account.password_changed",
        "operator",
        None,
    )
    assert row.before is not None and row.after is not None
    assert (row.before["active"], row.after["active"]) == (False, True)
    assert "argon2" not in str(row.after)

    unknown = admin(database_url, "reset-password", "ghost")
    assert unknown.returncode == 1
    assert "用户 ghost 不存在" in unknown.stderr


async def test_passwords_come_only_from_a_prompt_or_stdin_and_follow_the_api_rule(
    seeded: DemoCounty, app: FastAPI, client: httpx.AsyncClient
) -> None:
    database_url = app.state.settings.database_url
    short = admin(database_url, "reset-password", "daping", password="short")
    assert short.returncode == 1
    assert "密码长度须为 10 至 128 个字符" in short.stderr
    # The API's whole policy, not only its length.
    common = admin(database_url, "reset-password", "daping", password="password2026!")
    assert common.returncode == 1
    assert "密码过于常见" in common.stderr
    no_tty = admin(database_url, "reset-password", "daping", stdin=False)
    assert no_tty.returncode == 1
    assert "--password-stdin" in no_tty.stderr
    assert await token_status(client, "daping", DEMO_PASSWORD) == 200


def on_a_terminal(database_url: str, *args: str, typed: list[str]) -> tuple[int, str]:
    """`duban admin …` on a pseudo-terminal (its controlling TTY, as getpass wants): answers
    each prompt with the next of `typed`; the exit status and everything the terminal showed."""
    environ = {
        **os.environ,
        "DUBAN_ENV": "production",
        "HAZARD_API_DATABASE_URL": database_url,
        "HAZARD_API_SECRET_KEY": SECRET,
    }
    pid, fd = pty.fork()
    if pid == 0:  # the child: a new session whose controlling terminal is the pty
        os.execve(sys.executable, [sys.executable, "-m", "ops.cli", "admin", *args], environ)
    shown = b""
    answers = list(typed)
    try:
        while True:
            ready, _, _ = wait_readable([fd], [], [], 120)
            assert ready, f"no output for 120 s; so far: {shown!r}"
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            shown += chunk
            # getpass turns echo off before it prints its prompt (and flushes what was typed
            # earlier), so an answer goes only to a prompt that is the last thing shown.
            if answers and shown.endswith(PROMPT_END):
                os.write(fd, answers.pop(0).encode() + b"\n")
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), shown.decode(errors="replace")


async def test_on_a_terminal_the_password_is_asked_twice_without_echo(
    seeded: DemoCounty, app: FastAPI, client: httpx.AsyncClient
) -> None:
    database_url = app.state.settings.database_url
    status, shown = on_a_terminal(
        database_url, "reset-password", "daping", typed=[NEW_PASSWORD, NEW_PASSWORD]
    )
    assert status == 0, shown
    assert "新密码：" in shown and "再次输入新密码：" in shown
    assert NEW_PASSWORD not in shown
    assert "已为 daping 设置新密码" in shown
    assert await token_status(client, "daping", NEW_PASSWORD) == 200

    status, shown = on_a_terminal(
        database_url, "reset-password", "daping", typed=["first-password", "other-password"]
    )
    assert status == 1
    assert "两次输入的密码不一致" in shown
    assert await token_status(client, "daping", NEW_PASSWORD) == 200


async def test_an_integration_account_is_bound_to_the_county(
    seeded: DemoCounty, app: FastAPI, client: httpx.AsyncClient
) -> None:
    """The production guide's second admin command (there for reporting's own login at
    hazard_api; the demo county has that one already)."""
    database_url = app.state.settings.database_url
    scopes = ("--scopes", "hazards:read", "listing:external")
    made = admin(database_url, "client", "shengting", *scopes, password=CLIENT_PASSWORD)
    assert made.returncode == 0, made.stderr
    assert "已创建对接系统账号 shengting（演示县，权限范围 hazards:read listing:external）" in (
        made.stdout
    )
    form = {"username": "shengting", "password": CLIENT_PASSWORD}
    granted = await client.post(
        "/auth/token", data={**form, "scope": "hazards:read listing:external"}
    )
    assert granted.status_code == 200, granted.text
    assert granted.json()["scope"] == "hazards:read listing:external"
    headers = {"Authorization": f"Bearer {granted.json()['access_token']}"}
    me = (await client.get("/auth/me", headers=headers)).json()
    assert (me["role"], me["unit_id"]) == ("integration", seeded.county.id)
    # Only what it was given: a token asking to write hazards carries no scope at all.
    beyond = await client.post("/auth/token", data={**form, "scope": "hazards:write"})
    assert beyond.json()["scope"] == "", beyond.text

    again = admin(database_url, "client", "shengting", *scopes, password=CLIENT_PASSWORD)
    assert again.returncode == 1 and "用户名 shengting 已存在" in again.stderr
    unknown = admin(database_url, "client", "poller", "--scopes", "hazards:delete")
    assert unknown.returncode == 1
    assert "未知的权限范围：hazards:delete" in unknown.stderr
    assert await token_status(client, "poller", NEW_PASSWORD) == 401


async def test_an_integration_account_needs_the_county_first(
    hazard_db: str, client: httpx.AsyncClient
) -> None:
    empty = admin(hazard_db, "client", "reporting", "--scopes", "hazards:read")
    assert empty.returncode == 1
    assert "没有唯一的县级单位：请先运行 admin create" in empty.stderr
