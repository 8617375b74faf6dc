"""`duban check-config`: what in this deployment's settings is unsafe for production.

Reads each service's settings from the environment as the service itself would, and names,
for every finding, the environment variable to change. Exit status 1 when anything is found
and `DUBAN_ENV` is production (its default), else 0: in development the same list is a preview.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from shared.safety import MIN_SECRET_LENGTH, Finding, env_prefix, findings_of
from shared.settings import DubanSettings

SERVICE_NAMES = ("hazard_api", "escalation", "notification", "reporting")


# ----------------------------------------------------------------------------- loading
def _named_field(settings_class: type[DubanSettings], error: Any) -> str:
    """The field a whole-model check complains about, as its message names it."""
    return next((f for f in settings_class.model_fields if f in str(error["msg"])), "")


def load(name: str) -> tuple[DubanSettings | None, list[Finding]]:
    """The service's settings as it would read them, and what made them invalid.

    A placeholder secret makes the settings refuse to load in production; the rest is still
    read (past that guard) so that one run lists every finding."""
    settings_class: type[DubanSettings] = importlib.import_module(
        f"services.{name}.config"
    ).Settings
    prefix = env_prefix(settings_class)
    findings: list[Finding] = []
    try:
        return settings_class(), findings
    except ValidationError as exc:
        for error in exc.errors():
            if "secret_key" in error["msg"] and not error["loc"]:
                continue  # the secret checks below say it with the variable's name
            field = str(error["loc"][0]) if error["loc"] else _named_field(settings_class, error)
            variable = field if field.isupper() else f"{prefix}{field.upper()}"
            findings.append(Finding(variable, f"取值无效，{name} 无法启动：{error['msg']}"))
    try:
        return settings_class(env="development"), findings
    except ValidationError:
        return None, findings


def across(loaded: dict[str, Any]) -> Iterable[Finding]:
    """Between services: escalation and notification accept the bearer tokens hazard_api
    signs."""
    hazard_api = loaded.get("hazard_api")
    if hazard_api is None:
        return
    for name, what in (
        ("notification", "通知服务将拒绝用户的登录令牌（偏好设置、送达记录）"),
        ("escalation", "督办升级服务将拒绝用户的登录令牌（督办案件、策略推演、待办事项）"),
        ("reporting", "上报服务将拒绝县安委办的登录令牌（上报台账、重放）"),
    ):
        other = loaded.get(name)
        if other is not None and (other.bearer_key or other.secret_key) != hazard_api.secret_key:
            yield Finding(
                f"{name.upper()}_BEARER_KEY",
                f"与 HAZARD_API_SECRET_KEY 不同，{what}；请设为与 HAZARD_API_SECRET_KEY 相同",
            )


# ----------------------------------------------------------------------------- the command
def check(services: Iterable[str] = SERVICE_NAMES) -> tuple[str, list[Finding]]:
    """The deployment's environment (DUBAN_ENV) and every finding, each said once."""
    findings: list[Finding] = []
    loaded: dict[str, Any] = {}
    env = "production"
    for name in services:
        settings, problems = load(name)
        findings += problems
        if settings is None:
            continue
        loaded[name] = settings
        findings += findings_of(settings)
    findings += across(loaded)
    if not os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        findings.append(
            Finding(
                "KAFKA_BOOTSTRAP_SERVERS",
                "未设置：duban run 会自带一个内存中的消息队列，重启即丢失尚未处理的事件；"
                "生产环境请使用 Apache Kafka 并设置其地址",
            )
        )
    # An invalid DUBAN_ENV is reported by the loading above, and judged as production.
    with contextlib.suppress(ValidationError):
        env = DubanSettings(secret_key="x" * MIN_SECRET_LENGTH).env
    return env, list(dict.fromkeys(findings))


def run(service: str | None) -> int:
    env, findings = check(SERVICE_NAMES if service is None else (service,))
    for finding in findings:
        # The services refuse to start in production on these (shared/safety.py).
        print(f"{finding}〔生产环境下服务拒绝启动〕" if finding.refuses_start else finding)
    if not findings:
        print(f"未发现不安全的配置（DUBAN_ENV={env}）")
        return 0
    if env != "production":
        print(f"共 {len(findings)} 项；当前 DUBAN_ENV={env}，上线（production）前须逐项处理")
        return 0
    print(f"共 {len(findings)} 项不安全的配置，请逐项处理后再上线", file=sys.stderr)
    return 1
