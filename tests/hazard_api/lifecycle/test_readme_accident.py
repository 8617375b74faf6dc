"""The README's "Walkthrough of an accident", run as written (bash, curl, python3) against
hazard_api on the demo county: every command succeeds and prints what the README says."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI

from shared.clock import TestClock
from tests.hazard_api.lifecycle.conftest import Api
from tests.serving import serving

README = Path(__file__).resolve().parents[3] / "README.md"


@pytest.fixture
def clock() -> TestClock:
    # The walkthrough dates the accident with the shell's `date`: the service's "now" is the
    # wall clock at the start of the test (held there).
    return TestClock(datetime.now(UTC))


def accident_walkthrough() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Walkthrough of an accident", 1)[1].split("\n## ")[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1
    return str(blocks[0])


async def test_the_readme_accident_walkthrough(app: FastAPI, api: Api) -> None:
    async with serving(app) as base:
        script = accident_walkthrough().replace("http://127.0.0.1:8000", base)
        proc = await asyncio.create_subprocess_exec(
            "bash",
            "-c",
            script,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out_bytes, _ = await asyncio.wait_for(proc.communicate(), 300)
    out = out_bytes.decode()
    assert proc.returncode == 0, out
    lines = out.splitlines()
    assert lines[0].startswith("accident ")
    assert lines[1] == "larger"  # the 续报's three deaths: 较大事故
    assert lines[2:6] == ["reviewed", "issued", "reviewed", "issued"]  # the 快报, the 续报
    assert lines[6] == "较大事故 设区的市级人民政府"
    assert (
        "向设区的市级人民政府安全生产监督管理部门上报（并报省级）" in lines[7]
        and "已完成" in lines[7]
    )
    assert "suspended" in out and "四不放过未落实，不能结案：事故责任者未受到处理" in out
    assert "已结案" in out and "已复工复产" in out
    assert "大坪乡 石峰石灰石矿" in out  # 金龙鞭炮厂: under its 停产整顿 order, not chased
    assert out.rstrip().splitlines()[-1].startswith("合计,全年,1,3,")
