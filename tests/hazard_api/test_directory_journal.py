"""The import's fast event and audit paths against the contract's models and the audit
service: payload dicts equal to the models' JSON dumps (a field added to the contract and not to
payloads.py fails here), events that parse as `Envelope`, audit rows hashed exactly as
`new_row_values` hashes them (so `/audit/verify` accepts them)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from services.hazard_api.audit import keys as audit_keys
from services.hazard_api.audit.service import Actor, ChainHead, new_row_values
from services.hazard_api.directory.journal import _AUDIT_COLUMNS, Journal, event_ids
from services.hazard_api.directory.payloads import (
    person_payload,
    post_payload,
    state_of,
    unit_payload,
)
from services.hazard_api.directory.rows import PersonRow, PostRow, UnitRow
from shared.contract import (
    ORG_EVENTS,
    Envelope,
    PersonUpserted,
    PostUpserted,
    UnitUpserted,
)

NOW = datetime(2026, 3, 1, 2, 3, 4, 567890, tzinfo=UTC)
ENTERPRISE = UnitRow(
    "ent-1",
    "enterprise",
    "第一化工有限公司",
    "430723",
    None,
    False,
    "91430723MA4L0000X1",
    "C2661",
    "化学试剂制造",
    "vl-1",
    True,
    "suspended",
    ("dep-1", "dep-2"),
)
DEPARTMENT = UnitRow(
    "dep-1", "department", "应急管理局", "430723", "county", True, None, None, None, None, False,
    None, (), ("C26", "F52"),
)  # fmt: skip
PERSON = PersonRow("p-1", "dep-1", "王某", "13900000001", "w@example.cn", True)
POST = PostRow(
    "post-1",
    "dep-1",
    "principal",
    "局长",
    "p-1",
    True,
    ("tw-1", "tw-2"),
    ("C26",),
    "p-2",
    date(2026, 3, 1),
    None,
    date(2026, 2, 1),
    "p-3",
)


def test_payloads_are_the_contract_models_json_dumps() -> None:
    for payload, model in (
        (unit_payload(ENTERPRISE), UnitUpserted),
        (unit_payload(DEPARTMENT), UnitUpserted),
        (person_payload(PERSON), PersonUpserted),
        (post_payload(POST), PostUpserted),
    ):
        # extra="forbid" refuses a field the model lacks; the dump has every field it has.
        assert model.model_validate(payload).model_dump(mode="json") == payload


def test_event_ids_are_distinct_version_4_uuids() -> None:
    ids = event_ids(2000)
    assert len(set(ids)) == 2000
    pattern = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
    assert all(pattern.fullmatch(i) for i in ids)


def test_events_parse_as_envelopes_with_the_payloads() -> None:
    journal = Journal(Actor(None, None, "operator"), NOW)
    journal.change("unit", unit_payload(ENTERPRISE), None)
    journal.change("person", person_payload(PERSON), None, unit_id=PERSON.unit_id)
    journal.change("post", post_payload(POST), None)
    events = journal.events()
    assert [e.topic for e in events] == [ORG_EVENTS] * 3
    envelopes = [Envelope.model_validate_json(e.value) for e in events]
    assert [str(e.event_id) for e in envelopes] == [e.event_id for e in events]
    assert [e.aggregate_id for e in envelopes] == ["ent-1", "p-1", "post-1"]
    assert [e.type for e in envelopes] == [
        "org.unit_upserted",
        "org.person_upserted",
        "org.post_upserted",
    ]
    assert {e.occurred_at for e in envelopes} == {NOW}
    assert envelopes[2].payload == post_payload(POST)
    assert envelopes[0].payload == unit_payload(ENTERPRISE)


def test_audit_rows_are_hashed_as_the_audit_service_hashes_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keyring = audit_keys.Keyring("k2", {"k1": b"old-key", "k2": b"journal-test-key"})
    monkeypatch.setattr(audit_keys, "_installed", keyring)
    actor = Actor("u-1", "p-9", "county_office")
    journal = Journal(actor, NOW)
    before = state_of("post", post_payload(POST._replace(title="副局长")))
    journal.change("unit", unit_payload(ENTERPRISE), None)
    journal.change("person", person_payload(PERSON), None, unit_id="dep-1")
    journal.change("post", post_payload(POST), before)
    heads = {"post:post-1": ChainHead(4, "ab" * 32)}
    records = journal.audit_records(heads)
    expected = [
        new_row_values(
            chain_key="unit:ent-1",
            head=None,
            at=NOW,
            actor=actor,
            action="directory.unit_created",
            entity_type="unit",
            entity_id="ent-1",
            before=None,
            after=state_of("unit", unit_payload(ENTERPRISE)),
        ),
        new_row_values(
            chain_key="person:p-1",
            head=None,
            at=NOW,
            actor=actor,
            action="directory.person_created",
            entity_type="person",
            entity_id="p-1",
            before=None,
            after=state_of("person", person_payload(PERSON), unit_id="dep-1"),
        ),
        new_row_values(
            chain_key="post:post-1",
            head=heads["post:post-1"],
            at=NOW,
            actor=actor,
            action="directory.post_updated",
            entity_type="post",
            entity_id="post-1",
            before=before,
            after=state_of("post", post_payload(POST)),
        ),
    ]
    assert [dict(zip(_AUDIT_COLUMNS, r, strict=True)) for r in records] == expected
    assert records[2][1] == 5 and records[2][11] == "ab" * 32
