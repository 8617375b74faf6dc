"""A delivery's email, built from its dispatch when a send round plans it."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.notification.config import Settings
from services.notification.delivery.models import Delivery, Dispatch
from services.notification.messages.render import Voice, email_subject, render, shown, split
from services.notification.providers.email import Email, message_id
from shared.labels import beijing_time


def build_email(
    settings: Settings,
    voice: Voice,
    delivery: Delivery,
    dispatch: Dispatch,
    link: str,
    now: datetime,
) -> Email:
    items = shown(dispatch.context["items"])
    name = "email/" + delivery.template
    expires = now + timedelta(seconds=settings.ack_link_ttl_s)
    first = items[0]
    subject = email_subject(items, voice)
    overdue, upcoming, others = split(items)
    context = {
        "person_name": dispatch.person_name,
        "items": items,
        "item": first,
        "overdue": overdue,
        "upcoming": upcoming,
        "others": others,
        "count": len(items),
        "action": first["action_label"],
        "unit": first["unit_name"],
        "code": first["code"],
        "deadline": first["deadline_label"],
        "link": link,
        "expires": beijing_time(expires),
        "subject": subject,
        "county": voice.county,
        "organisation": voice.organisation,
        "phone": voice.phone,
    }
    return Email(
        to=delivery.address,
        subject=subject,
        text=render(name, delivery.template_version, "txt", **context),
        html=render(name, delivery.template_version, "html", **context),
        message_id=message_id(dispatch.id, delivery.id, settings.smtp_message_id_domain),
        date=now,
    )
