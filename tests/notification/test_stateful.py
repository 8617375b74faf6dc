"""Stateful schemathesis over notification on PostgreSQL: from the deliveries a notice made to
each person's preferences (read, set, read again) along the OpenAPI links, with every check."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from services.notification.main import create_app
from shared.contract import ChainRole, Urgency
from tests.notification.county import org_events, step_fired
from tests.notification.settings import aliyun_config
from tests.shared.stateful import run_stateful


@pytest.mark.parametrize("db_kind", ["postgresql"])
async def test_notification_links_pass_every_check(make_harness: Any, aliyun: Any) -> None:
    h = await make_harness(sms_providers=[aliyun_config(aliyun.url)], default_channels=["sms"])
    await h.org(org_events())
    roles = [ChainRole.ENTERPRISE_PRINCIPAL, ChainRole.TOWNSHIP_IN_CHARGE]
    await h.step(step_fired(h.clock, roles=roles, urgency=Urgency.URGENT, hazard_n=3))
    await h.settle()
    # The app on its own engine: the run calls it from its own thread and event loop.
    app = create_app(h.runtime.settings, h.clock)
    office: dict[str, str] = h.bearer()

    def headers_for(_case: Any) -> dict[str, str]:
        return office

    tally = await asyncio.to_thread(
        run_stateful,
        app,
        headers_for=headers_for,
        paths=r"^/(deliveries|preferences|healthz|readyz|metrics)",
        max_examples=30,
        steps=10,
    )
    print(tally.summary("notification"))
    assert "\n\n".join(tally.failures.values()) == ""
    assert tally.operations["PUT /preferences/{person_id} 200"] > 0, tally.operations
    assert tally.linked > 10
