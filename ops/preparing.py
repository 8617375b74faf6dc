"""What `duban run` does to each service before starting it: load its settings, migrate its
database, and, in development, fill in what a checkout lacks (a secret key, reporting's demo
login) and seed the demo county.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path

import yaml
from pydantic import ValidationError
from sqlalchemy.engine import make_url

from ops.processes import LoadedService, RunError, ServiceSpec, pump_lines, say
from shared.db import ensure_sqlite_folder


# ----------------------------------------------------------------------------- services
def load_service(spec: ServiceSpec) -> LoadedService | str:
    """The service's settings, or why it cannot run (missing code, bad settings)."""
    for module in (spec.package, f"{spec.package}.main", f"{spec.package}.config"):
        try:
            found = importlib.util.find_spec(module)
        except ModuleNotFoundError:
            found = None
        if found is None:
            return f"not built yet: {module} is missing"
    try:
        config = importlib.import_module(f"{spec.package}.config")
        settings = config.Settings()
    except ValidationError as exc:
        return f"invalid settings: {exc}"
    except Exception as exc:
        return f"cannot load its settings: {type(exc).__name__}: {exc}"
    pkg_dir = Path(importlib.import_module(spec.package).__file__ or "").parent
    migrations = pkg_dir / "migrations"
    return LoadedService(spec, settings, migrations if (migrations / "env.py").exists() else None)


def migrate(service: LoadedService) -> None:
    from shared.migrations import upgrade

    if not hasattr(service.settings, "database_url"):
        return  # the portal keeps no data
    ensure_sqlite_folder(service.settings.database_url)
    if service.migrations_dir is None:
        say(f"{service.spec.name}: no migrations folder yet, nothing to migrate")
        return
    upgrade(service.settings.database_url, service.migrations_dir)
    say(f"{service.spec.name}: database at head ({redact(service.settings.database_url)})")


def redact(database_url: str) -> str:
    return make_url(database_url).render_as_string(hide_password=True)


# ----------------------------------------------------------------------------- secrets
SECRET_PREFIXES = ("HAZARD_API_", "ESCALATION_", "NOTIFICATION_", "PORTAL_", "REPORTING_")


def development_secrets(env: dict[str, str], var_dir: Path) -> None:
    """In development, a service without a secret key gets one generated once per checkout
    (var/dev-secret-key): tokens and acknowledgement links survive a restart, and nobody signs
    with the public placeholder. Production keeps refusing to start without a real secret."""
    if env.get("DUBAN_ENV") != "development":
        return
    missing = [p for p in SECRET_PREFIXES if not env.get(f"{p}SECRET_KEY")]
    if not missing:
        return
    path = var_dir / "dev-secret-key"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32), encoding="ascii")
        path.chmod(0o600)
    key = path.read_text(encoding="ascii").strip()
    for prefix in missing:
        env[f"{prefix}SECRET_KEY"] = key


# ----------------------------------------------------------------------------- seeding
# Read as a file: importing hazard_api's seed module would load its models into the runner.
DEMO_FILE = Path(__file__).parents[1] / "services" / "hazard_api" / "directory" / "demo_county.yaml"


def demo_reporting_login(env: dict[str, str]) -> None:
    """In development, reporting logs in to hazard_api as the demo county's `reporting`
    account (its quarterly statistics, the listing decisions), unless told otherwise."""
    if env.get("DUBAN_ENV") != "development" or env.get("REPORTING_HAZARD_API_PASSWORD"):
        return
    demo = yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8"))
    env["REPORTING_HAZARD_API_PASSWORD"] = str(demo["demo_password"])


async def seed_demo(env: Mapping[str, str]) -> None:
    """`duban seed-demo --if-empty`: the demo county, unless the directory already has units."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ops.cli",
        "seed-demo",
        "--if-empty",
        env=dict(env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert proc.stdout is not None
    await pump_lines("seed", proc.stdout)
    if await proc.wait() != 0:
        raise RunError(f"seeding the demo county failed (exit code {proc.returncode})")
