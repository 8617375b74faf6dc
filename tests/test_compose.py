"""docker-compose.yml and the Dockerfile, checked without a Docker engine.

Every environment variable the compose file gives a Duban container must be a setting of that
service (and the values must validate); published ports, commands, health checks and start-up
conditions must agree; the Dockerfile must install this very project, and what it installs must
contain every module the compose commands start.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import AliasChoices, AliasPath
from pydantic_settings import BaseSettings

from ops.cli import build_parser
from ops.stack import SERVICES, RunSettings, topic_partitions

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICE_DEFS: dict[str, dict[str, Any]] = COMPOSE["services"]
APP_NAMES = [spec.name for spec in SERVICES]
PREFIXES = {
    "HAZARD_API_": "hazard_api",
    "ESCALATION_": "escalation",
    "NOTIFICATION_": "notification",
    "PORTAL_": "portal",
    "REPORTING_": "reporting",
}
SHARED_VARS = {
    "DUBAN_ENV",
    "KAFKA_BOOTSTRAP_SERVERS",
    "DUBAN_CLOCK_OFFSET_FILE",
    "DUBAN_HAZARD_API_URL",
    "DUBAN_ESCALATION_URL",
    "DUBAN_NOTIFICATION_URL",
    "DUBAN_REPORTING_URL",
}
# What an operator would export before `docker compose up` (the file refuses to start without
# DUBAN_SECRET_KEY); everything else takes the file's defaults.
OPERATOR_ENV = {
    "DUBAN_SECRET_KEY": "a-real-secret-for-the-compose-test-0123456789",
    "REPORTING_COUNTY_AREA_CODE": "430723",
}


def settings_class(app: str) -> type[BaseSettings]:
    if importlib.util.find_spec(f"services.{app}.config") is None:
        pytest.skip(
            f"!!! services.{app}.config is not built yet: compose checks for it SKIPPED !!!"
        )
    cls: type[BaseSettings] = importlib.import_module(f"services.{app}.config").Settings
    return cls


def env_names(cls: type[BaseSettings]) -> set[str]:
    """The environment variables pydantic-settings reads for `cls` (upper-cased)."""
    prefix = str(cls.model_config.get("env_prefix", ""))
    names: set[str] = set()
    for name, field in cls.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names |= {c for c in alias.choices if isinstance(c, str)}
        elif isinstance(alias, str):
            names.add(alias)
        elif isinstance(alias, AliasPath):
            names.add(str(alias.path[0]))
        else:
            names.add(prefix + (field.alias or name))
    return {n.upper() for n in names}


def base_name(cls: type[BaseSettings], var: str) -> str:
    delimiter = cls.model_config.get("env_nested_delimiter")
    return var.split(delimiter, 1)[0] if delimiter else var


_VAR = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|\$(?P<bare>\w+)")


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's `${VAR}`, `${VAR:-default}`, `${VAR:?error}` and `$$`."""

    def one(m: re.Match[str]) -> str:
        name = m.group("name") or m.group("bare")
        op, arg = m.group("op"), m.group("arg")
        value = env.get(name)
        if op and op.endswith("?") and not value:
            raise AssertionError(f"compose refuses to start without {name}: {arg}")
        if op and op.endswith("-") and not value:
            return arg or ""
        return value or ""

    parts = value.split("$$")
    return "$".join(_VAR.sub(one, part) for part in parts)


