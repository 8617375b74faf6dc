"""`duban reporting replay|verify ID`: the submissions ledger from the server's shell.

Works on the reporting service's database directly (same environment as the service); a replay
is picked up by the running service's delivery loop within `REPORTING_DELIVERY_POLL_S`.
"""

from __future__ import annotations

import asyncio
import sys

from services.reporting.config import Settings
from services.reporting.operations.replay import NotFound, replay, verify
from shared.db import make_sessionmaker, transaction


async def _run(action: str, ref: str) -> int:
    settings = Settings()
    clock = settings.make_clock()
    engine = settings.make_engine()
    try:
        async with transaction(make_sessionmaker(engine)) as session:
            if action == "replay":
                row = await replay(session, ref, now=clock.now())
                print(
                    f"已安排重放 {row.webhook_id}（第 {row.replays} 次重放），将用当前密钥重新签名"
                )
                return 0
            result = await verify(session, ref)
    except NotFound as exc:
        print(str(exc), file=sys.stderr)
        return 1
    finally:
        await engine.dispose()
    if result.identical:
        same = "重新生成的报文与当时发送的逐字节一致"
        print(f"{result.webhook_id}：{same}（sha256 {result.sent_sha256}）")
        return 0
    print(
        f"{result.webhook_id}：不一致！发送 sha256 {result.sent_sha256}，"
        f"重新生成 sha256 {result.regenerated_sha256}",
        file=sys.stderr,
    )
    return 3


def run(action: str, ref: str) -> int:
    return asyncio.run(_run(action, ref))
