"""`duban check-config`: what in this deployment's settings is unsafe for production.

Reads each service's settings from the environment as the service itself would, and names,
for every finding, the environment variable to change. Exit status 1 when anything is found
and `DUBAN_ENV` is production (its default), else 0: in development the same list is a preview.
"""

from __future__ import annotations

import contextlib
import importlib
import ipaddress
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError
from sqlalchemy.engine import make_url

from shared.db import is_sqlite
from shared.settings import PLACEHOLDER_SECRETS, DubanSettings

SERVICE_NAMES = ("hazard_api", "escalation", "notification")
MIN_SECRET_LENGTH = 32
# Database passwords that ship in the compose file or come to mind first.
WEAK_DB_PASSWORDS = PLACEHOLDER_SECRETS | {"duban", "postgres", "password", "123456"}
SECRET_HINT = "（可用 python -c 'import secrets; print(secrets.token_urlsafe(32))' 生成）"


@dataclass(frozen=True)
class Finding:
    variable: str
    message: str

    def __str__(self) -> str:
        return f"{self.variable}：{self.message}"


def _prefix(settings_class: type[DubanSettings]) -> str:
    return str(settings_class.model_config.get("env_prefix", ""))


def _is_local_host(host: str | None) -> bool:
    if not host or host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
    prefix = _prefix(settings_class)
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


# ----------------------------------------------------------------------------- rules
def _secret(variable: str, value: str) -> Iterable[Finding]:
    if value.strip().lower() in PLACEHOLDER_SECRETS:
        yield Finding(
            variable, f"密钥为占位值，任何人都能伪造登录令牌和签收链接；请设置随机密钥{SECRET_HINT}"
        )
    elif len(value) < MIN_SECRET_LENGTH:
        yield Finding(
            variable, f"密钥过短（{len(value)} 个字符，至少 {MIN_SECRET_LENGTH} 个）{SECRET_HINT}"
        )


def common(settings: DubanSettings) -> Iterable[Finding]:
    prefix = _prefix(type(settings))
    yield from _secret(f"{prefix}SECRET_KEY", settings.secret_key)
    variable = f"{prefix}DATABASE_URL"
    if is_sqlite(settings.database_url):
        yield Finding(variable, "使用 SQLite（仅供单机演示），生产环境请改用 PostgreSQL")
    else:
        password = make_url(settings.database_url).password
        if password is not None and str(password).lower() in WEAK_DB_PASSWORDS:
            yield Finding(
                variable, "数据库密码为默认或弱口令，请改用随机密码（同时修改 PostgreSQL 中的密码）"
            )
    if settings.clock_offset_file:
        yield Finding(
            "DUBAN_CLOCK_OFFSET_FILE",
            "设置了时钟偏移文件（只用于演示和测试，会让期限和提醒偏离真实时间），生产环境请删除该变量",
        )
    if settings.event_repair == "off":
        yield Finding(
            "DUBAN_EVENT_REPAIR",
            "关闭了丢失事件的补发与核对（只用于故障演练），消息中间件重启后事件可能丢失，生产环境请删除该变量",
        )


def notification(settings: Any) -> Iterable[Finding]:
    yield from _sms(settings)
    yield from _ack_links(settings.public_base_url)
    if not settings.receipt_token:
        yield Finding(
            "NOTIFICATION_RECEIPT_TOKEN",
            "短信回执令牌为空，任何人都能伪造短信回执；请设置随机字符串并写入服务商的回执地址",
        )
    elif len(settings.receipt_token) < 16:
        yield Finding("NOTIFICATION_RECEIPT_TOKEN", "短信回执令牌过短（至少 16 个字符）")
    yield from _smtp(settings)


def _sms(settings: Any) -> Iterable[Finding]:
    variable = "NOTIFICATION_SMS_PROVIDERS"
    for provider in settings.sms_providers:
        if provider.kind == "console":
            yield Finding(
                variable,
                f"短信通道「{provider.name}」是 console 类型：短信只写入日志，不会发出；"
                "请配置阿里云或腾讯云短信",
            )
            continue
        if not provider.access_key_id or not provider.access_key_secret:
            yield Finding(
                variable, f"短信通道「{provider.name}」缺少 access_key_id 或 access_key_secret"
            )
        if provider.kind == "tencent" and not provider.sdk_app_id:
            yield Finding(variable, f"短信通道「{provider.name}」（腾讯云）缺少 sdk_app_id")
        for template in sorted(settings.template_versions):
            if template not in provider.templates:
                yield Finding(
                    variable,
                    f"短信通道「{provider.name}」没有模板「{template}」的对应关系"
                    "（须填写服务商审核通过的模板编号），该类短信将发送失败",
                )


def _ack_links(public_base_url: str) -> Iterable[Finding]:
    variable = "NOTIFICATION_PUBLIC_BASE_URL"
    url = urlsplit(public_base_url)
    where = "（docker compose 中为 DUBAN_PUBLIC_ACK_URL）"
    if _is_local_host(url.hostname):
        yield Finding(
            variable,
            f"签收链接指向本机 {public_base_url}，短信和邮件中的链接在手机上打不开；"
            f"请设为县里对外的 HTTPS 地址{where}",
        )
    elif url.scheme != "https":
        yield Finding(
            variable, f"签收链接不是 HTTPS（{public_base_url}），请在前面配置 HTTPS{where}"
        )


def _smtp(settings: Any) -> Iterable[Finding]:
    local = _is_local_host(settings.smtp_host)
    if local and settings.smtp_port == 1025:
        yield Finding(
            "NOTIFICATION_SMTP_HOST",
            "邮件发往本机 1025 端口（开发用的邮件接收器），不会送达收件人；请设为县里的邮件服务器",
        )
    elif settings.smtp_security == "none" and not local:
        yield Finding(
            "NOTIFICATION_SMTP_SECURITY",
            f"邮件以明文经网络发往 {settings.smtp_host}（密码和内容可被窃听）；"
            "请设为 starttls 或 ssl",
        )
    if not settings.smtp_validate_certs:
        yield Finding(
            "NOTIFICATION_SMTP_VALIDATE_CERTS",
            "不校验邮件服务器证书；请设为 true（私有证书用 NOTIFICATION_SMTP_CA_FILE）",
        )
    sender = settings.smtp_sender.rsplit("@", 1)[-1].rstrip(">").strip()
    if _is_local_host(sender):
        yield Finding(
            "NOTIFICATION_SMTP_SENDER",
            f"发件地址 {settings.smtp_sender} 不是真实域名，邮件服务器会拒收",
        )


def across(loaded: dict[str, Any]) -> Iterable[Finding]:
    """Between services: notification accepts the bearer tokens hazard_api signs."""
    hazard_api, notification = loaded.get("hazard_api"), loaded.get("notification")
    if hazard_api is None or notification is None:
        return
    if (notification.bearer_key or notification.secret_key) != hazard_api.secret_key:
        yield Finding(
            "NOTIFICATION_BEARER_KEY",
            "与 HAZARD_API_SECRET_KEY 不同，通知服务将拒绝用户的登录令牌（偏好设置、送达记录）；"
            "请设为与 HAZARD_API_SECRET_KEY 相同",
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
        findings += common(settings)
        if name == "notification":
            findings += notification(settings)
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
        print(finding)
    if not findings:
        print(f"未发现不安全的配置（DUBAN_ENV={env}）")
        return 0
    if env != "production":
        print(f"共 {len(findings)} 项；当前 DUBAN_ENV={env}，上线（production）前须逐项处理")
        return 0
    print(f"共 {len(findings)} 项不安全的配置，请逐项处理后再上线", file=sys.stderr)
    return 1
