"""A small county directory (units, people, posts as `org.events` carry them) and the
escalation steps (`StepFired`) that ask the notification service to notify it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shared.clock import TestClock
from shared.contract import (
    ChainRole,
    DocumentRef,
    Envelope,
    EscalationAction,
    HazardFacts,
    HazardLevel,
    HazardStatus,
    PersonUpserted,
    PostRole,
    PostUpserted,
    Producer,
    StepFired,
    UnitKind,
    UnitUpserted,
    Urgency,
)

COUNTY, OFFICE, TOWN, DEPT, FIRM = "u-county", "u-office", "u-town", "u-dept", "u-firm"


def person(pid: str, name: str, n: int) -> PersonUpserted:
    return PersonUpserted(
        person_id=pid, name=name, mobile=f"1380000{n:04d}", email=f"{pid}@gov.test"
    )


PEOPLE = {
    "p-county": person("p-county", "县长甲", 1),
    "p-safety": person("p-safety", "副县长乙", 2),
    "p-portfolio": person("p-portfolio", "副县长丙", 3),
    "p-office": person("p-office", "安委办主任丁", 4),
    "p-town": person("p-town", "镇长戊", 5),
    "p-town-in": person("p-town-in", "副镇长己", 6),
    "p-dept": person("p-dept", "局长庚", 7),
    "p-dept-in": person("p-dept-in", "副局长辛", 8),
    "p-firm": person("p-firm", "厂长壬", 9),
    "p-firm-sm": person("p-firm-sm", "安全员癸", 10),
}


def post(pid: str | None, unit: str, role: PostRole, title: str, **kw: Any) -> PostUpserted:
    return PostUpserted(
        post_id=f"post-{unit}-{role.value}-{kw.pop('n', 0)}",
        unit_id=unit,
        role=role,
        title=title,
        holder_person_id=pid,
        **kw,
    )


def org_events() -> list[Any]:
    units = [
        UnitUpserted(unit_id=COUNTY, kind=UnitKind.COUNTY, name="示范县", area_code="330000"),
        UnitUpserted(
            unit_id=OFFICE,
            kind=UnitKind.DEPARTMENT,
            name="县应急管理局",
            area_code="330000",
            parent_id=COUNTY,
            is_safety_office=True,
        ),
        UnitUpserted(
            unit_id=TOWN,
            kind=UnitKind.TOWNSHIP,
            name="城关镇",
            area_code="330001",
            parent_id=COUNTY,
        ),
        UnitUpserted(
            unit_id=DEPT,
            kind=UnitKind.DEPARTMENT,
            name="县住建局",
            area_code="330000",
            parent_id=COUNTY,
        ),
        UnitUpserted(
            unit_id=FIRM,
            kind=UnitKind.ENTERPRISE,
            name="示范建材有限公司",
            area_code="330001",
            parent_id=TOWN,
            territorial_unit_id=TOWN,
            supervising_department_ids=[DEPT],
            industry_code="C3011",
        ),
    ]
    posts = [
        post("p-county", COUNTY, PostRole.PRINCIPAL, "县长"),
        post("p-safety", COUNTY, PostRole.DEPUTY_SAFETY, "常务副县长"),
        post(
            "p-portfolio",
            COUNTY,
            PostRole.LEADERSHIP_MEMBER,
            "副县长",
            portfolio_unit_ids=[DEPT, TOWN],
        ),
        post("p-office", OFFICE, PostRole.PRINCIPAL, "局长"),
        post("p-town", TOWN, PostRole.PRINCIPAL, "镇长"),
        post("p-town-in", TOWN, PostRole.DEPUTY_SAFETY, "副镇长"),
        post("p-dept", DEPT, PostRole.PRINCIPAL, "局长"),
        post("p-dept-in", DEPT, PostRole.DEPUTY_SAFETY, "副局长"),
        post("p-firm", FIRM, PostRole.PRINCIPAL, "总经理"),
        post("p-firm-sm", FIRM, PostRole.SAFETY_MANAGER, "安全员"),
    ]
    return [*units, *PEOPLE.values(), *posts]


def envelope_of(payload: Any, clock: TestClock, key: str = "k") -> Envelope:
    return Envelope.of(
        payload, aggregate_id=key, producer=Producer.HAZARD_API, occurred_at=clock.now()
    )


def step_fired(
    clock: TestClock,
    *,
    roles: list[ChainRole],
    hazard_n: int = 1,
    urgency: Urgency = Urgency.NORMAL,
    action: EscalationAction = EscalationAction.OVERDUE_NOTICE,
    unit_id: str = FIRM,
    level: HazardLevel = HazardLevel.GENERAL,
    document: DocumentRef | None = None,
    hazard_id: str | None = None,
    step_key: str = "overdue",
    step_index: int = 1,
    **facts_kw: Any,
) -> Envelope:
    now = clock.now()
    facts_kw.setdefault("deadline_at", now - timedelta(days=1))
    facts = HazardFacts(
        hazard_id=hazard_id or f"h-{hazard_n}",
        code=f"YH-2026-{hazard_n:04d}",
        status=HazardStatus.RECTIFYING,
        level=level,
        unit_id=unit_id,
        unit_name="示范建材有限公司",
        area_code="330001",
        description=f"粉尘涉爆除尘系统未设置泄爆装置（第{hazard_n}处）",
        **facts_kw,
    )
    step = StepFired(
        case_id=f"case-{hazard_n}",
        hazard_id=facts.hazard_id,
        policy_id="default",
        policy_version=1,
        step_key=step_key,
        step_index=step_index,
        action=action,
        urgency=urgency,
        target_roles=roles,
        due_at=now,
        fired_at=now,
        facts=facts,
        document=document,
    )
    return Envelope.of(
        step, aggregate_id=f"case-{hazard_n}", producer=Producer.ESCALATION, occurred_at=now
    )
