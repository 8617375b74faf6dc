"""The directory spreadsheet (XLSX): one sheet per kind, Chinese headers, lists for the closed
choices. Writing (template, export) uses openpyxl's write-only mode; reading uses calamine, a
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

from shared.contract import UnitKind
from shared.labels import ENTERPRISE_STATUS_LABELS, POST_ROLE_LABELS, UNIT_KIND_LABELS

YES, NO = "是", "否"
GOVERNMENT_KINDS = (UnitKind.COUNTY, UnitKind.TOWNSHIP, UnitKind.VILLAGE, UnitKind.DEPARTMENT)
# Rows a sheet may hold: a county has some tens of thousands of entries; beyond this a file is
# a mistake (or an attack), refused before anything is validated.
MAX_ROWS = 200_000
MAX_UNPACKED_BYTES = 500 * 1024 * 1024


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    note: str
    required: bool = False
    choices: tuple[str, ...] = ()
    width: int = 16


@dataclass(frozen=True)
class Sheet:
    key: str
    title: str
    purpose: str
    columns: tuple[Column, ...]
    example: tuple[str, ...]

    def header_of(self, key: str) -> str:
        return next(c.header for c in self.columns if c.key == key)


_YES_NO = (YES, NO)
_CODE = "1至36位字母、数字或 _ . : -，导入后不可更改，用来识别同一条记录"

UNITS = Sheet(
    "units",
    "单位",
    "县、乡镇（街道）、村（社区）和部门（安委成员单位）。企业填在“企业”表。",
    (
        Column("id", "单位编码", _CODE, required=True),
        Column("name", "单位名称", "同一上级单位下不能重名", required=True, width=24),
        Column(
            "kind",
            "单位类别",
            "从下拉列表选择",
            required=True,
            choices=tuple(UNIT_KIND_LABELS[k] for k in GOVERNMENT_KINDS),
        ),
        Column("parent_id", "上级单位编码", "县不填；乡镇（街道）和部门填县的编码；村填乡镇编码"),
        Column("area_code", "行政区划代码", "GB/T 2260 六位代码；不填则取县的代码"),
        Column("is_safety_office", "是否县安委办", "只有一个部门可填“是”", choices=_YES_NO),
    ),
    ("tw-daping", "大坪乡", "乡镇（街道）", "county", "430723", "否"),
)
ENTERPRISES = Sheet(
    "enterprises",
    "企业",
    "生产经营单位。以统一社会信用代码识别；单位编码可不填（不填时即为信用代码）。",
    (
        Column("id", "单位编码", "可不填；填写时规则同“单位”表"),
        Column(
            "credit_code", "统一社会信用代码", "18位，GB 32100，含校验位", required=True, width=22
        ),
        Column("name", "企业名称", "同一属地单位下不能重名", required=True, width=28),
        Column("territorial_unit_id", "属地单位编码", "所在乡镇（街道）或村的编码", required=True),
        Column("area_code", "行政区划代码", "GB/T 2260 六位代码；不填则取县的代码"),
        Column("industry_code", "行业代码", "GB/T 4754-2017，如 C2672", required=True),
        Column("industry_name", "行业名称", "如 焰火、鞭炮产品制造", width=24),
        Column("high_risk", "是否高危行业", "不填为“否”", choices=_YES_NO),
        Column(
            "status",
            "经营状态",
            "不填为“正常生产”",
            choices=tuple(ENTERPRISE_STATUS_LABELS.values()),
        ),
    ),
    (
        "",
        "91430723MA4L0XXXXN",
        "红星烟花爆竹有限公司",
        "tw-daping",
        "430723",
        "C2672",
        "焰火、鞭炮产品制造",
        "是",
        "正常生产",
    ),
)
PEOPLE = Sheet(
    "people",
    "人员",
    "每人一行；一人任多个岗位时在“岗位”表引用同一人员编码。",
    (
        Column("id", "人员编码", _CODE + "（没有工号的可用手机号码）", required=True),
        Column("name", "姓名", "", required=True),
        Column("unit_id", "所在单位编码", "人员档案所在单位", required=True),
        Column("mobile", "手机号码", "11位大陆手机号，全县不能重复"),
        Column("email", "电子邮箱", "", width=24),
        Column("active", "是否在岗", "不填为“是”", choices=_YES_NO),
    ),
    ("p-zhoujun", "周军", "tw-daping", "13800000011", "zhoujun@example.cn", "是"),
)
POSTS = Sheet(
    "posts",
    "岗位",
    "一个岗位一行，只能由一人担任；任职人员不填即为空缺。",
    (
        Column("id", "岗位编码", _CODE, required=True),
        Column("unit_id", "单位编码", "岗位所在单位", required=True),
        Column(
            "role",
            "岗位类别",
            "从下拉列表选择",
            required=True,
            choices=tuple(POST_ROLE_LABELS.values()),
        ),
        Column("title", "职务名称", "如 乡长、分管安全副乡长", required=True, width=24),
        Column("holder_person_id", "任职人员编码", "“人员”表或目录中已有的人员编码；空缺不填"),
        Column("acting", "是否代理", "任职人员本身是代理（代职）的填“是”", choices=_YES_NO),
        Column("acting_person_id", "代理人员编码", "任职人员外出等期间由他人代理时填写"),
        Column("acting_from", "代理开始日期", "如 2026-03-01（北京时间，含当日）"),
        Column("acting_until", "代理结束日期", "不填为“直至另行通知”"),
        Column("holder_from", "任职交接日期", "此日起由任职人员担任，之前仍由前任担任"),
        Column("previous_holder_person_id", "前任人员编码", "填写交接日期时可填；不填为此前空缺"),
    ),
    (
        "post-daping-xiangzhang",
        "tw-daping",
        "主要负责人",
        "乡长",
        "p-zhoujun",
        "否",
        "",
        "",
        "",
        "",
        "",
    ),
)
PORTFOLIOS = Sheet(
    "portfolios",
    "分管范围",
    "领导岗位的一岗双责分管范围，每项一行：分管单位或分管行业二选一。"
    "本表存在时，文件中出现的岗位的分管范围以本表为准。",
    (
        Column(
            "post_id", "岗位编码", "领导岗位（主要负责人、分管安全负责人、班子成员）", required=True
        ),
        Column("unit_id", "分管单位编码", "部门、乡镇（街道）等"),
        Column("industry_code", "分管行业代码", "GB/T 4754 代码或其前缀，如 E47、C267"),
    ),
    ("post-fuxianzhang-chen", "dep-zhujian", ""),
)
SUPERVISION = Sheet(
    "supervision",
    "行业监管",
    "部门监管哪些企业（逐家）或哪些行业（管行业必须管安全），每项一行：企业编码和行业代码二选一。"
    "本表存在时，文件中出现的企业的监管部门、出现的部门的监管行业，以本表为准。",
    (
        Column("department_id", "监管部门编码", "部门的单位编码", required=True),
        Column("enterprise_id", "企业编码", "企业的单位编码或统一社会信用代码", width=22),
        Column("industry_code", "监管行业代码", "GB/T 4754 代码或其前缀，如 C267、E48"),
    ),
    ("dep-yingji", "91430723MA4L0XXXXN", ""),
)
SHEETS: tuple[Sheet, ...] = (UNITS, ENTERPRISES, PEOPLE, POSTS, PORTFOLIOS, SUPERVISION)
GUIDE_TITLE = "填写说明"
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
