"""The organisation directory: units (a tree), people, posts and their 一岗双责 portfolios."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, computed_field
from pydantic_core import PydanticCustomError
from sqlalchemy import Boolean, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.hazard_api.db import Base
from services.hazard_api.fields import EntityId, Name, PersonName, ShortText
from shared.codes.national import credit_code_problem, industry_problem
from shared.contract import ChainRole, EnterpriseStatus, PostRole, UnitKind
from shared.db import UTCDateTime
from shared.labels import CHAIN_ROLE_LABELS, POST_ROLE_LABELS, label

ID = String(36)


class Unit(Base):
    """A county, township/street, village, department (安委成员单位) or enterprise."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("parent_id", "name"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(100))
    area_code: Mapped[str] = mapped_column(String(6))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("units.id"), index=True)
    # Denormalised for scoping: the township whose territory the unit lies in (itself for one).
    township_id: Mapped[str | None] = mapped_column(ForeignKey("units.id"), index=True)
    is_safety_office: Mapped[bool] = mapped_column(Boolean, default=False)
    # GB 32100 unified social credit code: enterprises' stable key in the county's spreadsheets.
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    industry_code: Mapped[str | None] = mapped_column(String(10), index=True)
    industry_name: Mapped[str | None] = mapped_column(String(100))
    territorial_unit_id: Mapped[str | None] = mapped_column(ForeignKey("units.id"), index=True)
    high_risk: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SupervisingDepartment(Base):
    """Department D supervises enterprise E (行业监管)."""

    __tablename__ = "supervising_departments"

    enterprise_id: Mapped[str] = mapped_column(
        ForeignKey("units.id", ondelete="CASCADE"), primary_key=True
    )
    department_id: Mapped[str] = mapped_column(
        ForeignKey("units.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class RegulatedIndustry(Base):
    """Department D supervises the industry with this GB/T 4754 code or prefix (管行业必须管安全):
    every enterprise of it is in D's scope and chain without an explicit link."""

    __tablename__ = "regulated_industries"

    department_id: Mapped[str] = mapped_column(
        ForeignKey("units.id", ondelete="CASCADE"), primary_key=True
    )
    industry_code: Mapped[str] = mapped_column(String(10), primary_key=True, index=True)


class Person(Base):
    __tablename__ = "people"
    # Unique within a unit, not county-wide: a county-wide key would tell a caller that a
    # number is registered somewhere outside their scope (409), and one person may be on the
    # books of two units.
    __table_args__ = (UniqueConstraint("unit_id", "mobile", name="uq_people_unit_id_mobile"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    # The unit that keeps this person's record (their employer); scopes who may see them.
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    mobile: Mapped[str | None] = mapped_column(String(11))
    email: Mapped[str | None] = mapped_column(String(254))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Post(Base):
    """Person P holds role R in unit U; no holder means the post is vacant."""

    __tablename__ = "posts"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"), index=True)
    role: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(100))
    holder_person_id: Mapped[str | None] = mapped_column(ForeignKey("people.id"), index=True)
    acting: Mapped[bool] = mapped_column(Boolean, default=False)
    # Who holds the post on a given Beijing day (see shared.contract.PostUpserted).
    acting_person_id: Mapped[str | None] = mapped_column(ForeignKey("people.id"), index=True)
    acting_from: Mapped[date | None] = mapped_column(Date)
    acting_until: Mapped[date | None] = mapped_column(Date)
    holder_from: Mapped[date | None] = mapped_column(Date)
    previous_holder_person_id: Mapped[str | None] = mapped_column(
        ForeignKey("people.id"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PortfolioUnit(Base):
    """A leadership post answers for this unit (一岗双责)."""

    __tablename__ = "portfolio_units"

    post_id: Mapped[str] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[str] = mapped_column(
        ForeignKey("units.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class PortfolioIndustry(Base):
    """A leadership post answers for an industry (a GB/T 4754 code prefix)."""

    __tablename__ = "portfolio_industries"

    post_id: Mapped[str] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    industry_code: Mapped[str] = mapped_column(String(10), primary_key=True)


Index("ix_portfolio_industries_code", PortfolioIndustry.industry_code)


# ---------------------------------------------------------------- field types (checked at the edge)
# GB/T 2260 province-level prefixes: a six-digit code must start with one of them.
_PROVINCE_PREFIXES = (
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 "
    "61 62 63 64 65 71 81 82"
)
_PROVINCES = frozenset(_PROVINCE_PREFIXES.split())
_AREA_CODE = re.compile(r"\d{6}")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


def _area_code(value: str) -> str:
    if not _AREA_CODE.fullmatch(value) or value[:2] not in _PROVINCES:
        raise PydanticCustomError("area_code", "行政区划代码须为6位数字（GB/T 2260），例如 430725")
    return value


def _mobile(value: str) -> str:
    value = value.strip().removeprefix("+86").replace("-", "").replace(" ", "")
    if not _MOBILE.fullmatch(value):
        raise PydanticCustomError("mobile", "手机号码须为11位大陆手机号，例如 13812345678")
    return value


def _email(value: str) -> str:
    if not _EMAIL.fullmatch(value.strip()) or not value.isprintable():
        raise PydanticCustomError("email", "电子邮箱格式不正确")
    return value.strip()


def _industry(value: str) -> str:
    value = value.strip().upper()
    if (problem := industry_problem(value)) is not None:
        raise PydanticCustomError("industry_code", problem)
    return value


def _credit_code(value: str) -> str:
    value = value.strip().upper()
    if (problem := credit_code_problem(value)) is not None:
        raise PydanticCustomError("credit_code", problem)
    return value


AreaCode = Annotated[
    str,
    AfterValidator(_area_code),
    WithJsonSchema({"type": "string", "pattern": rf"^({'|'.join(sorted(_PROVINCES))})\d{{4}}$"}),
]
Mobile = Annotated[str, AfterValidator(_mobile)]
Email = Annotated[str, Field(max_length=254), AfterValidator(_email)]
IndustryCode = Annotated[str, AfterValidator(_industry)]
CreditCode = Annotated[str, AfterValidator(_credit_code)]
LEADERSHIP_ROLES = frozenset(
    {PostRole.PRINCIPAL, PostRole.DEPUTY_SAFETY, PostRole.LEADERSHIP_MEMBER}
)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- units
class UnitIn(_In):
    kind: UnitKind
    name: Name
    area_code: AreaCode
    parent_id: EntityId | None = None
    is_safety_office: bool = False
    credit_code: CreditCode | None = None
    industry_code: IndustryCode | None = None
    industry_name: ShortText | None = None
    territorial_unit_id: EntityId | None = None
    supervising_department_ids: list[EntityId] = Field(default=[], max_length=20)
    high_risk: bool = False
    status: EnterpriseStatus | None = None
    regulated_industry_codes: list[IndustryCode] = Field(default=[], max_length=50)


class UnitPatch(_In):
    """Partial update: the merged state is validated again as a `UnitIn`."""

    name: Name | None = None
    area_code: AreaCode | None = None
    parent_id: EntityId | None = None
    is_safety_office: bool | None = None
    credit_code: CreditCode | None = None
    industry_code: IndustryCode | None = None
    industry_name: ShortText | None = None
    territorial_unit_id: EntityId | None = None
    supervising_department_ids: list[EntityId] | None = Field(default=None, max_length=20)
    high_risk: bool | None = None
    status: EnterpriseStatus | None = None
    regulated_industry_codes: list[IndustryCode] | None = Field(default=None, max_length=50)


class UnitOut(BaseModel):
    id: str
    kind: UnitKind
    name: str
    area_code: str
    parent_id: str | None
    township_id: str | None
    is_safety_office: bool
    credit_code: str | None
    industry_code: str | None
    industry_name: str | None
    territorial_unit_id: str | None
    supervising_department_ids: list[str]
    high_risk: bool
    status: EnterpriseStatus | None
    regulated_industry_codes: list[str]


# ---------------------------------------------------------------- people
class PersonIn(_In):
    unit_id: EntityId
    name: PersonName
    mobile: Mobile | None = None
    email: Email | None = None
    active: bool = True


class PersonPatch(_In):
    unit_id: EntityId | None = None
    name: PersonName | None = None
    mobile: Mobile | None = None
    email: Email | None = None
    active: bool | None = None


class PersonOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    unit_id: str
    name: str
    mobile: str | None
    email: str | None
    active: bool


# ---------------------------------------------------------------- posts
class PostIn(_In):
    unit_id: EntityId
    role: PostRole
    title: Name
    holder_person_id: EntityId | None = None
    acting: bool = False
    portfolio_unit_ids: list[EntityId] = Field(default=[], max_length=100)
    portfolio_industry_codes: list[IndustryCode] = Field(default=[], max_length=50)
    acting_person_id: EntityId | None = None
    acting_from: date | None = None
    acting_until: date | None = None
    holder_from: date | None = None
    previous_holder_person_id: EntityId | None = None


class PostPatch(_In):
    role: PostRole | None = None
    title: Name | None = None
    holder_person_id: EntityId | None = None
    acting: bool | None = None
    portfolio_unit_ids: list[EntityId] | None = Field(default=None, max_length=100)
    portfolio_industry_codes: list[IndustryCode] | None = Field(default=None, max_length=50)
    acting_person_id: EntityId | None = None
    acting_from: date | None = None
    acting_until: date | None = None
    holder_from: date | None = None
    previous_holder_person_id: EntityId | None = None


class PostOut(BaseModel):
    id: str
    unit_id: str
    role: PostRole
    title: str
    holder_person_id: str | None
    acting: bool
    portfolio_unit_ids: list[str]
    portfolio_industry_codes: list[str]
    acting_person_id: str | None
    acting_from: date | None
    acting_until: date | None
    holder_from: date | None
    previous_holder_person_id: str | None

    @computed_field(description="岗位类别（中文）")  # type: ignore[prop-decorator]
    @property
    def role_label(self) -> str:
        return label(POST_ROLE_LABELS, self.role)


# ---------------------------------------------------------------- responsibility chain
class ChainLink(BaseModel):
    role: ChainRole
    covering_for: ChainRole | None
    person_id: str
    person_name: str | None
    mobile: str | None
    post_id: str
    post_title: str | None
    unit_id: str
    unit_name: str | None
    acting: bool
    # Department-level roles: the supervising department this person answers for.
    department_id: str | None = None
    department_name: str | None = None

    @computed_field(description="责任链岗位（中文）")  # type: ignore[prop-decorator]
    @property
    def role_label(self) -> str:
        return label(CHAIN_ROLE_LABELS, self.role)

    @computed_field(description="代为承担的空缺岗位（中文），无则为空")  # type: ignore[prop-decorator]
    @property
    def covering_for_label(self) -> str:
        return label(CHAIN_ROLE_LABELS, self.covering_for)


class ChainOut(BaseModel):
    unit_id: str
    unit_name: str
    links: list[ChainLink]
