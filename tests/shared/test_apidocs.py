"""API docs without internet: the vendored files, the pages and the URLs they load."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from shared.apidocs import install_api_docs
from shared.apidocs.assets import IMMUTABLE, MANIFEST, VENDOR_DIR, vendored_files
from shared.clock import TestClock
from tests.shared.apidocs_apps import service_apps

ROOT = Path(__file__).resolve().parents[2]
CONTENT_TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png"}


@pytest.fixture
def apps(tmp_path: Path, clock: TestClock) -> dict[str, FastAPI]:
    return service_apps(tmp_path, clock)


def client(app: FastAPI, root_path: str = "") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, root_path=root_path)
    return httpx.AsyncClient(transport=transport, base_url="http://duban.test")


def loaded_urls(html: str) -> list[str]:
    return re.findall(r'(?:src|href|spec-url)="([^"]+)"', html) + re.findall(
        r"url: '([^']+)'", html
    )


def test_every_vendored_file_is_the_one_the_manifest_names() -> None:
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    listed = {f.path.relative_to(VENDOR_DIR).as_posix(): f for f in vendored_files().values()}
    on_disk = {
        p.relative_to(VENDOR_DIR).as_posix()
        for p in VENDOR_DIR.rglob("*")
        if p.is_file() and p != MANIFEST
    }
    assert on_disk == set(listed), "vendor/ holds files VENDORED.json does not list (or lacks some)"
    for name, vendored in listed.items():
        assert hashlib.sha256(vendored.path.read_bytes()).hexdigest() == vendored.sha256, name
        assert vendored.source.startswith("package/"), name
    for package in manifest["packages"]:
        assert re.fullmatch(r"\d+\.\d+\.\d+", package["version"]), "pin an exact version"
        assert package["integrity"].startswith("sha512-")
        assert "LICENSE" in {f["name"] for f in package["files"]}, package["name"]
    names = {p["name"]: p["version"] for p in manifest["packages"]}
    # The portal's htmx stays on the 2.x line (htmx 4 changed defaults).
    assert set(names) == {"swagger-ui-dist", "redoc", "htmx.org", "echarts"}
    assert names["htmx.org"].startswith("2.")


@pytest.mark.parametrize("service", ["hazard_api", "escalation", "notification"])
async def test_docs_pages_load_only_what_the_service_serves(
    apps: dict[str, FastAPI], service: str
) -> None:
    app = apps[service]
    async with client(app) as http:
        for page, label in (("/docs", "API 文档"), ("/redoc", "API 文档（ReDoc）")):
            response = await http.get(page)
            assert response.status_code == 200, page
            html = response.text
            assert f"<title>{app.title} · {label}</title>" in html
            urls = loaded_urls(html)
            assert "/openapi.json" in urls, page
            assets = [u for u in urls if u.startswith("/apidocs/")]
            assert len(assets) >= 2 and all(u.startswith("/") for u in urls), urls
            assert not [u for u in urls if u.startswith("//")], urls
            for url in assets:
                asset = await http.get(url)
                assert asset.status_code == 200, url
                assert asset.headers["cache-control"] == IMMUTABLE
                assert CONTENT_TYPES[Path(url).suffix] in asset.headers["content-type"], url
        redirect = await http.get("/docs/oauth2-redirect")
        assert redirect.status_code == 200 and "oauth2" in redirect.text
        paths = app.openapi()["paths"]
    assert not [p for p in paths if p.startswith(("/docs", "/redoc", "/apidocs"))]


async def test_asset_urls_name_a_version_and_nothing_else_is_served(
    apps: dict[str, FastAPI],
) -> None:
    [swagger_js] = [f for f in vendored_files().values() if f.name == "swagger-ui-bundle.js"]
    async with client(apps["hazard_api"]) as http:
        assert (await http.get(f"/apidocs/{swagger_js.key}")).status_code == 200
        for wrong in (
            "/apidocs/swagger-ui-dist@0.0.1/swagger-ui-bundle.js",
            "/apidocs/swagger-ui-dist/swagger-ui-bundle.js",
            "/apidocs/VENDORED.json",
            f"/apidocs/swagger-ui-dist@{swagger_js.version}/../VENDORED.json",
        ):
            response = await http.get(wrong)
            assert response.status_code == 404, wrong
            assert response.json() == {"detail": "没有这个文档资源"}


async def test_pages_behind_a_path_prefix_load_through_it(apps: dict[str, FastAPI]) -> None:
    """Behind a proxy that serves the service under /hazard (uvicorn --root-path /hazard)."""
    async with client(apps["hazard_api"], root_path="/hazard") as http:
        for page in ("/hazard/docs", "/hazard/redoc"):
            urls = loaded_urls((await http.get(page)).text)
            assert "/hazard/openapi.json" in urls
            assert all(u.startswith("/hazard/") for u in urls), urls
            for url in urls:
                assert (await http.get(url)).status_code == 200, url


def test_an_app_with_fastapis_cdn_pages_is_refused() -> None:
    with pytest.raises(ValueError, match="docs_url=None"):
        install_api_docs(FastAPI())
    with pytest.raises(ValueError, match="openapi_url"):
        install_api_docs(FastAPI(docs_url=None, redoc_url=None, openapi_url=None))


def test_the_installed_package_carries_the_vendored_files(tmp_path: Path) -> None:
    """`pip install .` (the Dockerfile) must ship the files, not only an editable checkout."""
    context = tmp_path / "context"
    context.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, context / name)
    shutil.copytree(
        ROOT / "shared", context / "shared", ignore=shutil.ignore_patterns("__pycache__")
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), "."],
        cwd=context,
        check=True,
    )
    (wheel,) = tmp_path.glob("duban-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f.path.relative_to(ROOT).as_posix() for f in vendored_files().values()}
    assert shipped | {MANIFEST.relative_to(ROOT).as_posix()} <= names
