"""GB/T 4754-2017 industry codes (国民经济行业分类): letter of the section, then 2–4 digits."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import yaml

_DATA = Path(__file__).with_name("gbt4754_2017.yaml")
_SHAPE = re.compile(r"^[A-T](\d{2}|\d{3}|\d{4})?$")
# Which section each division belongs to (the divisions are numbered through the sections).
SECTION_DIVISIONS = {
    "A": (1, 5), "B": (6, 12), "C": (13, 43), "D": (44, 46), "E": (47, 50), "F": (51, 52),
    "G": (53, 60), "H": (61, 62), "I": (63, 65), "J": (66, 69), "K": (70, 70), "L": (71, 72),
    "M": (73, 75), "N": (76, 79), "O": (80, 82), "P": (83, 83), "Q": (84, 85), "R": (86, 90),
    "S": (91, 96), "T": (97, 97),
}  # fmt: skip


@functools.cache
def _table() -> dict[str, dict[str, str]]:
    data: dict[str, dict[str, str]] = yaml.safe_load(_DATA.read_text(encoding="utf-8"))
    return data


def industry_name(code: str) -> str | None:
    """The official name of a section, division, group or class, or None if it is not one."""
    if not _SHAPE.match(code):
        return None
    section, digits = code[0], code[1:]
    table = _table()
    if not digits:
        return table["sections"].get(section)
    low, high = SECTION_DIVISIONS[section]
    if not low <= int(digits[:2]) <= high:
        return None
    level = {2: "divisions", 3: "groups", 4: "classes"}[len(digits)]
    return table[level].get(digits)


def is_industry_code(code: str) -> bool:
    return industry_name(code) is not None


def industry_label(code: str) -> str:
    """A code or a prefix as a person reads it: "C2672 焰火、鞭炮产品制造"; a prefix that is
    no level of the catalogue (C2), or a group or class the catalogue does not list yet, is
    named by its nearest listed parent: "C2（制造业中代码以C2开头的行业）", "C2679（属炸药、
    火工及焰火产品制造）"."""
    if name := industry_name(code):
        return f"{code} {name}"
    for end in range(len(code) - 1, 0, -1):
        if parent := industry_name(code[:end]):
            if len(code) == 5:  # a class: one industry, not a set of them
                return f"{code}（属{parent}）"
            return f"{code}（{parent}中代码以{code}开头的行业）"
    return code
