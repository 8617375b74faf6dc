"""Reading a submitted form, and what to show again when it is refused."""

from __future__ import annotations

from starlette.datastructures import FormData


def text(form: FormData, key: str) -> str:
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


def kept(form: FormData) -> dict[str, str]:
    """The text fields as typed, to fill the form again (files cannot be given back; the token
    comes from the session)."""
    return {k: v for k, v in form.multi_items() if isinstance(v, str) and k != "csrf_token"}
