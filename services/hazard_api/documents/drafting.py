"""A draft's words from the item's data, in the county's usual wording (a person may edit
them before issuing). A 通报 lists the county's overdue items by township and department."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.directory.models import Unit
from services.hazard_api.documents.models import Document
from services.hazard_api.documents.states import DocumentStatus
from services.hazard_api.hazards.models import Hazard
from shared.clock import local
from shared.contract import DocumentType, HazardStatus, UnitKind
from shared.labels import HAZARD_LEVEL_LABELS, LISTING_LEVEL_LABELS, label

T = DocumentType
OPEN = (HazardStatus.CLASSIFIED, HazardStatus.RECTIFYING)  # 未完成整改
BULLETIN_ROWS = 200
REGULATION = "《安全生产事故隐患排查治理暂行规定》（国家安全生产监督管理总局令第16号）"


def day(at: datetime | None) -> str:
    if at is None:
        return "（未定）"
    d = local(at).date()
    return f"{d.year}年{d.month}月{d.day}日"


def overdue_days(deadline: datetime | None, now: datetime) -> int:
    if deadline is None or now <= deadline:
        return 0
    return max((local(now).date() - local(deadline).date()).days, 1)


@dataclass(frozen=True)
class Words:
    title: str
    addressee: str
    body: list[str]
    cc: str
    table: list[dict[str, Any]]
    facts: dict[str, Any]


async def name_map(session: AsyncSession, ids: Iterable[str | None]) -> dict[str, str]:
    wanted = [i for i in dict.fromkeys(ids) if i]
    if not wanted:
        return {}
    rows = await session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(wanted)))
    return {unit_id: name for unit_id, name in rows}


async def names(session: AsyncSession, ids: Iterable[str | None]) -> list[str]:
    """The units' names in the order given (townships first, then departments)."""
    wanted = list(ids)
    found = await name_map(session, wanted)
    return [found[i] for i in dict.fromkeys(wanted) if i and i in found]


async def county_name(session: AsyncSession) -> str:
    name = await session.scalar(
        select(Unit.name).where(Unit.kind == UnitKind.COUNTY.value).limit(1)
    )
    return name or ""


def hazard_facts(h: Hazard) -> dict[str, Any]:
    return {
        "hazard_id": h.id,
        "code": h.code,
        "unit_name": h.unit_name,
        "description": h.description,
        "location": h.location,
        "level": h.level,
        "level_label": label(HAZARD_LEVEL_LABELS, h.level, missing="事故隐患"),
        "deadline": day(h.deadline_at),
        "listing_level": h.listing_level,
    }


async def earlier(session: AsyncSession, hazard_id: str, doc_type: str) -> list[str]:
    """文号 of the documents of one type already issued about the hazard (cited by the next)."""
    rows = await session.scalars(
        select(Document.doc_no)
        .where(
            Document.hazard_id == hazard_id,
            Document.doc_type == doc_type,
            Document.status == DocumentStatus.ISSUED.value,
        )
        .order_by(Document.issued_at)
    )
    return [r for r in rows if r]


