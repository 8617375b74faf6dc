"""The exchange documents: versioned JSON, one Pydantic model (and so one JSON Schema) each.

Every document is an envelope (`document`, `version`, `$schema`, the sender county, the item,
the source event, when it happened) around its `data`. Bodies are canonical JSON (sorted keys,
no spaces, UTF-8): built from the same source they are the same bytes, which is what lets the
ledger regenerate any past submission and compare it with what was sent.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.reporting.exchange.codes import AREA_CODE, CREDIT_CODE, DATETIME, INDUSTRY_CODE

Stamp = Field(pattern=DATETIME)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Sender(_Strict):
    area_code: str = Field(pattern=AREA_CODE, description="报送县 GB/T 2260 行政区划代码")
    name: str = Field(min_length=1, description="报送单位（县安委办）")


class Item(_Strict):
    kind: Literal["hazard", "accident", "document", "statistics"]
    id: str = Field(min_length=1)
    code: str | None = Field(default=None, description="县内编号（隐患编号、事故编号）")


class Unit(_Strict):
    name: str = Field(min_length=1, description="生产经营单位名称")
    credit_code: str | None = Field(
        default=None, pattern=CREDIT_CODE, description="统一社会信用代码（GB 32100，已校验）"
    )
    area_code: str | None = Field(default=None, pattern=AREA_CODE, description="所在地区划代码")
    industry_code: str | None = Field(
        default=None, pattern=INDUSTRY_CODE, description="国民经济行业代码（GB/T 4754-2017）"
    )


class HazardData(_Strict):
    event: Literal[
        "hazard.classified",
        "hazard.reclassified",
        "hazard.listed",
        "hazard.listing_raised",
        "hazard.extension_approved",
        "hazard.closed",
    ]
    unit: Unit
    level: Literal["general", "major"] | None = Field(description="隐患等级代码")
    status: str
    description: str
    listing_level: Literal["county", "city", "province"] | None = None
    deadline_at: str | None = Field(default=None, pattern=DATETIME)
    classified_at: str | None = Field(default=None, pattern=DATETIME)
    listed_at: str | None = Field(default=None, pattern=DATETIME)
    accepted_at: str | None = Field(default=None, pattern=DATETIME)
    note: str | None = None


class AccidentData(_Strict):
    report_kind: Literal["initial", "follow_up"] = Field(description="快报 initial，续报 follow_up")
    class_changed: bool = Field(description="本次续报使事故等级变化")
    unit: Unit
    accident_class: Literal["general", "larger", "major", "especially_major"]
    investigation_level: str
    accident_type: str
    occurred_at: str = Field(pattern=DATETIME)
    received_at: str = Field(pattern=DATETIME)
    deaths: int | None = Field(default=None, ge=0)
    missing: int | None = Field(default=None, ge=0)
    serious_injuries: int | None = Field(default=None, ge=0)
    direct_loss_yuan: int | None = Field(default=None, ge=0)
    note: str | None = None


class DocumentData(_Strict):
    """An issued document (督办函、挂牌通知书 …) as its event describes it."""

    event: str
    payload: dict[str, Any]


class _Document(_Strict):
    schema_: str = Field(alias="$schema")
    document: str
    version: int
    sender: Sender
    item: Item
    source_event_id: str
    occurred_at: str = Field(pattern=DATETIME)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class HazardMajor(_Document):
    """重大事故隐患报告：判定为重大事故隐患、等级变更。"""

    document: Literal["hazard-major"]
    version: Literal[1]
    data: HazardData


class HazardListing(_Document):
    """挂牌督办：挂牌、提级挂牌、延期、销号（摘牌）。"""

    document: Literal["hazard-listing"]
    version: Literal[1]
    data: HazardData


class AccidentReport(_Document):
    """生产安全事故报告：快报、续报（补报）。"""

    document: Literal["accident-report"]
    version: Literal[1]
    data: AccidentData


class DocumentIssued(_Document):
    """随附文书：督办函、挂牌督办通知书等签发记录。"""

    document: Literal["document-issued"]
    version: Literal[1]
    data: DocumentData


MODELS: dict[tuple[str, int], type[_Document]] = {
    ("hazard-major", 1): HazardMajor,
    ("hazard-listing", 1): HazardListing,
    ("accident-report", 1): AccidentReport,
    ("document-issued", 1): DocumentIssued,
}


def schema_url(name: str, version: int) -> str:
    return f"/schemas/{name}/{version}"


def render(document: dict[str, Any]) -> bytes:
    """Canonical JSON: the same document is always the same bytes."""
    return json.dumps(
        document, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    ).encode()


def checked(name: str, version: int, document: dict[str, Any]) -> dict[str, Any]:
    """The document after validation against its model (raises on a wrong field)."""
    MODELS[(name, version)].model_validate(document)
    return document
