"""The envelope every message travels in; parsed by `Envelope.parse_message`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from shared.contract.registry import EVENT_TYPES_BY_MODEL, PAYLOAD_MODELS
from shared.contract.topics import Producer


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True)

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str = Field(min_length=1, max_length=100)
    version: int = Field(default=1, ge=1)
    occurred_at: AwareDatetime
    aggregate_id: str = Field(min_length=1, max_length=100)
    producer: str = Field(min_length=1, max_length=50)
    payload: dict[str, Any]

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, v: datetime) -> datetime:
        return v.astimezone(UTC)

    @classmethod
    def of(
        cls,
        payload: BaseModel,
        *,
        aggregate_id: str,
        producer: Producer | str,
        occurred_at: datetime,
        event_id: uuid.UUID | None = None,
    ) -> Envelope:
        event_type, version = EVENT_TYPES_BY_MODEL[type(payload)]
        return cls(
            event_id=event_id or uuid.uuid4(),
            type=event_type,
            version=version,
            occurred_at=occurred_at,
            aggregate_id=aggregate_id,
            producer=str(producer),
            payload=payload.model_dump(mode="json"),
        )

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def parse_message(cls, raw: bytes | None) -> Envelope:
        if raw is None:
            raise ValueError("empty message")
        return cls.model_validate_json(raw)

    def typed_payload(self) -> BaseModel:
        """The payload as its model; raises for an unknown type/version or a bad payload."""
        model = PAYLOAD_MODELS.get((self.type, self.version))
        if model is None:
            raise ValueError(f"unknown event type {self.type!r} version {self.version}")
        return model.model_validate(self.payload)
