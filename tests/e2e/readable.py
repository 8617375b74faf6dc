"""What a person reads carries no code and no UTC: the check behind the e2e scenario.

`offences(text)` names every role code, policy step key, English status or state and UTC/ISO
timestamp in a human-facing text; `assert_readable` runs it over a hazard's timeline (`summary`
and every `*_label`), the hazard itself (its `*_label` fields), every SMS as the provider got it,
every email (subject, plain text and the visible text of the HTML part) and the ack page
(with the reminder chain's own end: a closed hazard, the enterprise principal told).
Links and email addresses are taken out first: a token or a mailbox name is not prose.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from services.escalation.cases.models import CaseState
from services.hazard_api.auth.models import UserRole
from services.hazard_api.timeline.models import EntryKind
from services.notification.messages.render import render
from shared.clock import local
from shared.contract import (
    ChainRole,
    Channel,
    DeadlineKind,
    EscalationAction,
    HazardEventType,
    HazardLevel,
    HazardStatus,
    ListingLevel,
    NotificationStatus,
    PostRole,
    Urgency,
)
from tests.notification import emulators

if TYPE_CHECKING:
    from tests.e2e.world import World

POLICIES_DIR = Path(__file__).parents[2] / "services" / "escalation" / "policies"


def step_keys() -> set[str]:
    keys: set[str] = set()
    for path in POLICIES_DIR.glob("*.yaml"):
        policy = yaml.safe_load(path.read_text(encoding="utf-8"))
        keys |= {step["key"] for step in policy["steps"]}
    return keys


def _values(*enums: Iterable[Any]) -> set[str]:
    return {str(member.value) for enum in enums for member in enum}


ROLE_CODES = _values(ChainRole, PostRole, UserRole)
STEP_KEYS = step_keys()
ENGLISH_CODES = (
    _values(
        HazardStatus,
        HazardLevel,
        ListingLevel,
        DeadlineKind,
        Urgency,
        EscalationAction,
        NotificationStatus,
        Channel,
        CaseState,
        HazardEventType,
        EntryKind,
    )
    # escalation's case reasons (CaseChanged.reason) and auditor findings (AuditorAnomaly.kind)
    | {"started", "rebaselined", "replanned", "paused", "resumed", "acknowledged", "stopped"}
    | {"overdue_step", "clock_moved", "next_fire_mismatch", "stopped_but_armed"}
)
FORBIDDEN = {
    **{code: "role code" for code in ROLE_CODES},
    **{code: "English status or code" for code in ENGLISH_CODES},
    **{key: "step key" for key in STEP_KEYS},
}
_CODE = re.compile(
    "|".join(
        rf"(?<![A-Za-z0-9_]){re.escape(code)}(?![A-Za-z0-9_])"
        for code in sorted(FORBIDDEN, key=len, reverse=True)
    )
)
# Any dotted or snake_case identifier is a code, whatever vocabulary it comes from.
_IDENTIFIER = re.compile(r"(?<![A-Za-z0-9])[a-z]+(?:[._][a-z0-9]+)+(?![A-Za-z0-9])")
_TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}"  # ISO 8601, as the API's machine fields write it
    r"|\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]00:?00)(?![0-9])"  # a time marked as UTC
    r"|(?<![A-Za-z])(?:UTC|GMT)(?![A-Za-z])"
)
_LINK = re.compile(r"https?://\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def offences(text: str) -> list[str]:
    prose = _LINK.sub(" ", text)
    found = [f"{FORBIDDEN[m.group()]}: {m.group()!r}" for m in _CODE.finditer(prose)]
    found += [
        f"identifier: {m.group()!r}"
        for m in _IDENTIFIER.finditer(prose)
        if m.group() not in FORBIDDEN
    ]
    found += [f"UTC/ISO timestamp: {m.group()!r}" for m in _TIMESTAMP.finditer(prose)]
    return found


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def visible_text(html: str) -> str:
    """What a browser shows of a page: its text, not its tags and attributes."""
    parser = _Visible()
    parser.feed(html)
    parser.close()
    return " ".join(parser.parts)


def human_fields(body: Any, prefix: str) -> Iterator[tuple[str, str]]:
    """`summary` and every `*_label` in an API answer, however deep (machine `detail` aside)."""
    if isinstance(body, list):
        for n, item in enumerate(body):
            yield from human_fields(item, f"{prefix}[{n}]")
    elif isinstance(body, dict):
        for key, value in body.items():
            if (key == "summary" or key.endswith("_label")) and isinstance(value, str):
                yield f"{prefix}.{key}", value
            elif key != "detail":
                yield from human_fields(value, f"{prefix}.{key}")


def check(texts: Iterable[tuple[str, str]]) -> list[str]:
    return [f"{where}: {bad} in {text!r}" for where, text in texts for bad in offences(text)]


def utc_clock_text(dt: datetime) -> str:
    """A deadline written in the Chinese way but with UTC's clock: the mistake to look for."""
    d = dt.astimezone(UTC)
    return f"{d.month}月{d.day}日{d:%H:%M}"


