"""An accident's acknowledgement by the province, and the county office's phone report."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, computed_field

from services.reporting.acks.models import AccidentAck
from services.reporting.callers import CountyOfficeDep
from services.reporting.deps import RuntimeDep, SessionDep
from shared.labels import beijing_time

router = APIRouter(tags=["acknowledgements"])
AccidentId = Annotated[str, Path(min_length=1, max_length=36, description="事故ID")]

STATE_LABELS = {
    "acknowledged": "省级系统已回执",
    "phone_reported": "已电话报告",
    "overdue": "超过2小时未回执，待电话报告",
    "waiting": "等待省级系统回执",
}


class AckOut(BaseModel):
    accident_id: str
    code: str
    unit_name: str
    received_at: datetime
    due_at: datetime
    acknowledged_at: datetime | None
    receipt_no: str | None
    submission_id: str | None
    alerted_at: datetime | None
    phone_reported_at: datetime | None
    phone_reported_to: str | None
    phone_reported_by: str | None
    phone_note: str | None
    state: str = Field(description="acknowledged / phone_reported / overdue / waiting")

    @computed_field(description="状态（中文）")  # type: ignore[prop-decorator]
    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @computed_field(description="2小时时限（北京时间）")  # type: ignore[prop-decorator]
    @property
    def due_label(self) -> str:
        return beijing_time(self.due_at)


class PhoneReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reported_at: AwareDatetime = Field(description="电话报告时间")
    reported_to: Annotated[str, Field(min_length=1, max_length=100)] = Field(
        description="接听单位及人员，如 市应急管理局值班室 张三"
    )
    reported_by: Annotated[str, Field(min_length=1, max_length=50)] = Field(description="报告人")
    note: Annotated[str, Field(max_length=2000)] | None = None


def ack_out(ack: AccidentAck) -> AckOut:
    if ack.acknowledged_at is not None:
        state = "acknowledged"
    elif ack.phone_reported_at is not None:
        state = "phone_reported"
    else:
        state = "overdue" if ack.alerted_at is not None else "waiting"
    return AckOut(
        accident_id=ack.accident_id,
        code=ack.code,
        unit_name=ack.unit_name,
        received_at=ack.received_at,
        due_at=ack.due_at,
        acknowledged_at=ack.acknowledged_at,
        receipt_no=ack.receipt_no,
        submission_id=ack.submission_id,
        alerted_at=ack.alerted_at,
        phone_reported_at=ack.phone_reported_at,
        phone_reported_to=ack.phone_reported_to,
        phone_reported_by=ack.phone_reported_by,
        phone_note=ack.phone_note,
        state=state,
    )


async def _ack(session: SessionDep, accident_id: str, *, lock: bool = False) -> AccidentAck:
    ack = await session.get(AccidentAck, accident_id, with_for_update=lock)
    if ack is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "没有该事故的上报记录")
    return ack


@router.get("/accidents/{accident_id}/acknowledgement", summary="事故上报回执情况")
async def acknowledgement(
    accident_id: AccidentId, session: SessionDep, _caller: CountyOfficeDep
) -> AckOut:
    return ack_out(await _ack(session, accident_id))


@router.post("/accidents/{accident_id}/phone-report", summary="登记已电话向上级报告")
async def phone_report(
    accident_id: AccidentId,
    data: PhoneReportIn,
    session: SessionDep,
    runtime: RuntimeDep,
    caller: CountyOfficeDep,
) -> AckOut:
    ack = await _ack(session, accident_id, lock=True)
    if ack.phone_reported_at is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, "已登记过电话报告")
    if data.reported_at > runtime.clock.now():
        raise HTTPException(422, "电话报告时间不能晚于当前时间")
    if data.reported_at < ack.received_at:
        raise HTTPException(422, "电话报告时间不能早于接报时间")
    ack.phone_reported_at, ack.phone_reported_to = data.reported_at, data.reported_to
    ack.phone_reported_by, ack.phone_note = data.reported_by, data.note
    ack.phone_recorded_by = caller.user_id
    return ack_out(ack)
