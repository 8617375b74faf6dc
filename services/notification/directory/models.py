"""Read model of the organisation directory, built from `org.events`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.notification.db import Base


class DirUnit(Base):
    __tablename__ = "dir_units"

    unit_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class DirPerson(Base):
    __tablename__ = "dir_persons"

    person_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class DirPost(Base):
    __tablename__ = "dir_posts"

    post_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(100), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class ServiceState(Base):
    """Small key/value facts about this database (e.g. the read model's consumer epoch)."""

    __tablename__ = "service_state"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=0)
