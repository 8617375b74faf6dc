"""Posts (who holds which role where), with their 一岗双责 portfolios."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.auth.scope import in_scope
from services.hazard_api.auth.service import AuthUser
from services.hazard_api.directory.guards import (
    _COUNTY_LEADER_FORBIDDEN,
    _PORTFOLIO_FORBIDDEN,
    _audit,
    _check_holder,
    _is_county_leader,
    _keeps_county,
    _unit_in_scope,
)
from services.hazard_api.directory.links import emit
from services.hazard_api.directory.models import (
    Person,
    PortfolioIndustry,
    PortfolioUnit,
    Post,
    Unit,
)
from services.hazard_api.directory.schemas import LEADERSHIP_ROLES, PostIn, PostOut, PostPatch
from services.hazard_api.directory.tenure import PERSON_FIELDS, check_tenure
from services.hazard_api.errors import Conflict, FieldError, Forbidden, NotFound
from shared.clock import Clock
from shared.contract import PostRemoved, PostRole, PostUpserted


# ---------------------------------------------------------------- posts
async def portfolios(
    session: AsyncSession, post_ids: Iterable[str]
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(unit ids, industry codes) of each post's portfolio."""
    ids = list(post_ids)
    units: dict[str, list[str]] = {i: [] for i in ids}
    industries: dict[str, list[str]] = {i: [] for i in ids}
    if ids:
        for post_id, unit_id in await session.execute(
            select(PortfolioUnit.post_id, PortfolioUnit.unit_id)
            .where(PortfolioUnit.post_id.in_(ids))
            .order_by(PortfolioUnit.unit_id)
        ):
            units[post_id].append(unit_id)
        for post_id, code in await session.execute(
            select(PortfolioIndustry.post_id, PortfolioIndustry.industry_code)
            .where(PortfolioIndustry.post_id.in_(ids))
            .order_by(PortfolioIndustry.industry_code)
        ):
            industries[post_id].append(code)
    return units, industries


def post_event(post: Post, unit_ids: list[str], industry_codes: list[str]) -> PostUpserted:
    return PostUpserted(
        post_id=post.id,
        unit_id=post.unit_id,
        role=PostRole(post.role),
        title=post.title,
        holder_person_id=post.holder_person_id,
        acting=post.acting,
        portfolio_unit_ids=unit_ids,
        portfolio_industry_codes=industry_codes,
        acting_person_id=post.acting_person_id,
        acting_from=post.acting_from,
        acting_until=post.acting_until,
        holder_from=post.holder_from,
        previous_holder_person_id=post.previous_holder_person_id,
    )


async def post_out(session: AsyncSession, post: Post) -> PostOut:
    units, industries = await portfolios(session, [post.id])
    event = post_event(post, units[post.id], industries[post.id])
    return PostOut(id=post.id, **event.model_dump(exclude={"post_id"}))


async def get_post(post_id: str, *, session: AsyncSession, user: AuthUser) -> Post:
    post = await session.scalar(
        select(Post).where(Post.id == post_id, in_scope(user, Post.unit_id))
    )
    if post is None:
        raise NotFound("岗位不存在")
    return post


