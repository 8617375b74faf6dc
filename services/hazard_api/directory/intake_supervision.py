"""Checks of the supervision sheet: which departments supervise which enterprises, one by one
or by industry (管行业必须管安全), against the units read from the file and the directory."""

from __future__ import annotations

from services.hazard_api.directory.cells import RowChecker, industry
from services.hazard_api.directory.rows import UnitRow
from services.hazard_api.directory.sheets import SUPERVISION
from services.hazard_api.directory.workbook import SheetRow
from shared.contract import UnitKind


class SupervisionChecks(RowChecker):
    def apply_supervision(self, final_units: dict[str, UnitRow]) -> None:
        """Departments supervise enterprises one by one or whole industries (管行业必须管安全)."""
        rows = self.sheets.rows.get(SUPERVISION.key)
        if rows is None:  # no such sheet: supervision is left as it is
            return
        by_credit = {u.credit_code: u.id for u in final_units.values() if u.credit_code}
        enterprises: dict[str, set[str]] = {}
        industries: dict[str, set[str]] = {}
        for uid, u in self.plan.units.items():
            if u.kind == UnitKind.ENTERPRISE:
                enterprises[uid] = set()
            elif u.kind == UnitKind.DEPARTMENT:
                industries[uid] = set()
        for row in rows:
            department = self.supervising_department(row, final_units)
            code = row.values.get("enterprise_id")
            industry_code = row.values.get("industry_code")
            if (code is None) == (industry_code is None):
                self.problem(
                    SUPERVISION, row, "enterprise_id", "“企业编码”和“监管行业代码”须填且只填一项"
                )
                continue
            if code is not None:
                enterprise_id = self.supervised_enterprise(row, code, final_units, by_credit)
                if enterprise_id is not None and department is not None:
                    enterprises.setdefault(enterprise_id, set()).add(department)
            elif industry_code is not None:
                try:
                    parsed = industry(industry_code)
                except ValueError as exc:
                    self.problem(SUPERVISION, row, "industry_code", str(exc))
                    continue
                if department is not None:
                    industries.setdefault(department, set()).add(parsed)
        for enterprise_id, departments in enterprises.items():
            unit = self.plan.units.get(enterprise_id) or self.current.units[enterprise_id]
            self.plan.units[enterprise_id] = unit._replace(departments=tuple(sorted(departments)))
        for department_id, codes in industries.items():
            unit = self.plan.units.get(department_id) or self.current.units[department_id]
            self.plan.units[department_id] = unit._replace(industries=tuple(sorted(codes)))

    def supervising_department(self, row: SheetRow, final_units: dict[str, UnitRow]) -> str | None:
        department = row.values.get("department_id")
        if department is None:
            self.problem(SUPERVISION, row, "department_id", "“监管部门编码”为必填项")
            return None
        unit = final_units.get(department)
        if unit is None:
            if department not in self.unit_rows:
                self.problem(
                    SUPERVISION,
                    row,
                    "department_id",
                    f"监管部门编码 {department} 不存在（本文件和目录中都没有）",
                )
            return None
        if unit.kind != UnitKind.DEPARTMENT:
            self.problem(
                SUPERVISION,
                row,
                "department_id",
                f"{department}（{unit.name}）不是部门，不能监管企业或行业",
            )
            return None
        return department

    def supervised_enterprise(
        self,
        row: SheetRow,
        code: str,
        final_units: dict[str, UnitRow],
        by_credit: dict[str, str],
    ) -> str | None:
        enterprise_id = code if code in final_units else by_credit.get(code.upper())
        if enterprise_id is None:
            if code not in self.unit_rows:
                self.problem(
                    SUPERVISION,
                    row,
                    "enterprise_id",
                    f"企业编码 {code} 不存在（本文件和目录中都没有）",
                )
            return None
        if final_units[enterprise_id].kind != UnitKind.ENTERPRISE:
            self.problem(SUPERVISION, row, "enterprise_id", f"{code} 不是企业")
            return None
        return enterprise_id
