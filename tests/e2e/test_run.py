"""`duban run` (what `make run` starts): up on a clean directory, Ctrl-C, up again with the data."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
from pathlib import Path

import httpx

from ops.stack import SERVICES
from tests.e2e.stack import Stack

DEMO_PASSWORD = "duban-demo-2026"
README = Path(__file__).resolve().parents[2] / "README.md"


def walkthrough(stack: Stack) -> list[str]:
    """The shell blocks of the README's walkthrough, pointed at this stack's ports."""
    section = README.read_text(encoding="utf-8").split("## Walkthrough", 1)[1].split("\n## ")[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
    ports = {"8000": "hazard_api", "8001": "escalation", "8002": "notification"}
    return [
        re.sub(r"127\.0\.0\.1:(800[012])", lambda m: stack.url(ports[m[1]])[7:], block)
        for block in blocks
    ]


async def run_shell(script: str, cwd: Path, *, expect_ok: bool = True) -> str:
    proc = await asyncio.create_subprocess_exec(
        "bash",
        "-euo",
        "pipefail",
        "-c",
        script,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), 300)
    except TimeoutError:
        proc.kill()
        raise
    text = out.decode(errors="replace")
    assert (proc.returncode == 0) is expect_ok, text
    return text


def service_pids(runner_pid: int) -> dict[str, int]:
    """The pid of each service's uvicorn among the runner's children (read from /proc)."""
    found: dict[str, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:  # gone meanwhile
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])  # the field after the state
        for spec in SERVICES:
            if parent == runner_pid and spec.factory in cmdline:
                found[spec.name] = int(entry.name)
    return found


async def login(client: httpx.AsyncClient, base: str, username: str) -> dict[str, str]:
    r = await client.post(
        f"{base}/auth/token", data={"username": username, "password": DEMO_PASSWORD}
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def test_duban_run_comes_up_runs_the_readme_walkthrough_and_keeps_its_data(
    tmp_path: Path,
) -> None:
    # As the README says to start it for the second half of the walkthrough.
    stack = Stack(tmp_path / "clone", extra_env={"DUBAN_CLOCK_OFFSET_FILE": "var/clock-offset"})
    await stack.start()
    try:
        output = stack.output()
        assert "NOT RUNNING" not in output
        assert "seed   | 演示县已写入" in output
        assert "  Clock         movable (demo): offset +0 s, read from var/clock-offset" in output
        async with httpx.AsyncClient(timeout=10) as client:
            for spec in SERVICES:
                r = await client.get(stack.url(spec.name) + "/readyz")
                assert r.status_code == 200, (spec.name, r.text)
                page = "/" if spec.name == "portal" else "/docs"  # the portal has pages
                assert f"{stack.url(spec.name)}{page} " in output
            base = stack.url("hazard_api")
            headers = await login(client, base, "office")
            r = await client.post(
                f"{base}/people",
                json={"unit_id": "tw-daping", "name": "测试员", "mobile": "13700000001"},
                headers=headers,
            )
            assert r.status_code == 201, r.text
            person_id = r.json()["id"]

        # The README walkthrough, as written: both blocks in one shell session.
        first, second = walkthrough(stack)
        out = await run_shell(first + "\n" + second, stack.workdir)
        assert "企业主要负责人 张红星 13800001001" in out
        assert "督办升级 督办升级：逾期整改通知" in out, out
        assert out.rstrip().endswith("stopped"), out
        assert "notifi | [SMS] 13800001001" in stack.output()
        assert "mail   | [EMAIL] to zhanghx@example.cn" in stack.output()
    finally:
        code = await stack.stop()
    assert code == 0, stack.output()[-3000:]
    tail = stack.output().split("stopping (Ctrl-C)", 1)[1]
    for spec in SERVICES:
        assert f"duban  | {spec.name}: stopped" in tail
    assert "duban  | broker: stopped" in tail
    output = stack.output()
    at = output.find("Traceback")
    assert at < 0, output[max(0, at - 1500) : at + 4000]

    again = Stack(tmp_path / "clone", ports=stack.ports)
    await again.start()
    try:
        assert "seed   | 目录中已有数据，未写入演示县" in again.output()
        async with httpx.AsyncClient(timeout=10) as client:
            base = again.url("hazard_api")
            headers = await login(client, base, "office")
            r = await client.get(f"{base}/people/{person_id}", headers=headers)
            assert r.status_code == 200, r.text
            assert r.json()["name"] == "测试员"
    finally:
        assert await again.stop() == 0


async def test_a_killed_service_comes_back_alone_and_the_clock_half_stops_on_a_fixed_clock(
    tmp_path: Path,
) -> None:
    stack = Stack(tmp_path / "clone")  # as `make run` starts it: no movable clock
    await stack.start()
    try:
        assert stack.proc is not None
        assert "Clock " not in stack.output()
        before = service_pids(stack.proc.pid)
        assert set(before) == {spec.name for spec in SERVICES}
        assert f"pages 页面    {stack.url('portal')}/" in stack.output()
        async with httpx.AsyncClient(timeout=10) as client:
            login = await client.get(stack.url("portal") + "/login")
        assert login.status_code == 200 and "登录督办系统" in login.text

        os.kill(before["escalation"], signal.SIGKILL)
        async with httpx.AsyncClient(timeout=10) as client, asyncio.timeout(120):
            while True:
                after = service_pids(stack.proc.pid)
                if after.get("escalation", before["escalation"]) != before["escalation"]:
                    with contextlib.suppress(httpx.HTTPError):
                        r = await client.get(stack.url("escalation") + "/readyz")
                        if r.status_code == 200:
                            break
                await asyncio.sleep(0.5)
        output = stack.output()
        assert "duban  | escalation exited (code -9); restarting in 1s (failure 1)" in output
        assert f"duban  | escalation: restarted (pid {after['escalation']})" in output
        for name in ("hazard_api", "notification"):
            assert after[name] == before[name]  # never stopped nor restarted
            assert f"{name} exited" not in output and f"{name}: stopped" not in output

        # The walkthrough works against the restarted escalation, then its clock half stops
        # at once, before moving anything, with the reason and the way out.
        first, second = walkthrough(stack)
        out = await run_shell(first + "\n" + second, stack.workdir, expect_ok=False)
        assert "deadline " in out  # the first half ran through (step 6 needs escalation)
        assert "时钟不可调（http://127.0.0.1:" in out and "改用 make demo 启动" in out
        assert not (stack.workdir / "var" / "clock-offset").exists()
    finally:
        code = await stack.stop()
    assert code == 0, stack.output()[-3000:]
    assert "Traceback" not in stack.output().split("escalation: restarted", 1)[1]
