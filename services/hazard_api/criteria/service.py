"""Loads and answers questions about the criteria catalogue (read-only data, no database).

The catalogue is versioned: `data/v<N>/` holds one published version, never edited afterwards. A
hazard records the version it was classified under, so its criterion reads as it did then.
"""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

from services.hazard_api.criteria.models import (
    CatalogueVersion,
    CriterionOut,
    IndustryCatalogue,
)

DATA_DIR = Path(__file__).parent / "data"


class Catalogue:
    def __init__(self, version: int, industries: list[IndustryCatalogue]) -> None:
        self.version = version
        self.industries = sorted(industries, key=lambda c: c.industry)
        self._by_id: dict[str, CriterionOut] = {}
        for cat in self.industries:
            for c in cat.criteria:
                if c.id in self._by_id:
                    raise ValueError(f"criterion {c.id} appears twice in catalogue v{version}")
                self._by_id[c.id] = CriterionOut(
                    id=c.id,
                    item=c.item,
                    text=c.text,
                    industry=cat.industry,
                    industry_name=cat.name,
                    industry_codes=c.industry_codes or cat.industry_codes,
                    universal=cat.universal,
                    document_number=cat.document.number,
                    document_title=cat.document.title,
                    verified=c.verified,
                    catalogue_version=version,
                )

    def get(self, criterion_id: str) -> CriterionOut | None:
        return self._by_id.get(criterion_id)

    def applies(self, criterion_id: str, industry_code: str | None) -> bool:
        """Whether the criterion covers an enterprise of this GB/T 4754 code."""
        found = self._by_id.get(criterion_id)
        if found is None:
            return False
        if found.universal or industry_code is None:
            return True
        return any(industry_code.startswith(prefix) for prefix in found.industry_codes)

    def search(
        self, *, industry: str | None = None, industry_code: str | None = None, q: str | None = None
    ) -> list[CriterionOut]:
        out: list[CriterionOut] = []
        for item in self._by_id.values():
            if industry is not None and item.industry != industry:
                continue
            if industry_code is not None and not self.applies(item.id, industry_code):
                continue
            if q and q not in item.text and q not in item.item:
                continue
            out.append(item)
        return out


def load_version(folder: Path) -> Catalogue:
    meta = CatalogueVersion.model_validate(
        yaml.safe_load((folder / "catalogue.yaml").read_text(encoding="utf-8"))
    )
    if folder.name != f"v{meta.version}":
        raise ValueError(f"{folder}: version {meta.version} must match the folder name")
    files = sorted(p for p in folder.glob("*.yaml") if p.name != "catalogue.yaml")
    if not files:
        raise RuntimeError(f"no criteria data files in {folder}")
    cats = []
    for path in files:
        cat = IndustryCatalogue.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        if cat.industry != path.stem:
            raise ValueError(f"{path.name}: industry {cat.industry!r} must match the file name")
        cats.append(cat)
    return Catalogue(meta.version, cats)


def load_catalogues(data_dir: Path = DATA_DIR) -> dict[int, Catalogue]:
    found = [load_version(folder) for folder in sorted(data_dir.glob("v*")) if folder.is_dir()]
    if not found:
        raise RuntimeError(f"no catalogue versions in {data_dir}")
    return {c.version: c for c in found}


@functools.cache
def catalogues() -> dict[int, Catalogue]:
    return load_catalogues()


def catalogue(version: int | None = None) -> Catalogue:
    """The catalogue in force (the newest version), or a published earlier one."""
    published = catalogues()
    return published[max(published) if version is None else version]
