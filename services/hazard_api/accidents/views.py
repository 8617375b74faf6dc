"""Accidents: the quick report (快报/接报), follow-ups, sign-off, flags, the investigation,
its decision, the 四不放过 records and the close. Views parse, call the kernel, serialise."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request, Response, status
from sqlalchemy import select

from services.hazard_api.accidents import flows, signoff
from services.hazard_api.accidents.deps import AccidentReader, AccidentTransitions
from services.hazard_api.accidents.kind import ACCIDENT, ACCIDENT_INTAKE
from services.hazard_api.accidents.schemas import (
    AccidentDetail,
    AccidentOut,
    AccountabilityIn,
    DecisionIn,
    EducationIn,
    ExtensionIn,
    FindingIn,
    FollowUpIn,
    InvestigationIn,
    MeasuresIn,
    QuickReportIn,
    ReportOut,
)
from services.hazard_api.accidents.service import (
    accident_out,
    get_scoped,
    list_accidents,
    reports_of,
)
from services.hazard_api.accidents.states import AUTHORITY, ORIGIN, Action
from services.hazard_api.accidents.statistics import AccidentStatistics, year_statistics
from services.hazard_api.accidents.statistics_export import as_csv, as_xlsx
from services.hazard_api.audit.models import AuditEntryOut
from services.hazard_api.audit.service import chain
from services.hazard_api.auth.deps import TokenClaims
from services.hazard_api.deps import ClockDep, SessionDep
from services.hazard_api.directory.models import Unit
from services.hazard_api.items.requests import create_from
from services.hazard_api.statistics.views import XLSX

router = APIRouter(tags=["accidents"])

AccidentId = Annotated[str, Path(min_length=1, max_length=36, description="事故ID")]
ReportId = Annotated[str, Path(min_length=1, max_length=36, description="报告ID")]


@router.post(
    "/accidents", status_code=status.HTTP_201_CREATED, summary="事故快报（企业报告或接报登记）"
)
async def report_accident(
    data: QuickReportIn, claims: TokenClaims, clock: ClockDep, request: Request
) -> AccidentOut:
    return await create_from(
        request, ACCIDENT, ACCIDENT_INTAKE, data, claims=claims, now=clock.now()
    )


@router.get("/accidents", summary="事故列表（按角色范围）")
async def list_(
    session: SessionDep,
    user: AccidentReader,
    clock: ClockDep,
    code: Annotated[str | None, Query(max_length=40, description="事故编号，如 SG-2026-…")] = None,
) -> list[AccidentOut]:
    now = clock.now()
    found = await list_accidents(session=session, user=user, code=code)
    return [accident_out(a, now) for a in found]


@router.get(
    "/accidents/statistics",
    summary="事故统计（按月、等级、行业、乡镇；JSON、CSV、XLSX）",
    response_model=AccidentStatistics,
    responses={200: {"content": {"text/csv": {}, XLSX: {}}}},
)
async def statistics(
    session: SessionDep,
    user: AccidentReader,
    year: Annotated[int, Query(ge=2000, le=2100, description="年份")],
    format: Annotated[Literal["json", "csv", "xlsx"], Query(description="输出格式")] = "json",
) -> AccidentStatistics | Response:
    stats = await year_statistics(session=session, user=user, year=year)
    if format == "json":
        return stats
    names = dict(
        (
            await session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(stats.by_township)))
        ).all()
    )
    body, media = (
        (as_csv(stats, names), "text/csv; charset=utf-8")
        if format == "csv"
        else (as_xlsx(stats, names), XLSX)
    )
    disposition = f"attachment; filename*=UTF-8''{quote(f'事故统计-{year}.{format}')}"
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})


@router.get("/accidents/{accident_id}", summary="事故详情（含续报、补报与各项时限）")
async def detail(
    accident_id: AccidentId, session: SessionDep, user: AccidentReader, clock: ClockDep
) -> AccidentDetail:
    a = await get_scoped(session=session, user=user, accident_id=accident_id)
    reports = await reports_of(session=session, accident_id=a.id)
    allowed = AUTHORITY.allowed(status=a.status, origin=ORIGIN, role=user.role)
    return AccidentDetail(
        accident=accident_out(a, clock.now()),
        reports=[ReportOut.model_validate(r) for r in reports],
        allowed_actions={action: AUTHORITY.rules[action].label for action in allowed},
    )


@router.get(
    "/accidents/{accident_id}/audit", summary="事故办理记录（审计链：谁、何时、办理了什么）"
)
async def accident_audit(
    accident_id: AccidentId, session: SessionDep, user: AccidentReader
) -> list[AuditEntryOut]:
    a = await get_scoped(session=session, user=user, accident_id=accident_id)
    rows = await chain(session=session, chain_key=ACCIDENT.chain_key(a.id))
    return [AuditEntryOut.model_validate(r) for r in rows]


@router.post("/accidents/{accident_id}/reports", status_code=201, summary="续报或补报")
async def add_report(
    accident_id: AccidentId, data: FollowUpIn, tx: AccidentTransitions
) -> ReportOut:
    _, r = await tx.apply(ACCIDENT, accident_id, Action.FOLLOW_UP, flows.follow_up(data))
    return ReportOut.model_validate(r)


@router.post("/accidents/{accident_id}/reports/{report_id}/review", summary="核稿")
async def review_report(
    accident_id: AccidentId, report_id: ReportId, tx: AccidentTransitions
) -> ReportOut:
    change = signoff.review_report(report_id)
    _, r = await tx.apply(ACCIDENT, accident_id, Action.REVIEW_REPORT, change)
    return ReportOut.model_validate(r)


@router.post("/accidents/{accident_id}/reports/{report_id}/issue", summary="签发（上报）")
async def issue_report(
    accident_id: AccidentId, report_id: ReportId, tx: AccidentTransitions
) -> ReportOut:
    change = signoff.issue_report(report_id)
    _, r = await tx.apply(ACCIDENT, accident_id, Action.ISSUE_REPORT, change)
    return ReportOut.model_validate(r)


@router.post("/accidents/{accident_id}/findings", summary="谎报瞒报核查认定")
async def record_finding(
    accident_id: AccidentId, data: FindingIn, tx: AccidentTransitions
) -> AccidentOut:
    a, _ = await tx.apply(ACCIDENT, accident_id, Action.RECORD_FINDING, flows.record_finding(data))
    return accident_out(a, tx.now)


@router.post("/accidents/{accident_id}/investigation/extension", summary="批准延长调查期限")
async def extend_investigation(
    accident_id: AccidentId, data: ExtensionIn, tx: AccidentTransitions
) -> AccidentOut:
    change = flows.extend_investigation(data)
    a, _ = await tx.apply(ACCIDENT, accident_id, Action.EXTEND_INVESTIGATION, change)
    return accident_out(a, tx.now)


@router.post("/accidents/{accident_id}/investigation", summary="提交事故调查报告（查明原因）")
async def submit_investigation(
    accident_id: AccidentId, data: InvestigationIn, tx: AccidentTransitions
) -> AccidentOut:
    change = flows.submit_investigation(data)
    a, _ = await tx.apply(ACCIDENT, accident_id, Action.SUBMIT_INVESTIGATION, change)
    return accident_out(a, tx.now)


@router.post("/accidents/{accident_id}/decision/extension", summary="延长批复期限（特别重大）")
async def extend_decision(
    accident_id: AccidentId, data: ExtensionIn, tx: AccidentTransitions
) -> AccidentOut:
    change = flows.extend_decision(data)
    a, _ = await tx.apply(ACCIDENT, accident_id, Action.EXTEND_DECISION, change)
    return accident_out(a, tx.now)


@router.post("/accidents/{accident_id}/decision", summary="批复事故调查报告")
async def decide(accident_id: AccidentId, data: DecisionIn, tx: AccidentTransitions) -> AccidentOut:
    a, _ = await tx.apply(ACCIDENT, accident_id, Action.DECIDE, flows.decide(data))
    return accident_out(a, tx.now)


@router.put("/accidents/{accident_id}/accountability", summary="责任人员处理情况（四不放过）")
async def record_accountability(
    accident_id: AccidentId, data: AccountabilityIn, tx: AccidentTransitions
) -> AccidentOut:
    change = flows.record("accountability", data)
    a, _ = await tx.apply(ACCIDENT, accident_id, Action.RECORD_ACCOUNTABILITY, change)
    return accident_out(a, tx.now)


@router.put("/accidents/{accident_id}/education", summary="教育情况（四不放过）")
async def record_education(
    accident_id: AccidentId, data: EducationIn, tx: AccidentTransitions
) -> AccidentOut:
    change = flows.record("education", data)
    a, _ = await tx.apply(ACCIDENT, accident_id, Action.RECORD_EDUCATION, change)
    return accident_out(a, tx.now)


@router.put("/accidents/{accident_id}/measures", summary="整改措施落实情况（四不放过）")
async def record_measures(
    accident_id: AccidentId, data: MeasuresIn, tx: AccidentTransitions
) -> AccidentOut:
    change = flows.record_measures(data)
    a, _ = await tx.apply(ACCIDENT, accident_id, Action.RECORD_MEASURES, change)
    return accident_out(a, tx.now)


@router.post("/accidents/{accident_id}/close", summary="结案（四不放过）")
async def close(accident_id: AccidentId, tx: AccidentTransitions) -> AccidentOut:
    a, _ = await tx.apply(ACCIDENT, accident_id, Action.CLOSE, flows.close())
    return accident_out(a, tx.now)
