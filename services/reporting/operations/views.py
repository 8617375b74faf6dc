"""The deliveries view, replay and verification over HTTP (filled in next)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/submissions", tags=["submissions ledger"])
