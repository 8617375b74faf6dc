"""What in a service's settings is unsafe for production: one set of rules for two readers.

`duban check-config` (ops/checks.py) lists every finding with the environment variable to
change; each service, started with `DUBAN_ENV=production`, refuses to start on the findings
marked `refuses_start` (weak secrets, the console SMS provider, a missing receipt token, plain
SMTP not explicitly allowed, a movable clock), so the check and the start agree.
"""

from __future__ import annotations

import collections
import ipaddress
import math
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

from shared.db import is_sqlite
from shared.settings import PLACEHOLDER_SECRETS, DubanSettings

MIN_SECRET_LENGTH = 32
# A random key of 32 hex digits has about 120 bits by this estimate, a urlsafe one over 200;
# "password" four times has 7 distinct characters and under 90; a repeat compresses.
MIN_SECRET_BITS = 80
MIN_SECRET_DISTINCT = 8
MIN_RECEIPT_TOKEN_LENGTH = 16
# Database passwords that ship in the compose file or come to mind first.
WEAK_DB_PASSWORDS = PLACEHOLDER_SECRETS | {"duban", "postgres", "password", "123456"}
SECRET_HINT = "（可用 python -c 'import secrets; print(secrets.token_urlsafe(32))' 生成）"


@dataclass(frozen=True)
class Finding:
    variable: str
    message: str
    # In production the service stops at start-up on this one (not only the check lists it).
    refuses_start: bool = False

    def __str__(self) -> str:
        return f"{self.variable}：{self.message}"


class UnsafeSettings(RuntimeError):
    """A production service's settings that it refuses to start with."""

    def __init__(self, service: str, findings: list[Finding]) -> None:
        lines = "\n".join(f"  {f}" for f in findings)
        super().__init__(
            f"{service} 拒绝在生产环境（DUBAN_ENV=production）下以不安全的配置启动：\n{lines}\n"
            "（duban check-config 列出全部问题）"
        )
        self.findings = findings


def env_prefix(settings_class: type[DubanSettings]) -> str:
    return str(settings_class.model_config.get("env_prefix", ""))


def is_local_host(host: str | None) -> bool:
    if not host or host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def estimated_bits(value: str) -> float:
    """Shannon entropy of the characters times the length: a rough upper bound of the
    guessing work, low for repeats and small alphabets."""
    if not value:
        return 0.0
    counts = collections.Counter(value)
    n = len(value)
    return -n * sum(c / n * math.log2(c / n) for c in counts.values())


def is_guessable(value: str) -> bool:
    """Few distinct characters, little entropy, or a pattern that compresses (a repeat)."""
    raw = value.encode()
    return (
        len(set(value)) < MIN_SECRET_DISTINCT
        or estimated_bits(value) < MIN_SECRET_BITS
        or len(zlib.compress(raw, 9)) < len(raw) * 3 // 4
    )


def secret_findings(variable: str, value: str) -> Iterable[Finding]:
    if value.strip().lower() in PLACEHOLDER_SECRETS:
        yield Finding(
            variable,
            f"密钥为占位值，任何人都能伪造登录令牌和签收链接；请设置随机密钥{SECRET_HINT}",
            refuses_start=True,
        )
    elif len(value) < MIN_SECRET_LENGTH:
        yield Finding(
            variable,
            f"密钥过短（{len(value)} 个字符，至少 {MIN_SECRET_LENGTH} 个）{SECRET_HINT}",
            refuses_start=True,
        )
    elif is_guessable(value):
        yield Finding(
            variable,
            f"密钥过于简单（重复或可猜的字符），不足以防止伪造；请改用随机密钥{SECRET_HINT}",
            refuses_start=True,
        )


# ----------------------------------------------------------------------------- every service
def common(settings: DubanSettings) -> Iterable[Finding]:
    prefix = env_prefix(type(settings))
    yield from secret_findings(f"{prefix}SECRET_KEY", settings.secret_key)
    bearer_key = getattr(settings, "bearer_key", None)
    if bearer_key is not None:
        yield from secret_findings(f"{prefix}BEARER_KEY", bearer_key)
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
            refuses_start=True,
        )
    if settings.event_repair == "off":
        # Named, not refused: the fault suite runs production settings with the repair off.
        yield Finding(
            "DUBAN_EVENT_REPAIR",
            "关闭了丢失事件的补发与核对（只用于故障演练），消息中间件重启后事件可能丢失，生产环境请删除该变量",
        )


# ----------------------------------------------------------------------------- notification
def notification(settings: Any) -> Iterable[Finding]:
    yield from _sms(settings)
    yield from _ack_links(settings.public_base_url)
    yield from _receipt_tokens(settings)
    yield from _smtp(settings)