async def hazard_words(
    session: AsyncSession, doc_type: DocumentType, h: Hazard, county: str, now: datetime
) -> Words:
    facts = hazard_facts(h)
    what = f"{facts['level_label']}：{h.description}（隐患编号：{h.code}；位置：{h.location}）"
    supervisors = "、".join(await names(session, [h.township_id, *h.department_ids]))
    office = f"{county}人民政府办公室"
    match doc_type:
        case T.RECTIFICATION_NOTICE:
            return Words(
                f"关于限期整改{h.unit_name}事故隐患的通知",
                h.unit_name,
                [
                    f"经检查，你单位存在{what}。",
                    f"根据{REGULATION}，现责令你单位于{facts['deadline']}前完成整改，"
                    "整改完成后书面申请验收。",
                    "整改期间，你单位应当采取必要的安全防范措施，防止事故发生；无法保证安全的，"
                    "应当从危险区域内撤出作业人员。逾期未完成整改的，将依法依规严肃处理。",
                ],
                supervisors,
                [],
                facts,
            )
        case T.LISTING_NOTICE:
            level = label(LISTING_LEVEL_LABELS, h.listing_level, missing="县级挂牌督办")
            return Words(
                f"关于对{h.unit_name}重大事故隐患实行挂牌督办的通知",
                supervisors or h.unit_name,
                [
                    f"{h.unit_name}存在{what}。经研究，决定对该隐患实行{level}。",
                    "请你们督促企业落实整改措施、责任、资金、时限和预案（“五到位”），"
                    f"于{facts['deadline']}前完成整改，整改完成后及时组织验收并申请摘牌销号。",
                    "挂牌督办期间，请加强现场监督检查，每月向县安委办报告一次整改进展情况。",
                ],
                f"{office}，{h.unit_name}",
                [],
                facts,
            )
        case T.SUPERVISION_LETTER:
            late = overdue_days(h.deadline_at, now)
            notices = await earlier(session, h.id, T.RECTIFICATION_NOTICE)
            issued = f"已下达《隐患整改通知书》（{'、'.join(notices)}），" if notices else ""
            return Words(
                f"关于督促{h.unit_name}事故隐患整改的督办函",
                supervisors or h.unit_name,
                [
                    f"{h.unit_name}存在{what}，{issued}整改期限为{facts['deadline']}"
                    + (f"，截至{day(now)}已逾期{late}天，仍未完成整改。" if late else "。"),
                    "请你们切实履行属地管理和行业监管职责，督促企业立即整改，并于收到本函之日起"
                    "5个工作日内将整改进展情况书面报送县安委办。",
                    "逾期仍未整改的，将予以通报批评，并纳入年度安全生产工作考核。",
                ],
                office,
                [],
                facts | {"overdue_days": late},
            )
        case _:  # T.DELISTING_NOTICE
            listing = await earlier(session, h.id, T.LISTING_NOTICE)
            cited = f"（挂牌督办通知书{'、'.join(listing)}）" if listing else ""
            return Words(
                f"关于对{h.unit_name}事故隐患予以摘牌销号的通知",
                supervisors or h.unit_name,
                [
                    f"{h.unit_name}挂牌督办的{what}{cited}已完成整改，"
                    f"于{day(h.accepted_at)}经验收合格。经研究，决定予以摘牌销号。",
                    "请督促企业巩固整改成果，防止隐患反弹。",
                ],
                f"{office}，{h.unit_name}",
                [],
                facts,
            )


async def bulletin_words(session: AsyncSession, county: str, now: datetime) -> Words:
    """通报: every item past its deadline and not rectified, by township and department."""
    rows = list(
        await session.scalars(
            select(Hazard)
            .where(Hazard.status.in_([s.value for s in OPEN]), Hazard.deadline_at < now)
            .order_by(Hazard.township_id, Hazard.deadline_at, Hazard.id)
            .limit(BULLETIN_ROWS)
        )
    )
    unit_ids = {h.township_id for h in rows} | {d for h in rows for d in h.department_ids}
    named = await name_map(session, unit_ids)
    table = [
        {
            "township": named.get(h.township_id or "", "—"),
            "departments": "、".join(named.get(d, d) for d in h.department_ids) or "—",
            "unit_name": h.unit_name,
            "code": h.code,
            "deadline": day(h.deadline_at),
            "overdue_days": overdue_days(h.deadline_at, now),
        }
        for h in rows
    ]
    by_township = Counter(r["township"] for r in table)
    by_department = Counter(d for h in rows for d in (named.get(x, x) for x in h.department_ids))
    listed = "；".join(f"{k}{v}项" for k, v in by_township.most_common())
    depts = "；".join(f"{k}{v}项" for k, v in by_department.most_common())
    today = local(now).date()
    return Words(
        f"关于{today.year}年{today.month}月事故隐患逾期未整改情况的通报",
        "各乡镇人民政府、街道办事处，县安委会各成员单位",
        [
            f"截至{day(now)}，全县共有{len(table)}项事故隐患逾期未完成整改。",
            f"按乡镇（街道）：{listed or '无'}。",
            f"按行业监管部门：{depts or '无'}。",
            "现将有关情况通报如下（见下表）。请各有关单位认真履行属地管理和行业监管职责，"
            "督促有关企业立即整改，并于10个工作日内将整改情况报送县安委办。",
        ],
        f"{county}人民政府办公室",
        table,
        {"overdue_items": len(table), "at": day(now)},
    )
