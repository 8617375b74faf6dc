"""The directory spreadsheet (XLSX) read and written; its sheets and columns are in sheets.py.
Writing (template, export) uses openpyxl's write-only mode; reading uses calamine, a
streaming reader that is much faster than openpyxl on a county's tens of thousands of rows."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from python_calamine import CalamineError, CalamineWorkbook

from services.hazard_api.directory.sheets import GUIDE_TITLE, NO, SHEETS, YES, Column, Sheet

# Rows a sheet may hold: a county has some tens of thousands of entries; beyond this a file is
# a mistake (or an attack), refused before anything is validated.
MAX_ROWS = 200_000
MAX_UNPACKED_BYTES = 500 * 1024 * 1024

_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_REQUIRED_FONT = Font(bold=True, color="C00000")


# ----------------------------------------------------------------------------- reading
Cell = str | None


@dataclass(frozen=True)
class SheetRow:
    number: int  # the row number Excel shows
    values: dict[str, Cell]


@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int | None
    column: str | None
    message: str


@dataclass
class ReadSheets:
    """Rows per sheet key; a sheet missing from the file is absent here (not the same as empty)."""

    rows: dict[str, list[SheetRow]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def _cell(value: object) -> Cell:
    """A cell as text: numbers typed into code columns (13800000001, 430723) lose nothing."""
    if type(value) is str:  # nearly every cell: the fast path first
        return value.strip() or None
    if value is None:
        return None
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date | time | timedelta):
        return str(value)
    text = str(value).strip()
    return text or None


def read_workbook(data: bytes) -> ReadSheets:
    result = ReadSheets()
    if (problem := _archive_problem(data)) is not None:
        result.problems.append(Problem("", None, None, problem))
        return result
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except (CalamineError, ValueError, OSError):
        result.problems.append(
            Problem("", None, None, "无法读取文件：请上传由模板填写的 Excel（.xlsx）文件")
        )
        return result
    try:
        with book:
            _read_sheets(book, result)
    except CalamineError:
        result.problems.append(Problem("", None, None, "文件已损坏，无法读取：请重新保存后再上传"))
    return result


def _archive_problem(data: bytes) -> str | None:
    """An XLSX is a zip: one that unpacks to far more than a county's directory is refused
    before a reader allocates it (a few MB of zip can claim gigabytes)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return "无法读取文件：请上传由模板填写的 Excel（.xlsx）文件"
    if unpacked > MAX_UNPACKED_BYTES:
        return f"文件解压后超过 {MAX_UNPACKED_BYTES // 1024 // 1024} MB，请分批导入"
    return None


def _read_sheets(book: CalamineWorkbook, result: ReadSheets) -> None:
    names = set(book.sheet_names)
    if not names & {s.title for s in SHEETS}:
        titles = "、".join(s.title for s in SHEETS)
        result.problems.append(Problem("", None, None, f"文件中没有以下任一工作表：{titles}"))
    for sheet in SHEETS:
        if sheet.title in names:
            _read_sheet(book, sheet, result)


def _read_sheet(book: CalamineWorkbook, sheet: Sheet, result: ReadSheets) -> None:
    grid = book.get_sheet_by_name(sheet.title).to_python(skip_empty_area=False)
    if not grid:
        result.rows[sheet.key] = []
        return
    if len(grid) > MAX_ROWS + 1:
        result.problems.append(
            Problem(sheet.title, None, None, f"行数超过上限 {MAX_ROWS}，请分批导入")
        )
        return
    headers = [_cell(v) for v in grid[0]]
    positions: dict[str, int] = {}
    for column in sheet.columns:
        if column.header in headers:
            positions[column.key] = headers.index(column.header)
        elif column.required:
            result.problems.append(
                Problem(sheet.title, 1, column.header, f"缺少列“{column.header}”（见模板表头）")
            )
    rows: list[SheetRow] = []
    read = list(positions.items())
    width = max(positions.values(), default=-1) + 1
    padding: list[Any] = [""] * width
    for number, raw in enumerate(grid[1:], start=2):
        if len(raw) < width:
            raw = [*raw, *padding[len(raw) :]]
        # `_cell`'s text case inline: a call per cell is a good part of reading a county.
        values = {
            key: (v.strip() or None) if type(v := raw[i]) is str else _cell(v) for key, i in read
        }
        if any(values.values()):  # a cell is None or non-empty text
            rows.append(SheetRow(number, values))
    result.rows[sheet.key] = rows


# ----------------------------------------------------------------------------- writing
def _validation(column: Column, letter: str) -> DataValidation:
    validation = DataValidation(
        type="list",
        formula1='"' + ",".join(column.choices) + '"',
        allow_blank=not column.required,
        showErrorMessage=True,
        errorTitle="输入有误",
        error=f"“{column.header}”请从下拉列表中选择",
    )
    validation.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
    return validation


def _header(ws: Any, sheet: Sheet) -> list[Any]:
    cells = []
    for column in sheet.columns:
        cell = WriteOnlyCell(ws, value=column.header)
        cell.fill = _HEADER_FILL
        if column.required:
            cell.font = _REQUIRED_FONT
        note = ("必填。" if column.required else "选填。") + column.note
        cell.comment = Comment(note, "督办系统")
        cells.append(cell)
    return cells


def write_workbook(rows: Mapping[str, Iterable[Sequence[Cell]]]) -> bytes:
    """The template (no rows) or an export: the guide first, then every sheet in order."""
    book = Workbook(write_only=True)
    _write_guide(book)
    for sheet in SHEETS:
        ws = book.create_sheet(sheet.title)
        for index, column in enumerate(sheet.columns, start=1):
            letter = get_column_letter(index)
            ws.column_dimensions[letter].width = column.width
            if column.choices:
                ws.data_validations.append(_validation(column, letter))
        ws.freeze_panes = "A2"
        ws.append(_header(ws, sheet))
        for row in rows.get(sheet.key, ()):
            ws.append(["" if v is None else v for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _write_guide(book: Workbook) -> None:
    ws = book.create_sheet(GUIDE_TITLE)
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 90
    ws.append(["督办系统 组织目录导入模板"])
    ws.append(
        [
            "规则",
            "红色表头为必填列。按编码识别记录：编码已存在则更新，不存在则新增；"
            "文件中未出现的记录保持不变。整个文件全部校验通过才会写入，"
            "有任何错误时不写入任何数据，并按工作表、行、列列出每个错误。",
        ]
    )
    ws.append(["", "同一文件重复导入不会产生任何变化。导出的文件可直接修改后再导入。"])
    for sheet in SHEETS:
        ws.append([])
        ws.append([f"“{sheet.title}”表", sheet.purpose])
        ws.append(["示例（表头）", " | ".join(c.header for c in sheet.columns)])
        ws.append(["示例（一行）", " | ".join(v or "（不填）" for v in sheet.example)])
