"""Accident class (事故等级) by 国务院令第493号 第三条, as a pure table.

Each criterion (deaths, serious injuries, direct loss) gives a class on its own; the worst one
decides. "以上" includes the number, "以下" does not: 3 deaths is 较大, 2 is 一般; ¥10,000,000
is 较大. People missing (失踪) count with the dead for the class unless the county configures
otherwise (HAZARD_API_ACCIDENT_MISSING_COUNT_AS_DEATHS).
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.contract import AccidentClass

C = AccidentClass

# class → (deaths at least, serious injuries at least, direct loss in yuan at least), worst first.
THRESHOLDS: dict[AccidentClass, tuple[int, int, int]] = {
    C.ESPECIALLY_MAJOR: (30, 100, 100_000_000),
    C.MAJOR: (10, 50, 50_000_000),
    C.LARGER: (3, 10, 10_000_000),
}
ORDER: tuple[AccidentClass, ...] = (C.GENERAL, C.LARGER, C.MAJOR, C.ESPECIALLY_MAJOR)

# Who investigates (第十九条): 特别重大 the State Council, 重大 the province, 较大 the city,
# 一般 the county.
INVESTIGATION_LEVEL: dict[AccidentClass, str] = {
    C.GENERAL: "county",
    C.LARGER: "city",
    C.MAJOR: "province",
    C.ESPECIALLY_MAJOR: "state_council",
}
INVESTIGATION_LEVEL_LABELS: dict[str, str] = {
    "county": "县级人民政府",
    "city": "设区的市级人民政府",
    "province": "省级人民政府",
    "state_council": "国务院或国务院授权的部门",
}


@dataclass(frozen=True)
class Casualties:
    deaths: int = 0
    missing: int = 0
    serious_injuries: int = 0
    direct_loss_yuan: int = 0


def _by(value: int, column: int) -> AccidentClass:
    for cls, floors in THRESHOLDS.items():
        if value >= floors[column]:
            return cls
    return C.GENERAL


def classify(c: Casualties, *, missing_count_as_deaths: bool = True) -> AccidentClass:
    """The class the worst criterion gives."""
    deaths = c.deaths + (c.missing if missing_count_as_deaths else 0)
    found = (_by(deaths, 0), _by(c.serious_injuries, 1), _by(c.direct_loss_yuan, 2))
    return max(found, key=ORDER.index)
