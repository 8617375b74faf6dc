"""The 16号令 statistics table as CSV and XLSX, with Chinese headers."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font

from services.hazard_api.statistics.service import (
    GROUP_LABELS,
    StatisticsOut,
    UnitStatistics,
)
from shared import csv_cells
from shared.labels import as_of_label

COLUMNS = (
    ("found", "排查隐患数"),
    ("general", "一般隐患"),
    ("general_rectified", "一般隐患已整改"),
    ("major", "重大隐患"),
    ("major_rectified", "重大隐患已整改"),
    ("rectified", "已整改"),
    ("rectification_rate", "整改率"),
    ("overdue", "逾期未整改"),
    ("listed", "挂牌督办"),
    ("funds_spent", "治理资金（元）"),
)


def title(stats: StatisticsOut) -> str:
    when = f"{stats.year}年" + (f"第{stats.quarter}季度" if stats.quarter else "度")
    return f"{when}事故隐患排查治理情况统计表（数据截至{as_of_label(stats.as_of)}）"


def _values(row: UnitStatistics) -> list[str | int | float]:
    out: list[str | int | float] = [row.unit_name]
    for key, _ in COLUMNS:
        value = getattr(row, key)
        out.append(f"{value * 100:.2f}%" if key == "rectification_rate" else value)
    return out


def _header(stats: StatisticsOut) -> list[str]:
    return [GROUP_LABELS[stats.group_by], *(name for _, name in COLUMNS)]


def as_csv(stats: StatisticsOut) -> bytes:
    buffer = io.StringIO()
    writer = csv_cells.writer(buffer)
    writer.writerow([title(stats)])
    writer.writerow(_header(stats))
    for row in [*stats.units, stats.total]:
        writer.writerow(_values(row))
    # A BOM so that Excel, as county offices open CSV files, reads the Chinese as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def as_xlsx(stats: StatisticsOut) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "隐患排查治理统计"
    sheet.append([title(stats)])
    sheet.append(_header(stats))
    for row in [*stats.units, stats.total]:
        sheet.append(_values(row))
    csv_cells.formulas_as_text(sheet)
    for cell in (*sheet[1], *sheet[2], *sheet[sheet.max_row]):
        cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 28
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
