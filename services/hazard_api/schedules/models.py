"""The official holiday schedule of a year (国务院办公厅关于某年部分节假日安排的通知), as loaded
by the county office: every version is kept, with who loaded it and when."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field
from sqlalchemy import JSON, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.hazard_api.db import Base
from shared.db import UTCDateTime
from shared.labels import beijing_time


class HolidaySchedule(Base):
    """One loaded version of a year's schedule; the newest version of a year is in force."""

    __tablename__ = "holiday_schedules"
    __table_args__ = (UniqueConstraint("year", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    version: Mapped[int] = mapped_column(Integer)
    holidays: Mapped[list[str]] = mapped_column(JSON)  # ISO dates, sorted
    workdays: Mapped[list[str]] = mapped_column(JSON)  # 调休上班 ISO dates, sorted
    notice_no: Mapped[str] = mapped_column(String(100))  # 国办发明电〔2026〕X号
    loaded_by_user_id: Mapped[str] = mapped_column(String(36))
    loaded_by_username: Mapped[str] = mapped_column(String(50))
    loaded_via: Mapped[str] = mapped_column(String(10))  # api / cli
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # a newer version came


class ScheduleIn(BaseModel):
    """A year's schedule as the State Council publishes it (the API's body, the CLI's file)."""

    model_config = ConfigDict(extra="forbid")

    year: int | None = Field(
        default=None, description="年份；在 API 中可省略（以路径为准），填写时须与路径一致"
    )
    notice_no: str = Field(
        min_length=1, max_length=100, description="通知文号，如 国办发明电〔2026〕12号"
    )
    holidays: list[date] = Field(
        min_length=1, max_length=366, description="放假日期（含放假期间的周末）"
    )
    workdays: list[date] = Field(
        default_factory=list, max_length=366, description="调休上班日期（周末）"
    )


Source = Literal["loaded", "packaged", "estimated"]
SOURCE_LABELS: dict[str, str] = {
    "loaded": "已导入国务院办公厅通知",
    "packaged": "系统内置的法定节假日数据",
    "estimated": "预计（国务院办公厅尚未发布或尚未导入，按法定节日估算）",
}


class ScheduleOut(BaseModel):
    year: int
    provisional: bool = Field(description="是否为预计安排（尚无正式放假安排）")
    source: Source
    holidays: list[date] = Field(description="工作日（周一至周五）中放假的日期")
    workdays: list[date] = Field(description="周末中调休上班的日期")
    notice_no: str | None = None
    version: int | None = None
    loaded_by_username: str | None = None
    loaded_via: str | None = None
    loaded_at: datetime | None = None
    recomputed_hazards: int | None = Field(
        default=None, description="本次导入后调整整改期限的隐患数"
    )

    @computed_field(description="数据来源（中文）")  # type: ignore[prop-decorator]
    @property
    def source_label(self) -> str:
        return SOURCE_LABELS[self.source]

    @computed_field(description="导入时间（北京时间）")  # type: ignore[prop-decorator]
    @property
    def loaded_at_label(self) -> str | None:
        return beijing_time(self.loaded_at) if self.loaded_at is not None else None
