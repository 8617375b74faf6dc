"""What the SMS emulators accept and record: credentials, approved templates, accepted texts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

ACCESS_KEY_ID = "LTAI-test-key"
ACCESS_KEY_SECRET = "aliyun-test-secret"
SECRET_ID = "AKID-test"
SECRET_KEY = "tencent-test-secret"
SDK_APP_ID = "1400000001"
SIGN_NAME = "示范县安委办"
# Provider template code → the parameter names its approved text declares.
ALIYUN_TEMPLATES = {
    "SMS_900001": ["action", "unit", "code", "deadline", "link"],
    "SMS_900002": ["count", "link"],
    # v2: the texts that tell each person what to do (README, "A provider entry").
    "SMS_900003": ["county", "unit", "level", "code", "status", "ask", "phone", "link"],
    "SMS_900004": ["county", "count", "overdue", "upcoming", "phone", "link"],
    # The statistics-report reminder (#12).
    "SMS_900005": ["county", "unit", "period", "due", "phone"],
}
# Tencent TemplateId → how many parameters it takes.
TENCENT_TEMPLATES = {"2000001": 5, "2000002": 2, "2000003": 8, "2000004": 6, "2000005": 5}


@dataclass
class Accepted:
    phone: str
    template: str
    params: Any
    out_id: str
    message_id: str
    at: datetime


def aliyun_delivered(sms: Accepted) -> dict[str, Any]:
    """The receipt Aliyun pushes for an accepted text that reached the phone."""
    return {
        "phone_number": sms.phone,
        "send_time": "2026-03-06 09:00:00",
        "report_time": "2026-03-06 09:00:05",
        "success": True,
        "err_code": "DELIVERED",
        "err_msg": "用户接收成功",
        "sms_size": "1",
        "biz_id": sms.message_id,
        "out_id": sms.out_id,
    }


@dataclass
class Emulator:
    kind: str
    mode: str = "ok"
    delay_s: float = 3.0
    accepted: list[Accepted] = field(default_factory=list)
    requests: int = 0
    rejected: list[str] = field(default_factory=list)
    batches: list[int] = field(default_factory=list)  # numbers in each SendBatchSms accepted

    def sends_to(self, phone: str) -> list[Accepted]:
        return [a for a in self.accepted if phone in a.phone]
