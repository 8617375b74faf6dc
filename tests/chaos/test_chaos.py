"""The short seeded chaos run of `make test` (the long one is `make chaos`).

The whole stack under `duban run` on PostgreSQL, with the broker, PostgreSQL, SMTP and the
SMS provider behind fault proxies; seed 6 gives ten faults of eight kinds (toxics on each
dependency, the broker killed, provider timeouts, a clock jump). Replay a failure with the
command the run prints (`python -m ops.chaos --seed 6 --hazards 4 --rounds 5 …`).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ops.chaos.run import Options, run
from tests.conftest import PG_ADMIN_DSN

SHORT = Options(seed=6, hazards=4, rounds=5, faults_per_round=2, admin_dsn=PG_ADMIN_DSN)


async def test_a_short_seeded_run_loses_duplicates_and_reorders_nothing(
    pg_available: bool, tmp_path: Path
) -> None:
    if not pg_available:
        pytest.skip(f"!!! PostgreSQL unreachable at {PG_ADMIN_DSN}: chaos run SKIPPED !!!")
    outcome = await run(dataclasses.replace(SHORT, workdir=tmp_path))
    print(outcome.result_line())
    assert outcome.settled
    assert outcome.items >= SHORT.hazards and len(outcome.faults) == 10 and outcome.kinds >= 8
    verdict = outcome.verdict
    assert (verdict.lost, verdict.duplicates, verdict.reordered) == (0, 0, 0), verdict.problems
