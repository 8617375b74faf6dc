"""POST /inbound: the city's and the province's messages (signed, Standard Webhooks)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from services.reporting.deps import RuntimeDep
from shared.problems import problems

router = APIRouter(tags=["inbound"])


@router.post(
    "/inbound",
    summary="接收市/省下发：挂牌督办决定、报送情况要求（Standard Webhooks 签名）",
    responses=problems(401, 404, 409, 422) | {503: {"description": "隐患系统暂不可用，请稍后重发"}},
)
async def receive(request: Request, runtime: RuntimeDep) -> JSONResponse:
    body = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}
    remote = request.client.host if request.client else None
    answer = await runtime.incoming.inbound.receive(headers, body, remote)
    return JSONResponse(answer.body, status_code=answer.status)
