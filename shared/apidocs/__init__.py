"""API docs without internet: Swagger UI at /docs and ReDoc at /redoc on every service.

FastAPI's own pages load their scripts from public CDNs, which a county network may not
reach (and which are unreliable in mainland China): the page stays blank. Here the pages
load the npm packages' files vendored under `vendor/` (listed with versions and sha256 in
`vendor/VENDORED.json`; `python -m shared.apidocs.refresh` re-vendors them).
"""

from shared.apidocs.pages import install_api_docs, service_app

__all__ = ["install_api_docs", "service_app"]
