"""#17: a service started with DUBAN_ENV=production refuses the unsafe settings that
`duban check-config` marks so (the same rules, shared/safety.py): weak secrets, the console
SMS provider, an empty receipt token, plain SMTP unless explicitly allowed, a clock offset."""

from __future__ import annotations

import importlib
import json
import os
from typing import Any

import pytest

from ops.checks import check
from shared.safety import Finding, UnsafeSettings, refuse_unsafe_start
from shared.settings import DubanSettings
from tests.test_cli_checks import ALIYUN, OURS, SAFE_PRODUCTION

SERVICES = ("hazard_api", "escalation", "notification")


@pytest.fixture
def deployment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in list(os.environ):
        if name.startswith(OURS):
            monkeypatch.delenv(name)
    for name, value in SAFE_PRODUCTION.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def settings_of(service: str) -> DubanSettings:
    module = importlib.import_module(f"services.{service}.config")
    settings: DubanSettings = module.Settings()
    return settings


def start(service: str) -> Any:
    """What `uvicorn --factory services.<service>.main:create_app` does first."""
    create_app = importlib.import_module(f"services.{service}.main").create_app
    return create_app(settings_of(service))


def test_a_safe_production_starts(deployment: pytest.MonkeyPatch) -> None:
    for service in SERVICES:
        refuse_unsafe_start(settings_of(service))  # no exception


UNSAFE: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    # case: (environment changes, {service: the variable it names})
    "short secret": (
        {"ESCALATION_SECRET_KEY": "short-key"},
        {"escalation": "ESCALATION_SECRET_KEY"},
    ),
    "repeated secret": (
        {"HAZARD_API_SECRET_KEY": "password" * 5, "NOTIFICATION_BEARER_KEY": "password" * 5},
        {"hazard_api": "HAZARD_API_SECRET_KEY", "notification": "NOTIFICATION_BEARER_KEY"},
    ),
    "one character secret": (
        {"NOTIFICATION_SECRET_KEY": "a" * 48},
        {"notification": "NOTIFICATION_SECRET_KEY"},
    ),
    "weak bearer key": (
        {"ESCALATION_BEARER_KEY": "0123456789" * 4},
        {"escalation": "ESCALATION_BEARER_KEY"},
    ),
    "clock offset file": (
        {"DUBAN_CLOCK_OFFSET_FILE": "/var/lib/duban/clock-offset"},
        {s: "DUBAN_CLOCK_OFFSET_FILE" for s in SERVICES},
    ),
    "console sms": (
        {"NOTIFICATION_SMS_PROVIDERS": json.dumps([{"name": "console", "kind": "console"}])},
        {"notification": "NOTIFICATION_SMS_PROVIDERS"},
    ),
    "empty receipt token": (
        {"NOTIFICATION_RECEIPT_TOKEN": ""},
        {"notification": "NOTIFICATION_RECEIPT_TOKEN"},
    ),
    "short receipt token": (
        {"NOTIFICATION_RECEIPT_TOKEN": "rt-1"},
        {"notification": "NOTIFICATION_RECEIPT_TOKEN"},
    ),
    "a provider without its receipt token": (
        {
            "NOTIFICATION_RECEIPT_TOKEN": "",
            "NOTIFICATION_SMS_PROVIDERS": json.dumps(
                [
                    ALIYUN | {"receipt_token": "aliyun-own-receipt-token-1"},
                    ALIYUN | {"name": "aliyun-2"},
                ]
            ),
        },
        {"notification": "NOTIFICATION_SMS_PROVIDERS"},
    ),
    "plain smtp": (
        {"NOTIFICATION_SMTP_SECURITY": "none", "NOTIFICATION_SMTP_PORT": "25"},
        {"notification": "NOTIFICATION_SMTP_SECURITY"},
    ),
}


@pytest.mark.parametrize("case", list(UNSAFE))
def test_production_refuses_to_start_and_check_config_agrees(
    deployment: pytest.MonkeyPatch, case: str
) -> None:
    changes, refusing = UNSAFE[case]
    for name, value in changes.items():
        deployment.setenv(name, value)
    for service in SERVICES:
        if service not in refusing:
            refuse_unsafe_start(settings_of(service))
            continue
        with pytest.raises(UnsafeSettings) as refused:
            start(service)
        named = {f.variable for f in refused.value.findings}
        assert refusing[service] in named, (service, named)
        assert "拒绝在生产环境" in str(refused.value)
        # The check names the same variables, each marked as refusing start.
        env, findings = check([service])
        assert env == "production"
        marked = {f.variable for f in findings if f.refuses_start}
        assert marked == named, (service, marked, named)


def test_plain_smtp_is_started_when_explicitly_allowed(deployment: pytest.MonkeyPatch) -> None:
    deployment.setenv("NOTIFICATION_SMTP_SECURITY", "none")
    with pytest.raises(UnsafeSettings):
        refuse_unsafe_start(settings_of("notification"))
    deployment.setenv("NOTIFICATION_SMTP_ALLOW_PLAIN", "true")
    refuse_unsafe_start(settings_of("notification"))
    assert check(["notification"]) == ("production", [])


def test_development_and_test_stacks_start_with_anything(deployment: pytest.MonkeyPatch) -> None:
    deployment.setenv("DUBAN_CLOCK_OFFSET_FILE", "/tmp/offset")
    deployment.setenv("NOTIFICATION_SMS_PROVIDERS", json.dumps([{"name": "c", "kind": "console"}]))
    for env in ("development", "test"):
        deployment.setenv("DUBAN_ENV", env)
        for service in SERVICES:
            refuse_unsafe_start(settings_of(service))


def test_check_config_marks_what_refuses_start(
    deployment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ops.checks import run

    deployment.setenv("NOTIFICATION_RECEIPT_TOKEN", "")
    deployment.setenv("NOTIFICATION_PUBLIC_BASE_URL", "http://duban.county.gov.cn")
    assert run("notification") == 1
    lines = capsys.readouterr().out.splitlines()
    token = next(line for line in lines if line.startswith("NOTIFICATION_RECEIPT_TOKEN："))
    url = next(line for line in lines if line.startswith("NOTIFICATION_PUBLIC_BASE_URL："))
    assert token.endswith("〔生产环境下服务拒绝启动〕")
    assert not url.endswith("〔生产环境下服务拒绝启动〕")  # listed, not refused at start
    assert Finding("X", "m") != Finding("X", "m", refuses_start=True)


def test_the_escalation_worker_refuses_too(deployment: pytest.MonkeyPatch) -> None:
    """The scheduler-only process (services/escalation/worker.py) is a start like the app's."""
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "DUBAN_CLOCK_OFFSET_FILE": "/tmp/clock-offset"}
    done = subprocess.run(
        [sys.executable, "-m", "services.escalation.worker", "--until-idle"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "拒绝在生产环境" in done.stderr and "DUBAN_CLOCK_OFFSET_FILE" in done.stderr
