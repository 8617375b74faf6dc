"""The exchange documents' JSON Schemas over HTTP: GET /schemas, /schemas/{name}/{version}."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, status

from services.reporting.exchange.schemas import load_all

router = APIRouter(prefix="/schemas", tags=["exchange format"])


@router.get("")
async def list_schemas() -> list[dict[str, Any]]:
    return [
        {"name": name, "version": version, "title": schema.get("title", "")}
        for (name, version), schema in sorted(load_all().items())
    ]


@router.get("/{name}/{version}")
async def get_schema(name: str, version: int) -> dict[str, Any]:
    schema = load_all().get((name, version))
    if schema is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"没有名为 {name} 的第 {version} 版交换文档")
    return schema
