"""Who may draft, edit and issue which document (DOMAIN §2, §9), as a table.

The county office (县安委办) issues in the name of the county 安委会/安委办: 挂牌督办通知书,
督办函, 通报 and 摘牌销号通知. The supervising department or the township that ordered the
rectification issues the 隐患整改通知书 (the county office may as well). Only the drafting
office edits and issues its own draft (`drafted_here`): a 整改通知书 belongs to the unit that
drafted it, a county-wide document to the county office.
"""

from __future__ import annotations

from enum import StrEnum

from services.hazard_api.auth.models import UserRole
from services.hazard_api.items.authority import Authority, Rule
from shared.contract import DocumentType
from shared.labels import DOCUMENT_TYPE_LABELS

R = UserRole
T = DocumentType


class DocumentStatus(StrEnum):
    DRAFT = "draft"  # 草稿
    ISSUED = "issued"  # 已印发


class Action(StrEnum):
    DRAFT = "draft"
    EDIT = "edit"
    ISSUE = "issue"


DOCUMENT_STATUS_LABELS: dict[str, str] = {
    DocumentStatus.DRAFT: "草稿",
    DocumentStatus.ISSUED: "已印发",
}

_COUNTY = frozenset({R.COUNTY_OFFICE})
_SUPERVISORS = frozenset({R.COUNTY_OFFICE, R.DEPARTMENT, R.TOWNSHIP})
ROLES: dict[str, frozenset[UserRole]] = {
    T.RECTIFICATION_NOTICE: _SUPERVISORS,
    T.LISTING_NOTICE: _COUNTY,
    T.SUPERVISION_LETTER: _COUNTY,
    T.BULLETIN: _COUNTY,
    T.DELISTING_NOTICE: _COUNTY,
}

# Documents issued in the name of the county 安委会/安委办: the county office's, whichever of its
# accounts drafts them (their `issuer_unit_id` is the county's).
COUNTY_WIDE: frozenset[str] = frozenset(t for t, roles in ROLES.items() if roles == _COUNTY)


def drafted_here(role: UserRole, unit_id: str, doc_type: str, issuer_unit_id: str) -> bool:
    """The caller's office drafted the document: a role that drafts this type and, for a
    整改通知书, the same unit (a department's draft is not the county office's to issue)."""
    if role not in ROLES[doc_type]:
        return False
    return doc_type in COUNTY_WIDE or issuer_unit_id == unit_id


def _rule(label: str, states: tuple[str, ...]) -> Rule:
    return Rule(label, states, dict(ROLES), hint="公文由有权机关拟制和签发")


RULES: dict[str, Rule] = {
    Action.DRAFT: _rule("拟制该类公文", ()),
    Action.EDIT: _rule("修改该类公文", (DocumentStatus.DRAFT,)),
    Action.ISSUE: _rule("签发该类公文", (DocumentStatus.DRAFT,)),
}

AUTHORITY = Authority(
    noun="公文",
    rules=RULES,
    state_labels=DOCUMENT_STATUS_LABELS,
    origin_labels=DOCUMENT_TYPE_LABELS,
)
