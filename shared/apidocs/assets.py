"""The vendored Swagger UI and ReDoc files, served at URLs that carry the package version."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

VENDOR_DIR = Path(__file__).parent / "vendor"
MANIFEST = VENDOR_DIR / "VENDORED.json"
ASSETS_PATH = "/apidocs"
# A URL names one version of one file, so it never changes: browsers keep it for a year.
IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class VendoredFile:
    package: str
    version: str
    name: str
    source: str
    sha256: str
    path: Path

    @property
    def key(self) -> str:
        return f"{self.package}@{self.version}/{self.name}"


@functools.cache
def vendored_files() -> dict[str, VendoredFile]:
    """Every file VENDORED.json lists, by its URL below ASSETS_PATH."""
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    files = (
        VendoredFile(
            package=package["name"],
            version=package["version"],
            name=entry["name"],
            source=entry["source"],
            sha256=entry["sha256"],
            path=VENDOR_DIR / package["folder"] / entry["name"],
        )
        for package in manifest["packages"]
        for entry in package["files"]
    )
    return {f.key: f for f in files}


def asset_url(root_path: str, package: str, name: str) -> str:
    """The URL of a vendored file, below the app's root path (behind a path-prefix proxy)."""
    for vendored in vendored_files().values():
        if (vendored.package, vendored.name) == (package, name):
            return f"{root_path}{ASSETS_PATH}/{vendored.key}"
    raise LookupError(f"{package}/{name} is not vendored (shared/apidocs/vendor/VENDORED.json)")


def assets_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get(ASSETS_PATH + "/{key:path}")
    async def asset(key: str) -> FileResponse:
        vendored = vendored_files().get(key)
        if vendored is None:
            raise HTTPException(status_code=404, detail="没有这个文档资源")
        return FileResponse(vendored.path, headers={"Cache-Control": IMMUTABLE})

    return router
