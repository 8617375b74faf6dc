"""Attaching evidence to a hazard: a change for the transition kernel (audited, no event)."""

from __future__ import annotations

from fastapi import UploadFile

from services.hazard_api.evidence import service
from services.hazard_api.evidence.models import Attachment, Purpose
from services.hazard_api.hazards.models import Hazard
from services.hazard_api.items.kernel import Change, Context, Outcome


def attach(file: UploadFile, purpose: Purpose) -> Change[Hazard, Attachment]:
    async def change(h: Hazard, ctx: Context) -> Outcome[Attachment]:
        settings = ctx.settings
        attachment = await service.store(
            file,
            session=ctx.session,
            hazard_id=h.id,
            purpose=purpose,
            user_id=ctx.user.id,
            now=ctx.now,
            evidence_dir=settings.evidence_dir,
            max_bytes=settings.evidence_max_bytes,
            allowed_types=settings.evidence_types,
        )
        summary = {
            "id": attachment.id,
            "purpose": attachment.purpose,
            "sha256": attachment.sha256,
            "size": attachment.size,
        }
        return Outcome(
            attachment, audit_action="hazard.evidence_attached", extra={"attachment": summary}
        )

    return change
