"""The providers' per-variable length limits, and clipping to them.

Aliyun (通知短信): each template variable 1–35 characters; a variable of the phone-number
type at most 15. Tencent Cloud: no limit per variable for an organisation-verified account (a
personally verified one: 12, which a government office does not use). One set of variables
goes to whichever provider sends, so each is clipped to the strictest limit here, with an
ellipsis. Characters are counted as the providers count them: every Chinese character,
letter, digit, punctuation mark or space is one.

The acknowledgement link is the exception: Aliyun carries it in a variable only once its
long-variable permission (解除变量长度限制) is granted, and Tencent not at all; deployments
put the public address in the template's fixed text instead (README, "A provider entry").
"""

from __future__ import annotations

TEXT_LIMIT = 35
PHONE_LIMIT = 15
# Variable → its limit; a variable not named here is text (35).
LIMITS: dict[str, int] = {"phone": PHONE_LIMIT}
# Not held to a per-variable limit (see above).
UNLIMITED = frozenset({"link"})


def limit_of(name: str) -> int | None:
    if name in UNLIMITED:
        return None
    return LIMITS.get(name, TEXT_LIMIT)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clipped(variables: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in variables.items():
        limit = limit_of(name)
        out[name] = value if limit is None else clip(value, limit)
    return out
