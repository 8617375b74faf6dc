"""Who is using an acknowledgement link: the recipient, or somebody it was forwarded to.

A county accepts "the last four digits of the mobile the notice went to" as the person's
confirmation: the notice was sent to that number, the person knows it by heart, and somebody a
link was forwarded to (a WeChat group, a deputy) usually does not. It needs no account and no
second SMS (a signed-in identity would shut out the enterprise principals, who have none).
Whoever is not the recipient says who they are; that use is recorded and shown in the proof of
service, and never counts as the recipient's acknowledgement. After a few wrong digits the
link no longer signs for the recipient (guessing 10,000 numbers is not an option).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notification.ack.models import LinkUse
from services.notification.delivery.models import Delivery, Dispatch
from services.notification.directory.models import DirPerson
from shared.contract import Channel, PersonUpserted

TAIL = 4
MAX_WRONG = 5
VERIFIED_BY_PHONE = "phone_tail"
VERIFIED_BY_NAME = "name"  # the recipient has no mobile on record: the full name
VERIFIED_BY_SIGN_IN = "signed_in"  # 签收 in the portal: the session is the person's own sign-in
_DIGITS = re.compile(r"\D")


@dataclass(frozen=True)
class Identification:
    """What the page's form said: the recipient (with the digits) or somebody else."""

    recipient: bool
    phone_tail: str = ""
    name: str = ""
    unit: str = ""


class IdentificationInvalid(ValueError):
    """The form is incomplete or malformed (the message is for the reader)."""


def read_form(form: dict[str, str]) -> Identification:
    who = form.get("who", "")
    if who == "self":
        tail = form.get("phone_tail", "").strip()
        name = form.get("name", "").strip()
        if not (re.fullmatch(r"\d{4}", tail) or name):
            raise IdentificationInvalid("请输入接收本通知的手机号码后四位（4位数字）")
        return Identification(True, phone_tail=tail, name=name[:50])
    if who == "other":
        name = form.get("name", "").strip()
        if not 2 <= len(name) <= 50:
            raise IdentificationInvalid("请填写您的姓名（2至50个字）")
        return Identification(False, name=name, unit=form.get("unit", "").strip()[:100])
    raise IdentificationInvalid("请选择：本人签收，或登记为他人代为查看")


async def recipient_phones(dispatch: Dispatch, *, session: AsyncSession) -> set[str]:
    """The numbers the notice went to, and the person's mobile on record."""
    sent = await session.scalars(
        select(Delivery.address).where(
            Delivery.dispatch_id == dispatch.id, Delivery.channel == Channel.SMS
        )
    )
    phones = {_DIGITS.sub("", p) for p in sent}
    person = await session.get(DirPerson, dispatch.person_id)
    if person is not None:
        mobile = PersonUpserted.model_validate(person.payload).mobile
        if mobile:
            phones.add(_DIGITS.sub("", mobile))
    return {p for p in phones if len(p) >= TAIL}


async def wrong_tries(dispatch: Dispatch, *, session: AsyncSession) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(LinkUse)
        .where(LinkUse.dispatch_id == dispatch.id, LinkUse.claimed_recipient.is_(True))
    )
    return int(count or 0)


def verified(ident: Identification, dispatch: Dispatch, phones: set[str]) -> str | None:
    """How the user showed they are the recipient, or None: they did not."""
    if phones:
        ok = bool(ident.phone_tail) and any(p.endswith(ident.phone_tail) for p in phones)
        return VERIFIED_BY_PHONE if ok else None
    return VERIFIED_BY_NAME if ident.name and ident.name == dispatch.person_name else None
