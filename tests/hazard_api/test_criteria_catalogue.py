"""The criteria catalogue against its sources: item numbers, GB/T 4754-2017 codes, versions."""

from __future__ import annotations

import pytest

from services.hazard_api.criteria.service import catalogue, catalogues
from services.hazard_api.directory.seed import load_demo
from shared.codes.industries import industry_name, is_industry_code

NUMERALS = [
    *["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"],
    *["十一", "十二", "十三", "十四", "十五", "十六", "十七", "十八", "十九", "二十"],
]


def _codes(version: int | None = None) -> set[str]:
    cat = catalogue(version)
    codes = {code for c in cat.industries for code in c.industry_codes}
    return codes | {code for c in cat.search() for code in c.industry_codes}


def test_every_industry_code_of_the_catalogue_in_force_is_a_gbt4754_2017_code() -> None:
    bad = sorted(code for code in _codes() if not is_industry_code(code))
    assert bad == []


def test_the_first_catalogue_had_codes_that_are_not_gbt4754_classes() -> None:
    # Version 1 is kept as published; the same check finds its G5940 (危险品仓储 is G594x).
    assert "G5940" in {code for code in _codes(1) if not is_industry_code(code)}


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("F5166", "化肥批发"),
        ("F5169", "其他化工产品批发"),
        ("F5265", "机动车燃油零售"),
        ("G594", "危险品仓储"),
        ("B06", "煤炭开采和洗选业"),
        ("C", "制造业"),
    ],
)
def test_industry_names(code: str, name: str) -> None:
    assert industry_name(code) == name


@pytest.mark.parametrize("code", ["G5940", "F51", "C06", "Z12", "c26", "C2", "C26145", ""])
def test_codes_that_are_not_gbt4754(code: str) -> None:
    # F51 is a division of section F in name only: divisions are two digits within the
    # section's range, so "F51" is valid but "C06" (a mining division under C) is not.
    if code == "F51":
        assert is_industry_code(code)
    else:
        assert not is_industry_code(code)


def test_121_items_are_numbered_as_the_document_numbers_them() -> None:
    cat = catalogue()
    items = [c for c in cat.search(industry="hazardous_chemicals")]
    assert [c.item for c in items] == NUMERALS
    assert "检测报警装置" in cat.get("HG-12").text  # type: ignore[union-attr]
    assert cat.get("HG-17").text == "未制定操作规程和工艺控制指标"  # type: ignore[union-attr]
    assert "安全阀" in cat.get("HG-15").text  # type: ignore[union-attr]
    assert "分区分类储存" in cat.get("HG-20").text  # type: ignore[union-attr]
    fireworks = cat.search(industry="fireworks")
    assert [c.item for c in fireworks] == NUMERALS[: len(fireworks)]


def test_fuel_retail_is_hazardous_chemicals_not_city_gas() -> None:
    cat = catalogue()
    industries = {c.industry for c in cat.search(industry_code="F5265") if not c.universal}
    assert industries == {"hazardous_chemicals"}
    assert {c.industry for c in cat.search(industry_code="F5166") if not c.universal} == {
        "hazardous_chemicals"
    }
    assert {c.industry for c in cat.search(industry_code="G5942") if not c.universal} == {
        "hazardous_chemicals"
    }


def test_every_criterion_carries_document_item_codes_and_verified_flag() -> None:
    for c in catalogue().search():
        assert c.document_number and c.item and (c.industry_codes or c.universal)
        assert c.catalogue_version == catalogue().version
    verified = [c for c in catalogue().search() if c.verified]
    assert {c.id for c in verified} >= {"HG-12", "HG-15", "HG-17", "HG-20"}


def test_a_published_version_still_reads_as_it_did() -> None:
    assert set(catalogues()) >= {1, 2}
    assert catalogue().version == max(catalogues())
    old = catalogue(1).get("HG-15")
    assert old is not None and "检测报警装置" in old.text and old.item == "第十五条"
    assert "安全阀" in catalogue(2).get("HG-15").text  # type: ignore[union-attr]


def test_every_demo_enterprise_gets_criteria_of_its_own_industry() -> None:
    cat = catalogue()
    for enterprise in load_demo().enterprises:
        code = enterprise.industry[0]
        assert is_industry_code(code), code
        assert industry_name(code) == enterprise.industry[1], code
        own = cat.search(industry_code=code)
        sector = [c for c in own if not c.universal]
        covered = any(
            code.startswith(prefix) for i in cat.industries for prefix in i.industry_codes
        )
        # An enterprise of an industry some sector standard covers gets that standard's items;
        # others (a supermarket) get the standards that apply to every industry (消防).
        assert sector if covered else own, (enterprise.id, code)
