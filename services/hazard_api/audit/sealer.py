"""The global chain: audit rows sealed after commit in one gapless sequence, and its anchors.

Writers never touch the global chain: a transition appends to its item's chain under the item's
row lock and commits. The sealer, a background task, then takes the committed rows not sealed
yet, in id order, numbers them on from the sealed head (`gseq`) and chains them with an HMAC
(`ghash`), moving the head kept in `audit_seal` in the same transaction (that row is also its
lock: one sealer at a time, even with several processes). Deleting rows once sealed leaves a gap
in the numbers; rewriting them needs the key and leaves the anchors disagreeing.

Anchors: from time to time the sealed head (gseq, ghash) is appended to a JSON-lines file the
operator keeps outside the database, each line MAC'd; a chain rewritten from an earlier point
disagrees with every anchor made after that point.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.hazard_api.audit.keys import LEGACY, Keyring
from services.hazard_api.audit.models import AuditRow, AuditSeal
from shared.clock import Clock
from shared.loops import start_loop, stop_loop

log = logging.getLogger(__name__)

GLOBAL_GENESIS = "0" * 64
SEAL_ID = 1


def global_message(*, gseq: int, prev: str, row: AuditRow | Any) -> str:
    """What a row's global HMAC covers: its place, its predecessor and its own (keyed) hash."""
    return f"{gseq}\n{prev}\n{row.chain_key}\n{row.seq}\n{row.key_id}\n{row.hash}"


def head_message(gseq: int, ghash: str) -> str:
    return f"head\n{gseq}\n{ghash}"


# In-process guard (SQLite has no row locks; the seal row serialises processes on PostgreSQL).
_sealing = asyncio.Lock()


async def seal(
    sessionmaker: async_sessionmaker[AsyncSession], keyring: Keyring, *, batch: int = 2000
) -> int:
    """Seal the committed rows not sealed yet (up to `batch`); returns how many."""
    async with _sealing:
        try:
            async with sessionmaker() as session, session.begin():
                return await _seal_batch(session, keyring, batch)
        except IntegrityError:  # another process sealed (or created the head) meanwhile
            log.info("audit sealing raced another sealer; next pass continues")
            return 0


async def _seal_batch(session: AsyncSession, keyring: Keyring, batch: int) -> int:
    head = await session.scalar(select(AuditSeal).where(AuditSeal.id == SEAL_ID).with_for_update())
    if head is None:
        head = AuditSeal(id=SEAL_ID, gseq=0, ghash=GLOBAL_GENESIS, key_id="", mac="")
        session.add(head)
        await session.flush()
    # Rows from before keys (legacy) have the lowest ids, so they are all sealed before the
    # first keyed row; a legacy row turning up after that is forged (plain SHA-256 needs no
    # key) and is never sealed: verification names it.
    keyed_sealed = False
    if head.gseq:
        last_key = await session.scalar(select(AuditRow.key_id).where(AuditRow.gseq == head.gseq))
        keyed_sealed = last_key is not None and last_key != LEGACY
    pending = select(
        AuditRow.id, AuditRow.chain_key, AuditRow.seq, AuditRow.key_id, AuditRow.hash
    ).where(AuditRow.gseq.is_(None))
    if keyed_sealed:
        pending = pending.where(AuditRow.key_id != LEGACY)
    rows = (await session.execute(pending.order_by(AuditRow.id).limit(batch))).all()
    gseq, prev = head.gseq, head.ghash
    changes = []
    for row in rows:
        if row.key_id == LEGACY and keyed_sealed:
            continue
        keyed_sealed = keyed_sealed or row.key_id != LEGACY
        gseq += 1
        prev = keyring.sign(global_message(gseq=gseq, prev=prev, row=row))
        changes.append({"id": row.id, "gseq": gseq, "gkey_id": keyring.current_id, "ghash": prev})
    if not changes:
        return 0
    await _write_seals(session, changes)
    head.gseq, head.ghash, head.key_id = gseq, prev, keyring.current_id
    head.mac = keyring.sign(head_message(gseq, prev))
    return len(changes)


# PostgreSQL: one statement for the whole batch (the ORM's bulk update runs one per row).
_SEAL_PG = text(
    "UPDATE audit_log SET gseq = v.gseq, gkey_id = v.gkey_id, ghash = v.ghash"
    " FROM unnest(CAST(:ids AS bigint[]), CAST(:gseqs AS bigint[]),"
    " CAST(:gkey_ids AS varchar[]), CAST(:ghashes AS varchar[])) AS v(id, gseq, gkey_id, ghash)"
    " WHERE audit_log.id = v.id"
)


