"""From a domain event (and the unit's copy) to an exchange document.

`build(source)` reads nothing but `source` — the event envelope, the unit snapshot and the
sender as they were when the submission was made, all kept in the ledger — so the bytes it
renders today are the bytes sent then (`regenerate`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.reporting.exchange import codes
from services.reporting.exchange.documents import checked, render, schema_url

HAZARD_MAJOR_EVENTS = frozenset({"hazard.classified", "hazard.reclassified"})
# An accident report goes upward once signed off (签发, `accident.report_issued`), as the report
# says it: the 快报 as `initial`, a 续报 or 补报 as `follow_up`.
ACCIDENT_REPORT_EVENTS = frozenset({"accident.report_issued"})
REPORT_KINDS = {"first": "initial", "follow_up": "follow_up", "supplementary": "follow_up"}


def document_for(event_type: str, event: str | None) -> str | None:
    """The document an event goes upward as, or None."""
    if event_type == "hazard.event" and event in codes.HAZARD_EVENTS:
        return "hazard-major" if event in HAZARD_MAJOR_EVENTS else "hazard-listing"
    if event_type == "accident.event" and event in ACCIDENT_REPORT_EVENTS:
        return "accident-report"
    if event_type == "document.issued":
        return "document-issued"
    return None


def _unit(facts: dict[str, Any], snapshot: dict[str, Any] | None) -> dict[str, Any]:
    snapshot = snapshot or {}
    return {
        "name": snapshot.get("name") or facts["unit_name"],
        "credit_code": codes.credit_code(snapshot.get("credit_code")),
        "area_code": codes.area_code(snapshot.get("area_code") or facts.get("area_code")),
        "industry_code": codes.industry_code(
            facts.get("industry_code") or snapshot.get("industry_code")
        ),
    }


def _at(facts: dict[str, Any], key: str) -> str | None:
    raw = facts.get(key)
    return codes.iso(datetime.fromisoformat(raw)) if raw else None


def _hazard_data(payload: dict[str, Any], unit: dict[str, Any]) -> dict[str, Any]:
    facts = payload["facts"]
    return {
        "event": payload["event"],
        "unit": unit,
        "level": facts.get("level"),
        "status": facts["status"],
        "description": facts["description"],
        "listing_level": facts.get("listing_level"),
        "deadline_at": _at(facts, "deadline_at"),
        "classified_at": _at(facts, "classified_at"),
        "listed_at": _at(facts, "listed_at"),
        "accepted_at": _at(facts, "accepted_at"),
        "note": payload.get("note"),
    }


def _accident_data(payload: dict[str, Any], unit: dict[str, Any]) -> dict[str, Any]:
    """The signed-off report's own figures (None: it did not state one), with the statutory
    class and investigation level as they stood when it was signed off."""
    facts, report = payload["facts"], payload["report"]
    return {
        "report_kind": REPORT_KINDS[report["kind"]],
        "class_changed": report["moved_class"],
        "unit": unit,
        "accident_class": facts["accident_class"],
        "investigation_level": facts["investigation_level"],
        "accident_type": facts["accident_type"],
        "occurred_at": _at(facts, "occurred_at"),
        "received_at": _at(report, "received_at"),
        "deaths": report.get("deaths"),
        "missing": report.get("missing"),
        "serious_injuries": report.get("serious_injuries"),
        "direct_loss_yuan": report.get("direct_loss_yuan"),
        "note": report.get("account"),
    }


def item_of(envelope: dict[str, Any]) -> tuple[str, str, str | None]:
    """(kind, id, code) of the supervised item an event is about."""
    payload = envelope["payload"]
    facts = payload.get("facts") if isinstance(payload, dict) else None
    if envelope["type"] == "hazard.event" and facts:
        return "hazard", facts["hazard_id"], facts.get("code")
    if envelope["type"] == "accident.event" and facts:
        return "accident", facts["accident_id"], facts.get("code")
    return "document", envelope["aggregate_id"], None


def item_ref(source: dict[str, Any]) -> str | None:
    """What a clerk knows a submission's item by: the hazard's or accident's code, the
    document's 文号 (None for a quarterly report: its key names the quarter)."""
    envelope = source.get("envelope")
    if not isinstance(envelope, dict):
        return None
    payload = envelope.get("payload")
    if envelope.get("type") == "document.issued":
        return payload.get("doc_no") if isinstance(payload, dict) else None
    return item_of(envelope)[2]


def build(source: dict[str, Any]) -> tuple[str, int, dict[str, Any]]:
    """(document name, version, document) from a ledger `source`."""
    envelope, sender = source["envelope"], source["sender"]
    payload = envelope["payload"]
    name = document_for(envelope["type"], payload.get("event"))
    if name is None:
        raise ValueError(f"no document for {envelope['type']}")
    kind, item_id, code = item_of(envelope)
    if name == "document-issued":
        data: dict[str, Any] = {"event": envelope["type"], "payload": payload}
    else:
        unit = _unit(payload["facts"], source.get("unit"))
        build_data = _hazard_data if kind == "hazard" else _accident_data
        data = build_data(payload, unit)
    document = {
        "$schema": schema_url(name, 1),
        "document": name,
        "version": 1,
        "sender": sender,
        "item": {"kind": kind, "id": item_id, "code": code},
        "source_event_id": envelope["event_id"],
        "occurred_at": codes.iso(datetime.fromisoformat(envelope["occurred_at"])),
        "data": data,
    }
    return name, 1, checked(name, 1, document)


def regenerate(source: dict[str, Any]) -> bytes:
    return render(build(source)[2])
