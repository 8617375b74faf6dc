"""Per-person preferences over HTTP."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from services.notification.callers import CallerDep, forbidden
from services.notification.deps import RuntimeDep, SessionDep
from services.notification.directory.models import DirPerson
from services.notification.preferences import service
from services.notification.preferences.models import PreferenceIn, PreferenceOut

router = APIRouter(prefix="/preferences", tags=["preferences"])


async def _known_person(person_id: str, caller: CallerDep, session: SessionDep) -> None:
    """A person sees and sets their own; the county office anyone's (checked before existence,
    so others cannot probe who is in the directory)."""
    if not caller.may_act_for(person_id):
        raise forbidden("只能查看或修改本人的通知设置")
    if await session.get(DirPerson, person_id) is None:
        raise HTTPException(404, detail=f"人员 {person_id} 不存在")


@router.get("/{person_id}")
async def get_preferences(
    person_id: str, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> PreferenceOut:
    await _known_person(person_id, caller, session)
    prefs = (await service.prefs_for([person_id], session=session, settings=runtime.settings))[
        person_id
    ]
    return PreferenceOut(
        person_id=person_id,
        channels=list(prefs.channels),
        quiet_start=prefs.quiet_start,
        quiet_end=prefs.quiet_end,
        digest_window_s=prefs.digest_window_s,
        is_default=prefs.is_default,
    )


@router.put("/{person_id}")
async def put_preferences(
    person_id: str, body: PreferenceIn, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> PreferenceOut:
    await _known_person(person_id, caller, session)
    await service.save(person_id, body, session=session, now=runtime.clock.now())
    return PreferenceOut(person_id=person_id, is_default=False, **body.model_dump())
