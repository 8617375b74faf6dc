"""What an import tells the rest of the system: one org event (outbox) and one audit row per
entity it changed, collected while diffing and written at the end in bulk.

A county is tens of thousands of entities, so the per-entity work is kept to a few C calls:
payloads are plain dicts (payloads.py), JSON is written by orjson, and each audit row's HMAC
continues a prepared key state. The bytes are the ones the audit service would produce
(`row_message` sorts keys, writes compact JSON without ASCII escapes: orjson's
`OPT_SORT_KEYS` output is identical for these strings, booleans and lists), so `/audit/verify`
recomputes every hash unchanged; the tests verify an imported county's chains."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

import orjson
from sqlalchemy import ARRAY, String, Table, bindparam, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.audit.keys import current_keyring
from services.hazard_api.audit.models import AuditRow
from services.hazard_api.audit.service import Actor, ChainHead, genesis
from services.hazard_api.db import outbox_tables
from services.hazard_api.directory.copying import copy_records
from services.hazard_api.directory.payloads import (
    ID_FIELDS,
    person_payload,
    post_payload,
    state_of,
    unit_payload,
)
from services.hazard_api.directory.rows import PersonRow, PostRow, Snapshot, UnitRow
from shared.contract import (
    EVENT_TYPES_BY_MODEL,
    ORG_EVENTS,
    Envelope,
    PersonUpserted,
    PostUpserted,
    Producer,
    UnitUpserted,
)
from shared.outbox import OutboxRow, add_serialized_events

_audit_table: Table = AuditRow.__table__  # type: ignore[assignment]
CHUNK = 500  # ids per IN (…) list: well inside SQLite's and asyncpg's parameter limits
_EVENT_TYPES = {
    "unit": EVENT_TYPES_BY_MODEL[UnitUpserted],
    "person": EVENT_TYPES_BY_MODEL[PersonUpserted],
    "post": EVENT_TYPES_BY_MODEL[PostUpserted],
}
_AUDIT_COLUMNS = (
    "chain_key",
    "seq",
    "at",
    "actor_user_id",
    "actor_person_id",
    "actor_role",
    "action",
    "entity_type",
    "entity_id",
    "before",
    "after",
    "prev_hash",
    "hash",
    "key_id",
)


class Entries(NamedTuple):
    """What an import creates and changes, by kind."""

    new_units: list[UnitRow]
    changed_units: list[UnitRow]
    new_people: list[PersonRow]
    changed_people: list[PersonRow]
    new_posts: list[PostRow]
    changed_posts: list[PostRow]


Prepared = tuple[list[OutboxRow], list[tuple[Any, ...]]]


def event_ids(count: int) -> list[str]:
    """Random (version 4) UUIDs as text: one system call for all, no `uuid.UUID` per id."""
    block = bytearray(os.urandom(16 * count))
    block[6::16] = bytes((b & 0x0F) | 0x40 for b in block[6::16])
    block[8::16] = bytes((b & 0x3F) | 0x80 for b in block[8::16])
    out = []
    for i in range(0, len(block), 16):
        h = block[i : i + 16].hex()
        out.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    return out


class Journal:
    """Collects the events and audit rows of one import, written at the end in bulk."""

    def __init__(self, actor: Actor, now: datetime) -> None:
        self.actor = actor
        self.now = now
        # (entity, id, payload, before, after state)
        self.changes: list[tuple[str, str, dict[str, Any], Any, dict[str, Any]]] = []
        # The envelope's fixed parts, serialised once as pydantic does for `Envelope`.
        sample = Envelope(
            type="x", occurred_at=now, aggregate_id="x", producer=Producer.HAZARD_API, payload={}
        )
        self._occurred_at = orjson.dumps(sample.model_dump(mode="json")["occurred_at"]).decode()

    def change(
        self,
        entity: str,
        payload: dict[str, Any],
        before: dict[str, Any] | None,
        **extra: Any,
    ) -> None:
        """One entity created (`before` None) or updated: its full-state event and audit row."""
        entity_id = payload[ID_FIELDS[entity]]
        self.changes.append(
            (entity, entity_id, payload, before, state_of(entity, payload, **extra))
        )

    def events(self) -> list[OutboxRow]:
        # The envelope's JSON written directly; consumers parse it as `Envelope` like any
        # other (the tests check they do).
        ids = event_ids(len(self.changes))
        head = f',"occurred_at":{self._occurred_at},"aggregate_id":'
        producer = f',"producer":"{Producer.HAZARD_API.value}","payload":'
        dumps = orjson.dumps
        return [
            OutboxRow(
                event_id,
                ORG_EVENTS,
                entity_id,
                f'{{"event_id":"{event_id}","type":"{_EVENT_TYPES[entity][0]}",'
                f'"version":{_EVENT_TYPES[entity][1]}{head}'
                f"{dumps(entity_id).decode()}{producer}{dumps(payload).decode()}}}",
            )
            for event_id, (entity, entity_id, payload, _, _) in zip(ids, self.changes, strict=True)
        ]

    def audit_records(self, heads: dict[str, ChainHead]) -> list[tuple[Any, ...]]:
        """The audit rows' column values (`_AUDIT_COLUMNS`), each hashed as `new_row_values`
        would: HMAC-SHA256 of "<key id>\\n<row_message>" with the current key."""
        keyring = current_keyring()
        key_id = keyring.current_id
        signer = hmac.new(keyring.current, f"{key_id}\n".encode(), hashlib.sha256)
        actor = self.actor
        at = self.now.isoformat(timespec="microseconds")
        sort = orjson.OPT_SORT_KEYS
        dumps = orjson.dumps
        records: list[tuple[Any, ...]] = []
        for entity, entity_id, _, before, after in self.changes:
            chain = f"{entity}:{entity_id}"
            head = heads.get(chain)
            seq, prev = (head.seq + 1, head.hash) if head else (1, genesis(chain))
            action = f"directory.{entity}_{'updated' if before else 'created'}"
            body = {
                "chain": chain,
                "seq": seq,
                "at": at,
                "user": actor.user_id,
                "person": actor.person_id,
                "role": actor.role,
                "action": action,
                "entity": [entity, entity_id],
                "before": before,
                "after": after,
                "prev": prev,
            }
            mac = signer.copy()
            mac.update(dumps(body, option=sort))
            records.append(
                (
                    chain,
                    seq,
                    self.now,
                    actor.user_id,
                    actor.person_id,
                    actor.role,
                    action,
                    entity,
                    entity_id,
                    before,
                    after,
                    prev,
                    mac.hexdigest(),
                    key_id,
                )
            )
        return records

    def record(self, entries: Entries, current: Snapshot) -> None:
        """Each created or changed entity, with its state before (from `current`)."""
        for unit in entries.new_units:
            self.change("unit", unit_payload(unit), None)
        for unit in entries.changed_units:
            before = state_of("unit", unit_payload(current.units[unit.id]))
            self.change("unit", unit_payload(unit), before)
        for person in entries.new_people:
            self.change("person", person_payload(person), None, unit_id=person.unit_id)
        for person in entries.changed_people:
            was = current.people[person.id]
            before = state_of("person", person_payload(was), unit_id=was.unit_id)
            self.change("person", person_payload(person), before, unit_id=person.unit_id)
        for post in entries.new_posts:
            self.change("post", post_payload(post), None)
        for post in entries.changed_posts:
            before = state_of("post", post_payload(current.posts[post.id]))
            self.change("post", post_payload(post), before)

    def prepare(
        self, entries: Entries, current: Snapshot, heads: dict[str, ChainHead], *, postgres: bool
    ) -> Prepared:
        """The outbox rows and audit records, database-free (it runs in a worker thread).
        `heads`: the audit chains the changes continue (`chain_heads`)."""
        self.record(entries, current)
        records = self.audit_records(heads)
        if postgres:
            # asyncpg takes json as text (SQLAlchemy's JSON type would have serialised it).
            dumps = orjson.dumps
            records = [
                (
                    *r[:9],
                    None if r[9] is None else dumps(r[9]).decode(),
                    dumps(r[10]).decode(),
                    *r[11:],
                )
                for r in records
            ]
        return self.events(), records

    async def write(self, session: AsyncSession, prepared: Prepared) -> None:
        events, records = prepared
        await add_serialized_events(session, outbox_tables.outbox, events, now=self.now)
        if session.get_bind().dialect.name == "postgresql":
            await copy_records(session, _audit_table, _AUDIT_COLUMNS, records)
        elif records:
            await session.execute(
                insert(_audit_table), [dict(zip(_AUDIT_COLUMNS, r, strict=True)) for r in records]
            )


async def chain_heads(session: AsyncSession, keys: list[str]) -> dict[str, ChainHead]:
    """The last seq and hash of each audit chain in `keys` that exists. A new unit or person
    has no chain yet (neither is ever deleted); a post may have been deleted and created
    again under its code, so a new post's chain is looked up like a change's."""
    heads: dict[str, ChainHead] = {}
    if not keys:
        return heads
    if session.get_bind().dialect.name == "postgresql":  # one statement over an array
        rows = await session.execute(
            text(
                "SELECT DISTINCT ON (chain_key) chain_key, seq, hash FROM audit_log "
                "WHERE chain_key = ANY(:keys) ORDER BY chain_key, seq DESC"
            ).bindparams(bindparam("keys", value=keys, type_=ARRAY(String)))
        )
        return {key: ChainHead(seq, digest) for key, seq, digest in rows}
    for chunk in chunks(keys):
        rows = await session.execute(
            select(AuditRow.chain_key, AuditRow.seq, AuditRow.hash).where(
                AuditRow.chain_key.in_(chunk)
            )
        )
        for key, seq, digest in rows:
            if key not in heads or heads[key].seq < seq:
                heads[key] = ChainHead(seq, digest)
    return heads


def chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]
