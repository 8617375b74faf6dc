"""Loads and answers questions about the criteria catalogue (read-only data, no database)."""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

from services.hazard_api.criteria.models import CriterionOut, IndustryCatalogue

DATA_DIR = Path(__file__).parent / "data"


class Catalogue:
    def __init__(self, industries: list[IndustryCatalogue]) -> None:
        self.industries = sorted(industries, key=lambda c: c.industry)
        self._by_id: dict[str, tuple[IndustryCatalogue, CriterionOut]] = {}
        for cat in self.industries:
            for c in cat.criteria:
                if c.id in self._by_id:
                    raise ValueError(f"criterion {c.id} appears twice in the catalogue")
                self._by_id[c.id] = (cat, _out(cat, c.id, c.clause, c.text))

    def get(self, criterion_id: str) -> CriterionOut | None:
        found = self._by_id.get(criterion_id)
        return found[1] if found else None

    def applies(self, criterion_id: str, industry_code: str | None) -> bool:
        """Whether the criterion's standard covers an enterprise of this GB/T 4754 code."""
        found = self._by_id.get(criterion_id)
        if found is None:
            return False
        cat = found[0]
        if cat.universal or industry_code is None:
            return True
        return any(industry_code.startswith(prefix) for prefix in cat.industry_codes)

    def search(
        self, *, industry: str | None = None, industry_code: str | None = None, q: str | None = None
    ) -> list[CriterionOut]:
        out: list[CriterionOut] = []
        for cat, item in self._by_id.values():
            if industry is not None and cat.industry != industry:
                continue
            if industry_code is not None and not self.applies(item.id, industry_code):
                continue
            if q and q not in item.text and q not in item.clause:
                continue
            out.append(item)
        return out


def _out(cat: IndustryCatalogue, cid: str, clause: str, text: str) -> CriterionOut:
    return CriterionOut(
        id=cid,
        clause=clause,
        text=text,
        industry=cat.industry,
        industry_name=cat.name,
        document_number=cat.document.number,
        document_title=cat.document.title,
    )


def load_catalogue(data_dir: Path = DATA_DIR) -> Catalogue:
    files = sorted(data_dir.glob("*.yaml"))
    if not files:
        raise RuntimeError(f"no criteria data files in {data_dir}")
    cats = []
    for path in files:
        cat = IndustryCatalogue.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        if cat.industry != path.stem:
            raise ValueError(f"{path.name}: industry {cat.industry!r} must match the file name")
        cats.append(cat)
    return Catalogue(cats)


@functools.cache
def catalogue() -> Catalogue:
    return load_catalogue()
