"""Text that a database can store, said in the JSON schema too (every service's edge).

`Printable` refuses control characters (PostgreSQL refuses NUL in text) and lone surrogates;
`Filled`/`Blankable` write the same rule into the OpenAPI as a pattern, `Filled` also saying
that something besides white space is needed (the fields strip white space, then need one
character), so a schema-valid value is one the service takes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from annotated_types import GroupedMetadata
from pydantic import AfterValidator, BeforeValidator, GetJsonSchemaHandler, StringConstraints
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, PydanticKnownError


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


@dataclass(frozen=True)
class _Text(GroupedMetadata):
    """Strip white space, then need `min_length`; but `max_length` bounds the text as sent, as
    the schema's maxLength says (stripping first would take a longer text than it allows)."""

    max_length: int
    min_length: int

    def __iter__(self) -> Iterator[object]:
        yield StringConstraints(
            strip_whitespace=True, min_length=self.min_length, max_length=self.max_length
        )
        yield BeforeValidator(self._as_sent)

    def _as_sent(self, value: object) -> object:
        if isinstance(value, str) and len(value) > self.max_length:
            raise PydanticKnownError("string_too_long", {"max_length": self.max_length})
        return value


def text(max_length: int, min_length: int = 1) -> object:
    return _Text(max_length=max_length, min_length=min_length)


Printable = AfterValidator(_printable)
Filled = JsonPattern(FILLED_PATTERN)
Blankable = JsonPattern(PRINTABLE_PATTERN)
# Free text of up to 2000 characters (notes, opinions), and up to 1000.
LongText = Annotated[str, text(2000), Printable, Filled]
