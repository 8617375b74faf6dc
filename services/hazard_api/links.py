"""The hazard's life as OpenAPI links: report → classify → rectify (evidence, report) → accept →
close, and the reads along the way. Clients follow them; the stateful schemathesis run does."""

from __future__ import annotations

from shared.openapi_links import Link

HAZARD = "/hazards/{hazard_id}"
ID = "$response.body#/id"
HAZARD_OF_ANSWER = "$response.body#/hazard_id"


def _from(source: str, status: int, hazard: str, *targets: tuple[str, str]) -> list[Link]:
    return [
        Link(name, source, status, target, parameters={"hazard_id": hazard})
        for name, target in targets
    ]


HAZARD_LINKS: list[Link] = [
    *_from(
        "POST /hazards",
        201,
        ID,
        ("Detail", f"GET {HAZARD}"),
        ("Classify", f"POST {HAZARD}/classify"),
        ("ProposeMajor", f"POST {HAZARD}/propose-major"),
        ("AttachEvidence", f"POST {HAZARD}/attachments"),
        ("Void", f"POST {HAZARD}/void"),
        ("Timeline", f"GET {HAZARD}/timeline"),
    ),
    *_from(
        f"POST {HAZARD}/classify",
        200,
        ID,
        ("StartRectification", f"POST {HAZARD}/start-rectification"),
        ("SubmitPlan", f"PUT {HAZARD}/plan"),
        ("List", f"POST {HAZARD}/listing"),
        ("Reclassify", f"POST {HAZARD}/reclassify"),
    ),
    *_from(
        f"POST {HAZARD}/start-rectification",
        200,
        ID,
        ("AttachEvidence", f"POST {HAZARD}/attachments"),
        ("RequestExtension", f"POST {HAZARD}/extensions"),
        ("Detail", f"GET {HAZARD}"),
    ),
    # The evidence just uploaded goes with the rectification report (or the on-the-spot fix).
    Link(
        "ReportRectification",
        f"POST {HAZARD}/attachments",
        201,
        f"POST {HAZARD}/rectification-report",
        parameters={"hazard_id": HAZARD_OF_ANSWER},
        request_body={"attachment_ids": [ID]},
    ),
    Link(
        "RectifiedOnSpot",
        f"POST {HAZARD}/attachments",
        201,
        f"POST {HAZARD}/rectified-on-spot",
        parameters={"hazard_id": HAZARD_OF_ANSWER},
        request_body={"attachment_ids": [ID]},
    ),
    Link(
        "Content",
        f"POST {HAZARD}/attachments",
        201,
        "GET /attachments/{attachment_id}/content",
        parameters={"attachment_id": ID},
    ),
    *_from(
        f"POST {HAZARD}/rectification-report",
        200,
        ID,
        ("Accept", f"POST {HAZARD}/acceptance"),
        ("Audit", f"GET {HAZARD}/audit"),
    ),
    *_from(f"POST {HAZARD}/rectified-on-spot", 200, ID, ("Accept", f"POST {HAZARD}/acceptance")),
    *_from(
        f"POST {HAZARD}/acceptance",
        200,
        HAZARD_OF_ANSWER,
        ("Close", f"POST {HAZARD}/close"),
        ("Detail", f"GET {HAZARD}"),
    ),
    Link(
        "DecideExtension",
        f"POST {HAZARD}/extensions",
        201,
        f"POST {HAZARD}/extensions/{{extension_id}}/decision",
        parameters={"hazard_id": HAZARD_OF_ANSWER, "extension_id": ID},
    ),
    *_from(f"POST {HAZARD}/close", 200, ID, ("Audit", f"GET {HAZARD}/audit")),
]