def beijing_clock_text(dt: datetime) -> str:
    d = local(dt)
    return f"{d.month}月{d.day}日{d:%H:%M}"


def sms_text(template: str, params: dict[str, str], sign: str) -> str:
    """The text the phone shows: the approved template with the provider's parameters."""
    key, version = {
        "SMS_900001": ("notice", 1),
        "SMS_900002": ("digest", 1),
        "SMS_900003": ("notice", 2),
        "SMS_900004": ("digest", 2),
        "SMS_900005": ("report", 2),
    }[template]
    return render(f"sms/{key}", version, "txt", sign=sign, **params)


def gather(
    *,
    hazard: dict[str, Any],
    timeline: list[dict[str, Any]],
    sms: Iterable[tuple[str, dict[str, str]]],
    sign: str,
    mails: Iterable[Any],
    pages: Iterable[tuple[str, str]],
) -> list[tuple[str, str]]:
    """Every human-facing text of one hazard's scenario, each with where it was read."""
    texts = [*human_fields(hazard, "hazard"), *human_fields(timeline, "timeline")]
    for n, (template, params) in enumerate(sms):
        texts.append((f"sms[{n}]", sms_text(template, params, sign)))
    for n, mail in enumerate(mails):
        texts += [
            (f"email[{n}].subject", mail.subject),
            (f"email[{n}].text", mail.text),
            (f"email[{n}].html", visible_text(mail.html)),
        ]
    texts += [(f"page {url}", visible_text(html)) for url, html in pages]
    return texts


async def assert_readable(w: World, hid: str, deadline: datetime, pages: list[str]) -> None:
    """Everything people read about the hazard: Chinese labels and Beijing time, no codes."""
    hazard = await w.api("GET", f"/hazards/{hid}", "office")
    timeline = await w.api("GET", f"/hazards/{hid}/timeline", "office")
    mails = w.mailbox.all()
    sms = [(a.template, a.params) for a in w.sms.accepted]
    assert sms and mails and all(m.html for m in mails)
    assert hazard["hazard"]["status_label"] == "已销号"
    texts = gather(
        hazard=hazard,
        timeline=timeline,
        sms=sms,
        sign=emulators.SIGN_NAME,
        mails=mails,
        pages=[(f"ack page {n}", html) for n, html in enumerate(pages)],
    )
    problems = check(texts)
    assert not problems, "\n".join(problems)
    # Who was told: the steps name the chain's posts.
    steps = [i["summary"] for i in timeline if i["kind"] == "escalation_step"]
    assert any("企业主要负责人" in s for s in steps)
    # The deadline as a person in the county writes it, never with UTC's clock.
    beijing, utc = beijing_clock_text(deadline), utc_clock_text(deadline)
    everything = " ".join(text for _, text in texts)
    assert beijing in " ".join(steps) and beijing in " ".join(m.text for m in mails)
    assert utc not in everything
