"""The REST API application: ``create_app()`` → FastAPI, served by ``cultrade serve``.

Schema at ``/api/v1/openapi.json``, docs at ``/api/docs``. Every route is under
``/api/v1`` and, except ``/health`` and ``POST/DELETE /session``, needs an API key
(see :mod:`cultrade.api.auth`). Start-up opens the store and creates the
``api_keys``/``api_audit`` tables; nothing is computed until a route asks for it.
The store stays open for the app's life (test clients run the lifespan on every
call): whoever created the app closes it with ``app.state.api.close()``.

>>> import tempfile, pathlib
>>> from fastapi.testclient import TestClient
>>> from cultrade.settings import Settings
>>> home = pathlib.Path(tempfile.mkdtemp())
>>> app = create_app(home / "api.duckdb", settings=Settings(home=home), mount_web=False)
>>> client = TestClient(app)
>>> client.get("/api/v1/health").json()["status"]
'ok'
>>> r = client.get("/api/v1/countries")
>>> r.status_code, sorted(r.json())
(401, ['column', 'error', 'hint', 'message', 'path', 'row'])
>>> app.state.api.close()
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Any

import anyio
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cultrade import __version__
from cultrade.api import docs, errors, security
from cultrade.api.auth import UNSAFE
from cultrade.api.ratelimit import FailedAuthLimiter
from cultrade.api.routers import config, data, local, markets, meta, monitor, risk, trade
from cultrade.api.settings import ApiSettings
from cultrade.api.state import ApiState
from cultrade.settings import Settings, get_settings

log = logging.getLogger("cultrade.api")
PREFIX = "/api/v1"

DESCRIPTION = """Country risk, monitoring and cultural trade statistics for cultural enterprises going abroad.

Authenticate with an API key: `Authorization: Bearer <key>` or `X-API-Key: <key>`; browsers log in
with `POST /api/v1/session`, which sets the session cookie `cultrade_session` (an opaque id, never the key)
and returns a CSRF token that every cookie-authenticated write sends as `X-CSRF-Token`. Repeated failed
log-ins are slowed down (429 with `Retry-After`). Roles: **viewer** reads; **analyst** also
manages watchlists, acknowledgements, silences and risk overrides; **admin** also rules and keys.
Every error answer is `{error, message, path, row, column, hint}`.
"""


class AuditMiddleware:
    """Audit every unsafe request that no route audited itself (refused, invalid, unknown route, crash)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in UNSAFE:
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})
        status = {"code": 500}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            if not scope["state"].get("audited"):
                await anyio.to_thread.run_sync(self._audit, scope, status["code"])

    @staticmethod
    def _audit(scope: Scope, code: int) -> None:
        state: ApiState | None = getattr(scope["app"].state, "api", None)
        if state is None:
            return
        try:
            request = Request(scope)
            state.audit_outside(request, scope["state"].get("principal"), code, "refused before the route ran")
        except Exception:  # an audit failure must not hide the answer
            log.exception("could not write the audit row")


def _mount_web(app: FastAPI) -> bool:
    """Call ``cultrade.web.mount(app)`` when the dashboard package provides it; API only otherwise."""
    try:
        web = importlib.import_module("cultrade.web")
    except ImportError:
        return False
    mount = getattr(web, "mount", None)
    if not callable(mount):
        log.warning("cultrade.web has no mount(app): serving the API only")
        return False
    mount(app)
    return True


def create_app(store_path: str | Path | None = None, *, settings: Settings | None = None,
               api_settings: ApiSettings | None = None, rules_path: Path | None = None,
               mount_web: bool = True, limiter: FailedAuthLimiter | None = None) -> FastAPI:
    """The API on the store at ``store_path`` (default: the settings' store), plus the dashboard if installed.

    ``limiter``: the backoff on failed log-ins (tests pass one with their own clock)."""
    settings = settings or get_settings()
    api = api_settings or ApiSettings()
    state = ApiState.open(store_path, settings, api, rules_path, limiter)

    app = FastAPI(title="cultrade API", version=__version__, description=DESCRIPTION,
                  openapi_url=f"{PREFIX}/openapi.json", docs_url=None, redoc_url=None)
    app.state.api = state
    errors.install(app)
    for module in (meta, data, risk, trade, markets, monitor, config, local):
        app.include_router(module.router, prefix=PREFIX)
    app.add_middleware(AuditMiddleware)
    security.install(app)
    docs.install(app)
    if api.cors_list:
        app.add_middleware(CORSMiddleware, allow_origins=api.cors_list, allow_credentials=True,
                           allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                           allow_headers=["Authorization", "X-API-Key", "Content-Type"])
    app.state.web_mounted = _mount_web(app) if mount_web else False
    _document_body_errors(app)
    return app


def _document_body_errors(app: FastAPI) -> None:
    """Document 400 (a body that is not JSON, refused before validation) on every operation taking a body."""
    from cultrade.api.routers.common import errors as error_responses

    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            bad_body = error_responses(400)[400]
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    if isinstance(operation, dict) and "requestBody" in operation:
                        operation["responses"].setdefault("400", {
                            "description": bad_body["description"],
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}})
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def app_factory() -> Any:
    """For ``uvicorn --factory cultrade.api.app:app_factory``: the app on the configured store."""
    return create_app()


__all__ = ["PREFIX", "AuditMiddleware", "app_factory", "create_app"]
