"""Stateful schemathesis over hazard_api on PostgreSQL: the hazard's life along its OpenAPI links
(report → classify → start → evidence → report rectification → accept → close), every check."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import select

from services.hazard_api.auth.models import User
from services.hazard_api.auth.service import issue_token
from services.hazard_api.db import MIGRATIONS_DIR
from services.hazard_api.directory.seed import seed_demo
from services.hazard_api.main import create_app
from shared.clock import TestClock
from shared.db import make_engine, make_sessionmaker, transaction
from shared.migrations import upgrade
from tests.hazard_api.conftest import make_settings
from tests.hazard_api.lifecycle.conftest import PNG
from tests.shared.stateful import is_positive, run_stateful

NOW = datetime(2026, 3, 6, 1, 0, tzinfo=UTC)
ENTERPRISE = "ent-hongxing"
CRITERION = "YH-01"  # fireworks, the enterprise's industry
LONGEST = {"general": 30, "major": 90}  # the county's maximum deadlines (settings' defaults)
# The hazard's life and the service's own endpoints (the directory has its own fuzz test).
LIFECYCLE = r"^/(hazards|attachments|healthz|readyz|metrics)"


async def _seed(url: str, clock: TestClock) -> dict[str, dict[str, str]]:
    engine = make_engine(url)
    try:
        async with transaction(make_sessionmaker(engine)) as session:
            assert await seed_demo(session=session, clock=clock)
        async with make_sessionmaker(engine)() as session:
            users = {u.username: u for u in await session.scalars(select(User))}
    finally:
        await engine.dispose()
    secret = make_settings(url).secret_key
    return {
        name: {
            "Authorization": "Bearer "
            + issue_token(users[name], [], secret_key=secret, clock=clock, minutes=600)
        }
        for name in ("office", "daping")
    }


# The county office may take every step of a hazard's life (DOMAIN §9) but verify its own
# rectification: the township reports what was fixed, the office accepts it.
REPORTED_BY_TOWNSHIP = {
    "/hazards/{hazard_id}/rectification-report",
    "/hazards/{hazard_id}/rectified-on-spot",
}


def pinning(office: dict[str, str]) -> Callable[[Any, Any], None]:
    def pin(case: Any, client: Any) -> None:
        """What the schema cannot say, a valid request has: a unit that exists, a time that
        has passed, a criterion of the unit's industry, evidence that is a photo and was
        uploaded to this hazard (any other value is refused with 415 or 422, as tested in
        lifecycle/test_evidence.py and test_intake.py)."""
        body = case.body
        if not isinstance(body, dict) or not is_positive(case):
            return  # a schema-violating request is left as generated: it must be refused
        if (case.method, case.path) == ("POST", "/hazards"):
            body["unit_id"] = ENTERPRISE
        for moment in ("found_at", "issued_at"):
            if isinstance(body.get(moment), str):
                body[moment] = (NOW - timedelta(days=1)).isoformat()
        if isinstance(body.get("criterion_id"), str):
            body["criterion_id"] = CRITERION
        # A deadline in working days must end within the county's maximum in calendar days,
        # which depends on the holiday calendar: half the maximum always does.
        if body.get("deadline_kind") == "working_days" and body.get("level") in LONGEST:
            days = body.get("deadline_days") or LONGEST[body["level"]]
            body["deadline_days"] = min(days, LONGEST[body["level"]] // 2)
        if case.path == "/hazards/{hazard_id}/attachments" and "file" in body:
            body["file"] = PNG
        if isinstance(body.get("attachment_ids"), list) and body["attachment_ids"]:
            hazard = (case.path_parameters or {}).get("hazard_id", "")
            uploaded = client.post(
                f"/hazards/{quote(str(hazard), safe='')}/attachments",
                files={"file": ("现场.png", PNG, "image/png")},
                headers=office,
            )
            if uploaded.status_code == 201:
                body["attachment_ids"] = [uploaded.json()["id"]]

    return pin


@pytest.mark.parametrize("db_kind", ["postgresql"])
def test_hazard_lifecycle_links_pass_every_check(
    database_url: str, broker: str, tmp_path: Path
) -> None:
    upgrade(database_url, MIGRATIONS_DIR)
    clock = TestClock(NOW)
    headers = asyncio.run(_seed(database_url, clock))
    office, township = headers["office"], headers["daping"]
    app = create_app(
        make_settings(
            database_url,
            timeline_consumer=False,
            evidence_dir=str(tmp_path),
            kafka_bootstrap_servers=broker,
        ),
        clock=clock,
    )
    tally = run_stateful(
        app,
        headers_for=lambda case: township if case.path in REPORTED_BY_TOWNSHIP else office,
        prepare=pinning(office),
        paths=LIFECYCLE,
        max_examples=40,
        steps=16,
    )
    print(tally.summary("hazard_api"))
    assert "\n\n".join(tally.failures.values()) == ""
    # The links were followed: hazards reported, then classified or fixed on the spot along
    # them, and acceptance tried (how far each gets depends on what else the run drew).
    assert tally.linked > 50
    reached = sorted(tally.operations.items())
    assert tally.operations["POST /hazards 201"] > 0, reached
    assert (
        tally.operations["POST /hazards/{hazard_id}/classify 200"]
        + tally.operations["POST /hazards/{hazard_id}/rectified-on-spot 200"]
        > 0
    ), reached
    assert any(k.startswith("POST /hazards/{hazard_id}/acceptance") for k, _ in reached), reached
