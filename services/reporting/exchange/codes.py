"""The data elements' formats and code sets of the exchange documents.

Area codes GB/T 2260 (6 digits; township codes 9 or 12), unified social credit codes GB 32100
(the check digit is verified before a code is written; a wrong one is left out, never sent),
industries GB/T 4754-2017, dates and times GB/T 7408 / ISO 8601 with the +08:00 offset.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from shared.codes.national import area_code_problem, credit_code_problem, industry_problem

SHANGHAI = ZoneInfo("Asia/Shanghai")

AREA_CODE = r"^[1-8][0-9]{5}([0-9]{3}([0-9]{3})?)?$"
CREDIT_CODE = r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"
INDUSTRY_CODE = r"^[A-T]([0-9]{2}([0-9]{1,2})?)?$"
DATETIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{2}:[0-9]{2}$"

# Code sets (value → meaning); the JSON Schemas list the values, the README the meanings.
HAZARD_LEVELS = {"general": "一般事故隐患", "major": "重大事故隐患"}
LISTING_LEVELS = {"county": "县级挂牌督办", "city": "市级挂牌督办", "province": "省级挂牌督办"}
ACCIDENT_CLASSES = {
    "general": "一般事故",
    "larger": "较大事故",
    "major": "重大事故",
    "especially_major": "特别重大事故",
}
REPORT_KINDS = {"initial": "快报（首报）", "follow_up": "续报", "supplementary": "补报"}
HAZARD_EVENTS = {
    "hazard.classified": "判定为重大事故隐患",
    "hazard.reclassified": "隐患等级变更",
    "hazard.listed": "挂牌督办",
    "hazard.listing_raised": "提级挂牌督办",
    "hazard.extension_approved": "整改延期获批",
    "hazard.closed": "销号（摘牌）",
}


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with the Beijing offset, to the second (GB/T 7408)."""
    if value is None:
        return None
    return value.astimezone(SHANGHAI).isoformat(timespec="seconds")


def credit_code(value: str | None) -> str | None:
    return value if value and credit_code_problem(value) is None else None


def area_code(value: str | None) -> str | None:
    if not value:
        return None
    return value if area_code_problem(value[:6]) is None else None


def industry_code(value: str | None) -> str | None:
    return value if value and industry_problem(value) is None else None