def _receipt_tokens(settings: Any) -> Iterable[Finding]:
    variable = "NOTIFICATION_RECEIPT_TOKEN"
    senders = [p for p in settings.sms_providers if p.kind != "console"]
    own = [p for p in senders if p.receipt_token]
    if not settings.receipt_token and (not senders or len(own) < len(senders)):
        if own:  # some providers have their own; name the ones without
            for provider in senders:
                if not provider.receipt_token:
                    yield Finding(
                        "NOTIFICATION_SMS_PROVIDERS",
                        f"短信通道「{provider.name}」没有回执令牌（receipt_token），"
                        "其回执将被拒绝；请设置随机字符串并写入该服务商的回执地址",
                        refuses_start=True,
                    )
        else:
            yield Finding(
                variable,
                "短信回执令牌为空，任何人都能伪造短信回执；请设置随机字符串并写入服务商的回执地址",
                refuses_start=True,
            )
    tokens = [(variable, settings.receipt_token)] + [
        ("NOTIFICATION_SMS_PROVIDERS", p.receipt_token) for p in own
    ]
    for where, token in tokens:
        if token and (
            len(token) < MIN_RECEIPT_TOKEN_LENGTH or token.strip().lower() in PLACEHOLDER_SECRETS
        ):
            yield Finding(
                where,
                f"短信回执令牌过短（至少 {MIN_RECEIPT_TOKEN_LENGTH} 个字符）",
                refuses_start=True,
            )


def _sms(settings: Any) -> Iterable[Finding]:
    variable = "NOTIFICATION_SMS_PROVIDERS"
    for provider in settings.sms_providers:
        if provider.kind == "console":
            yield Finding(
                variable,
                f"短信通道「{provider.name}」是 console 类型：短信只写入日志，不会发出；"
                "请配置阿里云或腾讯云短信",
                refuses_start=True,
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
    if is_local_host(url.hostname):
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
    local = is_local_host(settings.smtp_host)
    if local and settings.smtp_port == 1025:
        yield Finding(
            "NOTIFICATION_SMTP_HOST",
            "邮件发往本机 1025 端口（开发用的邮件接收器），不会送达收件人；请设为县里的邮件服务器",
        )
    elif settings.smtp_security == "none" and not local and not settings.smtp_allow_plain:
        yield Finding(
            "NOTIFICATION_SMTP_SECURITY",
            f"邮件以明文经网络发往 {settings.smtp_host}（密码和内容可被窃听）；"
            "请设为 starttls 或 ssl（确需明文时设 NOTIFICATION_SMTP_ALLOW_PLAIN=true）",
            refuses_start=True,
        )
    if not settings.smtp_validate_certs:
        yield Finding(
            "NOTIFICATION_SMTP_VALIDATE_CERTS",
            "不校验邮件服务器证书；请设为 true（私有证书用 NOTIFICATION_SMTP_CA_FILE）",
        )
    sender = settings.smtp_sender.rsplit("@", 1)[-1].rstrip(">").strip()
    if is_local_host(sender):
        yield Finding(
            "NOTIFICATION_SMTP_SENDER",
            f"发件地址 {settings.smtp_sender} 不是真实域名，邮件服务器会拒收",
        )


# ----------------------------------------------------------------------------- the start
def findings_of(settings: DubanSettings) -> list[Finding]:
    """Every finding about one service's own settings."""
    found = list(common(settings))
    if settings.service_name == "notification":
        found += notification(settings)
    if settings.service_name == "reporting":
        found += reporting(settings)
    return found


def reporting(settings: Any) -> Iterable[Finding]:
    """The upward link's signing secrets: the province must be given real ones; its own
    account at hazard_api, without which the statutory quarterly statistics never go."""
    if not settings.hazard_api_password:
        yield Finding(
            "REPORTING_HAZARD_API_PASSWORD",
            "未设置：上报服务无法登录隐患系统，季度统计不会报送，市/省挂牌督办决定无法执行；"
            "请设置随机密码，并用 duban admin client 建立同名同密码的对接账号",
        )
    if not settings.signing_secrets:
        yield Finding(
            "REPORTING_SIGNING_SECRETS",
            "未设置上报签名密钥（whsec_…），签名密钥由 REPORTING_SECRET_KEY 推导，"
            "省级系统无法与之约定；请生成随机密钥并交省级系统登记",
            refuses_start=True,
        )


def refuse_unsafe_start(settings: DubanSettings) -> None:
    """In production, stop the service before it serves anything with settings that
    `duban check-config` marks as refusing start."""
    if settings.env != "production":
        return
    fatal = [f for f in dict.fromkeys(findings_of(settings)) if f.refuses_start]
    if fatal:
        raise UnsafeSettings(settings.service_name, fatal)
