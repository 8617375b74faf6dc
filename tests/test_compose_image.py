"""The Dockerfile and the one image every Duban container runs, checked without a Docker
engine: it installs this very project and contains every module the compose commands start;
what a service keeps lives on a named volume.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.compose_file import (
    APP_NAMES,
    COMPOSE,
    OPERATOR_ENV,
    ROOT,
    SERVICE_DEFS,
    container_env,
    duban_services,
    interpolate,
    settings_class,
)


# ------------------------------------------------------------------ the Dockerfile
def dockerfile() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    return [(ln.split(None, 1)[0].upper(), ln.split(None, 1)[1]) for ln in lines]


def test_dockerfile_installs_this_project_and_contains_what_compose_runs(
    tmp_path: Path,
) -> None:
    instructions = dockerfile()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    assert any(op == "RUN" and re.search(r"pip install \.(\s|$)", arg) for op, arg in instructions)
    # Rebuild the image's build context from its COPY lines and build the wheel pip installs.
    context = tmp_path / "context"
    context.mkdir()
    for op, arg in instructions:
        if op == "COPY":
            *sources, _dest = arg.split()
            for src in sources:
                source = ROOT / src
                assert source.exists(), f"COPY {src}: no such file"
                if source.is_dir():
                    shutil.copytree(
                        source, context / src, ignore=shutil.ignore_patterns("__pycache__")
                    )
                else:
                    shutil.copy2(source, context / src)
    assert (context / "pyproject.toml").read_bytes() == (ROOT / "pyproject.toml").read_bytes()
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), "."],
        cwd=context,
        check=True,
    )
    (wheel,) = tmp_path.glob("duban-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "duban = ops.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
    cmd = next(arg for op, arg in instructions if op == "CMD")
    commands = [cmd, *(str(s.get("command")) for s in SERVICE_DEFS.values())]
    for command in commands:
        for module in re.findall(r"services\.(\w+)\.main:create_app", command):
            if not (ROOT / "services" / module / "main.py").exists():
                continue  # not built yet: test_each_app_runs_its_factory_on_its_port says so
            assert f"services/{module}/main.py" in names
            if not (ROOT / "services" / module / "migrations").exists():
                continue  # keeps no data (the portal)
            assert f"services/{module}/migrations/env.py" in names, "migrations not installed"
            assert any(n.startswith(f"services/{module}/migrations/versions/") for n in names)
            assert f"services/{module}/migrations/script.py.mako" in names


# ------------------------------------------------------------------ one image, data on volumes
def test_one_image_is_built_once_and_run_by_every_duban_container() -> None:
    builders = [name for name, svc in SERVICE_DEFS.items() if "build" in svc]
    assert builders == ["migrate"], "exactly one service builds the image"
    image = SERVICE_DEFS["migrate"]["image"]
    assert interpolate(image, {}) == "duban:latest"
    assert interpolate(image, {"DUBAN_IMAGE": "duban:2027.1"}) == "duban:2027.1"
    duban = duban_services()
    assert set(APP_NAMES) | {"migrate", "seed-demo"} <= set(duban)
    for name in duban:
        svc = SERVICE_DEFS[name]
        assert svc["image"] == image, f"{name} runs another image"
        if name != "migrate":
            # Never pulled (there is no such image in a registry), and only started once
            # the job that builds it has run.
            assert svc.get("pull_policy") == "never", name
            assert "migrate" in (svc.get("depends_on") or {}), name


def named_mounts(service: str) -> dict[str, str]:
    """Container path → named volume, for the service's named-volume mounts."""
    mounts: dict[str, str] = {}
    for volume in SERVICE_DEFS[service].get("volumes") or []:
        source, target = str(volume).split(":")[:2]
        if not source.startswith((".", "/")):
            assert source in (COMPOSE.get("volumes") or {}), f"{service}: {source} undeclared"
            mounts[target] = source
    return mounts


def on_volume(service: str, path: str) -> str | None:
    for target, volume in named_mounts(service).items():
        if path == target or path.startswith(target.rstrip("/") + "/"):
            return volume
    return None


def test_declared_volumes_are_all_mounted() -> None:
    used = {v for name in SERVICE_DEFS for v in named_mounts(name).values()}
    assert used == set(COMPOSE["volumes"])


def test_kafka_writes_its_log_to_its_volume() -> None:
    env = SERVICE_DEFS["kafka"]["environment"]
    # The apache/kafka image falls back to /tmp/kraft-combined-logs when this is unset.
    log_dirs = str(env["KAFKA_LOG_DIRS"]).split(",")
    assert [on_volume("kafka", d) for d in log_dirs] == ["kafkadata"] * len(log_dirs)
    # A fixed cluster id: the formatted log is accepted again after the container is recreated.
    assert env["CLUSTER_ID"]


def test_evidence_is_kept_on_a_volume_the_service_can_write() -> None:
    env = container_env("hazard_api", OPERATOR_ENV)
    workdir = next(arg for op, arg in reversed(dockerfile()) if op == "WORKDIR")
    default = settings_class("hazard_api").model_fields["evidence_dir"].default
    evidence = str(Path(workdir, env.get("HAZARD_API_EVIDENCE_DIR") or default))
    evidence = os.path.normpath(evidence)
    assert on_volume("hazard_api", evidence) == "evidence", evidence
    # A new named volume takes the ownership of the image's folder at its mount point: the
    # image must create it for its user.
    user = next(arg for op, arg in dockerfile() if op == "USER")
    run = " ".join(arg for op, arg in dockerfile() if op == "RUN")
    assert re.search(rf"mkdir -p \S*{re.escape(evidence)}(\s|$)", run), run
    assert re.search(rf"chown (-R )?{user} {re.escape(str(Path(evidence).parent))}", run), run


def test_postgres_is_healthy_only_when_it_answers_over_tcp() -> None:
    check = " ".join(SERVICE_DEFS["postgres"]["healthcheck"]["test"])
    assert "pg_isready" in check
    # Without -h, pg_isready asks over the Unix socket, on which the entrypoint's temporary
    # server answers while initdb and the init scripts still run.
    host = re.search(r"(?:-h|--host)[ =](\S+)", check)
    assert host is not None and not host[1].startswith("/"), check
