"""The notification service's settings in tests, and the SMS providers' configuration against
the emulators (the v2 templates)."""

from __future__ import annotations

from typing import Any

from services.notification.config import ProviderTemplate, Settings, SmsProviderConfig
from tests.notification import emulators

SECRET = "test-secret-key-for-notification"

# The v2 templates' variables (README, "A provider entry").
NOTICE_PARAMS = ["county", "unit", "level", "code", "status", "ask", "phone", "link"]
DIGEST_PARAMS = ["county", "count", "overdue", "upcoming", "phone", "link"]
REPORT_PARAMS = ["county", "unit", "period", "due", "phone"]
COUNTY_NAME = "示范县"
CONTACT_PHONE = "0571-88880000"


def _v2_templates(notice: str, digest: str, report: str) -> dict[str, ProviderTemplate]:
    return {
        "notice": ProviderTemplate(code=notice, params=NOTICE_PARAMS),
        "digest": ProviderTemplate(code=digest, params=DIGEST_PARAMS),
        "report": ProviderTemplate(code=report, params=REPORT_PARAMS),
    }


def _config(kind: str, url: str, name: str, **kw: Any) -> SmsProviderConfig:
    return SmsProviderConfig(
        name=name,
        kind=kind,
        endpoint=url,
        sign_name=kw.pop("sign_name", emulators.SIGN_NAME),
        timeout_s=kw.pop("timeout_s", 1.0),
        **kw,
    )


def aliyun_config(url: str, name: str = "aliyun", **kw: Any) -> SmsProviderConfig:
    return _config(
        "aliyun",
        url,
        name,
        access_key_id=emulators.ACCESS_KEY_ID,
        access_key_secret=emulators.ACCESS_KEY_SECRET,
        templates=_v2_templates("SMS_900003", "SMS_900004", "SMS_900005"),
        **kw,
    )


def tencent_config(url: str, name: str = "tencent", **kw: Any) -> SmsProviderConfig:
    return _config(
        "tencent",
        url,
        name,
        access_key_id=emulators.SECRET_ID,
        access_key_secret=emulators.SECRET_KEY,
        sdk_app_id=emulators.SDK_APP_ID,
        templates=_v2_templates("2000003", "2000004", "2000005"),
        **kw,
    )


def make_settings(database_url: str, smtp_port: int, **overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "env": "test",
        "secret_key": SECRET,
        "database_url": database_url,
        "kafka_bootstrap_servers": "127.0.0.1:1",
        "public_base_url": "http://duban.test",
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_port,
        "run_consumers": False,
        "run_scheduler": False,
        "migrate_on_start": False,
        "retry_backoff_s": 5.0,
        "reconcile_after_s": 60.0,
        # Most tests want an urgent notice sent at once (daytime); the urgent digest window
        # has its own tests, which set it.
        "urgent_window_s": 0,
        "county_name": COUNTY_NAME,
        "sender_organisation": emulators.SIGN_NAME,
        "contact_phone": CONTACT_PHONE,
    }
    base.update(overrides)
    return Settings(**base)
