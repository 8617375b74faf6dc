"""Checks a directory spreadsheet against itself and the directory already stored, all of it
before anything is written; answers the rows to write or every problem (sheet, row, column,
Chinese message) a clerk must fix. Pure: the database is read once into a `Snapshot`."""

from __future__ import annotations

from services.hazard_api.directory.intake_staff import StaffChecks
from services.hazard_api.directory.intake_supervision import SupervisionChecks
from services.hazard_api.directory.intake_units import UnitChecks
from services.hazard_api.directory.rows import Plan, Snapshot, townships
from services.hazard_api.directory.workbook import Problem, ReadSheets


class _Checker(UnitChecks, SupervisionChecks, StaffChecks):
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


def check(sheets: ReadSheets, current: Snapshot) -> tuple[Plan, list[Problem]]:
    return _Checker(sheets, current).run()
