"""The organisation directory: units (a tree), people, posts and their 一岗双责 portfolios."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.hazard_api.db import Base
from shared.db import UTCDateTime

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
