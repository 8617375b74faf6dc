"""判定标准 catalogue for forms; `version` reads an earlier published catalogue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from services.hazard_api.auth.deps import CurrentUser
from services.hazard_api.criteria.models import CriterionOut, IndustryOut
from services.hazard_api.criteria.service import Catalogue, catalogue, catalogues
from services.hazard_api.errors import NotFound

router = APIRouter(tags=["criteria"])

Version = Annotated[
    int | None,
    Query(ge=1, le=1000, description="判定标准目录版本；不填为现行版本（隐患记录其判定时的版本）"),
]


def _catalogue(version: int | None) -> Catalogue:
    if version is not None and version not in catalogues():
        raise NotFound(f"判定标准目录没有第{version}版")
    return catalogue(version)


@router.get("/criteria/industries", summary="判定标准适用行业")
async def industries(_user: CurrentUser, version: Version = None) -> list[IndustryOut]:
    cat = _catalogue(version)
    return [
        IndustryOut(
            industry=c.industry,
            name=c.name,
            industry_codes=c.industry_codes,
            universal=c.universal,
            document=c.document,
            count=len(c.criteria),
            catalogue_version=cat.version,
        )
        for c in cat.industries
    ]


@router.get("/criteria", summary="重大事故隐患判定标准条目")
async def search(
    _user: CurrentUser,
    industry: Annotated[str | None, Query(max_length=40)] = None,
    industry_code: Annotated[str | None, Query(max_length=10, description="GB/T 4754")] = None,
    q: Annotated[str | None, Query(max_length=50)] = None,
    version: Version = None,
) -> list[CriterionOut]:
    return _catalogue(version).search(
        industry=industry, industry_code=industry_code.upper() if industry_code else None, q=q
    )


@router.get("/criteria/{criterion_id}", summary="判定标准条目")
async def get(
    criterion_id: Annotated[str, Path(max_length=40)], _user: CurrentUser, version: Version = None
) -> CriterionOut:
    found = _catalogue(version).get(criterion_id)
    if found is None:
        raise NotFound("判定标准条目不存在")
    return found
