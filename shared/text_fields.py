"""Text that a database can store, said in the JSON schema too (every service's edge).

`Printable` refuses control characters (PostgreSQL refuses NUL in text) and lone surrogates;
`Filled`/`Blankable` write the same rule into the OpenAPI as a pattern, `Filled` also saying
that something besides white space is needed (the fields strip white space, then need one
character), so a schema-valid value is one the service takes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator, GetJsonSchemaHandler, StringConstraints
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError


def _printable(value: str) -> str:
    if any((ord(ch) < 0x20 and ch not in "\t\n\r") or ch == "\x7f" for ch in value):
        raise PydanticCustomError("control_characters", "内容不能包含控制字符")
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        raise PydanticCustomError("surrogates", "内容包含无效字符")
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


# No control characters but tab and line breaks. (Lone surrogates, also refused, cannot be said
# in a JSON Schema pattern that generators honour; JSON encoders do not produce them.)
_ALLOWED = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
PRINTABLE_PATTERN = rf"^{_ALLOWED}*$"
# Python's strip() also removes NEL (U+0085), which a JSON Schema `\s` does not match.
FILLED_PATTERN = rf"^{_ALLOWED}*[^\s\x00-\x1f\x7f\x85]{_ALLOWED}*$"


def text(max_length: int, min_length: int = 1) -> object:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


Printable = AfterValidator(_printable)
Filled = JsonPattern(FILLED_PATTERN)
Blankable = JsonPattern(PRINTABLE_PATTERN)
# Free text of up to 2000 characters (notes, opinions), and up to 1000.
LongText = Annotated[str, text(2000), Printable, Filled]
