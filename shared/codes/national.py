"""National codes a county's spreadsheets carry: GB 32100 unified social credit codes, GB/T 2260
area codes and GB/T 4754-2017 industry classes. Pure checks; each answers a Chinese problem or
None, so the API's fields and the spreadsheet import say the same thing."""

from __future__ import annotations

import re

from shared.codes.industries import SECTION_DIVISIONS

# GB 32100-2015: 31 characters (no I, O, S, V, Z) and the weights of positions 1-17.
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_VALUE = {c: i for i, c in enumerate(CREDIT_ALPHABET)}
_CREDIT_SHAPE = re.compile(rf"[{CREDIT_ALPHABET}]{{2}}\d{{6}}[{CREDIT_ALPHABET}]{{10}}")

# GB/T 2260: the first two digits name a province-level division.
_PROVINCE_PREFIXES = (
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 "
    "61 62 63 64 65 71 81 82"
)
PROVINCES = frozenset(_PROVINCE_PREFIXES.split())
_AREA_CODE = re.compile(r"\d{6}")

_INDUSTRY = re.compile(r"([A-T])(\d{2}(\d{1,2})?)?")

CREDIT_SHAPE_PROBLEM = "统一社会信用代码须为18位（数字或大写字母，不含 I、O、S、V、Z）"
AREA_CODE_PROBLEM = "行政区划代码须为6位数字（GB/T 2260），例如 430725"
INDUSTRY_PROBLEM = "行业代码须为 GB/T 4754 门类字母加2至4位数字，例如 C2671"


def credit_check_char(first17: str) -> str:
    """The 18th character of a unified social credit code (GB 32100-2015, 4.2)."""
    total = sum(_CREDIT_VALUE[c] * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def credit_code_problem(code: str) -> str | None:
    if not _CREDIT_SHAPE.fullmatch(code):
        return CREDIT_SHAPE_PROBLEM
    expected = credit_check_char(code[:17])
    if code[17] != expected:
        return f"统一社会信用代码校验位错误：按 GB 32100 第18位应为 {expected}，请核对"
    return None


def area_code_problem(code: str) -> str | None:
    if not _AREA_CODE.fullmatch(code) or code[:2] not in PROVINCES:
        return AREA_CODE_PROBLEM
    return None


def industry_problem(code: str) -> str | None:
    """Shape, and that a division belongs to its section (C26 yes, C51 no)."""
    match = _INDUSTRY.fullmatch(code)
    if match is None:
        return INDUSTRY_PROBLEM
    section, digits = match.group(1), match.group(2)
    if digits is not None:
        low, high = SECTION_DIVISIONS[section]
        if not low <= int(digits[:2]) <= high:
            return (
                f"行业代码 {code} 不存在：门类 {section} 的大类为 {low:02d}至{high:02d}"
                "（GB/T 4754-2017）"
            )
    return None
