"""The web dashboard: a bilingual (English / 简体中文) front end served by the API's FastAPI process.

``mount(app)`` adds the pages under ``/`` and the static files (our JS and CSS,
and the vendored Apache ECharts, world-atlas topology and topojson-client)
under ``/static``. Nothing is loaded from a CDN: the dashboard works offline.
The REST API's ``create_app()`` calls it; a dashboard-only app works too::

    from fastapi import FastAPI
    from cultrade.web import mount
    app = FastAPI()
    mount(app)          # uses the store of CULTRADE_HOME and its api_keys table

FastAPI is imported only by :func:`mount`, so the reports (which reuse the
i18n catalogues and chart builders in this package) do not need it.

>>> sorted(p.name for p in static_dir().joinpath("vendor").iterdir() if p.suffix in (".js", ".json"))
['countries-110m.json', 'echarts.min.js', 'topojson-client.min.js']
"""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI


def static_dir() -> Traversable:
    return resources.files("cultrade.web").joinpath("static")


def mount(app: FastAPI) -> None:
    """Add the dashboard's routes and ``/static`` to ``app`` (idempotent)."""
    from starlette.staticfiles import StaticFiles

    from cultrade.web.routes import router

    if getattr(app.state, "web_mounted", False):
        return

    class CachedStatic(StaticFiles):
        """Static files with a day of browser caching (URLs carry ``?v=`` for busting)."""

        def file_response(self, *args: Any, **kwargs: Any) -> Any:
            resp = super().file_response(*args, **kwargs)
            resp.headers["Cache-Control"] = "public, max-age=86400"
            return resp

    from cultrade.api import security

    security.install(app)
    app.include_router(router)
    app.mount("/static", CachedStatic(directory=str(Path(str(static_dir())))), name="static")
    app.state.web_mounted = True


__all__ = ["mount", "static_dir"]
