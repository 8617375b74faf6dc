"""reporting.events: the upward link's alerts (#16)."""

from __future__ import annotations

from pydantic import AwareDatetime

from shared.contract.base import Payload


class ReportingAlert(Payload):
    """Something on the upward reporting link only a person can settle; escalation turns it
    into a task for the county office (上报异常)."""

    # "endpoint_disabled": the provincial system answered 410; "dead_letter": a submission
    # was not delivered within the retry window; "info_requested": the city or province asks
    # for information; "ack_overdue": an accident report not acknowledged within 2 hours.
    kind: str
    subject_id: str  # the submission's webhook id, the request's message id …
    item_key: str | None = None  # "hazard:<id>", "accident:<id>"
    hazard_ids: list[str] = []
    accident_id: str | None = None
    detail: str  # what the county office reads (Simplified Chinese)
    at: AwareDatetime
