"""The acknowledgement link every notice carries."""

from __future__ import annotations

from datetime import timedelta

from services.notification.ack.tokens import make_token
from services.notification.config import Settings
from services.notification.delivery.models import Dispatch
from shared.contract import Channel

ACK_PATH = "/a/"


def ack_link(settings: Settings, dispatch: Dispatch, channel: Channel) -> str:
    expires = dispatch.created_at + timedelta(seconds=settings.ack_link_ttl_s)
    token = make_token(settings.secret_key, dispatch.id, channel, expires)
    return settings.public_base_url.rstrip("/") + ACK_PATH + token
