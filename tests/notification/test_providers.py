"""SMS provider adapters against emulators that check requests as the providers do."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

import pytest

from services.notification.providers.aliyun import AliyunProvider, sign, string_to_sign
from services.notification.providers.base import Outcome, Scope, SmsMessage
from services.notification.providers.tencent import TencentProvider
from tests.notification import emulators
from tests.notification.settings import aliyun_config, tencent_config


def notice_message(phone: str = "13800000009", out_id: str = "out-1") -> SmsMessage:
    variables = {
        "county": "示范县",
        "unit": "示范建材有限公司",
        "level": "一般事故隐患",
        "code": "YH-1",
        "status": "已逾期1天（整改期限3月5日）",
        "ask": "请立即完成整改并申请验收",
        "phone": "0571-88880000",
        "link": "http://duban.test/a/x",
    }
    return SmsMessage(phone, "notice", variables, "text", out_id)


def test_aliyun_signature_matches_the_documented_example() -> None:
    # The worked example of Aliyun's SMS signature documentation (GET, secret "testSecret").
    params = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }
    assert sign("GET", params, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_aliyun_string_to_sign_encodes_the_canonical_query_twice() -> None:
    # The canonical query is percent-encoded a second time; awkward characters in values
    # ('%', '=', '&', '*', '~', space, Chinese) must come out as a plain second quote would.
    params = {"B": "a=b&c%d", "A": "隐患 *~+", "C": '{"k":"v/1"}'}
    canonical = "&".join(
        f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in sorted(params.items())
    )
    expected = f"POST&%2F&{quote(canonical, safe='~')}"
    assert string_to_sign("POST", params) == expected


async def test_aliyun_send_is_signed_and_uses_the_template_mapping(aliyun) -> None:
    provider = AliyunProvider(aliyun_config(aliyun.url))
    result = await provider.send(notice_message())
    await provider.aclose()
    assert result.outcome == Outcome.ACCEPTED, result
    [sent] = aliyun.emulator.accepted
    assert sent.template == "SMS_900003"
    assert sent.params["unit"] == "示范建材有限公司"
    assert sent.out_id == "out-1"
    assert result.provider_message_id == sent.message_id


async def test_aliyun_wrong_secret_is_refused_as_a_provider_error(aliyun) -> None:
    cfg = aliyun_config(aliyun.url).model_copy(update={"access_key_secret": "wrong"})
    provider = AliyunProvider(cfg)
    result = await provider.send(notice_message())
    await provider.aclose()
    assert (result.outcome, result.scope) == (Outcome.PERMANENT, Scope.PROVIDER)
    assert aliyun.emulator.rejected == ["SignatureDoesNotMatch"]
    assert aliyun.emulator.accepted == []


async def test_tencent_send_is_tc3_signed(tencent) -> None:
    provider = TencentProvider(tencent_config(tencent.url))
    result = await provider.send(notice_message())
    assert result.outcome == Outcome.ACCEPTED, result
    [sent] = tencent.emulator.accepted
    assert sent.phone == "+8613800000009"
    assert sent.template == "2000003"
    assert sent.params[1] == "示范建材有限公司"
    found = await provider.lookup(phone="13800000009", out_id="out-1", sent_at=datetime.now(UTC))
    assert found is not None and found.found and found.provider_message_id == sent.message_id
    missing = await provider.lookup(
        phone="13800000009", out_id="never-sent", sent_at=datetime.now(UTC)
    )
    assert missing is not None and not missing.found
    await provider.aclose()


async def test_tencent_wrong_secret_is_refused(tencent) -> None:
    cfg = tencent_config(tencent.url).model_copy(update={"access_key_secret": "wrong"})
    provider = TencentProvider(cfg)
    result = await provider.send(notice_message())
    await provider.aclose()
    assert result.outcome == Outcome.PERMANENT
    assert tencent.emulator.rejected == ["AuthFailure.SignatureFailure"]


@pytest.mark.parametrize("kind", ["aliyun", "tencent"])
@pytest.mark.parametrize(
    ("mode", "expected"),
    [("5xx", Outcome.TRANSIENT), ("throttle", Outcome.THROTTLED), ("timeout", Outcome.UNKNOWN)],
)
async def test_failures_are_classified(kind, mode, expected, aliyun, tencent) -> None:
    running = aliyun if kind == "aliyun" else tencent
    running.emulator.mode = mode
    running.emulator.delay_s = 2.0
    cfg = (aliyun_config if kind == "aliyun" else tencent_config)(running.url, timeout_s=0.3)
    provider = AliyunProvider(cfg) if kind == "aliyun" else TencentProvider(cfg)
    result = await provider.send(notice_message())
    await provider.aclose()
    assert result.outcome == expected
    # A timed-out send was accepted by the provider: only a status query can tell.
    assert len(running.emulator.accepted) == (1 if mode == "timeout" else 0)


@pytest.mark.parametrize("kind", ["aliyun", "tencent"])
async def test_template_parameters_are_checked(kind, aliyun, tencent) -> None:
    running = aliyun if kind == "aliyun" else tencent
    cfg = (aliyun_config if kind == "aliyun" else tencent_config)(running.url)
    # Misconfigured: the provider's digest template declares two parameters, we send one.
    cfg.templates["notice"] = cfg.templates["digest"].model_copy(update={"params": ["count"]})
    provider = AliyunProvider(cfg) if kind == "aliyun" else TencentProvider(cfg)
    message = notice_message()
    message.variables["count"] = "3"
    result = await provider.send(message)
    await provider.aclose()
    assert result.outcome == Outcome.PERMANENT
    assert running.emulator.rejected == ["Template"]


async def test_a_bad_number_is_a_recipient_error(aliyun) -> None:
    provider = AliyunProvider(aliyun_config(aliyun.url))
    result = await provider.send(notice_message(phone="12345"))
    await provider.aclose()
    assert (result.outcome, result.scope) == (Outcome.PERMANENT, Scope.RECIPIENT)


def test_emulator_signature_check_is_independent() -> None:
    params = {"A": "1 2*~", "B": "中"}
    assert emulators.aliyun_signature("POST", params, "s") == sign("POST", params, "s")