async def list_posts(
    *,
    session: AsyncSession,
    user: AuthUser,
    unit_id: str | None = None,
    holder_person_id: str | None = None,
    vacant: bool | None = None,
    title_contains: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[PostOut]:
    query = select(Post).where(in_scope(user, Post.unit_id))
    if unit_id is not None:
        query = query.where(Post.unit_id == unit_id)
    if holder_person_id is not None:
        query = query.where(Post.holder_person_id == holder_person_id)
    if vacant is not None:
        held = Post.holder_person_id.is_(None)
        query = query.where(held if vacant else ~held)
    if title_contains:
        query = query.where(Post.title.contains(title_contains, autoescape=True))
    query = query.order_by(Post.unit_id, Post.role, Post.id).limit(limit).offset(offset)
    posts = list(await session.scalars(query))
    units, industries = await portfolios(session, (p.id for p in posts))
    return [
        PostOut(
            id=p.id, **post_event(p, units[p.id], industries[p.id]).model_dump(exclude={"post_id"})
        )
        for p in posts
    ]


async def _check_post_scope(
    session: AsyncSession, user: AuthUser | None, data: PostIn, portfolio_changed: bool
) -> None:
    """Before any existence check, so that a refusal says nothing about data out of scope."""
    if _keeps_county(user):
        return
    if portfolio_changed:
        raise Forbidden(_PORTFOLIO_FORBIDDEN)
    for field in PERSON_FIELDS:
        person_id = getattr(data, field)
        if person_id is not None:
            await _check_holder(session, user, person_id, field)


async def _ensure_post_keepable(session: AsyncSession, user: AuthUser, post: Post) -> None:
    """A post that carries a portfolio, or that a county leader holds, is the county office's:
    changing its holder would hand the portfolio (and what it lets one see) to someone else."""
    if _keeps_county(user):
        return
    units, industries = await portfolios(session, [post.id])
    if units[post.id] or industries[post.id]:
        raise Forbidden(_PORTFOLIO_FORBIDDEN)
    if post.holder_person_id is not None and await _is_county_leader(
        session, post.holder_person_id
    ):
        raise Forbidden(_COUNTY_LEADER_FORBIDDEN)


POST_FIELDS = (
    "role",
    "title",
    "holder_person_id",
    "acting",
    "acting_person_id",
    "acting_from",
    "acting_until",
    "holder_from",
    "previous_holder_person_id",
)


def _post_state(post: Post, units: list[str], industries: list[str]) -> dict[str, Any]:
    return post_event(post, units, industries).model_dump(mode="json", exclude={"post_id"})


async def _check_post(session: AsyncSession, data: PostIn) -> None:
    for field in PERSON_FIELDS:
        person_id = getattr(data, field)
        if person_id is not None and await session.get(Person, person_id) is None:
            raise FieldError(field, "任职人员不存在")
    if data.acting and data.holder_person_id is None:
        raise FieldError("acting", "空缺岗位不能标记为代理")
    check_tenure(data)
    if (
        data.portfolio_unit_ids or data.portfolio_industry_codes
    ) and data.role not in LEADERSHIP_ROLES:
        raise FieldError("portfolio_unit_ids", "只有领导岗位可以设置分管范围（一岗双责）")
    for unit_id in data.portfolio_unit_ids:
        if await session.get(Unit, unit_id) is None:
            raise FieldError("portfolio_unit_ids", "分管范围中的单位不存在")


async def _write_portfolio(
    session: AsyncSession, post_id: str, data: PostIn
) -> tuple[list[str], list[str]]:
    await session.execute(delete(PortfolioUnit).where(PortfolioUnit.post_id == post_id))
    await session.execute(delete(PortfolioIndustry).where(PortfolioIndustry.post_id == post_id))
    units = sorted(set(data.portfolio_unit_ids))
    industries = sorted(set(data.portfolio_industry_codes))
    session.add_all(PortfolioUnit(post_id=post_id, unit_id=u) for u in units)
    session.add_all(PortfolioIndustry(post_id=post_id, industry_code=c) for c in industries)
    await session.flush()
    return units, industries


async def create_post(
    data: PostIn,
    *,
    session: AsyncSession,
    user: AuthUser | None,
    clock: Clock,
    post_id: str | None = None,
) -> Post:
    new_id = post_id or str(uuid.uuid4())
    portfolio = bool(data.portfolio_unit_ids or data.portfolio_industry_codes)
    await _check_post_scope(session, user, data, portfolio_changed=portfolio)
    await _unit_in_scope(session, user, "unit_id", data.unit_id)
    await _check_post(session, data)
    if await session.get(Post, new_id) is not None:
        raise Conflict("岗位编号已存在")
    now = clock.now()
    fields = data.model_dump(exclude={"portfolio_unit_ids", "portfolio_industry_codes"})
    post = Post(id=new_id, created_at=now, updated_at=now, **fields)
    session.add(post)
    await session.flush()
    units, industries = await _write_portfolio(session, post.id, data)
    await emit(session, post_event(post, units, industries), aggregate_id=post.id, clock=clock)
    after = _post_state(post, units, industries)
    await _audit(session, user, "directory.post_created", post.id, None, after, now)
    return post


async def update_post(
    post_id: str, patch: PostPatch, *, session: AsyncSession, user: AuthUser, clock: Clock
) -> Post:
    post = await get_post(post_id, session=session, user=user)
    await _ensure_post_keepable(session, user, post)
    units, industries = await portfolios(session, [post.id])
    current = post_event(post, units[post.id], industries[post.id]).model_dump(exclude={"post_id"})
    before = _post_state(post, units[post.id], industries[post.id])
    changes = patch.model_dump(exclude_unset=True)
    for required in ("role", "title", "acting", "portfolio_unit_ids", "portfolio_industry_codes"):
        if required in changes and changes[required] is None:
            raise FieldError(required, "此项不能为空")
    if changes.get("holder_person_id", post.holder_person_id) is None:
        # A vacated post keeps no acting flag or handover of the holder who left.
        for field in ("acting", "holder_from", "previous_holder_person_id"):
            changes.setdefault(field, False if field == "acting" else None)
    try:
        data = PostIn.model_validate({**current, **changes})
    except ValidationError as exc:
        first = exc.errors()[0]
        raise FieldError(".".join(str(p) for p in first["loc"]), first["msg"]) from None
    portfolio_changed = (
        sorted(set(data.portfolio_unit_ids)) != before["portfolio_unit_ids"]
        or sorted(set(data.portfolio_industry_codes)) != before["portfolio_industry_codes"]
    )
    holder_changed = any(getattr(data, f) != getattr(post, f) for f in PERSON_FIELDS)
    if holder_changed or portfolio_changed:
        await _check_post_scope(session, user, data, portfolio_changed=portfolio_changed)
    await _check_post(session, data)
    for field in POST_FIELDS:
        setattr(post, field, getattr(data, field))
    post.updated_at = clock.now()
    await session.flush()
    new_units, new_industries = await _write_portfolio(session, post.id, data)
    await emit(
        session, post_event(post, new_units, new_industries), aggregate_id=post.id, clock=clock
    )
    after = _post_state(post, new_units, new_industries)
    await _audit(session, user, "directory.post_updated", post.id, before, after, post.updated_at)
    return post


async def delete_post(post_id: str, *, session: AsyncSession, user: AuthUser, clock: Clock) -> None:
    post = await get_post(post_id, session=session, user=user)
    await _ensure_post_keepable(session, user, post)
    units, industries = await portfolios(session, [post.id])
    before = _post_state(post, units[post.id], industries[post.id])
    removed = PostRemoved(post_id=post.id, unit_id=post.unit_id)
    await session.execute(delete(PortfolioUnit).where(PortfolioUnit.post_id == post.id))
    await session.execute(delete(PortfolioIndustry).where(PortfolioIndustry.post_id == post.id))
    await session.delete(post)
    await session.flush()
    await emit(session, removed, aggregate_id=post.id, clock=clock)
    await _audit(session, user, "directory.post_removed", post.id, before, None, clock.now())
