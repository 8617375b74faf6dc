"""The org events' payloads of an import's rows, as plain dicts: exactly what the contract's
`UnitUpserted`, `PersonUpserted` and `PostUpserted` dump to in JSON mode, built without a
pydantic model per row (tens of thousands of rows; tests/hazard_api/test_directory_journal.py
holds these equal to the models' dumps, so a field added to the contract is not missed)."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.hazard_api.directory.rows import PersonRow, PostRow, UnitRow

# The payload field naming the entity: the audit's before/after states leave it out.
ID_FIELDS = {"unit": "unit_id", "person": "person_id", "post": "post_id"}


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def unit_payload(u: UnitRow) -> dict[str, Any]:
    return {
        "unit_id": u.id,
        "kind": str(u.kind),
        "name": u.name,
        "area_code": u.area_code,
        "parent_id": u.parent_id,
        "is_safety_office": u.is_safety_office,
        "credit_code": u.credit_code,
        "industry_code": u.industry_code,
        "industry_name": u.industry_name,
        "territorial_unit_id": u.territorial_unit_id,
        "supervising_department_ids": list(u.departments),
        "high_risk": u.high_risk,
        "status": str(u.status) if u.status else None,
        "regulated_industry_codes": list(u.industries),
    }


def person_payload(p: PersonRow) -> dict[str, Any]:
    return {
        "person_id": p.id,
        "name": p.name,
        "mobile": p.mobile,
        "email": p.email,
        "active": p.active,
    }


def post_payload(p: PostRow) -> dict[str, Any]:
    return {
        "post_id": p.id,
        "unit_id": p.unit_id,
        "role": str(p.role),
        "title": p.title,
        "holder_person_id": p.holder_person_id,
        "acting": p.acting,
        "portfolio_unit_ids": list(p.portfolio_units),
        "portfolio_industry_codes": list(p.portfolio_industries),
        "acting_person_id": p.acting_person_id,
        "acting_from": _day(p.acting_from),
        "acting_until": _day(p.acting_until),
        "holder_from": _day(p.holder_from),
        "previous_holder_person_id": p.previous_holder_person_id,
    }


def state_of(entity: str, payload: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """The audit's before/after state: the payload without its id (the directory's own writes
    record the same shape), plus what the event does not carry (a person's unit)."""
    state = dict(payload)
    del state[ID_FIELDS[entity]]
    if extra:
        state.update(extra)
    return state
