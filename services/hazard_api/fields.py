"""Field types every hazard_api schema uses: checked at the edge so the database never chokes."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, StringConstraints
from pydantic_core import PydanticCustomError

ID_PATTERN = r"^[A-Za-z0-9_.:\-]{1,36}$"
_ID = re.compile(ID_PATTERN)


def _printable(value: str) -> str:
    # NUL and other control characters cannot be stored (PostgreSQL refuses NUL in text).
    if any((ord(ch) < 0x20 and ch not in "\t\n\r") or ch == "\x7f" for ch in value):
        raise PydanticCustomError("control_characters", "内容不能包含控制字符")
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        raise PydanticCustomError("surrogates", "内容包含无效字符")
    return value


def _entity_id(value: str) -> str:
    if not (1 <= len(value) <= 36) or not all(
        ch.isascii() and (ch.isalnum() or ch in "_.:-") for ch in value
    ):
        raise PydanticCustomError("entity_id", "编号格式不正确（1至36位字母、数字或 _ . : -）")
    return value


def text(max_length: int, min_length: int = 1) -> object:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


Printable = AfterValidator(_printable)
EntityId = Annotated[str, AfterValidator(_entity_id)]
Name = Annotated[str, text(100), Printable]
PersonName = Annotated[str, text(50), Printable]
ShortText = Annotated[str, text(100, min_length=0), Printable]
SearchText = Annotated[str, text(50, min_length=0), Printable]
# Path parameters: an id that cannot exist is refused (422) before any query runs.
IdPath = Annotated[str, Path(pattern=ID_PATTERN, max_length=36)]
