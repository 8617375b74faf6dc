"""#17: logs never carry an acknowledgement link's token or a full mobile number.

A text is sent through the Aliyun emulator, its receipt arrives and its link is opened and
confirmed, with every logger at DEBUG (SQLAlchemy then logs each statement with its
parameters: numbers, links); the uvicorn access-log line of the link is formatted as uvicorn
formats it. Nothing captured carries the number or the token; numbers appear as 138****5678.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from httpx import ASGITransport, AsyncClient
from uvicorn.logging import AccessFormatter

from services.notification.main import create_app
from shared.contract import ChainRole, Urgency
from shared.redaction import mask_mobile, redact
from tests.notification.county import PEOPLE, org_events, step_fired
from tests.notification.settings import aliyun_config


def test_masks() -> None:
    assert mask_mobile("13812345678") == "138****5678"
    assert redact("to 13812345678, +8613912345678: http://x/a/AbCdEfGh12345678") == (
        "to 138****5678, +86139****5678: http://x/a/***"
    )
    assert redact("order 20261201138123456789 stays") == "order 20261201138123456789 stays"


async def test_send_receipt_and_ack_leave_no_number_or_link_in_the_logs(
    make_harness: Any, aliyun: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")  # statements and parameters
    h = await make_harness(
        sms_providers=[aliyun_config(aliyun.url)], default_channels=["sms"], receipt_token="rt-1"
    )
    app = create_app(h.runtime.settings, h.clock)  # installs the redaction, as at start-up
    app.state.runtime = h.runtime
    await h.org(org_events())
    await h.step(
        step_fired(h.clock, roles=[ChainRole.ENTERPRISE_PRINCIPAL], urgency=Urgency.URGENT)
    )
    await h.settle()
    mobile = PEOPLE["p-firm"].mobile or ""
    [sms] = aliyun.emulator.sends_to(mobile)
    path = sms.params["link"].removeprefix("http://duban.test")
    token = path.removeprefix("/a/")
    report = {"phone_number": sms.phone, "success": True, "biz_id": sms.message_id}
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as client:
        assert (await client.post("/receipts/aliyun?token=rt-1", json=[report])).status_code == 200
        # A receipt nobody sent is logged (with the message id, not the number).
        unknown = {"phone_number": mobile, "success": True, "biz_id": "no-such-biz"}
        assert (await client.post("/receipts/aliyun?token=rt-1", json=[unknown])).status_code == 200
        assert (await client.get(path)).status_code == 200
        signed = {"who": "self", "phone_tail": mobile[-4:]}  # the recipient signs (#14)
        assert (await client.post(path, data=signed)).status_code == 200
    # uvicorn's access log line for the link, as uvicorn writes it.
    # uvicorn (the emulators run under it) configures this logger: no propagation, its level.
    access_log = logging.getLogger("uvicorn.access")
    level, disabled = access_log.level, access_log.disabled
    access_log.addHandler(caplog.handler)
    access_log.setLevel(logging.INFO)
    access_log.disabled = False
    try:
        access_log.info('%s - "%s %s HTTP/%s" %d', "10.0.0.7:5123", "GET", path, "1.1", 200)
    finally:
        access_log.removeHandler(caplog.handler)
        access_log.setLevel(level)
        access_log.disabled = disabled
    access = next(r for r in caplog.records if r.name == "uvicorn.access")
    line = AccessFormatter(fmt='%(client_addr)s - "%(request_line)s" %(status_code)s').format(
        access
    )
    assert line == '10.0.0.7:5123 - "GET /a/*** HTTP/1.1" 200 OK'

    local = mobile.removeprefix("+86")
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) > 20  # statements, provider calls, receipts, the page
    for message in messages:
        assert local not in message, message
        assert token not in message, message
    # The redaction had work to do: SQL parameters, the access line.
    assert any(mask_mobile(local) in m for m in messages)
    assert any("/a/***" in m for m in messages)
