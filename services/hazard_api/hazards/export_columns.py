"""The 台账 export's columns as SQL expressions that already read as the file's text.

The database formats each cell (labels, 级, 逾期, Beijing times) while it reads the row, so a
row arrives as a tuple of strings that the csv writer or the XLSX sheet takes as it is: no
per-row Python objects, label look-ups or timezone conversions, which were most of an export's
time at a million hazards. The texts are those of shared.labels (tests/hazard_api/lifecycle/
test_export.py compares them on PostgreSQL and SQLite).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, and_, case, cast, func, literal, or_
from sqlalchemy.sql.elements import ColumnElement

from services.hazard_api.hazards.models import Hazard
from services.hazard_api.hazards.service import RUNNING
from shared.labels import (
    HAZARD_LEVEL_LABELS,
    HAZARD_STATUS_LABELS,
    LISTING_LEVEL_LABELS,
    PROVISIONAL_MARK,
)

HEADERS = (
    "隐患编号",
    "单位",
    "隐患描述",
    "状态",
    "等级",
    "分级",
    "整改期限",
    "逾期",
    "挂牌督办",
    "位置",
    "发现时间",
    "登记时间",
)

# `2027年1月1日23:59` (labels.beijing_time): month and day without a leading zero (FM).
_PG_FORMAT = 'YYYY"年"FMMM"月"FMDD"日"HH24:MI'


def beijing_text(column: Any, dialect: str, missing: str = "未定") -> ColumnElement[str]:
    """A UTC time column as labels.beijing_time writes it, NULL as `missing`.

    PostgreSQL converts with its own time zone data (AT TIME ZONE). SQLite has none and keeps
    these columns as UTC text: it adds eight hours, which is Asia/Shanghai's offset without
    daylight saving since 1991, long before any hazard here.
    """
    text: ColumnElement[str]
    if dialect == "postgresql":
        text = func.to_char(func.timezone("Asia/Shanghai", column), _PG_FORMAT)
    else:
        # Seconds only: SQLite rounds fractions to milliseconds, and a deadline's 23:59:59.999999
        # would turn into the next day's 00:00.
        shifted = [func.substr(column, 1, 19), "+8 hours"]
        text = (
            func.strftime("%Y", *shifted)
            + "年"
            + cast(cast(func.strftime("%m", *shifted), Integer), String)
            + "月"
            + cast(cast(func.strftime("%d", *shifted), Integer), String)
            + "日"
            + func.strftime("%H:%M", *shifted)
        )
    return func.coalesce(text, literal(missing, String))


def labelled(column: Any, labels: Mapping[str, str], missing: str) -> ColumnElement[str]:
    """labels.label in SQL: NULL is `missing`, an unknown code 「其他」."""
    return case(
        (column.is_(None), missing),
        *((column == str(code), text) for code, text in labels.items()),
        else_="其他",
    )


def cells(dialect: str, now: datetime) -> tuple[Any, ...]:
    """The HEADERS' columns, in order, each as text."""
    overdue = and_(
        Hazard.status.in_(RUNNING), Hazard.deadline_at.is_not(None), Hazard.deadline_at < now
    )
    return (
        Hazard.code,
        Hazard.unit_name,
        Hazard.description,
        labelled(Hazard.status, HAZARD_STATUS_LABELS, ""),
        labelled(Hazard.level, HAZARD_LEVEL_LABELS, "未判定"),
        case(
            (or_(Hazard.grade.is_(None), Hazard.grade == 0), "—"),
            else_=cast(Hazard.grade, String) + "级",
        ),
        beijing_text(Hazard.deadline_at, dialect)
        + case((Hazard.deadline_provisional.is_(True), PROVISIONAL_MARK), else_=""),
        case((overdue, "是"), else_="否"),
        labelled(Hazard.listing_level, LISTING_LEVEL_LABELS, "—"),
        Hazard.location,
        beijing_text(Hazard.found_at, dialect),
        beijing_text(Hazard.reported_at, dialect),
    )
