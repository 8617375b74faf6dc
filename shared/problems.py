"""One error body for every service, and the OpenAPI that documents it on every route.

Every 4xx a service answers is `{"detail": "<中文说明>"}`; a 422 adds `errors`, one entry per
bad field. `document_problems` walks a service's OpenAPI once it is generated and documents, on
each operation, the error statuses its shape lets it answer (path parameters → 404, a body →
413 and 422, a bearer token → 401 and 403, an authenticated write → 409, either of the last
two → 503 with Retry-After when the database is down or too slow), each with this body; a route
names any other status it answers with `responses=problems(415)`.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field

from shared.openapi_links import extend_openapi

WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})

PROBLEM_DESCRIPTIONS: dict[int, str] = {
    400: "请求无效",
    401: "未登录或登录已过期（缺少或无效的令牌）",
    403: "当前账号无权执行此操作",
    404: "资源不存在或不在您的管辖范围内",
    409: "与当前状态冲突（已存在、已办结或已被他人修改）",
    410: "已过期",
    413: "请求体或文件过大",
    415: "不支持的内容类型（按文件内容判断）",
    422: "请求参数有误：errors 逐项列出出错的字段",
    429: "请求过于频繁，请稍后再试（见 Retry-After）",
    503: "暂不可用：数据库无法连接或未在时限内完成，请按 Retry-After 稍后重试",
}
# Every operation that signs a caller in or takes input reads or writes the database, so it
# may answer 503 (shared/errors.py) when that database is down or too slow.
RETRY_AFTER_HEADER = {
    "Retry-After": {"description": "建议多少秒后重试", "schema": {"type": "integer"}}
}


class FieldProblem(BaseModel):
    """One bad field of a 422."""

    field: str = Field(description="出错的字段（如 body 中的 plan.funds_budget，或查询参数名）")
    message: str = Field(description="中文说明")
    type: str = Field(description="错误类型代码（机器可读）")
    detail: str | None = Field(default=None, description="校验器的原始说明")


class ErrorBody(BaseModel):
    """错误响应：每个 4xx 都是这个形状。"""

    detail: str = Field(description="中文说明")
    errors: list[FieldProblem] | None = Field(
        default=None, description="仅 422：逐项列出出错的字段"
    )


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for statuses a route answers that its shape does not imply."""
    return {s: {"model": ErrorBody, "description": PROBLEM_DESCRIPTIONS[s]} for s in statuses}


def implied_statuses(method: str, operation: dict[str, Any]) -> set[int]:
    """The error statuses an operation of this shape can answer in every service."""
    statuses: set[int] = set()
    parameters = operation.get("parameters", [])
    body = "requestBody" in operation
    if parameters or body:
        statuses.add(422)
    if body:
        statuses.add(413)
    if any(p.get("in") == "path" for p in parameters):
        statuses.add(404)
    if operation.get("security"):
        statuses |= {401, 403}
        if method in WRITE_METHODS:
            statuses.add(409)
    if operation.get("security") or body:
        statuses.add(503)
    return statuses


def _error_schemas() -> dict[str, Any]:
    schema = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    defs = schema.pop("$defs", {})
    return {"ErrorBody": schema, **defs}


def _is_error(status: str) -> bool:
    return status.isdigit() and (400 <= int(status) < 500 or int(status) == 503)


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Document every error status of every operation with `ErrorBody` (in place, idempotent)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(_error_schemas())
    ref = {"$ref": "#/components/schemas/ErrorBody"}
    for path_item in schema.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for status in implied_statuses(method, operation):
                responses.setdefault(str(status), {})
            for status, response in responses.items():
                if not _is_error(status):
                    continue
                if status == "503":
                    if response.get("content"):  # a route's own 503 (/readyz) keeps its own
                        continue
                    response["headers"] = RETRY_AFTER_HEADER
                response["description"] = PROBLEM_DESCRIPTIONS.get(
                    int(status), response.get("description") or "请求有误"
                )
                # Pages (text/html) keep their own media type; JSON errors get the one body.
                content = response.get("content") or {}
                if "text/html" not in content:
                    response["content"] = {"application/json": {"schema": ref}}
    # FastAPI's own 422 models describe a body no service sends: drop them.
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    return schema


def install_problem_docs(app: FastAPI) -> None:
    extend_openapi(app, document_problems)
