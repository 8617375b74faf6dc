"""What each action form on a hazard's page sends to hazard_api: the figures read and checked
(a value the API cannot take refused in words), the photos uploaded as evidence, and the call
each action makes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.datastructures import FormData, UploadFile

from services.portal.forms import DAYS_MAX, INT4_MAX, text, whole
from services.portal.upstream import Upstream

# The six parts of a major hazard's treatment plan (治理方案), as the form names them.
PLAN_FIELDS = {
    "goal_and_tasks": "治理的目标和任务",
    "methods_and_measures": "采取的方法和措施",
    "funds_and_materials": "经费和物资的落实",
    "organisation_and_persons": "负责治理的机构和人员",
    "time_limit": "治理的时限和要求",
    "safety_and_emergency": "安全措施和应急预案",
}


def _days(form: FormData, key: str, label: str) -> int | None:
    return whole(form, key, label, low=1, high=DAYS_MAX, unit="日")


def yuan(form: FormData, key: str, label: str) -> int:
    # Blank is 0, as the API's default; 12万 or 15000.50 is refused, not sent as 0.
    return whole(form, key, label, low=0, high=INT4_MAX, unit="元") or 0


def _grade(form: FormData) -> int | None:
    return whole(form, "grade", "重大事故隐患分级", low=1, high=3)


def files_of(form: FormData, key: str) -> list[UploadFile]:
    return [f for f in form.getlist(key) if isinstance(f, UploadFile) and f.filename]


async def upload(
    upstream: Upstream, token: str, hazard_id: str, file: UploadFile, purpose: str
) -> dict[str, Any]:
    content = await file.read()
    result: dict[str, Any] = await upstream.call(
        "hazard_api",
        "POST",
        f"/hazards/{hazard_id}/attachments",
        token=token,
        files={"file": (file.filename, content, file.content_type or "application/octet-stream")},
        data={"purpose": purpose},
    )
    return result


Call = tuple[str, str, dict[str, Any] | None]


def simple_call(form: FormData, hid: str, action: str, pending_id: str) -> Call | None:
    base = f"/hazards/{hid}"
    build: dict[str, Callable[[], Call]] = {
        "classify_general": lambda: (
            "POST",
            f"{base}/classify",
            {"level": "general"}
            | ({"deadline_days": d} if (d := _days(form, "deadline_days", "整改期限")) else {}),
        ),
        "classify_major": lambda: (
            "POST",
            f"{base}/classify",
            {
                "level": "major",
                "grade": _grade(form),
                "criterion_id": text(form, "criterion_id") or None,
            },
        ),
        "propose_major": lambda: (
            "POST",
            f"{base}/propose-major",
            {
                "grade": _grade(form),
                "criterion_id": text(form, "criterion_id"),
                "reason": text(form, "reason"),
            },
        ),
        "submit_plan": lambda: (
            "PUT",
            f"{base}/plan",
            {k: text(form, k) for k in PLAN_FIELDS}
            | {
                "funds_budget": yuan(form, "funds_budget", "治理资金预算"),
                "responsible_person": text(form, "responsible_person"),
            },
        ),
        "start_rectification": lambda: (
            "POST",
            f"{base}/start-rectification",
            {"note": text(form, "note") or None},
        ),
        "list": lambda: (
            "POST",
            f"{base}/listing",
            {"notice_no": text(form, "notice_no"), "published": form.get("published") == "on"},
        ),
        "request_extension": lambda: (
            "POST",
            f"{base}/extensions",
            {"reason": text(form, "reason"), "days": _days(form, "days", "延期天数")},
        ),
        "decide_extension": lambda: (
            "POST",
            f"{base}/extensions/{pending_id}/decision",
            {"approve": form.get("approve") == "yes", "opinion": text(form, "opinion")},
        ),
        "decide_acceptance": lambda: (
            "POST",
            f"{base}/acceptance",
            {"passed": form.get("passed") == "yes", "opinion": text(form, "opinion")},
        ),
        "close": lambda: (
            "POST",
            f"{base}/close",
            {
                "delisting_notice_no": text(form, "delisting_notice_no") or None,
                "published": form.get("published") == "on",
            },
        ),
        "void": lambda: ("POST", f"{base}/void", {"reason": text(form, "reason")}),
    }
    return build[action]() if action in build else None
