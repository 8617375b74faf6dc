"""Login accounts (users), their roles and token schemas."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.hazard_api.auth.passwords import MAX_LENGTH, MIN_LENGTH
from services.hazard_api.db import Base
from services.hazard_api.fields import EntityId
from shared.db import UTCDateTime


class UserRole(StrEnum):
    COUNTY_OFFICE = "county_office"  # 县安委办: sees everything
    DEPARTMENT = "department"  # 安委成员单位: the enterprises it supervises
    TOWNSHIP = "township"  # 乡镇（街道）: its territory
    ENTERPRISE = "enterprise"  # 生产经营单位: itself
    LEADER = "leader"  # 县领导等: what their posts and portfolios cover
    INTEGRATION = "integration"  # 对接系统: scoped tokens


USER_ROLE_LABELS: dict[str, str] = {
    UserRole.COUNTY_OFFICE: "县安委办",
    UserRole.DEPARTMENT: "安委会成员单位",
    UserRole.TOWNSHIP: "乡镇（街道）",
    UserRole.ENTERPRISE: "生产经营单位",
    UserRole.LEADER: "县领导",
    UserRole.INTEGRATION: "对接系统",
}


class Scope(StrEnum):
    """Token scopes an integration client may be granted (humans are limited by role)."""

    DIRECTORY_READ = "directory:read"
    HAZARDS_READ = "hazards:read"
    HAZARDS_WRITE = "hazards:write"
    ACCIDENTS_READ = "accidents:read"
    ACCIDENTS_WRITE = "accidents:write"
    DELIVERIES_READ = "deliveries:read"  # notification's delivery log (proof of who was told)
    LISTING_EXTERNAL = "listing:external"  # 报送通道: city/province listing decisions


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"), index=True)
    person_id: Mapped[str | None] = mapped_column(ForeignKey("people.id"), index=True)
    # Space-separated scopes an integration client may ask for (OAuth2 style).
    scopes: Mapped[str] = mapped_column(String(500), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Tokens issued before this moment are refused (set when the password changes or the
    # account is locked); every service learns it from `org.account_changed`.
    tokens_valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LoginFailure(Base):
    """Failed logins in the current window, per account (`account:<name>`) and per client
    address (`address:<ip>`): in the database so that every worker counts the same."""

    __tablename__ = "login_failures"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime())


Username = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_.\-]{3,50}$")
]


# Length only here; the rest of the policy (passwords.password_problem) needs the account.
Password = Annotated[str, StringConstraints(min_length=MIN_LENGTH, max_length=MAX_LENGTH)]


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Username
    password: Password
    role: UserRole
    unit_id: EntityId
    person_id: EntityId | None = None
    scopes: list[Scope] = Field(default=[], max_length=len(Scope))


class UserPatch(BaseModel):
    """What the county office changes on an account: lock it, reset its password, its scopes."""

    model_config = ConfigDict(extra="forbid")

    active: bool | None = None
    password: Password | None = None
    scopes: list[Scope] | None = Field(default=None, max_length=len(Scope))


class UserOut(BaseModel):
    id: str
    username: str
    role: UserRole
    unit_id: str
    person_id: str | None
    scopes: list[str]
    active: bool


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    scope: str = ""
