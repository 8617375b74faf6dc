"""The directory's API shapes (in, patch, out) and the field types they check at the edge."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, computed_field
from pydantic_core import PydanticCustomError

from services.hazard_api.fields import EntityId, Name, PersonName, ShortText
from shared.codes.national import credit_code_problem, industry_problem
from shared.contract import ChainRole, EnterpriseStatus, PostRole, UnitKind
from shared.labels import CHAIN_ROLE_LABELS, POST_ROLE_LABELS, label

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
