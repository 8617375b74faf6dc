"""Who holds a post when: acting holders for a period (代理) and handovers (交接), checked at
the edge. The resolution by day is shared.responsibility.holder_on."""

from __future__ import annotations

from services.hazard_api.directory.schemas import PostIn
from services.hazard_api.errors import FieldError

# Whoever may hold the post on some day: the holder, an acting holder, the previous holder.
PERSON_FIELDS = ("holder_person_id", "acting_person_id", "previous_holder_person_id")


def check_tenure(data: PostIn) -> None:
    """Acting periods and handovers make sense on their own (dates are Beijing days)."""
    if data.acting_person_id is None and (data.acting_from or data.acting_until):
        raise FieldError("acting_person_id", "填写代理期间须同时指定代理人员")
    if data.acting_from and data.acting_until and data.acting_until < data.acting_from:
        raise FieldError("acting_until", "代理结束日期不能早于开始日期")
    if data.acting_person_id is not None and data.acting_person_id == data.holder_person_id:
        raise FieldError("acting_person_id", "代理人员不能是本岗位的任职人员")
    if data.previous_holder_person_id is not None and data.holder_from is None:
        raise FieldError("holder_from", "指定前任须同时填写交接日期")
    if data.holder_from is not None and data.holder_person_id is None:
        raise FieldError("holder_from", "空缺岗位不能填写交接日期")
    if (
        data.previous_holder_person_id is not None
        and data.previous_holder_person_id == data.holder_person_id
    ):
        raise FieldError("previous_holder_person_id", "前任不能与现任为同一人")
