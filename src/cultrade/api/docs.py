"""The interactive API docs (Swagger UI) without inline script, so the page keeps the strict CSP.

FastAPI's built-in page starts Swagger UI with an inline ``<script>``; this one loads the same files from
the CDN and starts them from ``/api/docs/init.js``, served here. The docs need the internet (the CDN); the
API and the dashboard do not.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response

from cultrade.api.security import DOCS_PATH, SWAGGER_CDN

_BUNDLE = f"{SWAGGER_CDN}/npm/swagger-ui-dist@5"
_PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cultrade API</title>
<link rel="stylesheet" href="{_BUNDLE}/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="{_BUNDLE}/swagger-ui-bundle.js"></script>
<script src="{DOCS_PATH}/init.js"></script></body></html>
"""
_INIT = """window.ui = SwaggerUIBundle({url: "%s", dom_id: "#swagger-ui", deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset], layout: "BaseLayout"});
"""


def install(app: FastAPI) -> None:
    """Serve the docs page and its start-up script at :data:`~cultrade.api.security.DOCS_PATH`."""
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get(DOCS_PATH, include_in_schema=False)
    def docs_page() -> HTMLResponse:
        return HTMLResponse(_PAGE)

    @app.get(f"{DOCS_PATH}/init.js", include_in_schema=False)
    def docs_init() -> Response:
        return Response(_INIT % openapi_url, media_type="text/javascript")


__all__ = ["install"]
