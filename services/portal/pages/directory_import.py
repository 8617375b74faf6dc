"""目录导入导出 (county office only): the template and the export downloaded from hazard_api,
an uploaded workbook checked first (dry run: every bad cell as sheet, row, column and message)
and then imported; hazard_api writes all of it or nothing."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from services.portal.deps import PostSession, SessionDep, UpstreamDep
from services.portal.forms import text as _text
from services.portal.pages.directory import TABS, office_only
from services.portal.render import page
from services.portal.upstream import Upstream, UpstreamError, message_of

router = APIRouter(include_in_schema=False)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A checked file travels back in the confirm form below this size (the form parser's limit
# for a text field is 1 MB); a larger one is chosen again.
CARRY_BYTES = 700 * 1024
COUNT_NAMES = (("units", "单位"), ("people", "人员"), ("posts", "岗位"))


async def _download(upstream: Upstream, token: str, path: str) -> Response:
    response = await upstream.send("hazard_api", "GET", path, token=token)
    if response.status_code >= 400:
        raise UpstreamError(response.status_code, message_of(response))
    disposition = response.headers.get("content-disposition", "attachment")
    return Response(response.content, media_type=XLSX, headers={"Content-Disposition": disposition})


@router.get("/directory/template.xlsx")
async def template(session: SessionDep, upstream: UpstreamDep) -> Response:
    office_only(session)
    return await _download(upstream, session.token, "/directory/template")


@router.get("/directory/export.xlsx")
async def export(session: SessionDep, upstream: UpstreamDep) -> Response:
    office_only(session)
    return await _download(upstream, session.token, "/directory/export")


def _form_page(request: Request, status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("report", None)
    context.setdefault("error", "")
    return page(
        request,
        "directory_import.html",
        status,
        tabs=TABS,
        tab="import",
        counts=COUNT_NAMES,
        **context,
    )


@router.get("/directory/import")
async def import_form(request: Request, session: SessionDep) -> HTMLResponse:
    office_only(session)
    return _form_page(request)


async def _chosen_file(form: Any) -> tuple[str, bytes] | None:
    """The uploaded file, or the one a dry run checked and handed back in the confirm form."""
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        return upload.filename, await upload.read()
    carried = _text(form, "checked_file")
    if carried:
        try:
            return _text(form, "checked_name") or "目录.xlsx", base64.b64decode(carried)
        except (binascii.Error, ValueError):
            return None
    return None


@router.post("/directory/import")
async def import_file(request: Request, session: PostSession, upstream: UpstreamDep) -> Response:
    office_only(session)
    form = await request.form()
    dry_run = _text(form, "mode") != "import"
    chosen = await _chosen_file(form)
    if chosen is None:
        return _form_page(request, 422, error="请选择要导入的 Excel 文件（.xlsx）。")
    name, data = chosen
    response = await upstream.send(
        "hazard_api",
        "POST",
        "/directory/import",
        token=session.token,
        params={"dry_run": "true" if dry_run else "false"},
        files={"file": (name, data, XLSX)},
    )
    is_json = response.headers.get("content-type", "").startswith("application/json")
    body = response.json() if is_json else None
    if not isinstance(body, dict) or "problems" not in body:
        return _form_page(request, response.status_code, error=message_of(response))
    carry = body["ok"] and dry_run and len(data) <= CARRY_BYTES
    return _form_page(
        request,
        response.status_code,
        report=body,
        file_name=name,
        checked_file=base64.b64encode(data).decode() if carry else "",
    )
