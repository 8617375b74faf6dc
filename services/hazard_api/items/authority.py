"""Authority as a table: which role may take which action on an item of which origin, from
which states. Every supervised item kind declares one `Authority`; the kernel asks it before
the kind's change runs.

The guard answers in a fixed order (scope was checked before it: an item outside the caller's
scope is 404): a role that may never take the action → 403; an action that does not apply to an
item of this origin (raising the listing of an unlisted hazard) → 409; a role that may take it,
but not on an item of this origin (an enterprise classifying a hazard an inspector found) → 403;
a wrong state → 409 naming the states the action needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from services.hazard_api.auth.models import UserRole
from services.hazard_api.errors import Conflict, Forbidden

ROLE_LABELS: dict[UserRole, str] = {
    UserRole.ENTERPRISE: "企业",
    UserRole.TOWNSHIP: "乡镇（街道）",
    UserRole.DEPARTMENT: "行业监管部门",
    UserRole.COUNTY_OFFICE: "县安委办",
    UserRole.LEADER: "领导",
    UserRole.INTEGRATION: "对接系统",
}


@dataclass(frozen=True)
class Rule:
    """One action: its Chinese label, the states it starts from (empty: it creates the item),
    and per origin the roles that may take it. An origin missing from `cells` means the action
    does not apply to such items; `not_applicable` says why (409)."""

    label: str
    from_states: tuple[str, ...]
    cells: Mapping[str, frozenset[UserRole]]
    not_applicable: str | None = None
    hint: str | None = None  # what a role that may never take the action can do instead

    @property
    def roles(self) -> frozenset[UserRole]:
        """Every role that may take the action on some item."""
        return frozenset().union(*self.cells.values())


@dataclass(frozen=True)
class Authority:
    """An item kind's table (action → Rule) with the words its messages need."""

    noun: str  # 隐患, 事故…
    rules: Mapping[str, Rule]
    state_labels: Mapping[str, str]
    origin_labels: Mapping[str, str]
    role_labels: Mapping[UserRole, str] = field(default_factory=lambda: ROLE_LABELS)

    def allows(self, action: str, *, origin: str, role: UserRole) -> bool:
        return role in self.rules[action].cells.get(origin, frozenset())

    def allowed(self, *, status: str, origin: str, role: UserRole) -> list[str]:
        """The actions `role` may take on an item in `status` now (what a page offers; the
        kernel still guards every one)."""
        return [
            action
            for action, rule in self.rules.items()
            if status in rule.from_states and self.allows(action, origin=origin, role=role)
        ]

    def needs(self, rule: Rule) -> str:
        return "或".join(f"“{self.state_labels[s]}”" for s in rule.from_states)

    def guard(self, action: str, *, status: str | None, origin: str, role: UserRole) -> Rule:
        """The rule if `role` may take `action` now; Forbidden (403) or Conflict (409) if not.
        `status` None: the item is being created."""
        rule = self.rules[action]
        if role not in rule.roles:
            raise Forbidden(
                f"当前账号角色无权{rule.label}" + (f"：{rule.hint}" if rule.hint else "")
            )
        if origin not in rule.cells:
            raise Conflict(
                rule.not_applicable
                or f"{self.origin_labels[origin]}的{self.noun}不适用“{rule.label}”"
            )
        if role not in rule.cells[origin]:
            allowed = "、".join(self.role_labels[r] for r in sorted(rule.cells[origin]))
            raise Forbidden(
                f"{self.origin_labels[origin]}的{self.noun}，{self.role_labels[role]}无权"
                f"{rule.label}（由{allowed or '上级'}办理）"
            )
        if status is not None and status not in rule.from_states:
            raise Conflict(
                f"{rule.label}需要{self.noun}处于{self.needs(rule)}状态，"
                f"当前为“{self.state_labels[status]}”"
            )
        return rule

    def markdown(self, actions: Mapping[str, str], origins: tuple[str, ...]) -> str:
        """The table as Markdown (README): one row per action, one column per origin."""
        head = "| action | " + " | ".join(self.origin_labels[o] for o in origins) + " |"
        lines = [head, "|" + "---|" * (len(origins) + 1)]
        for action, name in actions.items():
            rule = self.rules[action]
            cells = []
            for o in origins:
                if o not in rule.cells:
                    cells.append("n/a")
                else:
                    roles = sorted(rule.cells[o])
                    cells.append(", ".join(r.value for r in roles) or "—")
            lines.append(f"| `{name}` {rule.label} | " + " | ".join(cells) + " |")
        return "\n".join(lines)
