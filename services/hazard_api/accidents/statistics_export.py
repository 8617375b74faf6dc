"""Accident statistics as CSV and XLSX: one table, a section per grouping (month, class,
industry, township) and the total, with Chinese headers and township names."""

from __future__ import annotations

import io
from collections.abc import Mapping

from openpyxl import Workbook
from openpyxl.styles import Font

from services.hazard_api.accidents.statistics import AccidentStatistics, Tally
from shared import csv_cells

COLUMNS = (
    ("accidents", "事故起数"),
    ("deaths", "死亡人数"),
    ("missing", "失踪人数"),
    ("serious_injuries", "重伤人数"),
    ("minor_injuries", "轻伤人数"),
    ("direct_loss_yuan", "直接经济损失（元）"),
)
Row = list[str | int]


def rows_of(stats: AccidentStatistics, names: Mapping[str, str]) -> list[Row]:
    """Title, header, then `分组, 项目, figures…` per group and the total."""

    def line(group: str, key: str, t: Tally) -> Row:
        return [group, key, *(getattr(t, k) for k, _ in COLUMNS)]

    out: list[Row] = [
        [f"{stats.year}年生产安全事故统计表"],
        ["分组", "项目", *(name for _, name in COLUMNS)],
    ]
    out += [line("按月", f"{m}月", t) for m, t in stats.by_month.items()]
    out += [line("按等级", k, t) for k, t in stats.by_class.items()]
    out += [line("按行业", k, t) for k, t in stats.by_industry.items()]
    out += [line("按乡镇（街道）", names.get(k, k), t) for k, t in stats.by_township.items()]
    out.append(line("合计", "全年", stats.total))
    return out


def as_csv(stats: AccidentStatistics, names: Mapping[str, str]) -> bytes:
    buffer = io.StringIO()
    csv_cells.writer(buffer).writerows(rows_of(stats, names))
    # A BOM so that Excel, as county offices open CSV files, reads the Chinese as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def as_xlsx(stats: AccidentStatistics, names: Mapping[str, str]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "事故统计"
    for row in rows_of(stats, names):
        sheet.append(row)
    csv_cells.formulas_as_text(sheet)
    for cell in (*sheet[1], *sheet[2], *sheet[sheet.max_row]):
        cell.font = Font(bold=True)
    sheet.column_dimensions["B"].width = 24
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
