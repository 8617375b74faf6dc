"""The 审计 tab of 隐患详情 names each audited change in Chinese, never by its event code."""

from __future__ import annotations

import re
from pathlib import Path

from shared.contract import HazardEventType
from shared.labels import HAZARD_AUDIT_LABELS
from tests.portal.conftest import HAZARD, Api, SignIn

HAZARD_API = Path(__file__).parents[2] / "services" / "hazard_api"
# A hazard change audited without an event names its row with a literal (see items.kernel).
AUDIT_ONLY = re.compile(r"""audit_action\s*=\s*["'](hazard\.[a-z_]+)["']""")


def _audit_only_actions() -> set[str]:
    found: set[str] = set()
    for source in HAZARD_API.rglob("*.py"):
        found |= set(AUDIT_ONLY.findall(source.read_text(encoding="utf-8")))
    return found


def test_every_action_a_hazards_audit_chain_can_hold_has_a_label() -> None:
    audit_only = _audit_only_actions()
    # The scan finds what it is meant to, so an empty result cannot pass for "all labelled".
    assert {"hazard.plan_submitted", "hazard.evidence_attached"} <= audit_only
    known = {e.value for e in HazardEventType} | audit_only
    assert known - HAZARD_AUDIT_LABELS.keys() == set()
    for text in HAZARD_AUDIT_LABELS.values():
        assert re.search(r"[\u4e00-\u9fff]", text) and not re.search(r"[A-Za-z]", text), text


async def test_the_audit_tab_shows_chinese_labels_not_event_codes(
    signed_in: SignIn, api: Api
) -> None:
    ent, office = api.as_("hongxing"), api.as_("office")
    hid = (await ent.post("/hazards", HAZARD)).json()["id"]
    await office.post(f"/hazards/{hid}/classify", {"level": "general", "deadline_days": 30})
    await ent.post(f"/hazards/{hid}/start-rectification", {})
    ext = await ent.post(f"/hazards/{hid}/extensions", {"reason": "设备到货延迟", "days": 5})
    assert ext.status_code == 201, ext.text
    yes = {"approve": True, "opinion": "同意"}
    decided = await office.post(f"/hazards/{hid}/extensions/{ext.json()['id']}/decision", yes)
    assert decided.status_code == 200, decided.text

    browser, _ = await signed_in("office")
    r = await browser.get(f"/hazards/{hid}", params={"tab": "audit"})
    assert r.status_code == 200, r.text
    tab = r.text.split('<section class="card tab-audit">', 1)[1].split("</section>", 1)[0]
    for text in ("登记隐患", "判定隐患等级", "开始整改", "申请延期", "批准延期"):
        assert text in tab
    assert "hazard." not in tab and "其他" not in tab
