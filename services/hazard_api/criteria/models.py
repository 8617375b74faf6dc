"""The major-hazard criteria catalogue (判定标准): one data file per industry."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Document(_Frozen):
    number: str = Field(min_length=1, max_length=100)  # 文号, e.g. 应急管理部令第10号
    title: str = Field(min_length=1, max_length=200)
    year: int = Field(ge=1990, le=2100)


class Criterion(_Frozen):
    id: str = Field(min_length=1, max_length=40, pattern=r"^[A-Z]{2}-[0-9A-Z.\-]+$")
    # The item or article as the document numbers it: 十二 (安监总管三〔2017〕121号 numbers its
    # items 一 … 二十), 第三条第（一）项 (a decree numbers articles).
    item: str = Field(min_length=1, max_length=50)
    text: str = Field(min_length=4, max_length=500)
    # Narrower than the standard's own industries when an item concerns only some of them.
    industry_codes: list[str] | None = None
    # The wording was checked against the document's published text.
    verified: bool = False


class IndustryCatalogue(_Frozen):
    """One data file: the criteria a standard sets for an industry."""

    industry: str = Field(pattern=r"^[a-z_]+$")
    name: str
    # GB/T 4754 code prefixes the standard applies to; `universal` applies to every industry.
    industry_codes: list[str] = []
    universal: bool = False
    document: Document
    criteria: list[Criterion] = Field(min_length=1)


class CatalogueVersion(_Frozen):
    version: int = Field(ge=1)
    published: date


class CriterionOut(BaseModel):
    id: str
    item: str
    text: str
    industry: str
    industry_name: str
    industry_codes: list[str]
    universal: bool
    document_number: str
    document_title: str
    verified: bool
    catalogue_version: int


class IndustryOut(BaseModel):
    industry: str
    name: str
    industry_codes: list[str]
    universal: bool
    document: Document
    count: int
    catalogue_version: int
