"""The JSON Schema of every exchange document, served at /schemas/{name}/{version}.

The outbound documents' schemas come from their models (exchange/documents.py); other parts
of the service (the quarterly statistics) add theirs with `register`.
"""

from __future__ import annotations

from typing import Any

from services.reporting.exchange.documents import MODELS, schema_url

SCHEMAS: dict[tuple[str, int], dict[str, Any]] = {}


def register(name: str, version: int, schema: dict[str, Any]) -> None:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_url(name, version),
        **schema,
    }
    SCHEMAS[(name, version)] = schema


for (_name, _version), _model in MODELS.items():
    register(_name, _version, _model.model_json_schema(by_alias=True, mode="validation"))


def load_all() -> dict[tuple[str, int], dict[str, Any]]:
    """Every schema, the quarterly table's included (its module registers it on import)."""
    import services.reporting.quarterly.document  # noqa: F401

    return SCHEMAS
