"""HTTP API of the organisation directory: units, people, posts, responsibility chains."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Query, Response, UploadFile
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.auth.deps import (
    CountyOffice,
    CurrentUser,
    DirectoryReader,
    DirectoryWriter,
    StaffWriter,
)
from services.hazard_api.deps import ClockDep, SessionDep
from services.hazard_api.directory import people, service, staff, transfer
from services.hazard_api.directory.chain import responsibility_chain
from services.hazard_api.directory.links import unit_links, unit_out
from services.hazard_api.directory.schemas import (
    ChainOut,
    PersonIn,
    PersonOut,
    PersonPatch,
    PostIn,
    PostOut,
    PostPatch,
    UnitIn,
    UnitOut,
    UnitPatch,
)
from services.hazard_api.fields import ID_PATTERN, IdPath, SearchText
from services.hazard_api.unit_of_work import Write
from shared.clock import SHANGHAI
from shared.contract import UnitKind

router = APIRouter(tags=["directory"])

Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
OptionalId = Annotated[str | None, Query(max_length=36, pattern=ID_PATTERN)]


# ---------------------------------------------------------------- units
@router.get("/units")
async def list_units(
    user: DirectoryReader,
    session: SessionDep,
    kind: UnitKind | None = None,
    parent_id: OptionalId = None,
    township_id: OptionalId = None,
    q: Annotated[SearchText | None, Query(max_length=50)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[UnitOut]:
    rows = await service.list_units(
        session=session,
        user=user,
        kind=kind,
        parent_id=parent_id,
        township_id=township_id,
        name_contains=q,
        limit=limit,
        offset=offset,
    )
    return [unit_out(unit, links) for unit, links in rows]


@router.post("/units", status_code=201)
async def create_unit(
    data: UnitIn, user: DirectoryWriter, write: Write, clock: ClockDep
) -> UnitOut:
    unit, links = await write(
        lambda session: service.create_unit(data, session=session, user=user, clock=clock)
    )
    return unit_out(unit, links)


@router.get("/units/{unit_id}")
async def get_unit(unit_id: IdPath, user: DirectoryReader, session: SessionDep) -> UnitOut:
    unit = await service.get_unit(unit_id, session=session, user=user)
    return unit_out(unit, await unit_links(session, unit.id))


@router.patch("/units/{unit_id}")
async def update_unit(
    unit_id: IdPath, patch: UnitPatch, user: DirectoryWriter, write: Write, clock: ClockDep
) -> UnitOut:
    unit, links = await write(
        lambda session: service.update_unit(unit_id, patch, session=session, user=user, clock=clock)
    )
    return unit_out(unit, links)


@router.get("/units/{unit_id}/chain")
async def get_chain(
    unit_id: IdPath,
    user: DirectoryReader,
    session: SessionDep,
    clock: ClockDep,
    on: Annotated[
        date | None, Query(description="按哪一天（北京时间）的任职情况，默认今天")
    ] = None,
) -> ChainOut:
    """The responsibility chain (一岗双责, 党政同责) of a unit as it stands today, or on the day
    `on` (acting holders and handovers by date); vacant posts fall through upward."""
    unit = await service.get_unit(unit_id, session=session, user=user)
    at = clock.now() if on is None else datetime.combine(on, time(12), SHANGHAI)
    return await responsibility_chain(session, unit, at=at)


# ---------------------------------------------------------------- people
@router.get("/people")
async def list_people(
    user: DirectoryReader,
    session: SessionDep,
    unit_id: OptionalId = None,
    q: Annotated[SearchText | None, Query(max_length=50, description="姓名包含")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[PersonOut]:
    found = await people.list_people(
        session=session, user=user, unit_id=unit_id, name_contains=q, limit=limit, offset=offset
    )
    return [people.person_out(p) for p in found]


@router.post("/people", status_code=201)
async def create_person(
    data: PersonIn, user: StaffWriter, write: Write, clock: ClockDep
) -> PersonOut:
    person = await write(
        lambda session: people.create_person(data, session=session, user=user, clock=clock)
    )
    return people.person_out(person)


@router.get("/people/{person_id}")
async def get_person(person_id: IdPath, user: DirectoryReader, session: SessionDep) -> PersonOut:
    return people.person_out(await people.get_person(person_id, session=session, user=user))


@router.patch("/people/{person_id}")
async def update_person(
    person_id: IdPath, patch: PersonPatch, user: StaffWriter, write: Write, clock: ClockDep
) -> PersonOut:
    person = await write(
        lambda session: people.update_person(
            person_id, patch, session=session, user=user, clock=clock
        )
    )
    return people.person_out(person)


# ---------------------------------------------------------------- posts
@router.get("/posts")
async def list_posts(
    user: DirectoryReader,
    session: SessionDep,
    unit_id: OptionalId = None,
    holder_person_id: OptionalId = None,
    vacant: bool | None = None,
    q: Annotated[SearchText | None, Query(max_length=50, description="岗位名称包含")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[PostOut]:
    return await staff.list_posts(
        session=session,
        user=user,
        unit_id=unit_id,
        holder_person_id=holder_person_id,
        vacant=vacant,
        title_contains=q,
        limit=limit,
        offset=offset,
    )


@router.post("/posts", status_code=201)
async def create_post(data: PostIn, user: StaffWriter, write: Write, clock: ClockDep) -> PostOut:
    async def work(session: AsyncSession) -> PostOut:
        post = await staff.create_post(data, session=session, user=user, clock=clock)
        return await staff.post_out(session, post)

    return await write(work)


@router.get("/posts/{post_id}")
async def get_post(post_id: IdPath, user: DirectoryReader, session: SessionDep) -> PostOut:
    post = await staff.get_post(post_id, session=session, user=user)
    return await staff.post_out(session, post)


@router.patch("/posts/{post_id}")
async def update_post(
    post_id: IdPath, patch: PostPatch, user: StaffWriter, write: Write, clock: ClockDep
) -> PostOut:
    async def work(session: AsyncSession) -> PostOut:
        post = await staff.update_post(post_id, patch, session=session, user=user, clock=clock)
        return await staff.post_out(session, post)

    return await write(work)


@router.delete("/posts/{post_id}", status_code=204)
async def delete_post(
    post_id: IdPath, user: StaffWriter, write: Write, clock: ClockDep
) -> Response:
    await write(lambda session: staff.delete_post(post_id, session=session, user=user, clock=clock))
    return Response(status_code=204)


# ---------------------------------------------------------------- spreadsheet import and export
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_XLSX_RESPONSE: dict[int | str, dict[str, object]] = {200: {"content": {XLSX: {}}}}


def _xlsx(content: bytes, filename: str) -> Response:
    disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
    return Response(content, media_type=XLSX, headers={"Content-Disposition": disposition})


@router.get("/directory/template", response_class=Response, responses=_XLSX_RESPONSE)
async def directory_template(user: CurrentUser) -> Response:
    """The empty import template: one sheet per kind, Chinese headers, lists, a guide."""
    return _xlsx(await transfer.template(), "组织目录导入模板.xlsx")


@router.get("/directory/export", response_class=Response, responses=_XLSX_RESPONSE)
async def directory_export(user: CountyOffice, session: SessionDep) -> Response:
    """The whole directory in the template's format (county office only); it imports back."""
    return _xlsx(await transfer.export_directory(session), "组织目录.xlsx")


@router.post(
    "/directory/import",
    responses={422: {"model": transfer.ImportReport, "description": "文件有错误，未写入"}},
)
async def directory_import(
    user: CountyOffice,
    write: Write,
    clock: ClockDep,
    file: Annotated[UploadFile, File(description="填写好的导入模板（.xlsx）")],
    dry_run: bool = False,
) -> transfer.ImportReport:
    """Checks the whole file, then writes all of it or nothing (county office only).

    `dry_run`: check and count only. Problems answer 422 with every bad cell listed."""
    data = await file.read(transfer.MAX_FILE_BYTES + 1)
    if len(data) > transfer.MAX_FILE_BYTES:
        message = f"文件超过 {transfer.MAX_FILE_BYTES // 1024 // 1024} MB，请分批导入"
        return JSONResponse({"detail": message}, status_code=413)  # type: ignore[return-value]
    report = await write(
        lambda session: transfer.import_directory(
            data, session=session, user=user, clock=clock, dry_run=dry_run
        )
    )
    if not report.ok:
        return JSONResponse(report.model_dump(), status_code=422)  # type: ignore[return-value]
    return report
