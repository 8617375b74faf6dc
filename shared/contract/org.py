"""org.events: the directory (units, people, posts), accounts and the holiday calendar."""

from __future__ import annotations

from datetime import date

from pydantic import AwareDatetime, Field

from shared.contract.base import Payload
from shared.contract.vocabulary import EnterpriseStatus, PostRole, UnitKind


class UnitUpserted(Payload):
    """Full state of a unit after a change (org.unit_upserted)."""

    unit_id: str
    kind: UnitKind
    name: str
    area_code: str
    parent_id: str | None = None
    is_safety_office: bool = False  # the 县安委办 (seated in 应急管理局)
    credit_code: str | None = None  # enterprises: GB 32100 unified social credit code
    industry_code: str | None = None
    industry_name: str | None = None
    territorial_unit_id: str | None = None
    supervising_department_ids: list[str] = []
    high_risk: bool = False
    status: EnterpriseStatus | None = None
    # A department supervises the industries it answers for (管行业必须管安全): GB/T 4754
    # codes or prefixes ("C26" covers "C2661"); an enterprise of one is in its scope and chain
    # without an explicit link. Added in #12; the default keeps older events parsing.
    regulated_industry_codes: list[str] = []


class PersonUpserted(Payload):
    person_id: str
    name: str
    mobile: str | None = None
    email: str | None = None
    active: bool = True


class PostUpserted(Payload):
    """A post: `holder_person_id` None means vacant; `acting` marks an acting holder (代理).

    Who holds it on a given (Beijing) day, added in #12 with defaults so older events parse:
    - `acting_person_id` stands in (代理) from `acting_from` to `acting_until`, both days
      included, an open end meaning "until further notice";
    - `holder_from` is the handover date: before it `previous_holder_person_id` (None: vacant)
      still holds the post, from it `holder_person_id`.
    """

    post_id: str
    unit_id: str
    role: PostRole
    title: str
    holder_person_id: str | None = None
    acting: bool = False
    portfolio_unit_ids: list[str] = []
    portfolio_industry_codes: list[str] = []
    acting_person_id: str | None = None
    acting_from: date | None = None
    acting_until: date | None = None
    holder_from: date | None = None
    previous_holder_person_id: str | None = None


class PostRemoved(Payload):
    post_id: str
    unit_id: str


class AccountChanged(Payload):
    """A login account was locked, unlocked, deleted or had its password changed
    (org.account_changed, key = user id): every service refuses the account's tokens while
    `active` is false, and tokens issued before `tokens_valid_from` always."""

    user_id: str
    active: bool
    tokens_valid_from: AwareDatetime | None = None


class CalendarScheduleLoaded(Payload):
    """A year's official holiday schedule (国务院办公厅放假安排) was loaded or replaced
    (org.calendar_schedule_loaded, key = `calendar:<year>`): every service uses it from now
    on, in place of the packaged data or the estimate. A higher `version` replaces a lower."""

    year: int = Field(ge=2000, le=2100)
    version: int = Field(ge=1)
    holidays: list[date]  # 放假日期
    workdays: list[date] = []  # 调休上班日期
    notice_no: str = Field(min_length=1, max_length=100)  # e.g. 国办发明电〔2026〕12号
    loaded_by: str  # the user id of whoever loaded it
    loaded_at: AwareDatetime
