"""`duban run` as `make demo` starts it: reporting logs in to hazard_api with the demo county's
`reporting` account and sends the quarterly statistics (季度统计) to the province emulator,
which judges the signature's timestamp by the same moved clock as the services."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.harness import eventually
from tests.e2e.world import embedded_world


async def test_the_demo_stack_sends_its_quarterly_statistics_upward(tmp_path: Path) -> None:
    async with embedded_world(tmp_path) as w:
        received: dict[str, Any] = {}

        async def arrived() -> bool:
            r = await w.client.get(w.stack.url("province") + "/_received")
            received.update(r.json())
            return any(a["document"] == "quarterly-statistics" for a in received["accepted"])

        # The clock stands in March 2026: the fourth quarter of 2025 is due upward.
        await eventually(arrived, "the quarterly statistics accepted by the province", 120)
        assert received["refused"] == [], received["refused"]
        output = w.stack.output()
        assert "登录隐患系统失败" not in output
        assert '/webhooks/duban "HTTP/1.1 401' not in output
