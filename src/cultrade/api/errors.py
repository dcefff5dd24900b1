"""CultradeError → HTTP status, and one error body for every 4xx/5xx answer.

Every error body has the same keys: ``{error, message, path, row, column, hint}``
(:meth:`cultrade.errors.CultradeError.to_dict`). ``path`` is the file a library
error points at, or else the request path; for validation errors ``column`` names
the parameter (``query.limit``, ``body.value``).

>>> from cultrade.errors import ConfigError, UnknownCountryError
>>> status_for(UnknownCountryError("XXX")), status_for(ConfigError("bad")), status_for(NotFoundError("x"))
(404, 422, 404)
>>> status_for(RuntimeError("boom"))
500
>>> error_body(NotFoundError("no watchlist 'x'", hint="see GET /api/v1/watchlists"), "/api/v1/watchlists/x")
{'error': 'NotFoundError', 'message': "no watchlist 'x'", 'path': '/api/v1/watchlists/x', 'row': None, 'column': None, 'hint': 'see GET /api/v1/watchlists'}
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from cultrade.errors import (
    ConfigError,
    CultradeError,
    FetchError,
    SourceFormatError,
    StoreError,
    UnknownCountryError,
    UnknownSourceError,
)

log = logging.getLogger("cultrade.api")


class NotFoundError(CultradeError):
    """The addressed resource (alert, watchlist, key, rule...) does not exist."""

    exit_code = 2


class AuthError(CultradeError):
    """No API key, or an unknown or revoked one (HTTP 401)."""

    exit_code = 2


class ForbiddenError(CultradeError):
    """The key's role is below what the route needs (HTTP 403)."""

    exit_code = 2


class ConflictError(CultradeError):
    """The request conflicts with the current state (HTTP 409), e.g. a key revoking itself."""

    exit_code = 2


class RateLimitError(CultradeError):
    """Too many failed authentications from this client or for this key prefix (HTTP 429, Retry-After)."""

    exit_code = 2

    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(1, int(retry_after + 0.999))
        super().__init__(f"too many failed log-ins; try again in {self.retry_after} s",
                         hint="check the key; each further failure doubles the wait")


# Most specific first: the first isinstance match wins.
STATUS: tuple[tuple[type[BaseException], int], ...] = (
    (AuthError, 401),
    (RateLimitError, 429),
    (ForbiddenError, 403),
    (NotFoundError, 404),
    (ConflictError, 409),
    (UnknownCountryError, 404),
    (UnknownSourceError, 404),
    (ConfigError, 422),
    (SourceFormatError, 422),
    (StoreError, 503),
    (FetchError, 502),
    (CultradeError, 400),
)


def status_for(exc: BaseException) -> int:
    """The HTTP status an exception becomes (500 for anything unplanned)."""
    for cls, code in STATUS:
        if isinstance(exc, cls):
            return code
    if isinstance(exc, StarletteHTTPException):
        return exc.status_code
    return 500


def error_body(exc: CultradeError, request_path: str) -> dict[str, Any]:
    body = exc.to_dict()
    if body["path"] is None:
        body["path"] = request_path
    return body


def _plain(error: str, message: str, path: str, *, column: str | None = None,
           hint: str | None = None) -> dict[str, Any]:
    return {"error": error, "message": message, "path": path, "row": None, "column": column, "hint": hint}


async def _cultrade_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CultradeError)
    code = status_for(exc)
    headers = {"WWW-Authenticate": "Bearer"} if code == 401 else None
    if isinstance(exc, RateLimitError):
        headers = {"Retry-After": str(exc.retry_after)}
    return JSONResponse(error_body(exc, request.url.path), status_code=code, headers=headers)


async def _validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    parts, first_loc = [], None
    for err in errors:
        loc = ".".join(str(p) for p in err.get("loc", ()))
        first_loc = first_loc or loc
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    body = _plain("ValidationError", "; ".join(parts) or "invalid request", request.url.path, column=first_loc,
                  hint="check the parameter types and ranges in /api/v1/openapi.json")
    return JSONResponse(body, status_code=422)


async def _http_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    try:
        phrase = HTTPStatus(exc.status_code).phrase
    except ValueError:
        phrase = "HTTP error"
    message = exc.detail if isinstance(exc.detail, str) else phrase
    hint = "see /api/docs for the routes" if exc.status_code in (404, 405) else None
    name = phrase.title().replace(" ", "").replace("-", "")
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request))
    return JSONResponse(_plain(name, message, request.url.path, hint=hint), status_code=exc.status_code,
                        headers=headers or None)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at the request's path (Starlette names only the first matching route's)."""
    from starlette.routing import Match

    methods: set[str] = set()
    scope = dict(request.scope)
    for route in request.app.router.routes:
        for method in getattr(route, "methods", None) or ():
            match, _ = route.matches({**scope, "method": method})
            if match == Match.FULL:
                methods.add(method)
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


async def _unexpected_handler(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(_plain("InternalError", "unexpected server error", request.url.path,
                               hint="see the server log; please report it"), status_code=500)


def install(app: FastAPI) -> None:
    """Register the handlers so every error answer has the same body."""
    app.add_exception_handler(CultradeError, _cultrade_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(Exception, _unexpected_handler)


__all__ = ["STATUS", "AuthError", "ConflictError", "ForbiddenError", "NotFoundError", "RateLimitError",
           "allowed_methods", "error_body", "install", "status_for"]
