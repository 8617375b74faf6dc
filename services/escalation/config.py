"""Settings of the escalation service (environment prefix `ESCALATION_`)."""

from __future__ import annotations

import json
from datetime import time
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import Field, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from shared.settings import DubanSettings

DEFAULT_POLICIES_DIR = Path(__file__).parent / "policies"
CrashPoint = Literal["after_outbox_insert", "after_case_update"]


class Settings(DubanSettings):
    model_config = SettingsConfigDict(env_prefix="ESCALATION_", extra="ignore")

    service_name: str = "escalation"
    database_url: str = "sqlite+aiosqlite:///./var/escalation.db"
    http_port: int = 8001
    policies_dir: Path = DEFAULT_POLICIES_DIR
    # The accident clocks' policy (#15: lead points before the 2-hour upward report, the
    # investigation and the 批复 …); None: the one shipped in services/escalation/accidents/.
    accident_policy_file: Path | None = None
    # A step that is not `immediate` waits for these hours on a working day (Asia/Shanghai).
    working_hours_start: time = time(8, 30)
    working_hours_end: time = time(21, 0)
    # The key hazard_api signs its bearer tokens with (HAZARD_API_SECRET_KEY): /tasks accepts
    # those tokens. None: this service's own secret_key (one deployment key).
    bearer_key: str | None = None
    consumer_group: str = "escalation"
    consumer_session_timeout_ms: int = Field(default=10_000, ge=1000)
    run_consumer: bool = True
    run_relay: bool = True
    run_scheduler: bool = True
    run_auditor: bool = True
    scheduler_batch_size: int = Field(default=500, ge=1, le=10_000)
    scheduler_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    auditor_interval_seconds: float = Field(default=60.0, gt=0)
    auditor_batch_size: int = Field(default=5_000, ge=1)
    # A due step not fired this long after its time is an anomaly.
    auditor_overdue_seconds: float = Field(default=300.0, gt=0)
    # Statistics-report reminders (#12): days before each due date ("7,2"; empty: none), at
    # this Beijing time, moved to the working day before when that day is not one.
    run_report_reminders: bool = True
    report_remind_days: Annotated[list[int], NoDecode] = Field(default_factory=lambda: [7, 2])
    report_remind_time: time = time(9, 0)
    report_interval_seconds: float = Field(default=60.0, gt=0)
    # Test only: the scheduler process kills itself (SIGKILL) at this point of firing a step.
    test_crash_point: CrashPoint | None = None

    @field_validator("report_remind_days", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            if value.strip().startswith("["):  # the JSON list the configuration table shows
                return json.loads(value)
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("report_remind_days")
    @classmethod
    def _lead_days(cls, value: list[int]) -> list[int]:
        # Far under a year: the schedule looks at this year's and last year's reports only.
        wrong = [d for d in value if not 0 <= d <= 60]
        if wrong:
            raise ValueError(f"report reminder lead days must be 0..60, got {wrong}")
        return sorted(set(value), reverse=True)

    @model_validator(mode="after")
    def _working_hours(self) -> Self:
        if not self.working_hours_start < self.working_hours_end:
            raise ValueError("working_hours_start must be before working_hours_end")
        return self

    @model_validator(mode="after")
    def _crash_only_in_tests(self) -> Self:
        if self.test_crash_point is not None and self.env != "test":
            raise ValueError("test_crash_point is only allowed with DUBAN_ENV=test")
        return self
