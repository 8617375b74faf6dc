"""docs/production.md names only what exists: settings, commands, metrics, SMS templates.

The guide's shell steps run in tests/e2e/test_production_path.py; these checks cover the prose
and the blocks that test cannot run (they would need root, systemd or the internet).
"""

from __future__ import annotations

import importlib
import json
import re
import shlex
from pathlib import Path

import pytest

from ops.cli import build_parser
from ops.stack import RunSettings
from services.notification.config import Settings as NotificationSettings
from services.notification.messages.render import TEMPLATES_DIR, Voice, sms_variables
from shared.settings import DubanSettings
from tests.e2e.guide import GUIDE, site_variables, steps

ROOT = Path(__file__).resolve().parents[1]
TEXT = GUIDE.read_text(encoding="utf-8")
SERVICE_PREFIXES = {
    "HAZARD_API_": "services.hazard_api.config",
    "ESCALATION_": "services.escalation.config",
    "NOTIFICATION_": "services.notification.config",
    "REPORTING_": "services.reporting.config",
}


def setting_exists(variable: str) -> bool:
    for prefix, module in SERVICE_PREFIXES.items():
        if variable.startswith(prefix):
            fields = importlib.import_module(module).Settings.model_fields
            return variable.removeprefix(prefix).lower() in fields
    if variable.startswith("DUBAN_RUN_"):
        return variable.removeprefix("DUBAN_RUN_").lower() in RunSettings.model_fields
    aliases = {f.validation_alias for f in DubanSettings.model_fields.values()}
    return variable in aliases


def test_every_environment_variable_the_guide_names_is_read_by_something() -> None:
    variable = r"\b((?:HAZARD_API|ESCALATION|NOTIFICATION|REPORTING|DUBAN)_[A-Z0-9_]+)"
    named = set(re.findall(variable, TEXT))
    site = set(site_variables(steps()["site"]))
    compose = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    unknown = {
        v
        for v in named - site
        # The compose file's own variable for the acknowledgement links' address.
        if not setting_exists(v) and not (v == "DUBAN_PUBLIC_ACK_URL" and "${" + v in compose)
    }
    assert not unknown, f"the guide names settings nobody reads: {sorted(unknown)}"
    assert {"HAZARD_API_SECRET_KEY", "NOTIFICATION_PUBLIC_BASE_URL"} <= named


def test_uvicorn_reads_the_options_the_guide_sets_through_its_environment() -> None:
    command = importlib.import_module("uvicorn.main").main
    assert command.context_settings["auto_envvar_prefix"] == "UVICORN"
    options = {p.name for p in command.params}
    for variable in set(re.findall(r"\bUVICORN_([A-Z_]+)", TEXT)):
        assert variable.lower() in options, variable


def duban_invocations() -> list[str]:
    """Every `…/bin/duban …` command line of the guide's blocks, continuation lines joined."""
    joined = TEXT.replace("\\\n", " ")
    return re.findall(r'bin/duban" ([^)\n]*)', joined)


def test_every_duban_command_in_the_guide_is_one_the_cli_accepts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    commands = duban_invocations()
    assert len(commands) >= 6, commands
    parser = build_parser()
    for line in commands:
        try:
            parser.parse_args(shlex.split(re.sub(r"<[^>]*>", "x", line)))
        except SystemExit:
            pytest.fail(f"duban {line}: not a valid command")
    # Commands the prose names (`duban admin reset-password USERNAME`): each answers --help.
    for command in set(re.findall(r"`duban ([a-z-]+(?: [a-z-]+)?)", TEXT)):
        with pytest.raises(SystemExit) as exited:
            parser.parse_args([*command.split(), "--help"])
        assert exited.value.code == 0, command
    capsys.readouterr()


METRIC = re.compile(r"\b(?:Counter|Gauge|Histogram|Summary)\(\s*\"([a-z_]+)\"")


def test_the_metrics_table_lists_every_metric_of_ours_and_only_those() -> None:
    sources = [*(ROOT / "shared").rglob("*.py"), *(ROOT / "services").rglob("*.py")]
    ours = {name for path in sources for name in METRIC.findall(path.read_text("utf-8"))}
    assert "escalation_step_lateness_seconds" in ours
    named = {
        name.removesuffix("_total")
        for name in re.findall(
            r"`((?:duban|escalation|hazard_api|notification|reporting)_[a-z_]+)", TEXT
        )
    }
    assert named == {name.removesuffix("_total") for name in ours}


def template_texts(name: str, params: list[str]) -> tuple[str, str]:
    """Our SMS template as Aliyun (`${name}`) and Tencent (`{n}`, in `params` order) write it."""
    version = NotificationSettings(env="test", secret_key="x" * 32).template_versions[name]
    source = (TEMPLATES_DIR / "sms" / f"{name}.v{version}.txt.j2").read_text(encoding="utf-8")
    body = source.strip().removeprefix("【{{ sign }}】")
    variable = re.compile(r"\{\{ (\w+) \}\}")
    aliyun = variable.sub(lambda m: "${" + m[1] + "}", body)
    tencent = variable.sub(lambda m: "{" + str(params.index(m[1]) + 1) + "}", body)
    return aliyun, tencent


def template_variables(name: str) -> list[str]:
    version = NotificationSettings(env="test", secret_key="x" * 32).template_versions[name]
    source = (TEMPLATES_DIR / "sms" / f"{name}.v{version}.txt.j2").read_text(encoding="utf-8")
    return [v for v in re.findall(r"\{\{ (\w+) \}\}", source) if v != "sign"]


def test_the_sms_templates_to_have_approved_are_the_ones_the_code_sends() -> None:
    rows = re.findall(r"^\| `(\w+)` — [^|]*\| `([^`]*)` \| `([^`]*)` \| `([^`]*)` \|$", TEXT, re.M)
    assert {r[0] for r in rows} == {"notice", "digest", "report"}
    item = {
        "action_label": "整改期限提醒",
        "unit_name": "青山化工有限公司",
        "code": "YH-1",
        "deadline_short": "3月19日",
    }
    report = {
        "kind": "report",
        "unit_name": "青山化工有限公司",
        "period_label": "2026年第1季度",
        "due_short": "4月15日",
    }
    voice = Voice(county="某县", organisation="某县安委办", phone="0000-0000000")
    sent = {
        key: list(variables)
        for key, variables in (
            sms_variables([item], "https://x/a/t", voice),
            sms_variables([item, item], "https://x/a/t", voice),
            sms_variables([report], "", voice),
        )
    }
    settings_step = steps()["settings"]
    for name, aliyun, tencent, params_json in rows:
        params = json.loads(params_json)
        # The approved template takes exactly the variables its body uses, all of which we send.
        assert sorted(params) == sorted(template_variables(name)), name
        assert set(params) <= set(sent[name]), name
        assert (aliyun, tencent) == template_texts(name, params), name
        # The settings step maps our variables in the same order.
        assert f'"{name}": {{"code": "$SMS_TEMPLATE_{name.upper()}", "params": {params_json}}}' in (
            settings_step
        )
