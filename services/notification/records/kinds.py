"""Which tables the record of service covers, and how a row becomes a recorded state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.engine import RowMapping

from services.notification.ack.models import Acknowledgement, LinkUse
from services.notification.db import Base
from services.notification.delivery.models import Delivery, DeliveryAttempt, Dispatch
from services.notification.receipts.models import Receipt
from shared.hashchain import plain


@dataclass(frozen=True)
class Kind:
    name: str
    label: str  # what a reader calls it
    model: type[Base]
    id_column: str
    # Bulk statements name their rows by these parameters (parameter → column).
    params: dict[str, str] = field(default_factory=dict)

    @property
    def table(self) -> Table:
        return cast(Table, self.model.__table__)

    def entity_id(self, row: RowMapping | Any) -> str:
        value = row[self.id_column] if isinstance(row, RowMapping) else getattr(row, self.id_column)
        return str(value)


KINDS: tuple[Kind, ...] = (
    Kind("dispatch", "通知", Dispatch, "id", {"id": "id"}),
    Kind("delivery", "投递记录", Delivery, "id", {"id": "id", "dispatch_id": "dispatch_id"}),
    Kind(
        "attempt",
        "发送尝试",
        DeliveryAttempt,
        "id",
        {"id": "id", "out_id": "out_id", "k_out_id": "out_id"},
    ),
    Kind("receipt", "状态报告", Receipt, "id", {"id": "id"}),
    Kind("ack", "签收记录", Acknowledgement, "dispatch_id", {"dispatch_id": "dispatch_id"}),
    Kind("link_use", "他人使用链接记录", LinkUse, "id", {"id": "id"}),
)
BY_NAME = {k.name: k for k in KINDS}
BY_MODEL: dict[type[Any], Kind] = {k.model: k for k in KINDS}
BY_TABLE = {k.table.name: k for k in KINDS}


def state_of(kind: Kind, row: RowMapping) -> dict[str, Any]:
    """Every column, as canonical JSON holds it (the same on PostgreSQL and SQLite)."""
    return {c.name: plain(row[c.name]) for c in kind.table.columns}
