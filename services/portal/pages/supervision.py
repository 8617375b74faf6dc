"""What the supervision pages (督办看板, 升级策略, others' 通知记录) share: who may see them."""

from __future__ import annotations

from starlette.exceptions import HTTPException as StarletteHTTPException

from services.portal.session import PageSession

SUPERVISORS = frozenset({"county_office", "leader"})


def is_supervisor(session: PageSession) -> bool:
    return session.role in SUPERVISORS


def require_supervisor(session: PageSession) -> None:
    """The services refuse others too; the page says so before asking them."""
    if not is_supervisor(session):
        raise StarletteHTTPException(403, "此页面仅供县安委办和县领导使用。")


def hazard_ids_params(ids: list[str]) -> list[tuple[str, str]]:
    return [("hazard_id", i) for i in ids]
