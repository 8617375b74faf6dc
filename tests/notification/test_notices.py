"""/notices: the portal's 通知记录 and the board's who-was-told — one row per person and message
with its 签收 — and 签收 by the signed-in person (as the link does)."""

from __future__ import annotations

from tests.notification.settings import aliyun_config
from tests.notification.test_access import client_for, notice_to_the_firm_and_the_township


async def test_the_board_sees_who_was_told_about_a_hazard(make_harness, aliyun):
    h = await make_harness(sms_providers=[aliyun_config(aliyun.url)], default_channels=["sms"])
    await notice_to_the_firm_and_the_township(h)
    async with client_for(h) as client:
        for role in ("county_office", "leader"):
            rows = (
                await client.get("/notices", params={"hazard_id": "h-3"}, headers=h.bearer(role))
            ).json()
            assert {r["person_id"] for r in rows} == {"p-firm", "p-town-in"}, role
            assert all(r["acknowledged_at"] is None and r["hazard_ids"] == ["h-3"] for r in rows)
            assert {r["chain_role"] for r in rows} == {
                "enterprise.principal",
                "township.in_charge",
            }
            assert all(r["channels"] == {"sms": "sent"} for r in rows)
            assert all("YH-2026-0003" in r["summary"] for r in rows)
        other = await client.get("/notices", params={"hazard_id": "h-9"}, headers=h.bearer())
        assert other.json() == []
        one = await client.get("/notices", params={"person_id": "p-firm"}, headers=h.bearer())
        assert [r["person_id"] for r in one.json()] == ["p-firm"]
        # Without parameters the board's people read their own notices, as everyone does.
        own = h.bearer("leader", person_id="p-town-in")
        assert [r["person_id"] for r in (await client.get("/notices", headers=own)).json()] == [
            "p-town-in"
        ]


async def test_a_person_reads_and_signs_only_their_own(make_harness, aliyun):
    h = await make_harness(sms_providers=[aliyun_config(aliyun.url)], default_channels=["sms"])
    await notice_to_the_firm_and_the_township(h)
    firm = h.bearer("enterprise", person_id="p-firm")
    async with client_for(h) as client:
        [mine] = (await client.get("/notices", headers=firm)).json()
        assert mine["person_id"] == "p-firm"
        for params in ({"hazard_id": "h-3"}, {"person_id": "p-town-in"}):
            refused = await client.get("/notices", params=params, headers=firm)
            assert refused.status_code == 403 and "本人" in refused.json()["detail"]
        assert (await client.get("/notices", headers=h.bearer("department"))).status_code == 403
        assert (await client.get("/notices")).status_code == 401

        town = await client.get("/notices", params={"person_id": "p-town-in"}, headers=h.bearer())
        theirs = town.json()[0]["dispatch_id"]
        foreign = await client.post(f"/notices/{theirs}/ack", headers=firm)
        assert foreign.status_code == 403 and "本人" in foreign.json()["detail"]
        office = await client.post(f"/notices/{theirs}/ack", headers=h.bearer())
        assert office.status_code == 403  # 签收 is personal, even for the county office
        missing = await client.post("/notices/no-such-notice/ack", headers=firm)
        assert missing.status_code == 404 and missing.json()["detail"] == "未找到该通知"

        signed = await client.post(f"/notices/{mine['dispatch_id']}/ack", headers=firm)
        assert signed.status_code == 200, signed.text
        body = signed.json()
        assert body["acknowledged_at"] is not None and body["acknowledged_via"] == "portal"
        h.clock.advance(minutes=10)
        again = (await client.post(f"/notices/{mine['dispatch_id']}/ack", headers=firm)).json()
        assert again["acknowledged_at"] == body["acknowledged_at"]

        log = (await client.get("/deliveries", headers=firm)).json()
        assert log[0]["acknowledged_at"] is not None
        left = await client.get(
            "/notices", params={"hazard_id": "h-3", "unacknowledged": "true"}, headers=h.bearer()
        )
        assert [r["person_id"] for r in left.json()] == ["p-town-in"]
    acked = [e for e in await h.events() if e["status"] == "acknowledged"]
    assert len(acked) == 1 and (acked[0]["person_id"], acked[0]["channel"]) == ("p-firm", "sms")
