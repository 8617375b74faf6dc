"""Checks a directory spreadsheet against itself and the directory already stored, all of it
before anything is written; answers the rows to write or every problem (sheet, row, column,
Chinese message) a clerk must fix. Pure: the database is read once into a `Snapshot`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple, TypeVar

from pydantic_core import PydanticCustomError

from services.hazard_api.directory.codes import (
    area_code_problem,
    credit_code_problem,
    industry_problem,
)
from services.hazard_api.directory.models import LEADERSHIP_ROLES, _email, _mobile
from services.hazard_api.directory.service import PARENT_KINDS
from services.hazard_api.directory.workbook import (
    ENTERPRISES,
    NO,
    PEOPLE,
    PORTFOLIOS,
    POSTS,
    SUPERVISION,
    UNITS,
    YES,
    Problem,
    ReadSheets,
    Sheet,
    SheetRow,
)
from shared.contract import EnterpriseStatus, PostRole, UnitKind
from shared.labels import ENTERPRISE_STATUS_LABELS, POST_ROLE_LABELS, UNIT_KIND_LABELS


class UnitRow(NamedTuple):
    id: str
    kind: str
    name: str
    area_code: str
    parent_id: str | None
    is_safety_office: bool
    credit_code: str | None
    industry_code: str | None
    industry_name: str | None
    territorial_unit_id: str | None
    high_risk: bool
    status: str | None
    departments: tuple[str, ...]  # sorted ids of the supervising departments (enterprises)


class PersonRow(NamedTuple):
    id: str
    unit_id: str
    name: str
    mobile: str | None
    email: str | None
    active: bool


class PostRow(NamedTuple):
    id: str
    unit_id: str
    role: str
    title: str
    holder_person_id: str | None
    acting: bool
    portfolio_units: tuple[str, ...]  # sorted
    portfolio_industries: tuple[str, ...]  # sorted


@dataclass
class Snapshot:
    """The stored directory, as rows comparable with the file's."""

    units: dict[str, UnitRow] = field(default_factory=dict)
    townships: dict[str, str | None] = field(default_factory=dict)
    people: dict[str, PersonRow] = field(default_factory=dict)
    posts: dict[str, PostRow] = field(default_factory=dict)


@dataclass
class Plan:
    """The full new state of every entity the file names, and every unit's township."""

    units: dict[str, UnitRow] = field(default_factory=dict)
    people: dict[str, PersonRow] = field(default_factory=dict)
    posts: dict[str, PostRow] = field(default_factory=dict)
    townships: dict[str, str | None] = field(default_factory=dict)


# Parents before children: inserting in this order satisfies every foreign key row by row.
KIND_ORDER = {
    UnitKind.COUNTY: 0,
    UnitKind.TOWNSHIP: 1,
    UnitKind.DEPARTMENT: 1,
    UnitKind.VILLAGE: 2,
    UnitKind.ENTERPRISE: 3,
}
_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-")
_KINDS_BY_LABEL = {label: UnitKind(kind) for kind, label in UNIT_KIND_LABELS.items()}
_ROLES_BY_LABEL = {label: PostRole(role) for role, label in POST_ROLE_LABELS.items()}
_STATUS_BY_LABEL = {label: EnterpriseStatus(s) for s, label in ENTERPRISE_STATUS_LABELS.items()}
T = TypeVar("T")


class _Invalid(Exception):
    """One cell is wrong; the row's other cells are still checked."""


