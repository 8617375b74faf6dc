"""`duban run` watches its embedded broker: restarted when it dies, its topics recreated at once.

tansu keeps everything in memory, so a restarted tansu has no topics; a client asking about one
gets it created with tansu's default partitions. The runner recreates every topic with its
partitions right after the restart (`shared.broker.ensure_topics` also recreates one a client
created first); meanwhile the relays publish nothing to a topic they knew and the broker lacks
(shared.acks), and after the reset they publish their recent rows again, which the consumers'
repair completes (shared.repair).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping

from ops.processes import RestartPolicy, RunError, say
from shared.broker import EmbeddedBroker, ensure_topics


async def watch_broker(
    broker: EmbeddedBroker,
    partitions: Mapping[str, int],
    policy: RestartPolicy,
    *,
    poll_s: float = 0.2,
) -> None:
    """Runs until the broker keeps failing (RunError); cancelled when the stack stops."""
    failures = 0
    started_at = time.monotonic()
    while True:
        code = broker.exited()
        if code is None:
            await asyncio.sleep(poll_s)
            continue
        lived = time.monotonic() - started_at
        failures = 1 if lived >= policy.healthy_after_s else failures + 1
        if failures >= policy.max_failures:
            raise RunError(f"the broker exited {failures} times in a row (last code {code})")
        # At once the first time: the services are waiting for it (tansu starts in a moment).
        delay = 0.0 if failures == 1 else policy.delay(failures - 1)
        say(f"broker exited (code {code}); restarting in {delay:g}s (failure {failures})")
        await asyncio.sleep(delay)
        await asyncio.to_thread(broker.restart)
        started_at = time.monotonic()
        await ensure_topics(broker.bootstrap_servers, partitions)
        say(f"broker: restarted (pid {broker.pid}), topics recreated with their partitions")
