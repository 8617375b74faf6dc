"""The OpenAPI's limits match the columns: nothing the schema accepts can fail an insert.

Every request body's property that names a column of a hazard_api table is compared with that
column: an `integer` column (PostgreSQL int4) needs a schema maximum within int4, a
`VARCHAR(n)` a maxLength of at most n.
"""

from __future__ import annotations

import re._constants as sre_constants  # type: ignore[import-not-found]
import re._parser as sre_parse  # type: ignore[import-not-found]
from typing import Any

from sqlalchemy import BigInteger, Integer, String

from services.hazard_api.db import Base, import_models
from services.hazard_api.main import create_app
from tests.hazard_api.conftest import make_settings

INT4 = (-(2**31), 2**31 - 1)
# The tables an operation writes, by the first segment of its path (a property is compared
# with the column of the same name in those tables).
WRITES = {
    "users": ("users",),
    "units": ("units", "supervising_departments"),
    "people": ("people",),
    "posts": ("posts", "portfolio_units", "portfolio_industries"),
    "hazards": ("hazards", "treatment_plans", "acceptances", "extensions", "attachments"),
}


# Normalised before they are stored (spaces, +86 and dashes dropped, upper-cased): the stored
# value is at most the column's length whatever the input's.
NORMALISED = {"mobile", "industry_code", "credit_code"}


def _longest(prop: dict[str, Any]) -> int | None:
    """maxLength, or the longest string the pattern matches when that is bounded."""
    if "maxLength" in prop:
        return int(prop["maxLength"])
    if "pattern" in prop:
        longest = sre_parse.parse(prop["pattern"]).getwidth()[1]
        return longest if longest < sre_constants.MAXREPEAT else None
    return None


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _variants(schema: dict[str, Any], node: dict[str, Any]) -> list[dict[str, Any]]:
    node = _resolve(schema, node)
    if "anyOf" in node:
        return [v for sub in node["anyOf"] for v in _variants(schema, sub)]
    if node.get("type") == "array" and "items" in node:
        return _variants(schema, node["items"])
    return [node]


def _request_properties(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                body = _resolve(schema, media["schema"])
                for name, prop in body.get("properties", {}).items():
                    for variant in _variants(schema, prop):
                        found.append((f"{method.upper()} {path}", name, variant))
    return found


def _columns(operation: str) -> dict[str, list[Any]]:
    import_models()
    segment = operation.split(" ", 1)[1].split("/")[1]
    columns: dict[str, list[Any]] = {}
    for name in WRITES.get(segment, ()):
        for column in Base.metadata.tables[name].columns:
            columns.setdefault(column.name, []).append(column)
    return columns


def test_request_limits_fit_the_columns() -> None:
    app = create_app(make_settings("sqlite+aiosqlite:///:memory:"))
    schema = app.openapi()
    compared = 0
    mismatches = []
    for operation, name, prop in _request_properties(schema):
        for column in _columns(operation).get(name, []):
            where = f"{operation} {name} → {column.table.name}.{column.name}"
            kind = type(column.type)
            if kind is Integer and prop.get("type") == "integer":
                compared += 1
                low, high = prop.get("minimum"), prop.get("maximum")
                if low is None or high is None or low < INT4[0] or high > INT4[1]:
                    mismatches.append(f"{where}: [{low}, {high}] outside int4")
            elif kind is String and prop.get("type") == "string" and column.type.length:
                if name in NORMALISED:
                    continue
                compared += 1
                longest = _longest(prop)
                if "enum" not in prop and (longest is None or longest > column.type.length):
                    mismatches.append(f"{where}: maxLength {longest} > {column.type.length}")
            elif kind is BigInteger:
                compared += 1
    assert "\n".join(mismatches) == ""
    assert compared > 20
