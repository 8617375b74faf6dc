"""Factories for a 复工复产 campaign's events (#15)."""

from __future__ import annotations

from datetime import datetime

from shared.clock import SHANGHAI
from shared.contract import CampaignFacts, CampaignStatus

CAMPAIGN = "cmp-2027-spring"


def campaign_facts(status: CampaignStatus = CampaignStatus.OPEN) -> CampaignFacts:
    return CampaignFacts(
        campaign_id=CAMPAIGN,
        name="2027年春节后复工复产",
        notice_no="示安委办〔2027〕3号",
        status=status,
        industry_prefixes=["C"],
        township_ids=["tw-east", "tw-west"],
        resume_by=datetime(2027, 2, 20, 17, 0, tzinfo=SHANGHAI),
        enterprises=5,
        accepted=1,
        actor_person_id="p-office",
    )
