"""Evidence files: stored under the configured directory by checksum, rows in the database."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from fastapi import UploadFile
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.errors import DomainError, FieldError
from services.hazard_api.evidence import content
from services.hazard_api.evidence.models import Attachment, Purpose

CHUNK = 256 * 1024


class TooLarge(DomainError):
    status_code = 413


class UnsupportedType(DomainError):
    status_code = 415


async def read_limited(upload: UploadFile, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await upload.read(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise TooLarge(f"文件过大：单个文件不得超过 {max_bytes // 1024} KB")
        chunks.append(chunk)
    return b"".join(chunks)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():  # same checksum, same bytes
        tmp = path.with_suffix(path.suffix + f".{uuid.uuid4().hex}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)


async def store(
    upload: UploadFile,
    *,
    session: AsyncSession,
    hazard_id: str,
    purpose: Purpose,
    user_id: str,
    now: datetime,
    evidence_dir: str,
    max_bytes: int,
    allowed_types: Sequence[str],
) -> Attachment:
    data = await read_limited(upload, max_bytes)
    if not data:
        raise FieldError("file", "文件为空")
    content_type = content.detect(data, allowed_types)
    if content_type is None:
        raise UnsupportedType(
            f"不支持的文件类型：文件内容不是完整的 {content.describe(allowed_types)} 文件"
            "（按文件内容判断，与文件名和声明的类型无关）"
        )
    digest = hashlib.sha256(data).hexdigest()
    relative = f"{digest[:2]}/{digest}{content.EXTENSIONS.get(content_type, '')}"
    await asyncio.to_thread(_write, Path(evidence_dir) / relative, data)
    name = Path(upload.filename or "upload").name[:200] or "upload"
    attachment = Attachment(
        id=str(uuid.uuid4()),
        hazard_id=hazard_id,
        purpose=purpose.value,
        filename=name,
        content_type=content_type,
        size=len(data),
        sha256=digest,
        stored_path=relative,
        uploaded_at=now,
        uploaded_by_user_id=user_id,
    )
    session.add(attachment)
    return attachment


async def bind_attachments(
    session: AsyncSession, *, hazard_id: str, attachment_ids: Sequence[str], acceptance_id: str
) -> None:
    """Attach uploaded evidence to an acceptance round; every id must be this hazard's, unused."""
    wanted = set(attachment_ids)
    rows = list(
        await session.scalars(
            select(Attachment).where(Attachment.id.in_(wanted), Attachment.hazard_id == hazard_id)
        )
    )
    if len(rows) != len(wanted) or any(a.acceptance_id is not None for a in rows):
        raise FieldError("attachment_ids", "佐证材料不存在、不属于本隐患或已用于其他验收申请")
    for a in rows:
        a.acceptance_id = acceptance_id


async def for_hazard(*, session: AsyncSession, hazard_id: str) -> list[Attachment]:
    rows = await session.scalars(
        select(Attachment)
        .where(Attachment.hazard_id == hazard_id)
        .order_by(Attachment.uploaded_at, Attachment.id)
    )
    return list(rows)