async def _write_seals(session: AsyncSession, changes: list[dict[str, Any]]) -> None:
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            _SEAL_PG,
            {
                "ids": [c["id"] for c in changes],
                "gseqs": [c["gseq"] for c in changes],
                "gkey_ids": [c["gkey_id"] for c in changes],
                "ghashes": [c["ghash"] for c in changes],
            },
        )
    else:
        await session.execute(update(AuditRow), changes)


async def seal_all(sessionmaker: async_sessionmaker[AsyncSession], keyring: Keyring) -> int:
    total = 0
    while n := await seal(sessionmaker, keyring):
        total += n
    return total


async def seal_in(session: AsyncSession, keyring: Keyring) -> int:
    """Seal everything pending within a caller's session (committing each batch): for a
    request that already holds a connection (SQLite allows one writer)."""
    total = 0
    async with _sealing:
        try:
            while n := await _seal_batch(session, keyring, 2000):
                await session.commit()
                total += n
            await session.commit()
        except IntegrityError:
            await session.rollback()
            log.info("audit sealing raced another sealer; next pass continues")
    return total


# ---------------------------------------------------------------- anchors
@dataclass(frozen=True)
class Anchor:
    n: int
    at: str
    gseq: int
    ghash: str
    key_id: str
    mac: str

    def message(self) -> str:
        return f"anchor\n{self.n}\n{self.at}\n{self.gseq}\n{self.ghash}"


def read_anchors(path: str) -> Iterator[Anchor | int]:
    """The file's anchors in order; a line that is no anchor yields its line number."""
    file = Path(path)
    if not file.exists():
        return
    with file.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
                yield Anchor(
                    n=int(d["n"]),
                    at=str(d["at"]),
                    gseq=int(d["gseq"]),
                    ghash=str(d["ghash"]),
                    key_id=str(d["key_id"]),
                    mac=str(d["mac"]),
                )
            except (ValueError, KeyError, TypeError):
                yield number


def last_anchor(path: str) -> Anchor | None:
    last = None
    for a in read_anchors(path):
        if isinstance(a, Anchor):
            last = a
    return last


def append_anchor(path: str, *, keyring: Keyring, gseq: int, ghash: str, at: datetime) -> Anchor:
    previous = last_anchor(path)
    unsigned = Anchor(
        n=(previous.n + 1) if previous else 1,
        at=at.isoformat(),
        gseq=gseq,
        ghash=ghash,
        key_id=keyring.current_id,
        mac="",
    )
    anchor = Anchor(**(unsigned.__dict__ | {"mac": keyring.sign(unsigned.message())}))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(anchor.__dict__, separators=(",", ":")) + "\n")
        out.flush()
        os.fsync(out.fileno())
    return anchor


async def anchor_head(
    sessionmaker: async_sessionmaker[AsyncSession], keyring: Keyring, path: str, clock: Clock
) -> Anchor | None:
    """Append the sealed head to the anchor file unless it is anchored already. Under the seal
    row's lock: processes sharing the file take turns (anchor numbers stay unique)."""
    async with _sealing, sessionmaker() as session, session.begin():
        head = await session.scalar(
            select(AuditSeal).where(AuditSeal.id == SEAL_ID).with_for_update()
        )
        if head is None or head.gseq == 0:
            return None
        previous = await asyncio.to_thread(last_anchor, path)
        if previous is not None and previous.gseq == head.gseq:
            return None
        return await asyncio.to_thread(
            append_anchor, path, keyring=keyring, gseq=head.gseq, ghash=head.ghash, at=clock.now()
        )


class AuditSealer:
    """The background task: seal every `seal_seconds`, anchor every `anchor_seconds`."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        keyring: Keyring,
        clock: Clock,
        *,
        seal_seconds: float,
        anchor_file: str | None,
        anchor_seconds: float,
    ) -> None:
        self._sessionmaker, self._keyring, self._clock = sessionmaker, keyring, clock
        self._seal_seconds = seal_seconds
        self._anchor_file, self._anchor_every = anchor_file, timedelta(seconds=anchor_seconds)
        self._anchored_at: datetime | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = start_loop(self._run(), name="audit-sealer")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await stop_loop(task)

    async def tick(self) -> None:
        await seal_all(self._sessionmaker, self._keyring)
        now = self._clock.now()
        due = self._anchored_at is None or now - self._anchored_at >= self._anchor_every
        if self._anchor_file and due:  # the interval runs from the last anchor written
            anchor = await anchor_head(
                self._sessionmaker, self._keyring, self._anchor_file, self._clock
            )
            if anchor is not None:
                self._anchored_at = now

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database away a moment: the next pass seals it
                log.exception("audit sealing failed; retrying")
            await asyncio.sleep(self._seal_seconds)
