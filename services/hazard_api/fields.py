"""Field types every hazard_api schema uses: checked at the edge so the database never chokes."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from shared.text_fields import (
    FILLED_PATTERN,
    PRINTABLE_PATTERN,
    Blankable,
    Filled,
    JsonPattern,
    Printable,
    text,
)

__all__ = ["Blankable", "Filled", "Printable", "text"]

# PostgreSQL `integer` (SQLAlchemy Integer): a number past it fails the insert.
INT4_MAX = 2_147_483_647
ID_PATTERN = r"^[A-Za-z0-9_.:\-]{1,36}$"
_ID = re.compile(ID_PATTERN)


def _entity_id(value: str) -> str:
    if not (1 <= len(value) <= 36) or not all(
        ch.isascii() and (ch.isalnum() or ch in "_.:-") for ch in value
    ):
        raise PydanticCustomError("entity_id", "编号格式不正确（1至36位字母、数字或 _ . : -）")
    return value


EntityId = Annotated[
    str,
    AfterValidator(_entity_id),
    WithJsonSchema({"type": "string", "pattern": ID_PATTERN, "minLength": 1, "maxLength": 36}),
]
Name = Annotated[str, text(100), Printable, JsonPattern(FILLED_PATTERN)]
PersonName = Annotated[str, text(50), Printable, JsonPattern(FILLED_PATTERN)]
ShortText = Annotated[str, text(100, min_length=0), Printable, JsonPattern(PRINTABLE_PATTERN)]
SearchText = Annotated[str, text(50, min_length=0), Printable, JsonPattern(PRINTABLE_PATTERN)]
# Path parameters: an id that cannot exist is refused (422) before any query runs.
IdPath = Annotated[str, Path(pattern=ID_PATTERN, max_length=36)]
