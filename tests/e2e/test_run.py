"""`duban run` (what `make run` starts): up on a clean directory, Ctrl-C, up again with the data."""

from __future__ import annotations

from pathlib import Path

import httpx

from services.runner import SERVICES
from tests.e2e.stack import Stack

DEMO_PASSWORD = "duban-demo-2026"


async def login(client: httpx.AsyncClient, base: str, username: str) -> dict[str, str]:
    r = await client.post(
        f"{base}/auth/token", data={"username": username, "password": DEMO_PASSWORD}
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def test_duban_run_comes_up_stops_cleanly_and_keeps_its_data(tmp_path: Path) -> None:
    stack = Stack(tmp_path / "clone")
    await stack.start()
    try:
        output = stack.output()
        assert "NOT RUNNING" not in output
        assert "seed   | 演示县已写入" in output
        async with httpx.AsyncClient(timeout=10) as client:
            for spec in SERVICES:
                r = await client.get(stack.url(spec.name) + "/readyz")
                assert r.status_code == 200, (spec.name, r.text)
                assert f"{stack.url(spec.name)}/docs" in output
            base = stack.url("hazard_api")
            headers = await login(client, base, "office")
            r = await client.post(
                f"{base}/people",
                json={"unit_id": "tw-daping", "name": "测试员", "mobile": "13700000001"},
                headers=headers,
            )
            assert r.status_code == 201, r.text
            person_id = r.json()["id"]
    finally:
        code = await stack.stop()
    assert code == 0, stack.output()[-3000:]
    tail = stack.output().split("stopping (Ctrl-C)", 1)[1]
    for spec in SERVICES:
        assert f"duban  | {spec.name}: stopped" in tail
    assert "duban  | broker: stopped" in tail
    assert "Traceback" not in stack.output()

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
