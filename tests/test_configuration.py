"""docs/configuration.md, the settings classes and docker-compose.yml, kept in step.

The table in docs/configuration.md lists every environment variable a Duban process reads (the
services' `Settings`, the runner's `RunSettings`, and the few variables code reads directly)
and every variable the compose file takes from the operator or gives a third-party container.
Changing any one of the three alone fails here: a setting without a row, a row naming nothing
real, a compose variable nobody reads and the table does not list, a default the table states
wrongly.
"""

from __future__ import annotations

import importlib
import json
import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import yaml
from pydantic import AliasChoices, AliasPath, BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import to_jsonable_python
from pydantic_settings import BaseSettings

from ops.stack import RunSettings

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "configuration.md"
COMPOSE_FILE = ROOT / "docker-compose.yml"
APPS = ("hazard_api", "escalation", "notification", "portal", "reporting")
SHARED = "all services"  # read without a service prefix by every service
RUNNER = "duban run"
HOST = "compose: host"  # taken from the operator's environment by docker-compose.yml
CONTAINER = "compose: "  # + a third-party container's name: given to that image
PRODUCTION_REQUIRED = re.compile(r"_(SECRET_KEY|DATABASE_URL|PUBLIC_BASE_URL)$|^POSTGRES_PASSWORD$")
# Variables code reads without a settings class: os.environ["X"], env.get("X"), X_ENV = "X".
DIRECT_READ = re.compile(
    r"""(?:environ|env)(?:\.get\(|\[)\s*"(?P<a>[A-Z][A-Z0-9_]+)"|^\w+_ENV\s*=\s*"(?P<b>[A-Z][A-Z0-9_]+)\"""",
    re.MULTILINE,
)


# ------------------------------------------------------------------ the three sources
@dataclass(frozen=True)
class Row:
    name: str
    service: str
    default: str
    production: str
    meaning: str


def table(text: str) -> dict[str, Row]:
    """The rows of every table in the document whose first cell is a `VARIABLE`."""
    rows: dict[str, Row] = {}
    for line in text.splitlines():
        match = re.match(r"\|\s*`([A-Z][A-Z0-9_]*)`\s*\|", line)
        if match is None:
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        assert len(cells) == 5, f"a row has variable, service, default, production, meaning: {line}"
        assert match[1] not in rows, f"{match[1]} has two rows"
        rows[match[1]] = Row(match[1], cells[1], cells[2].strip("`"), cells[3], cells[4])
    return rows


def render_default(value: Any) -> str:
    """A default as the table writes it."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, Path):
        return str(value.relative_to(ROOT)) if value.is_absolute() else str(value)
    if isinstance(value, str):
        return value or "(empty)"
    if isinstance(value, int | float):
        return str(value)
    plain = _plain(value)
    return plain if isinstance(plain, str) else json.dumps(plain, ensure_ascii=False)


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_defaults=True)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return to_jsonable_python(value)


def field_env_names(cls: type[BaseSettings], name: str, field: FieldInfo) -> list[str]:
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        return [c.upper() for c in alias.choices if isinstance(c, str)]
    if isinstance(alias, AliasPath):
        return [str(alias.path[0]).upper()]
    if isinstance(alias, str):
        return [alias.upper()]
    return [(str(cls.model_config.get("env_prefix", "")) + (field.alias or name)).upper()]


@dataclass(frozen=True)
class Setting:
    owner: str
    default: str | None  # None: read directly by code, no settings default


def settings_classes() -> list[tuple[str, type[BaseSettings]]]:
    classes: list[tuple[str, type[BaseSettings]]] = [
        (app, importlib.import_module(f"services.{app}.config").Settings) for app in APPS
    ]
    return [*classes, (RUNNER, RunSettings)]


def settings_vars() -> dict[str, Setting]:
    """Every variable a settings class reads, with its owner and its default as written."""
    out: dict[str, Setting] = {}
    for owner, cls in settings_classes():
        for name, field in cls.model_fields.items():
            exact = field.validation_alias is not None  # an exact name, no service prefix
            default = render_default(field.get_default(call_default_factory=True))
            for var in field_env_names(cls, name, field):
                setting = Setting(SHARED if exact and owner in APPS else owner, default)
                assert out.get(var, setting) == setting, f"{var} is read with two meanings"
                out[var] = setting
    return out


def direct_reads() -> dict[str, Setting]:
    """Variables the code reads itself (test hooks, the runner looking at its environment)."""
    out: dict[str, Setting] = {}
    for package in ("services", "shared", "ops"):
        for path in (ROOT / package).rglob("*.py"):
            for match in DIRECT_READ.finditer(path.read_text(encoding="utf-8")):
                var = match["a"] or match["b"]
                owner = next((app for app in APPS if var.startswith(app.upper() + "_")), SHARED)
                owner = RUNNER if var.startswith("DUBAN_RUN_") else owner
                out[var] = Setting(owner, None)
    return out


def read_vars() -> dict[str, Setting]:
    return {**direct_reads(), **settings_vars()}


def compose_text() -> str:
    return COMPOSE_FILE.read_text(encoding="utf-8")


def compose_environment(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each container's `environment:` (anchors merged by the YAML loader)."""
    return {name: svc.get("environment") or {} for name, svc in compose["services"].items()}


