"""文号 (发文字号): 〔year〕serial号 after the issuing body's prefix, from a counter per issuing
body, type and year.

The serial comes from `UPDATE … SET last = last + 1 … RETURNING last` inside the issuing
transaction: the update locks the counter row (as SELECT … FOR UPDATE would) until the issue
commits or rolls back, so concurrent issues queue on it, and a failed issue hands its number
back to the next one. Numbers are therefore consecutive, unique and without gaps.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.documents.models import DocumentCounter


def doc_no(prefix: str, year: int, serial: int) -> str:
    """GB/T 9704 7.2.4: 年份用六角括号〔〕, 序号不编虚位（1不编为01）、不加“第”字."""
    return f"{prefix}〔{year}〕{serial}号"


async def next_serial(session: AsyncSession, *, issuing_body: str, doc_type: str, year: int) -> int:
    postgres = session.get_bind().dialect.name == "postgresql"
    insert = pg_insert if postgres else sqlite_insert
    # The first document of a year creates its counter; racing creators meet on the key.
    await session.execute(
        insert(DocumentCounter)
        .values(issuing_body=issuing_body, doc_type=doc_type, year=year, last=0)
        .on_conflict_do_nothing()
    )
    serial = await session.scalar(
        update(DocumentCounter)
        .where(
            DocumentCounter.issuing_body == issuing_body,
            DocumentCounter.doc_type == doc_type,
            DocumentCounter.year == year,
        )
        .values(last=DocumentCounter.last + 1)
        .returning(DocumentCounter.last)
    )
    assert serial is not None  # the row exists: inserted above or before
    return int(serial)