class _Checker:
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

    def fields(
        self, sheet: Sheet, row: SheetRow, **parsers: tuple[Callable[[str], object], bool]
    ) -> dict[str, object] | None:
        """Every cell of a row parsed; None (each problem recorded) when one is wrong."""
        out: dict[str, object] = {}
        ok = True
        for key, (parse, required) in parsers.items():
            try:
                out[key] = self.cell(sheet, row, key, parse, required=required)
            except _Invalid:
                ok = False
        return out if ok else None

    # ------------------------------------------------------------------ the file
    def run(self) -> tuple[Plan, list[Problem]]:
        self.read_units()
        self.read_enterprises()
        final_units = {**self.current.units, **self.plan.units}
        self.apply_supervision(final_units)
        final_units = {**self.current.units, **self.plan.units}
        self.check_unit_references(final_units)
        self.read_people(final_units)
        final_people = {**self.current.people, **self.plan.people}
        self.check_mobiles(final_people)
        self.read_posts(final_units, final_people)
        self.apply_portfolios(final_units)
        self.plan.townships = townships(final_units)
        return self.plan, self.problems

    def claim_unit(self, sheet: Sheet, row: SheetRow, key: str, unit_id: str) -> bool:
        earlier = self.unit_rows.get(unit_id)
        if earlier is not None:
            where = (
                f"第{earlier[1]}行"
                if earlier[0] == sheet.title
                else f"“{earlier[0]}”表第{earlier[1]}行"
            )
            self.problem(sheet, row, key, f"单位编码 {unit_id} 与{where}重复")
            return False
        self.unit_rows[unit_id] = (sheet.title, row.number)
        self.units_row_of[unit_id] = row
        return True

    def read_units(self) -> None:
        for row in self.sheets.rows.get(UNITS.key, []):
            values = self.fields(
                UNITS,
                row,
                id=(_entity_id, True),
                name=(_text(100), True),
                kind=(_choice(_KINDS_BY_LABEL, "单位类别"), True),
                parent_id=(_entity_id, False),
                area_code=(_area_code, False),
                is_safety_office=(_yes_no, False),
            )
            unit_id = row.values.get("id")
            if unit_id is None or not self.claim_unit(UNITS, row, "id", unit_id) or values is None:
                continue
            kind = values["kind"]
            if kind == UnitKind.ENTERPRISE:
                self.problem(UNITS, row, "kind", "企业请填写在“企业”表")
                continue
            self.plan.units[unit_id] = UnitRow(
                id=unit_id,
                kind=str(kind),
                name=str(values["name"]),
                area_code=str(values["area_code"] or ""),
                parent_id=_opt(values["parent_id"]),
                is_safety_office=bool(values["is_safety_office"]),
                credit_code=None,
                industry_code=None,
                industry_name=None,
                territorial_unit_id=None,
                high_risk=False,
                status=None,
                departments=(),
            )

    def read_enterprises(self) -> None:
        by_credit = {u.credit_code: u.id for u in self.current.units.values() if u.credit_code}
        for row in self.sheets.rows.get(ENTERPRISES.key, []):
            values = self.fields(
                ENTERPRISES,
                row,
                id=(_entity_id, False),
                credit_code=(_credit_code, False),
                name=(_text(100), True),
                territorial_unit_id=(_entity_id, True),
                area_code=(_area_code, False),
                industry_code=(_industry, True),
                industry_name=(_text(100), False),
                high_risk=(_yes_no, False),
                status=(_choice(_STATUS_BY_LABEL, "经营状态"), False),
            )
            credit = row.values.get("credit_code")
            credit = credit.upper() if credit else None
            unit_id = row.values.get("id") or (by_credit.get(credit) if credit else None) or credit
            if unit_id is None:
                self.problem(
                    ENTERPRISES, row, "credit_code", "单位编码和统一社会信用代码至少填写一项"
                )
                continue
            if not self.claim_unit(
                ENTERPRISES, row, "id" if row.values.get("id") else "credit_code", unit_id
            ):
                continue
            if credit is not None:
                if credit in self.credit_rows:
                    self.problem(
                        ENTERPRISES,
                        row,
                        "credit_code",
                        f"统一社会信用代码 {credit} 与第{self.credit_rows[credit]}行重复",
                    )
                    continue
                self.credit_rows[credit] = row.number
                holder = by_credit.get(credit)
                if holder is not None and holder != unit_id and holder not in self.units_row_of:
                    name = self.current.units[holder].name
                    self.problem(
                        ENTERPRISES,
                        row,
                        "credit_code",
                        f"统一社会信用代码 {credit} 已登记给企业「{name}」（编码 {holder}）",
                    )
                    continue
            if values is None:
                continue
            existing = self.current.units.get(unit_id)
            self.plan.units[unit_id] = UnitRow(
                id=unit_id,
                kind=UnitKind.ENTERPRISE.value,
                name=str(values["name"]),
                area_code=str(values["area_code"] or ""),
                parent_id=_opt(values["territorial_unit_id"]),
                is_safety_office=False,
                credit_code=credit,
                industry_code=_opt(values["industry_code"]),
                industry_name=_opt(values["industry_name"]),
                territorial_unit_id=_opt(values["territorial_unit_id"]),
                high_risk=bool(values["high_risk"]),
                status=str(values["status"] or EnterpriseStatus.OPERATING.value),
                departments=existing.departments if existing else (),
            )

    def apply_supervision(self, final_units: dict[str, UnitRow]) -> None:
        rows = self.sheets.rows.get(SUPERVISION.key)
        if rows is None:  # no such sheet: supervision is left as it is
            return
        by_credit = {u.credit_code: u.id for u in final_units.values() if u.credit_code}
        wanted: dict[str, set[str]] = {
            uid: set() for uid, u in self.plan.units.items() if u.kind == UnitKind.ENTERPRISE
        }
        for row in rows:
            code = row.values.get("enterprise_id")
            department = row.values.get("department_id")
            enterprise_id = None
            if code is None:
                self.problem(SUPERVISION, row, "enterprise_id", "“企业编码”为必填项")
            else:
                enterprise_id = code if code in final_units else by_credit.get(code.upper())
                if enterprise_id is None:
                    if code not in self.unit_rows:
                        self.problem(
                            SUPERVISION,
                            row,
                            "enterprise_id",
                            f"企业编码 {code} 不存在（本文件和目录中都没有）",
                        )
                elif final_units[enterprise_id].kind != UnitKind.ENTERPRISE:
                    self.problem(SUPERVISION, row, "enterprise_id", f"{code} 不是企业")
                    enterprise_id = None
            if department is None:
                self.problem(SUPERVISION, row, "department_id", "“监管部门编码”为必填项")
                continue
            unit = final_units.get(department)
            if unit is None:
                if department not in self.unit_rows:
                    self.problem(
                        SUPERVISION,
                        row,
                        "department_id",
                        f"监管部门编码 {department} 不存在（本文件和目录中都没有）",
                    )
                continue
            if unit.kind != UnitKind.DEPARTMENT:
                self.problem(
                    SUPERVISION,
                    row,
                    "department_id",
                    f"{department}（{unit.name}）不是部门，不能监管企业",
                )
                continue
            if enterprise_id is not None:
                wanted.setdefault(enterprise_id, set()).add(department)
        for enterprise_id, departments in wanted.items():
            unit = self.plan.units.get(enterprise_id) or self.current.units[enterprise_id]
            self.plan.units[enterprise_id] = unit._replace(departments=tuple(sorted(departments)))

    def check_unit_references(self, final_units: dict[str, UnitRow]) -> None:
        counties = [u for u in final_units.values() if u.kind == UnitKind.COUNTY]
        county = counties[0] if len(counties) == 1 else None
        offices = [u.id for u in final_units.values() if u.is_safety_office]
        names: dict[tuple[str | None, str], list[str]] = defaultdict(list)
        for each in final_units.values():
            names[(each.parent_id, each.name)].append(each.id)
        for unit_id, row in self.units_row_of.items():
            unit = self.plan.units.get(unit_id)
            if unit is None:
                continue
            sheet = ENTERPRISES if unit.kind == UnitKind.ENTERPRISE else UNITS
            parent_key = "territorial_unit_id" if sheet is ENTERPRISES else "parent_id"
            before = self.current.units.get(unit_id)
            if before is not None and before.kind != unit.kind:
                label = UNIT_KIND_LABELS[UnitKind(before.kind)]
                self.problem(
                    sheet,
                    row,
                    "kind" if sheet is UNITS else "id",
                    f"单位类别不能更改（目录中为{label}）",
                )
            if unit.kind == UnitKind.COUNTY and len(counties) > 1:
                self.problem(sheet, row, "kind", "目录中只能有一个县")
            self.check_parent(sheet, row, parent_key, unit, final_units)
            self.check_area(sheet, row, unit, county)
            if unit.is_safety_office:
                if unit.kind != UnitKind.DEPARTMENT:
                    self.problem(sheet, row, "is_safety_office", "只有部门可以作为县安委办")
                elif len(offices) > 1:
                    other = next(o for o in offices if o != unit_id)
                    self.problem(
                        sheet,
                        row,
                        "is_safety_office",
                        f"县安委办只能有一个（{other} 也标为县安委办）",
                    )
            twins = [u for u in names[(unit.parent_id, unit.name)] if u != unit_id]
            if twins:
                self.problem(
                    sheet,
                    row,
                    "name",
                    f"同一上级单位下已有同名单位「{unit.name}」（编码 {twins[0]}）",
                )

    def check_parent(
        self, sheet: Sheet, row: SheetRow, key: str, unit: UnitRow, final_units: dict[str, UnitRow]
    ) -> None:
        allowed = PARENT_KINDS[UnitKind(unit.kind)]
        if not allowed:
            if unit.parent_id is not None:
                self.problem(sheet, row, key, "县不填上级单位")
            return
        if unit.parent_id is None:
            self.problem(sheet, row, key, f"“{sheet.header_of(key)}”为必填项")
            return
        parent = final_units.get(unit.parent_id)
        wanted = "或".join(UNIT_KIND_LABELS[k] for k in sorted(allowed, key=KIND_ORDER.__getitem__))
        if parent is None:
            if unit.parent_id not in self.unit_rows:  # a row with its own problem otherwise
                self.problem(
                    sheet, row, key, f"{unit.parent_id} 不存在：请先在“单位”表中填写该{wanted}"
                )
        elif UnitKind(parent.kind) not in allowed:
            self.problem(sheet, row, key, f"{unit.parent_id}（{parent.name}）不是{wanted}")

    def check_area(
        self, sheet: Sheet, row: SheetRow, unit: UnitRow, county: UnitRow | None
    ) -> None:
        if unit.kind == UnitKind.COUNTY:
            if not unit.area_code:
                self.problem(sheet, row, "area_code", "县须填写行政区划代码（GB/T 2260）")
            return
        if county is None:
            self.problem(
                sheet,
                row,
                "parent_id" if sheet is UNITS else "territorial_unit_id",
                "目录中还没有县：请在“单位”表中填写县",
            )
            return
        if not unit.area_code:
            self.plan.units[unit.id] = unit._replace(area_code=county.area_code)
        elif county.area_code and unit.area_code != county.area_code:
            self.problem(
                sheet,
                row,
                "area_code",
                f"行政区划代码 {unit.area_code} 不属于本县"
                f"（{county.name}的代码为 {county.area_code}）",
            )

    def read_people(self, final_units: dict[str, UnitRow]) -> None:
        for row in self.sheets.rows.get(PEOPLE.key, []):
            values = self.fields(
                PEOPLE,
                row,
                id=(_entity_id, True),
                name=(_text(50), True),
                unit_id=(_entity_id, True),
                mobile=(_mobile, False),
                email=(_email, False),
                active=(_yes_no, False),
            )
            person_id = row.values.get("id")
            if person_id is not None:
                earlier = self.person_rows.get(person_id)
                if earlier is not None:
                    self.problem(
                        PEOPLE, row, "id", f"人员编码 {person_id} 与第{earlier.number}行重复"
                    )
                    continue
                self.person_rows[person_id] = row
            if values is None or person_id is None:
                continue
            unit_id = str(values["unit_id"])
            if unit_id not in final_units:
                if unit_id not in self.unit_rows:
                    self.problem(
                        PEOPLE,
                        row,
                        "unit_id",
                        f"所在单位编码 {unit_id} 不存在（本文件和目录中都没有）",
                    )
                continue
            active = values["active"]
            self.plan.people[person_id] = PersonRow(
                id=person_id,
                unit_id=unit_id,
                name=str(values["name"]),
                mobile=_opt(values["mobile"]),
                email=_opt(values["email"]),
                active=True if active is None else bool(active),
            )

    def check_mobiles(self, final_people: dict[str, PersonRow]) -> None:
        holders: dict[str, list[str]] = defaultdict(list)
        for person in final_people.values():
            if person.mobile:
                holders[person.mobile].append(person.id)
        for person in self.plan.people.values():
            if not person.mobile or len(holders[person.mobile]) < 2:
                continue
            row = self.person_rows[person.id]
            # Named once, on the later row: the first holder (earlier, or stored) keeps it.
            others = [
                p
                for p in holders[person.mobile]
                if p != person.id
                and (p not in self.person_rows or self.person_rows[p].number < row.number)
            ]
            if others:
                other = others[0]
                where = self.person_rows.get(other)
                name = final_people[other].name
                said = f"第{where.number}行的" if where else "目录中的"
                self.problem(
                    PEOPLE,
                    row,
                    "mobile",
                    f"手机号码 {person.mobile} 与{said}「{name}」（编码 {other}）重复",
                )

    def read_posts(
        self, final_units: dict[str, UnitRow], final_people: dict[str, PersonRow]
    ) -> None:
        for row in self.sheets.rows.get(POSTS.key, []):
            values = self.fields(
                POSTS,
                row,
                id=(_entity_id, True),
                unit_id=(_entity_id, True),
                role=(_choice(_ROLES_BY_LABEL, "岗位类别"), True),
                title=(_text(100), True),
                holder_person_id=(_entity_id, False),
                acting=(_yes_no, False),
            )
            post_id = row.values.get("id")
            holder = row.values.get("holder_person_id")
            if post_id is not None:
                earlier = self.post_rows.get(post_id)
                if earlier is not None:
                    if earlier[2] != holder and earlier[2] and holder:
                        message = (
                            f"岗位 {post_id} 已在第{earlier[1]}行由人员 {earlier[2]} 担任："
                            "一个岗位只能由一人担任（代理的也只填代理人）"
                        )
                    else:
                        message = f"岗位编码 {post_id} 与第{earlier[1]}行重复"
                    self.problem(POSTS, row, "holder_person_id" if holder else "id", message)
                    continue
                self.post_rows[post_id] = (POSTS.title, row.number, holder)
            if values is None or post_id is None:
                continue
            ok = True
            unit_id = str(values["unit_id"])
            if unit_id not in final_units:
                ok = False
                if unit_id not in self.unit_rows:
                    self.problem(
                        POSTS, row, "unit_id", f"单位编码 {unit_id} 不存在（本文件和目录中都没有）"
                    )
            if holder is not None and holder not in final_people:
                ok = False
                if holder not in self.person_rows:
                    self.problem(
                        POSTS,
                        row,
                        "holder_person_id",
                        f"任职人员编码 {holder} 不存在：请先在“人员”表中填写",
                    )
            if values["acting"] and holder is None:
                ok = False
                self.problem(POSTS, row, "acting", "空缺岗位不能标记为代理")
            if not ok:
                continue
            existing = self.current.posts.get(post_id)
            self.plan.posts[post_id] = PostRow(
                id=post_id,
                unit_id=unit_id,
                role=str(values["role"]),
                title=str(values["title"]),
                holder_person_id=holder,
                acting=bool(values["acting"]),
                portfolio_units=existing.portfolio_units if existing else (),
                portfolio_industries=existing.portfolio_industries if existing else (),
            )

    def apply_portfolios(self, final_units: dict[str, UnitRow]) -> None:
        rows = self.sheets.rows.get(PORTFOLIOS.key)
        final_posts = {**self.current.posts, **self.plan.posts}
        wanted: dict[str, tuple[set[str], set[str]]] = {}
        if rows is not None:  # no such sheet: portfolios are left as they are
            wanted = {post_id: (set(), set()) for post_id in self.plan.posts}
        for row in rows or []:
            post_id = row.values.get("post_id")
            unit_id = row.values.get("unit_id")
            industry = row.values.get("industry_code")
            if post_id is None:
                self.problem(PORTFOLIOS, row, "post_id", "“岗位编码”为必填项")
            elif post_id not in final_posts:
                if post_id not in self.post_rows:
                    self.problem(
                        PORTFOLIOS,
                        row,
                        "post_id",
                        f"岗位编码 {post_id} 不存在（本文件和目录中都没有）",
                    )
                post_id = None
            elif PostRole(final_posts[post_id].role) not in LEADERSHIP_ROLES:
                role = POST_ROLE_LABELS[final_posts[post_id].role]
                self.problem(
                    PORTFOLIOS,
                    row,
                    "post_id",
                    f"岗位 {post_id} 是{role}，只有领导岗位可以设置分管范围（一岗双责）",
                )
                post_id = None
            if (unit_id is None) == (industry is None):
                self.problem(
                    PORTFOLIOS, row, "unit_id", "“分管单位编码”和“分管行业代码”须填且只填一项"
                )
                continue
            if unit_id is not None and unit_id not in final_units:
                if unit_id not in self.unit_rows:
                    self.problem(
                        PORTFOLIOS,
                        row,
                        "unit_id",
                        f"分管单位编码 {unit_id} 不存在（本文件和目录中都没有）",
                    )
                continue
            if industry is not None:
                industry = industry.upper()
                if (problem := industry_problem(industry)) is not None:
                    self.problem(PORTFOLIOS, row, "industry_code", problem)
                    continue
            if post_id is not None:
                units, industries = wanted.setdefault(post_id, (set(), set()))
                if unit_id is not None:
                    units.add(unit_id)
                if industry is not None:
                    industries.add(industry)
        for post_id, (units, industries) in wanted.items():
            post = final_posts[post_id]
            self.plan.posts[post_id] = post._replace(
                portfolio_units=tuple(sorted(units)), portfolio_industries=tuple(sorted(industries))
            )


