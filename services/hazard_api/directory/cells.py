"""Cells of the directory spreadsheet: parsers with Chinese messages, and the checks' shared
state (problems found, the plan built, where each code was first written)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import TypeVar

from pydantic_core import PydanticCustomError

from services.hazard_api.directory.rows import Plan, Snapshot
from services.hazard_api.directory.sheets import NO, YES, Sheet
from services.hazard_api.directory.workbook import Problem, ReadSheets, SheetRow
from shared.codes.national import (
    area_code_problem,
    credit_code_problem,
    industry_problem,
)
from shared.contract import EnterpriseStatus, PostRole, UnitKind
from shared.labels import ENTERPRISE_STATUS_LABELS, POST_ROLE_LABELS, UNIT_KIND_LABELS

# Control characters and lone surrogates: PostgreSQL cannot store them (see fields.py).
_UNSTORABLE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
_ID = re.compile(r"[A-Za-z0-9_.:\-]{1,36}", re.ASCII)  # see EntityId
KINDS_BY_LABEL = {label: UnitKind(kind) for kind, label in UNIT_KIND_LABELS.items()}
ROLES_BY_LABEL = {label: PostRole(role) for role, label in POST_ROLE_LABELS.items()}
STATUS_BY_LABEL = {label: EnterpriseStatus(s) for s, label in ENTERPRISE_STATUS_LABELS.items()}
T = TypeVar("T")
# A row's cells: column key → (parser, required).
Parsers = Mapping[str, tuple[Callable[[str], object], bool]]


class _Invalid(Exception):
    """One cell is wrong; the row's other cells are still checked."""


class RowChecker:
    """State and cell helpers the unit and staff checks share."""

    def __init__(self, sheets: ReadSheets, current: Snapshot) -> None:
        self.sheets = sheets
        self.current = current
        self.problems: list[Problem] = list(sheets.problems)
        self.plan = Plan()
        # Where each code was first written in the file: (sheet title, row number).
        self.unit_rows: dict[str, tuple[str, int]] = {}
        self.person_rows: dict[str, SheetRow] = {}
        self.post_rows: dict[str, tuple[str, int, str | None]] = {}
        self.units_row_of: dict[str, SheetRow] = {}
        self.credit_rows: dict[str, int] = {}

    # ------------------------------------------------------------------ cells
    def problem(self, sheet: Sheet, row: SheetRow, key: str | None, message: str) -> None:
        column = sheet.header_of(key) if key else None
        self.problems.append(Problem(sheet.title, row.number, column, message))

    def cell(
        self,
        sheet: Sheet,
        row: SheetRow,
        key: str,
        parse: Callable[[str], T],
        *,
        required: bool = False,
    ) -> T | None:
        value = row.values.get(key)
        if value is None:
            if required:
                self.problem(sheet, row, key, f"“{sheet.header_of(key)}”为必填项")
                raise _Invalid
            return None
        try:
            return parse(value)
        except PydanticCustomError as exc:
            self.problem(sheet, row, key, exc.message())
        except ValueError as exc:
            self.problem(sheet, row, key, str(exc))
        raise _Invalid

    def fields(self, sheet: Sheet, row: SheetRow, parsers: Parsers) -> dict[str, object] | None:
        """Every cell of a row parsed; None (each problem recorded) when one is wrong."""
        out: dict[str, object] = {}
        ok = True
        values = row.values
        for key, (parse, required) in parsers.items():
            value = values.get(key)
            if value is None and not required:
                out[key] = None
                continue
            try:  # the common case inline: a filled cell that parses (a county's every row)
                if value is not None:
                    out[key] = parse(value)
                    continue
            except ValueError:  # PydanticCustomError is one: `cell` records the message
                pass
            try:
                out[key] = self.cell(sheet, row, key, parse, required=required)
            except _Invalid:
                ok = False
        return out if ok else None


def opt(value: object) -> str | None:
    return None if value is None else str(value)


def entity_id(value: str) -> str:
    if _ID.fullmatch(value) is None:
        raise ValueError(f"编码 {value} 格式不正确（1至36位字母、数字或 _ . : -）")
    return value


def text(max_length: int) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if len(value) > max_length:
            raise ValueError(f"不能超过{max_length}个字")
        if _UNSTORABLE.search(value):
            raise ValueError("内容不能包含控制字符")
        return value

    return parse


def choice(choices: Mapping[str, T], header: str) -> Callable[[str], T]:
    def parse(value: str) -> T:
        if value not in choices:
            raise ValueError(f"“{header}”须为：{'、'.join(choices)}")
        return choices[value]

    return parse


def yes_no(value: str) -> bool:
    if value not in (YES, NO):
        raise ValueError("请填“是”或“否”")
    return value == YES


def credit_code(value: str) -> str:
    value = value.upper()
    if (problem := credit_code_problem(value)) is not None:
        raise ValueError(problem)
    return value


def area_code(value: str) -> str:
    if (problem := area_code_problem(value)) is not None:
        raise ValueError(problem)
    return value


def industry(value: str) -> str:
    value = value.upper()
    if (problem := industry_problem(value)) is not None:
        raise ValueError(problem)
    return value


_DAY = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?: 00:00:00)?")


def day(value: str) -> date:
    """A Beijing day as a clerk types it (2026-03-01, 2026/3/1, 2026年3月1日) or Excel stores it."""
    match = _DAY.fullmatch(value)
    try:
        if match is None:
            raise ValueError
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise ValueError(f"日期 {value} 无法识别，请写成 2026-03-01 的形式") from None
