"""/docs (Swagger UI) and /redoc (ReDoc) pages that load nothing from outside the service."""

from __future__ import annotations

from html import escape

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from starlette.types import Lifespan

from shared.apidocs.assets import asset_url, assets_router
from shared.heap import frozen_after_start
from shared.problems import install_problem_docs
from shared.security_headers import SecurityHeaders, page_with_inline_scripts

DOCS_PATH = "/docs"
REDOC_PATH = "/redoc"

# FastAPI's get_redoc_html also links Google Fonts; this page loads nothing from outside.
# ReDoc's sidebar footer always shows Redocly's logo from cdn.redoc.ly (no option turns it
# off), and on a county network that request fails. Before the bundle runs, an image source
# on that host (React sets it as attribute, then again as property) becomes an empty `data:`
# URL: nothing is fetched, the image fails to decode and ReDoc drops it, keeping its text.
_REDOC_PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="{favicon}">
<style>body {{ margin: 0; padding: 0; }}</style>
<script>
(() => {{
  const image = HTMLImageElement.prototype;
  const local = (url) => (String(url).startsWith("https://cdn.redoc.ly/") ? "data:," : url);
  const src = Object.getOwnPropertyDescriptor(image, "src");
  Object.defineProperty(image, "src", {{
    ...src, set(url) {{ src.set.call(this, local(url)); }},
  }});
  const setAttribute = Element.prototype.setAttribute;
  image.setAttribute = function (name, value) {{
    return setAttribute.call(this, name, name === "src" ? local(value) : value);
  }};
}})();
</script>
</head>
<body>
<noscript>接口文档需要浏览器启用 JavaScript。</noscript>
<redoc spec-url="{openapi_url}"></redoc>
<script src="{script}"></script>
</body>
</html>
"""


def service_app(
    *,
    title: str,
    description: str = "",
    version: str = "0.1.0",
    lifespan: Lifespan[FastAPI] | None = None,
) -> FastAPI:
    """A service's FastAPI app, with API docs that work without internet, one documented error
    body (`shared.problems`) and security headers on every response; the heap its startup
    leaves is frozen out of the collector's full passes (shared.heap)."""
    app = FastAPI(
        title=title,
        description=description,
        version=version,
        lifespan=frozen_after_start(lifespan),
        docs_url=None,
        redoc_url=None,
    )
    install_api_docs(app)
    install_problem_docs(app)
    app.add_middleware(SecurityHeaders)
    return app


def install_api_docs(app: FastAPI) -> None:
    """Serve /docs and /redoc from the vendored files (the app was made with docs_url=None
    and redoc_url=None: FastAPI's own pages fetch their scripts from public CDNs)."""
    if app.docs_url or app.redoc_url:
        raise ValueError("create the app with docs_url=None, redoc_url=None")
    if not app.openapi_url:
        raise ValueError("API docs need the app's OpenAPI schema (openapi_url)")
    app.include_router(assets_router())
    oauth2_redirect = app.swagger_ui_oauth2_redirect_url

    @app.get(DOCS_PATH, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = _root_path(request)
        # Swagger UI starts from an inline script: the page's policy admits that one by hash.
        page = get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} · API 文档",
            swagger_js_url=asset_url(root, "swagger-ui-dist", "swagger-ui-bundle.js"),
            swagger_css_url=asset_url(root, "swagger-ui-dist", "swagger-ui.css"),
            swagger_favicon_url=asset_url(root, "swagger-ui-dist", "favicon-32x32.png"),
            oauth2_redirect_url=f"{root}{oauth2_redirect}" if oauth2_redirect else None,
            init_oauth=app.swagger_ui_init_oauth,
            swagger_ui_parameters=app.swagger_ui_parameters,
        )
        return page_with_inline_scripts(bytes(page.body).decode())

    if oauth2_redirect:

        @app.get(oauth2_redirect, include_in_schema=False)
        async def swagger_ui_redirect() -> HTMLResponse:
            page = get_swagger_ui_oauth2_redirect_html()
            return page_with_inline_scripts(bytes(page.body).decode())

    @app.get(REDOC_PATH, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = _root_path(request)
        return page_with_inline_scripts(
            _REDOC_PAGE.format(
                title=escape(f"{app.title} · API 文档（ReDoc）"),
                favicon=escape(asset_url(root, "swagger-ui-dist", "favicon-32x32.png")),
                openapi_url=escape(f"{root}{app.openapi_url}"),
                script=escape(asset_url(root, "redoc", "redoc.standalone.js")),
            )
        )


def _root_path(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")
