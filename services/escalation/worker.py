"""A scheduler-only process: `python -m services.escalation.worker [--until-idle]`.

Runs the timers without HTTP, consumer or relay (the outbox rows wait for a relay). Used to
run extra scheduler replicas and by the crash tests, which kill it with SIGKILL mid-step.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from services.escalation.config import Settings
from services.escalation.policy.loader import PolicyLoadError, PolicySet
from services.escalation.runtime import build_runtime
from shared.guard import check_start
from shared.safety import UnsafeSettings


async def run(until_idle: bool) -> int:
    settings = Settings()
    check_start(settings)  # a movable clock or a weak key is refused here as by the app
    clock = settings.make_clock()
    runtime = await build_runtime(settings, clock, PolicySet.load(settings.policies_dir))
    try:
        if until_idle:
            fired = await runtime.scheduler.run_due()
            print(f"fired={fired}", flush=True)
        else:
            await runtime.scheduler.start()
            await asyncio.Event().wait()
    finally:
        await runtime.engine.dispose()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--until-idle", action="store_true", help="fire what is due, then exit")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        return asyncio.run(run(args.until_idle))
    except (PolicyLoadError, UnsafeSettings) as exc:
        print(f"escalation: cannot start: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
