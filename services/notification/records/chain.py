"""Appending recorded states to the chain, and the message each link signs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, tuple_, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.orm import Session

from services.notification.records.kinds import KINDS, Kind, state_of
from services.notification.records.models import HEAD_ID, RecordEntry, RecordHead
from shared.clock import Clock
from shared.hashchain import canonical, derived_key, genesis, link

GENESIS = genesis("notification-record")
_CONTEXT = b"duban-notification-record-v1"


@dataclass(frozen=True)
class Keyring:
    current_id: str
    keys: dict[str, bytes]

    def sign(self, message: str, key_id: str | None = None) -> str | None:
        key_id = key_id or self.current_id
        key = self.keys.get(key_id)
        return link(key, key_id, message) if key is not None else None


def keyring_of(*secret_keys: str) -> Keyring:
    """The first secret key signs; older ones (after a rotation) still verify."""
    pairs = [derived_key(s, _CONTEXT) for s in secret_keys if s]
    return Keyring(pairs[0][0], dict(pairs))


@dataclass
class _Installed:
    keyring: Keyring
    clock: Clock


_installed: _Installed | None = None


def install(keyring: Keyring, clock: Clock) -> None:
    """The keyring and clock this process records with (one per process, set by Runtime)."""
    global _installed
    _installed = _Installed(keyring, clock)


def installed() -> _Installed:
    if _installed is None:
        raise RuntimeError("record of service not installed (Runtime sets it)")
    return _installed


def entry_message(
    *, seq: int, at: datetime, kind: str, entity_id: str, state_json: str, prev: str
) -> str:
    """What an entry's HMAC signs: its header, then its state's canonical JSON."""
    header = canonical({"seq": seq, "at": at, "kind": kind, "id": entity_id, "prev": prev})
    return f"{header}\n{state_json}"


def head_message(seq: int, hash_: str) -> str:
    return f"record-head:{seq}:{hash_}"


def _last_states(session: Session, keys: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}
    for start in range(0, len(keys), 500):
        rows = session.execute(
            select(RecordEntry.kind, RecordEntry.entity_id, RecordEntry.state)
            .where(tuple_(RecordEntry.kind, RecordEntry.entity_id).in_(keys[start : start + 500]))
            .order_by(RecordEntry.seq)
        )
        for kind, entity_id, state in rows:
            found[(kind, entity_id)] = canonical(state)
    return found


def append(session: Session, rows: Sequence[tuple[Kind, RowMapping]]) -> int:
    """Append the states that differ from each row's last recorded state; returns how many."""
    setup = installed()
    states = {(k.name, k.entity_id(r)): state_of(k, r) for k, r in rows}
    last = _last_states(session, list(states))
    changed = [
        (key, s, text) for key, s in states.items() if last.get(key) != (text := canonical(s))
    ]
    if not changed:
        return 0
    head = session.execute(
        select(RecordHead).where(RecordHead.id == HEAD_ID).with_for_update()
    ).scalar_one()
    at = setup.clock.now()
    seq, prev = head.seq, head.hash
    values = []
    for (kind, entity_id), state, text in changed:
        seq += 1
        message = entry_message(
            seq=seq, at=at, kind=kind, entity_id=entity_id, state_json=text, prev=prev
        )
        digest = setup.keyring.sign(message)
        assert digest is not None
        values.append(
            {
                "seq": seq,
                "at": at,
                "kind": kind,
                "entity_id": entity_id,
                "state": state,
                "prev_hash": prev,
                "hash": digest,
                "key_id": setup.keyring.current_id,
            }
        )
        prev = digest
    session.execute(insert(RecordEntry), values)
    session.execute(
        update(RecordHead)
        .where(RecordHead.id == HEAD_ID)
        .values(
            seq=seq,
            hash=prev,
            key_id=setup.keyring.current_id,
            mac=setup.keyring.sign(head_message(seq, prev)),
        )
    )
    return len(values)


def record_existing(session: Session) -> int:
    """Record the rows written before the chain existed (a database upgraded to 0004): once,
    while the chain is empty, at start."""
    head = session.get(RecordHead, HEAD_ID)
    if head is None or head.seq:
        return 0
    rows: list[tuple[Kind, RowMapping]] = []
    for kind in KINDS:
        rows.extend((kind, r) for r in session.execute(kind.table.select()).mappings())
    return append(session, rows) if rows else 0
