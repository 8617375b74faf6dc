"""`duban run` keeps its children alive: restart with growing pauses, give up on a crash loop.

The children here are tiny real Python processes (the same supervision code as the uvicorn
services; tests/e2e/test_run.py kills a real service).
"""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

import pytest

from ops.processes import (
    Child,
    LoadedService,
    RestartPolicy,
    RunError,
    ServiceSpec,
    Spawn,
    launch,
    stop_child,
    supervise,
)

# Counts its starts in a file, says hello, lives argv[2] seconds, exits with code 3.
CHILD = """
import sys, time
with open(sys.argv[1], "a") as f:
    f.write("started\\n")
print("hello from the child", flush=True)
time.sleep(float(sys.argv[2]))
sys.exit(3)
"""


def spawner(starts: Path, lives_s: float) -> Spawn:
    async def spawn() -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            CHILD,
            str(starts),
            str(lives_s),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )

    return spawn


async def child(name: str, starts: Path, lives_s: float) -> Child:
    service = LoadedService(ServiceSpec(name, name), settings=None, migrations_dir=None)
    return await launch(service, spawner(starts, lives_s))


def start_count(starts: Path) -> int:
    return len(starts.read_text().splitlines()) if starts.exists() else 0


def supervisor_tasks() -> list[asyncio.Task[object]]:
    return [
        t
        for t in asyncio.all_tasks()
        if getattr(t.get_coro(), "__name__", "") == "keep_running" and not t.done()
    ]


async def test_a_child_that_keeps_dying_is_restarted_with_growing_pauses_then_given_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    starts = tmp_path / "starts"
    flaky = await child("flaky", starts, lives_s=0)
    policy = RestartPolicy(first_delay_s=0.01, max_delay_s=0.04, max_failures=5)

    with pytest.raises(RunError) as raised:
        await asyncio.wait_for(supervise([flaky], policy), 60)

    assert str(raised.value) == "flaky exited 5 times in a row (last code 3), giving up"
    assert start_count(starts) == 5  # the first start and four restarts
    out = capsys.readouterr().out
    pauses = re.findall(r"flaky exited \(code 3\); restarting in (\S+)s \(failure (\d)\)", out)
    assert pauses == [("0.01", "1"), ("0.02", "2"), ("0.04", "3"), ("0.04", "4")]
    assert out.count("duban  | flaky: restarted (pid ") == 4
    assert out.count("flaky  | hello from the child") == 5


async def test_a_child_that_ran_long_enough_starts_counting_its_failures_afresh(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Each life (0.3 s) is longer than healthy_after_s: every death is a first failure, so
    # max_failures=2 is never reached however often it dies.
    starts = tmp_path / "starts"
    steady = await child("steady", starts, lives_s=0.3)
    policy = RestartPolicy(first_delay_s=0.01, max_failures=2, healthy_after_s=0.2)
    supervisor = asyncio.create_task(supervise([steady], policy))
    try:
        async with asyncio.timeout(60):
            while start_count(starts) < 4:
                assert not supervisor.done(), capsys.readouterr().out
                await asyncio.sleep(0.05)
    finally:
        supervisor.cancel()
        await asyncio.gather(supervisor, return_exceptions=True)
        await stop_child(steady, within_s=10)
    assert not supervisor_tasks()
    failures = re.findall(
        r"steady exited \(code 3\); restarting in \S+ \(failure (\d)\)", (capsys.readouterr().out)
    )
    assert len(failures) >= 3 and set(failures) == {"1"}


async def test_when_one_child_gives_up_the_others_are_no_longer_restarted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flaky = await child("flaky", tmp_path / "flaky", lives_s=0)
    steady_starts = tmp_path / "steady"
    steady = await child("steady", steady_starts, lives_s=600)
    policy = RestartPolicy(first_delay_s=0.01, max_failures=2)
    try:
        with pytest.raises(RunError, match="flaky exited 2 times in a row"):
            await asyncio.wait_for(supervise([flaky, steady], policy), 60)
        # The stack now stops the others; nobody may be watching them to restart them.
        assert not supervisor_tasks()
    finally:
        await stop_child(steady, within_s=10)
    assert steady.proc.returncode is not None
    assert start_count(steady_starts) == 1
    assert "steady exited" not in capsys.readouterr().out
