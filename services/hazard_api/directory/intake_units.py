"""Checks of the units and enterprises sheets (the directory's tree); the supervision sheet's
are in intake_supervision."""

from __future__ import annotations

from collections import defaultdict

from services.hazard_api.directory.cells import (
    KINDS_BY_LABEL,
    STATUS_BY_LABEL,
    Parsers,
    RowChecker,
    area_code,
    choice,
    credit_code,
    entity_id,
    industry,
    opt,
    text,
    yes_no,
)
from services.hazard_api.directory.rows import KIND_ORDER, UnitRow
from services.hazard_api.directory.sheets import ENTERPRISES, UNITS, Sheet
from services.hazard_api.directory.tree import PARENT_KINDS
from services.hazard_api.directory.workbook import SheetRow
from shared.codes.industries import industry_name
from shared.contract import EnterpriseStatus, UnitKind
from shared.labels import UNIT_KIND_LABELS


class UnitChecks(RowChecker):
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
        cells: Parsers = {  # built once, not per row
            "id": (entity_id, True),
            "name": (text(100), True),
            "kind": (choice(KINDS_BY_LABEL, "单位类别"), True),
            "parent_id": (entity_id, False),
            "area_code": (area_code, False),
            "is_safety_office": (yes_no, False),
        }
        for row in self.sheets.rows.get(UNITS.key, []):
            values = self.fields(UNITS, row, cells)
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
                parent_id=opt(values["parent_id"]),
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
        cells: Parsers = {  # built once, not per row
            "id": (entity_id, False),
            "credit_code": (credit_code, False),
            "name": (text(100), True),
            "territorial_unit_id": (entity_id, True),
            "area_code": (area_code, False),
            "industry_code": (industry, True),
            "industry_name": (text(100), False),
            "high_risk": (yes_no, False),
            "status": (choice(STATUS_BY_LABEL, "经营状态"), False),
        }
        for row in self.sheets.rows.get(ENTERPRISES.key, []):
            values = self.fields(ENTERPRISES, row, cells)
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
                parent_id=opt(values["territorial_unit_id"]),
                is_safety_office=False,
                credit_code=credit,
                industry_code=opt(values["industry_code"]),
                # Left empty: the official name when the catalogue knows the class.
                industry_name=opt(values["industry_name"])
                or industry_name(str(values["industry_code"])),
                territorial_unit_id=opt(values["territorial_unit_id"]),
                high_risk=bool(values["high_risk"]),
                status=str(values["status"] or EnterpriseStatus.OPERATING.value),
                departments=existing.departments if existing else (),
            )

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
