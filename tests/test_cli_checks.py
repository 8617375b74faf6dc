"""`duban check-config`: every unsafe setting is named by its variable; a safe production passes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ops.checks import check

KEY = "k3y-0f-the-county-deployment-2f9c81d0a7b64e55"
TEMPLATES = {
    "notice": {"code": "SMS_470001", "params": ["hazard"]},
    "digest": {"code": "SMS_1"},
    "report": {"code": "SMS_2"},
}
ALIYUN = {
    "name": "aliyun",
    "kind": "aliyun",
    "access_key_id": "LTAI5tExampleId",
    "access_key_secret": "exampleSecretValue",
    "sign_name": "某某县应急管理局",
    "templates": TEMPLATES,
}


def pg(database: str, password: str = "Vq7-random-db-password") -> str:
    return f"postgresql+asyncpg://duban:{password}@db.county.internal:5432/{database}"


SAFE_PRODUCTION = {
    "DUBAN_ENV": "production",
    "HAZARD_API_SECRET_KEY": KEY,
    "ESCALATION_SECRET_KEY": KEY,
    "NOTIFICATION_SECRET_KEY": KEY,
    "HAZARD_API_DATABASE_URL": pg("hazard_api"),
    "ESCALATION_DATABASE_URL": pg("escalation"),
    "NOTIFICATION_DATABASE_URL": pg("notification"),
    "NOTIFICATION_SMS_PROVIDERS": json.dumps([ALIYUN]),
    "NOTIFICATION_RECEIPT_TOKEN": "receipt-token-7d1e9a4b",
    "NOTIFICATION_PUBLIC_BASE_URL": "https://duban.county.gov.cn",
    "NOTIFICATION_SMTP_HOST": "mail.county.gov.cn",
    "NOTIFICATION_SMTP_PORT": "587",
    "NOTIFICATION_SMTP_SECURITY": "starttls",
    "NOTIFICATION_SMTP_SENDER": "督办系统 <duban@county.gov.cn>",
    "KAFKA_BOOTSTRAP_SERVERS": "kafka1.county.internal:9092,kafka2.county.internal:9092",
    "REPORTING_SECRET_KEY": KEY,
    "REPORTING_COUNTY_AREA_CODE": "430723",
    "REPORTING_DATABASE_URL": pg("reporting"),
    "REPORTING_SIGNING_SECRETS": "whsec_cHJvdmluY2Utc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWY=",
    "REPORTING_HAZARD_API_PASSWORD": "Reporting-link-2027",
}
OURS = ("DUBAN_", "HAZARD_API_", "ESCALATION_", "NOTIFICATION_", "KAFKA_", "REPORTING_")


def environment(**changes: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}
    return {**base, **SAFE_PRODUCTION, **changes}


@pytest.fixture
def deployment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in list(os.environ):
        if name.startswith(OURS):
            monkeypatch.delenv(name)
    for name, value in SAFE_PRODUCTION.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_a_safe_production_deployment_has_no_findings(deployment: pytest.MonkeyPatch) -> None:
    assert check() == ("production", [])


UNSAFE: dict[str, tuple[dict[str, str | None], set[str]]] = {
    "placeholder secret": (
        {"HAZARD_API_SECRET_KEY": "changeme"},
        # notification, escalation and reporting no longer accept hazard_api's tokens either
        {
            "HAZARD_API_SECRET_KEY",
            "NOTIFICATION_BEARER_KEY",
            "ESCALATION_BEARER_KEY",
            "REPORTING_BEARER_KEY",
        },
    ),
    "short secret": (
        {"ESCALATION_SECRET_KEY": "short-key"},
        {"ESCALATION_SECRET_KEY", "ESCALATION_BEARER_KEY"},
    ),
    "other bearer key": (
        {"NOTIFICATION_BEARER_KEY": KEY[::-1]},
        {"NOTIFICATION_BEARER_KEY"},
    ),
    "escalation refuses hazard_api's tokens": (
        {"ESCALATION_SECRET_KEY": KEY[::-1]},
        {"ESCALATION_BEARER_KEY"},
    ),
    "sqlite": (
        {"ESCALATION_DATABASE_URL": "sqlite+aiosqlite:///./var/escalation.db"},
        {"ESCALATION_DATABASE_URL"},
    ),
    "compose's database password": (
        {"NOTIFICATION_DATABASE_URL": pg("notification", "duban")},
        {"NOTIFICATION_DATABASE_URL"},
    ),
    "clock offset": ({"DUBAN_CLOCK_OFFSET_FILE": "/tmp/offset"}, {"DUBAN_CLOCK_OFFSET_FILE"}),
    "console sms": (
        {"NOTIFICATION_SMS_PROVIDERS": '[{"name": "console", "kind": "console"}]'},
        {"NOTIFICATION_SMS_PROVIDERS"},
    ),
    "sms without keys": (
        {"NOTIFICATION_SMS_PROVIDERS": json.dumps([{**ALIYUN, "access_key_secret": ""}])},
        {"NOTIFICATION_SMS_PROVIDERS"},
    ),
    "sms without an approved template": (
        {"NOTIFICATION_SMS_PROVIDERS": json.dumps([{**ALIYUN, "templates": {}}])},
        {"NOTIFICATION_SMS_PROVIDERS"},
    ),
    "empty receipt token": ({"NOTIFICATION_RECEIPT_TOKEN": ""}, {"NOTIFICATION_RECEIPT_TOKEN"}),
    "ack links on this machine": (
        {"NOTIFICATION_PUBLIC_BASE_URL": "http://127.0.0.1:8002"},
        {"NOTIFICATION_PUBLIC_BASE_URL"},
    ),
    "ack links without https": (
        {"NOTIFICATION_PUBLIC_BASE_URL": "http://duban.county.gov.cn"},
        {"NOTIFICATION_PUBLIC_BASE_URL"},
    ),
    "plain smtp": ({"NOTIFICATION_SMTP_SECURITY": "none"}, {"NOTIFICATION_SMTP_SECURITY"}),
    "development mail sink": (
        {"NOTIFICATION_SMTP_HOST": "127.0.0.1", "NOTIFICATION_SMTP_PORT": "1025"},
        {"NOTIFICATION_SMTP_HOST"},
    ),
    "unchecked certificates": (
        {"NOTIFICATION_SMTP_VALIDATE_CERTS": "false"},
        {"NOTIFICATION_SMTP_VALIDATE_CERTS"},
    ),
    "sender at localhost": (
        {"NOTIFICATION_SMTP_SENDER": "督办系统 <duban@localhost>"},
        {"NOTIFICATION_SMTP_SENDER"},
    ),
    "unknown environment": ({"DUBAN_ENV": "prod"}, {"DUBAN_ENV"}),
    "in-memory broker": ({"KAFKA_BOOTSTRAP_SERVERS": None}, {"KAFKA_BOOTSTRAP_SERVERS"}),
    "repair of lost events off": ({"DUBAN_EVENT_REPAIR": "off"}, {"DUBAN_EVENT_REPAIR"}),
    # The quarterly statistics would never go upward: said, though the service still starts.
    "reporting without its hazard_api account": (
        {"REPORTING_HAZARD_API_PASSWORD": None},
        {"REPORTING_HAZARD_API_PASSWORD"},
    ),
    "crash point outside tests": (
        {"ESCALATION_TEST_CRASH_POINT": "after_outbox_insert"},
        {"ESCALATION_TEST_CRASH_POINT"},
    ),
}


@pytest.mark.parametrize("case", UNSAFE)
def test_each_unsafe_setting_is_named_by_its_variable(
    deployment: pytest.MonkeyPatch, case: str
) -> None:
    changes, expected = UNSAFE[case]
    for name, value in changes.items():
        if value is None:
            deployment.delenv(name)
        else:
            deployment.setenv(name, value)
    env, findings = check()
    assert env == "production"
    assert {f.variable for f in findings} == expected
    assert all(f.message for f in findings)


def duban_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ops.cli", "check-config"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_command_fails_on_findings_in_production_only() -> None:
    safe = duban_check(environment())
    assert safe.returncode == 0, safe.stdout + safe.stderr
    assert safe.stdout.strip() == "未发现不安全的配置（DUBAN_ENV=production）"

    unsafe = environment(HAZARD_API_SECRET_KEY="changeme", NOTIFICATION_RECEIPT_TOKEN="")
    refused = duban_check(unsafe)
    assert refused.returncode == 1
    lines = refused.stdout.splitlines()
    assert lines[0].startswith("HAZARD_API_SECRET_KEY：密钥为占位值")
    assert any(line.startswith("NOTIFICATION_RECEIPT_TOKEN：") for line in lines)
    assert "请逐项处理后再上线" in refused.stderr

    preview = duban_check({**unsafe, "DUBAN_ENV": "development"})
    assert preview.returncode == 0
    assert preview.stdout.splitlines()[:-1] == lines
    assert "当前 DUBAN_ENV=development" in preview.stdout