def container_env(service: str, operator_env: dict[str, str]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for key, raw in (SERVICE_DEFS[service].get("environment") or {}).items():
        # A key without a value passes the operator's variable through (absent when unset).
        out[key] = operator_env.get(key) if raw is None else interpolate(str(raw), operator_env)
    return out


def duban_services() -> list[str]:
    return [
        name
        for name, svc in SERVICE_DEFS.items()
        if interpolate(svc.get("image", ""), {}).startswith("duban") or svc.get("build")
    ]


def apps_configured_by(service: str) -> set[str]:
    env = SERVICE_DEFS[service].get("environment") or {}
    return {app for prefix, app in PREFIXES.items() for key in env if key.startswith(prefix)}


# ------------------------------------------------------------------ environment ↔ settings
@pytest.mark.parametrize("service", duban_services())
def test_every_variable_is_a_setting_of_its_service(service: str) -> None:
    env = SERVICE_DEFS[service].get("environment") or {}
    assert env, f"{service} sets no environment"
    unknown = []
    for var in env:
        if var in SHARED_VARS:
            continue
        prefix = next((p for p in PREFIXES if var.startswith(p)), None)
        assert prefix is not None, f"{service}: {var} belongs to no service's settings"
        cls = settings_class(PREFIXES[prefix])
        if base_name(cls, var).upper() not in env_names(cls):
            unknown.append(var)
    assert unknown == [], f"{service} sets variables no Settings field reads: {unknown}"
    # The shared variables really are read (without the service prefix) by the settings base.
    for app in apps_configured_by(service):
        assert env_names(settings_class(app)) >= SHARED_VARS


@pytest.mark.parametrize("service", duban_services())
def test_the_compose_values_validate(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for app in apps_configured_by(service):
        cls = settings_class(app)
        prefix = str(cls.model_config.get("env_prefix", ""))
        env = container_env(service, OPERATOR_ENV)
        for var in [*SHARED_VARS, *(v for v in env if v.startswith(prefix))]:
            monkeypatch.delenv(var, raising=False)
        for var, value in env.items():
            if value is not None and (var in SHARED_VARS or var.startswith(prefix)):
                monkeypatch.setenv(var, value)
        settings: Any = cls()
        # Only the optional demo seeding job runs in development (it refuses production).
        assert settings.env == ("development" if service == "seed-demo" else "production")
        assert settings.kafka_bootstrap_servers == "kafka:9092"
        if app == "portal":  # keeps no data: it calls the services by their compose names
            assert settings.hazard_api_url == "http://hazard_api:8000"
            continue
        assert settings.database_url.startswith("postgresql+asyncpg://")
        assert settings.database_url.rsplit("/", 1)[1] == app


# ------------------------------------------------------------------ ports, commands, health
def _option(command: list[str], flag: str) -> str:
    return command[command.index(flag) + 1]


@pytest.mark.parametrize("app", APP_NAMES)
def test_each_app_runs_its_factory_on_its_port(app: str) -> None:
    svc = SERVICE_DEFS[app]
    command: list[str] = svc["command"]
    assert command[:3] == ["uvicorn", "--factory", f"services.{app}.main:create_app"]
    port = int(_option(command, "--port"))
    prefix = next(p for p, a in PREFIXES.items() if a == app)
    env = svc["environment"]
    assert int(env[f"{prefix}HTTP_PORT"]) == port
    assert _option(command, "--host") == env[f"{prefix}HTTP_HOST"] == "0.0.0.0"
    published = [str(p).split(":") for p in svc["ports"]]
    assert [int(p[-1]) for p in published] == [port], "container side of the published port"
    assert f"127.0.0.1:{port}/readyz" in " ".join(svc["healthcheck"]["test"])
    # The same port the service listens on by default (`duban run`).
    assert getattr(settings_class(app)(env="development"), "http_port", None) == port
    assert importlib.import_module(f"services.{app}.main").create_app


def test_published_host_ports_do_not_collide() -> None:
    host_ports = [
        str(p).split(":")[0] for svc in SERVICE_DEFS.values() for p in svc.get("ports", [])
    ]
    assert len(host_ports) == len(set(host_ports))


def test_dependencies_exist_and_their_conditions_can_be_met() -> None:
    for name, svc in SERVICE_DEFS.items():
        depends = svc.get("depends_on") or {}
        for target, spec in depends.items():
            assert target in SERVICE_DEFS, f"{name} depends on unknown {target}"
            condition = spec["condition"]
            target_def = SERVICE_DEFS[target]
            if condition == "service_healthy":
                assert "healthcheck" in target_def, f"{name} waits for {target}'s health check"
            elif condition == "service_completed_successfully":
                assert target_def.get("restart") == "no", f"{target} must be a one-shot job"
                assert not target_def.get("profiles"), f"{name} waits for optional {target}"
            else:
                assert condition == "service_started"
    for app in APP_NAMES:
        needs = set(SERVICE_DEFS[app]["depends_on"])
        assert {"postgres", "kafka-init", "migrate"} <= needs
    assert "mailpit" in SERVICE_DEFS["notification"]["depends_on"]
    long_running = [n for n, s in SERVICE_DEFS.items() if s.get("restart") != "no"]
    for name in long_running:
        assert "healthcheck" in SERVICE_DEFS[name], f"{name} has no health check"


def test_duban_cli_jobs_are_real_commands() -> None:
    parser = build_parser()
    known = next(a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    jobs = [s["command"] for s in SERVICE_DEFS.values() if s.get("command", [""])[0] == "duban"]
    assert jobs
    missing = [job[1] for job in jobs if job[1] not in known]
    if missing:
        pytest.skip(f"!!! duban {missing} not built yet: compose jobs unchecked, SKIPPED !!!")
    for job in jobs:
        parser.parse_args(job[1:])  # exits (fails the test) on an unknown option


def test_kafka_topics_match_what_duban_run_creates() -> None:
    script = SERVICE_DEFS["kafka-init"]["command"][0]
    specs = re.search(r"for spec in ([^;]+);", script)
    assert specs is not None
    created = {s.split(":")[0]: int(s.split(":")[1]) for s in specs.group(1).split()}
    assert created == topic_partitions(RunSettings().topic_partitions)
    assert SERVICE_DEFS["kafka"]["environment"]["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert SERVICE_DEFS["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"


def test_postgres_has_a_database_for_every_service() -> None:
    init_mount = next(v for v in SERVICE_DEFS["postgres"]["volumes"] if "init" in v)
    init_sql = (ROOT / init_mount.split(":")[0]).read_text(encoding="utf-8")
    created = set(re.findall(r"CREATE DATABASE (\w+)", init_sql))
    for service in duban_services():
        for var, value in container_env(service, OPERATOR_ENV).items():
            if var.endswith("_DATABASE_URL") and value:
                assert value.rsplit("/", 1)[1] in created, f"{service}: {var}"


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
