"""The dead-letter record: what a consumer writes to `<topic>.dlq` when it gives up on a record.

`ops/deadletters.py` reads these records back (list, replay); keep the two in step.
"""

from __future__ import annotations

import base64
import json
from typing import TypeAlias

from aiokafka import ConsumerRecord

Record: TypeAlias = ConsumerRecord[bytes, bytes]


def dlq_record(record: Record, error: str, now: str) -> bytes:
    value: bytes = record.value or b""
    try:
        original: dict[str, str] = {"text": value.decode()}
    except UnicodeDecodeError:
        original = {"base64": base64.b64encode(value).decode()}
    return json.dumps(
        {
            "error": error,
            "source_topic": record.topic,
            "partition": record.partition,
            "offset": record.offset,
            "key": record.key.decode(errors="replace") if record.key else None,
            "failed_at": now,
            "original": original,
        },
        ensure_ascii=False,
    ).encode()