def host_variables(text: str) -> dict[str, str | None]:
    """`${VAR}`, `${VAR:-default}`, `${VAR:?message}` taken from the operator's environment
    (`$$` is a literal dollar for the container's shell): name → default (None: none)."""
    found: dict[str, str | None] = {}
    for part in text.split("$$"):
        for m in re.finditer(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}", part):
            default = m[3] if m[2] and m[2].endswith("-") else None
            assert found.get(m[1], default) == default, f"${{{m[1]}}}: two defaults"
            found[m[1]] = default
    return found


def is_duban(svc: dict[str, Any]) -> bool:
    return bool(svc.get("build")) or "DUBAN_IMAGE" in str(svc.get("image", ""))


def loaded() -> tuple[dict[str, Row], dict[str, Setting], dict[str, Any], str]:
    text = compose_text()
    return table(DOC.read_text(encoding="utf-8")), read_vars(), yaml.safe_load(text), text


# ------------------------------------------------------------------ the checks
def test_every_variable_the_code_reads_has_its_row() -> None:
    rows, real, _, _ = loaded()
    missing = sorted(set(real) - set(rows))
    assert missing == [], f"read by the code, not in docs/configuration.md: {missing}"
    for var, setting in real.items():
        row = rows[var]
        assert row.service == setting.owner, f"{var}: the table says {row.service}"
        if setting.default is not None:
            assert row.default == setting.default, f"{var}: default {setting.default}"


def test_every_row_names_a_setting_or_a_compose_variable() -> None:
    rows, real, compose, text = loaded()
    hosts = host_variables(text)
    env = compose_environment(compose)
    for var, row in rows.items():
        if var in real:
            continue
        if row.service == HOST:
            assert var in hosts, f"{var}: docker-compose.yml takes no such variable"
            default = hosts[var]
            expected = "—" if default is None else default or "(empty)"
            assert row.default == expected, f"{var}: compose's default is {expected}"
        else:
            assert row.service.startswith(CONTAINER), f"{var}: no setting reads it"
            container = row.service.removeprefix(CONTAINER)
            assert container in env, f"{var}: no container {container} in docker-compose.yml"
            assert var in env[container], f"{var}: {container} is not given it"
            assert not is_duban(compose["services"][container])
            assert row.default == str(env[container][var]).strip(), f"{var}: compose sets it so"


def test_every_compose_variable_is_read_or_documented() -> None:
    rows, real, compose, text = loaded()
    for name, variables in compose_environment(compose).items():
        duban = is_duban(compose["services"][name])
        for var in variables:
            if duban:
                # NOTIFICATION_SMS_PROVIDERS__0__NAME: a nested part of a setting.
                assert var.split("__", 1)[0] in real, f"{name}: nothing reads {var}"
            else:
                assert var in rows, f"{name}: {var} is not in docs/configuration.md"
                # POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:-…} passes the operator's value on.
                passed_on = str(variables[var]).startswith("${" + var)
                owner = HOST if passed_on else CONTAINER + name
                assert rows[var].service == owner, f"{var}: given to {name}, say {owner}"
    for var in host_variables(text):
        assert var in rows, f"docker-compose.yml takes {var}: not in docs/configuration.md"
        assert var in real or rows[var].service == HOST, f"{var}: mark it {HOST}"


def test_production_column_says_what_must_be_set() -> None:
    rows, *_ = loaded()
    for var, row in rows.items():
        assert row.production in {"yes", "no"}, f"{var}: production is yes or no"
        assert row.meaning, f"{var}: say what it means"
        if PRODUCTION_REQUIRED.search(var):
            assert row.production == "yes", f"{var}: a production deployment must set it"
