"""Builds the ordered SMS provider list from settings."""

from __future__ import annotations

from services.notification.config import Settings, SmsProviderConfig
from services.notification.providers.aliyun import AliyunProvider
from services.notification.providers.base import SmsProvider
from services.notification.providers.console import ConsoleProvider
from services.notification.providers.tencent import TencentProvider


def build_provider(config: SmsProviderConfig) -> SmsProvider:
    match config.kind:
        case "aliyun":
            return AliyunProvider(config)
        case "tencent":
            return TencentProvider(config)
        case "console":
            return ConsoleProvider(config)


def build_providers(settings: Settings) -> list[SmsProvider]:
    names = [p.name for p in settings.sms_providers]
    if len(set(names)) != len(names):
        raise ValueError(f"SMS provider names must be unique: {names}")
    return [build_provider(config) for config in settings.sms_providers]