def townships(units: dict[str, UnitRow]) -> dict[str, str | None]:
    """Each unit's township (itself for one; None for the county and its departments)."""
    out: dict[str, str | None] = {}
    for unit in sorted(units.values(), key=lambda u: KIND_ORDER[UnitKind(u.kind)]):
        if unit.kind == UnitKind.TOWNSHIP:
            out[unit.id] = unit.id
        else:
            out[unit.id] = out.get(unit.parent_id) if unit.parent_id else None
    return out


def check(sheets: ReadSheets, current: Snapshot) -> tuple[Plan, list[Problem]]:
    return _Checker(sheets, current).run()


# ----------------------------------------------------------------------------- cell parsers
def _opt(value: object) -> str | None:
    return None if value is None else str(value)


def _entity_id(value: str) -> str:
    if not (1 <= len(value) <= 36) or not set(value) <= _ID_CHARS:
        raise ValueError(f"编码 {value} 格式不正确（1至36位字母、数字或 _ . : -）")
    return value


def _text(max_length: int) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if len(value) > max_length:
            raise ValueError(f"不能超过{max_length}个字")
        if any(ord(ch) < 0x20 or ch == "\x7f" or "\ud800" <= ch <= "\udfff" for ch in value):
            raise ValueError("内容不能包含控制字符")
        return value

    return parse


def _choice(choices: Mapping[str, T], header: str) -> Callable[[str], T]:
    def parse(value: str) -> T:
        if value not in choices:
            raise ValueError(f"“{header}”须为：{'、'.join(choices)}")
        return choices[value]

    return parse


def _yes_no(value: str) -> bool:
    if value not in (YES, NO):
        raise ValueError("请填“是”或“否”")
    return value == YES


def _credit_code(value: str) -> str:
    value = value.upper()
    if (problem := credit_code_problem(value)) is not None:
        raise ValueError(problem)
    return value


def _area_code(value: str) -> str:
    if (problem := area_code_problem(value)) is not None:
        raise ValueError(problem)
    return value


def _industry(value: str) -> str:
    value = value.upper()
    if (problem := industry_problem(value)) is not None:
        raise ValueError(problem)
    return value
