"""`make run` and `make demo` on a clean clone: the runtime only, each part installed once."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import tomllib
from pathlib import Path

import httpx
import pytest

from tests.e2e.stack import Stack

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def distribution(requirement: str) -> str:
    """`uvicorn[standard]>=0.30,<1` → `uvicorn` (normalised as importlib.metadata names)."""
    match = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match[0]).lower()


def installed(clone: Path) -> set[str]:
    script = (
        "import importlib.metadata as m, json; "
        "print(json.dumps([d.metadata['Name'] for d in m.distributions()]))"
    )
    out = subprocess.run(
        [clone / ".venv/bin/python", "-c", script], check=True, capture_output=True, text=True
    ).stdout
    return {distribution(name) for name in json.loads(out)}


def make_dry_run(clone: Path, target: str) -> str:
    return subprocess.run(
        ["make", "-n", target], cwd=clone, check=True, capture_output=True, text=True
    ).stdout


@pytest.mark.slow
async def test_make_run_on_a_clean_clone_installs_the_runtime_only_and_make_demo_moves_the_clock(
    tmp_path: Path,
) -> None:
    clone = tmp_path / "clone"
    git_clone = ["git", "clone", "--quiet", str(ROOT), str(clone)]
    await asyncio.to_thread(subprocess.run, git_clone, check=True)

    stack = Stack(clone, command=("make", "run"))
    await stack.start(within_s=900)  # the first `make run` creates .venv and installs
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            r = await client.get(stack.url("escalation") + "/healthz")
        assert r.json()["clock"] == {"movable": False, "offset_s": 0.0}
        assert "Clock " not in stack.output()
    finally:
        await stack.stop()
    assert "duban  | broker: stopped" in stack.output()

    packages = await asyncio.to_thread(installed, clone)
    runtime = {distribution(r) for r in PYPROJECT["project"]["dependencies"]}
    tools = {distribution(r) for r in PYPROJECT["project"]["optional-dependencies"]["test"]}
    assert runtime <= packages, runtime - packages
    assert not tools & packages, tools & packages

    # The stamps: `make run` again installs nothing, the test targets add the extras only.
    assert "pip install" not in await asyncio.to_thread(make_dry_run, clone, "run")
    lint = await asyncio.to_thread(make_dry_run, clone, "lint")
    assert "pip install --quiet -e '.[test]'" in lint
    assert "pip install --quiet -e .\n" not in lint

    (clone / "var" / "clock-offset").write_text(str(31 * 86400), encoding="ascii")
    demo = Stack(clone, command=("make", "demo"), ports=stack.ports)
    await demo.start(within_s=300)
    try:
        banner = demo.output()
        assert "pip install" not in banner
        assert (
            "  Clock         movable (demo): offset +2678400 s, read from var/clock-offset"
            in banner
        )
        async with httpx.AsyncClient(timeout=10) as client:
            for service in ("hazard_api", "escalation", "notification"):
                r = await client.get(demo.url(service) + "/healthz")
                assert r.json()["clock"] == {"movable": True, "offset_s": 2678400.0}
    finally:
        await demo.stop()
    assert "duban  | broker: stopped" in demo.output()
