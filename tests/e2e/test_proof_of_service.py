"""The proof of service of the reminder chain's hazard (three services as processes, tansu, the
Aliyun SMS emulator): it lists every text the provider received for the hazard, no more, no
fewer, with the township principal's acknowledgement, and the record of service verifies."""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from services.notification.dossier.service import mask
from tests.e2e.test_reminder_chain import run_scenario
from tests.e2e.world import World, embedded_world


async def notification(w: World, path: str) -> Any:
    w.tokens.pop("office", None)  # time moved on a month: a fresh token
    r = await w.client.get(w.stack.url("notification") + path, headers=await w.as_("office"))
    assert r.status_code == 200, r.text
    return r


async def test_the_dossier_lists_every_text_the_provider_received(tmp_path: Path) -> None:
    async with embedded_world(tmp_path) as w:
        hid = await run_scenario(w)
        dossier = (await notification(w, f"/hazards/{hid}/service")).json()
        texts = [e for e in dossier["entries"] if e["channel"] == "sms"]
        received = Counter((a.message_id, mask(a.phone)) for a in w.sms.accepted)
        listed = Counter((e["provider_message_id"], e["address"]) for e in texts)
        assert received and listed == received
        assert all(e["provider"] == "aliyun" and e["status"] != "pending" for e in texts)
        assert {e["channel"] for e in dossier["entries"]} == {"sms", "email"}
        signed = [e for e in dossier["entries"] if e["acknowledged_by"]]
        assert signed and all("本人（核对手机号码后四位）" in e["acknowledged_by"] for e in signed)
        assert len({e["dispatch_id"] for e in signed}) == 1
        assert dossier["chain"]["ok"] is True, dossier["chain"]
        verified = (await notification(w, "/records/verify")).json()
        assert verified["ok"] is True and verified["entries_checked"] > len(texts)

        pdf = await notification(w, f"/hazards/{hid}/service.pdf")
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
        assert dossier["content_sha256"] in text.replace("\n", "")
        csv = (await notification(w, f"/hazards/{hid}/service.csv")).content.decode("utf-8-sig")
        assert csv.count("aliyun") == len(texts)
