"""Reading a submitted form: what to show again when it is refused, and numbers checked against
the bounds hazard_api takes, so a value that is not one is refused in words instead of being
sent as 0, as a default, or not at all."""

from __future__ import annotations

from starlette.datastructures import FormData

# hazard_api's bounds (hazards/schemas.py, accidents/schemas.py): refused here in the field's
# own words rather than sent and answered with a bare field name.
INT4_MAX = 2_147_483_647  # money in hazard lifecycle forms: integer yuan in an int4 column
COUNT_MAX = 100_000  # accident casualty counts
LOSS_MAX = 1_000_000_000_000  # accident direct loss, yuan
DAYS_MAX = 365  # 整改期限, extension days


class Refused(Exception):
    """A field the user must correct; the message names it and says what is expected."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def text(form: FormData, key: str) -> str:
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


def kept(form: FormData) -> dict[str, str]:
    """The text fields as typed, to fill the form again (files cannot be given back; the token
    comes from the session)."""
    return {k: v for k, v in form.multi_items() if isinstance(v, str) and k != "csrf_token"}


def whole(
    form: FormData, key: str, label: str, *, low: int, high: int, unit: str = ""
) -> int | None:
    """A whole number within [low, high], or None when left blank. Full-width digits (a phone's
    Chinese keyboard) count; a decimal point, a sign or 万 do not: the API takes integers only."""
    value = text(form, key)
    if not value:
        return None
    number = int(value) if value.isdecimal() else None
    if number is None or not low <= number <= high:
        raise Refused(f"{label}须为{low}至{high}之间的整数{f'（{unit}）' if unit else ''}")
    return number


def decimal(form: FormData, key: str, label: str, *, low: float, high: float) -> float | None:
    """A number within [low, high] (decimals allowed), or None when left blank."""
    value = text(form, key)
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        number = None
    # float() also reads "nan" and "inf": neither is a place.
    if number is None or not low <= number <= high:
        raise Refused(f"{label}须为{low:g}至{high:g}之间的数字")
    return number
