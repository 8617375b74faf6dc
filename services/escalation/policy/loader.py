"""Loading policy files at start-up: every error names the file, the step and the field."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from services.escalation.policy.models import Policy
from shared.contract import HazardFacts


class PolicyLoadError(Exception):
    """A policy file cannot be used; the message says where and why (start-up stops)."""


def _where(path: Path, raw: Any, loc: Sequence[int | str]) -> str:
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
        index = loc[1]
        key = None
        if isinstance(raw, dict) and isinstance(raw.get("steps"), list):
            steps = raw["steps"]
            if 0 <= index < len(steps) and isinstance(steps[index], dict):
                key = steps[index].get("key")
        step = f"step {index + 1}" + (f" ({key})" if key else "")
        field = ".".join(str(p) for p in loc[2:]) or "(the step itself)"
        return f"{path.name}: {step}, field '{field}'"
    field = ".".join(str(p) for p in loc) or "(the policy itself)"
    return f"{path.name}: policy field '{field}'"


def parse_policy_file(path: Path) -> Policy:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PolicyLoadError(f"policy file {path}: not valid YAML: {exc}") from exc
    try:
        return Policy.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{_where(path, raw, e['loc'])}: {e['msg']}" for e in exc.errors())
        raise PolicyLoadError(f"invalid policy file {path}: {problems}") from exc


def digest(policy: Policy) -> str:
    canonical = json.dumps(policy.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class PolicySet:
    """The policies loaded from one folder, and the choice of policy for a hazard."""

    def __init__(self, policies: Iterable[Policy]) -> None:
        self.policies = sorted(policies, key=lambda p: (-p.priority, p.id))
        ids = [p.id for p in self.policies]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise PolicyLoadError(f"policy ids defined more than once: {dupes}")
        self.by_id = {p.id: p for p in self.policies}

    @classmethod
    def load(cls, folder: Path) -> PolicySet:
        if not folder.is_dir():
            raise PolicyLoadError(f"policy folder {folder} does not exist")
        files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
        if not files:
            raise PolicyLoadError(f"policy folder {folder} has no .yaml files")
        return cls(parse_policy_file(f) for f in files)

    def select(self, facts: HazardFacts) -> Policy | None:
        """The highest-priority policy whose `match` fits the hazard (ties: by id); a hazard
        not yet classified fits only a policy that says `unclassified: true`."""
        for policy in self.policies:
            if policy.match.matches(
                level=facts.level,
                grade=facts.grade,
                listed=facts.listing_level is not None,
                industry=facts.industry_code,
            ):
                return policy
        return None
