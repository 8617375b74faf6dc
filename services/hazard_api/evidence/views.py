"""Evidence upload (multipart) and download, scoped like the hazard it belongs to."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile, status
from fastapi import Path as PathParam
from fastapi.responses import FileResponse
from sqlalchemy import select

from services.hazard_api.deps import SessionDep, SettingsDep
from services.hazard_api.errors import NotFound
from services.hazard_api.evidence import content, flows, service
from services.hazard_api.evidence.models import Attachment, AttachmentOut, Purpose
from services.hazard_api.hazards.deps import HazardId, HazardReader, HazardTransitions
from services.hazard_api.hazards.kind import HAZARD
from services.hazard_api.hazards.models import Hazard
from services.hazard_api.hazards.service import get_scoped, scoped
from services.hazard_api.hazards.states import Action
from shared.problems import problems

router = APIRouter(tags=["evidence"])
# Multipart framing around the file itself.
_OVERHEAD = 64 * 1024


@router.post(
    "/hazards/{hazard_id}/attachments",
    status_code=status.HTTP_201_CREATED,
    summary="上传佐证材料（照片、PDF）",
    responses=problems(413, 415),
)
async def upload(
    request: Request,
    hazard_id: HazardId,
    file: Annotated[
        UploadFile, File(description="JPEG、PNG、PDF（按文件内容判断类型，可配置 WebP、HEIC）")
    ],
    tx: HazardTransitions,
    settings: SettingsDep,
    purpose: Annotated[Purpose, Form()] = Purpose.HAZARD,
) -> AttachmentOut:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > settings.evidence_max_bytes + _OVERHEAD:
        raise service.TooLarge(
            f"文件过大：单个文件不得超过 {settings.evidence_max_bytes // 1024} KB"
        )
    change = flows.attach(file, purpose)
    _, attachment = await tx.apply(HAZARD, hazard_id, Action.ATTACH_EVIDENCE, change)
    return AttachmentOut.model_validate(attachment)


@router.get("/hazards/{hazard_id}/attachments", summary="佐证材料列表")
async def list_attachments(
    hazard_id: HazardId, session: SessionDep, user: HazardReader
) -> list[AttachmentOut]:
    h = await get_scoped(session=session, user=user, hazard_id=hazard_id)
    return [
        AttachmentOut.model_validate(a)
        for a in await service.for_hazard(session=session, hazard_id=h.id)
    ]


@router.get(
    "/attachments/{attachment_id}/content",
    summary="下载佐证材料",
    response_class=FileResponse,
    responses={200: {"content": {t: {} for t in content.EXTENSIONS}, "description": "文件"}},
)
async def download(
    attachment_id: Annotated[str, PathParam(min_length=1, max_length=36)],
    session: SessionDep,
    user: HazardReader,
    settings: SettingsDep,
) -> FileResponse:
    visible = scoped(user).with_only_columns(Hazard.id)
    attachment = await session.scalar(
        select(Attachment).where(Attachment.id == attachment_id, Attachment.hazard_id.in_(visible))
    )
    if attachment is None:
        raise NotFound("佐证材料不存在或不在您的管辖范围内")
    path = Path(settings.evidence_dir) / attachment.stored_path
    if not path.is_file():
        raise NotFound("佐证材料文件已丢失，请联系管理员")
    # Photos show in the browser, anything else downloads; nothing from the file can run
    # (sandboxed, no scripts, nosniff from the middleware) whatever it really holds.
    disposition = "inline" if attachment.content_type in content.IMAGES else "attachment"
    return FileResponse(
        path,
        media_type=attachment.content_type,
        headers={
            "Content-Disposition": content_disposition(disposition, attachment.filename),
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


def content_disposition(disposition: str, filename: str) -> str:
    """RFC 6266: an ASCII fallback name, then the real one percent-encoded as UTF-8 (RFC 5987),
    so no quote, semicolon or line break in a name can change the header."""
    fallback = "".join(
        ch if ch.isascii() and (ch.isalnum() or ch in "._-") else "_" for ch in filename
    )
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
