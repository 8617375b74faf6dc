"""Field types every hazard_api schema uses: checked at the edge so the database never chokes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, GetJsonSchemaHandler, StringConstraints, WithJsonSchema
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

# PostgreSQL `integer` (SQLAlchemy Integer): a number past it fails the insert.
INT4_MAX = 2_147_483_647
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


@dataclass(frozen=True)
class JsonPattern:
    """Writes into the JSON schema the rule a validator enforces, so the OpenAPI says it."""

    pattern: str

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["pattern"] = self.pattern
        return json_schema


# No control characters but tab and line breaks, and (strip_whitespace then min_length=1)
# something besides white space. (Lone surrogates, also refused, cannot be said in a JSON
# Schema pattern that generators honour; JSON encoders do not produce them.)
_ALLOWED = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
PRINTABLE_PATTERN = rf"^{_ALLOWED}*$"
FILLED_PATTERN = rf"^{_ALLOWED}*[^\s\x00-\x1f\x7f]{_ALLOWED}*$"


def text(max_length: int, min_length: int = 1) -> object:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


Printable = AfterValidator(_printable)
Filled = JsonPattern(FILLED_PATTERN)
Blankable = JsonPattern(PRINTABLE_PATTERN)
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
