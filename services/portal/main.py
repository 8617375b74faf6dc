"""The portal's FastAPI application: server-rendered pages over the three services' APIs."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.portal.config import Settings
from services.portal.deps import CsrfRefused, LoginRequired
from services.portal.headers import PageHeaders
from services.portal.pages import (
    accident_reports,
    accidents,
    account,
    board,
    calendar,
    deliveries,
    detail,
    directory,
    directory_import,
    documents,
    ledger,
    notices,
    policies,
    report,
    resumption,
    service,
    statistics,
    suspensions,
    units,
    workbench,
)
from services.portal.render import TEMPLATES, page
from services.portal.session import COOKIE
from services.portal.upstream import SignedOut, Unavailable, Upstream, UpstreamError
from shared.apidocs.assets import assets_router
from shared.clock import Clock
from shared.heap import freeze_startup_heap
from shared.http import ops_router

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).parent / "static"


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    clock = clock or settings.make_clock()
    upstream = Upstream(settings)
    # A template is compiled once per process; outside development nobody edits one while the
    # portal runs, so each page need not stat its template files to see whether they changed.
    TEMPLATES.env.auto_reload = settings.env == "development"

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        freeze_startup_heap()  # shared.heap: full collections skip the startup heap
        try:
            yield
        finally:
            await upstream.aclose()

    app = FastAPI(
        title="督办 · 部门门户（portal）",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings, app.state.clock, app.state.upstream = settings, clock, upstream

    app.add_middleware(PageHeaders, settings=settings)

    app.include_router(ops_router({}, clock=clock))
    app.include_router(assets_router())

    @app.get("/static/{name}", include_in_schema=False)
    async def static(name: str) -> FileResponse:
        path = STATIC_DIR / name
        if "/" in name or not path.is_file():
            raise StarletteHTTPException(404)
        return FileResponse(path, headers={"Cache-Control": "public, max-age=3600"})

    for module in (account, workbench, ledger, report, service, detail, accidents, resumption):
        app.include_router(module.router)
    for module in (directory, directory_import, calendar, statistics, board, notices, policies):
        app.include_router(module.router)
    for module in (documents, deliveries, accident_reports, units, suspensions):
        app.include_router(module.router)
    install_handlers(app)
    return app


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        if request.headers.get("HX-Request"):
            return Response(status_code=401, headers={"HX-Redirect": f"/login?reason={exc.reason}"})
        return RedirectResponse(f"/login?reason={exc.reason}", status_code=303)

    @app.exception_handler(SignedOut)
    async def signed_out(request: Request, exc: SignedOut) -> Response:
        request.state.signed_out = True
        response = RedirectResponse("/login?reason=refused", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, exc: CsrfRefused) -> HTMLResponse:
        return page(
            request,
            "error.html",
            403,
            title="请求被拒绝",
            message="表单安全校验未通过（页面可能已过期），请返回刷新页面后重新提交。",
        )

    @app.exception_handler(UpstreamError)
    async def upstream_error(request: Request, exc: UpstreamError) -> HTMLResponse:
        if exc.status == 404:
            return not_found(request)
        return page(request, "error.html", exc.status, title="操作未完成", message=exc.message)

    @app.exception_handler(Unavailable)
    async def unavailable(request: Request, exc: Unavailable) -> HTMLResponse:
        # The user sees 稍后再试; the operator needs which service and why (timeout, reset, 5xx).
        log.warning("%s %s: service unavailable: %s", request.method, request.url.path, exc)
        return page(
            request,
            "error.html",
            503,
            title="服务暂不可用",
            message="后台服务暂时无法访问，请稍后再试。",
        )

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> HTMLResponse:
        return page(
            request, "error.html", 422, title="输入有误", message="请求参数不正确，请检查后重试。"
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return not_found(request)
        if exc.status_code == 405:
            return page(
                request, "error.html", 405, title="不支持的操作", message="不支持此请求方式。"
            )
        return page(request, "error.html", exc.status_code, title="出错了", message=str(exc.detail))


def not_found(request: Request) -> HTMLResponse:
    return page(
        request,
        "error.html",
        404,
        title="页面不存在",
        message="您要查看的隐患或页面不存在，或不在您的管辖范围内。",
    )
